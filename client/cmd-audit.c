/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hubopsctl audit show ID... and audit list --run RUN: the audit records hubopsctl names (every
 * summary and job report prints them), read back through the helper: the
 * log itself is root's. One's own requests need no authorization. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "exit-codes.h"
#include "hosts.h"
#include "hubops-bus.h"
#include "macro.h"
#include "output.h"
#include "run-store.h"
#include "site-config.h"
#include "strv.h"

static const char *record_id(json_object *o) {
        json_object *v;

        return json_object_object_get_ex(o, "id", &v) ? json_object_get_string(v) : "";
}

static int print_records(char **lines, const Invocation *inv) {
        int found = 0;

        for (int a = 0; a < inv->n_args; a++) {
                bool seen = false;
                for (char **l = lines; l && *l; l++) {
                        json_object *o = json_tokener_parse(*l);
                        if (!o)
                                continue;
                        if (strcmp(record_id(o), inv->args[a]) != 0) {
                                json_object_put(o);
                                continue;
                        }
                        seen = true;
                        if (output.json)
                                output_json(o);
                        else {
                                printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                                        JSON_C_TO_STRING_NOSLASHESCAPE));
                                json_object_put(o);
                        }
                        break;
                }
                if (seen)
                        found++;
                else
                        (void) output_error(EXIT_NOT_CONFIGURED, "No audit record %s on this host", inv->args[a]);
        }
        return found == inv->n_args ? EXIT_OK : EXIT_NOT_CONFIGURED;
}

/* GetAuditRecords(ids) on one helper. */
static int fetch_records(sd_bus *bus, char **ids, sd_bus_error *error, char ***ret_lines) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &call, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER,
                                           "GetAuditRecords");
        if (r >= 0)
                r = sd_bus_message_append_strv(call, ids);
        if (r >= 0)
                r = sd_bus_call(bus, call, 0, error, &reply);
        if (r >= 0)
                r = sd_bus_message_read_strv(reply, ret_lines);
        return r;
}

int cmd_audit_show(sd_bus *bus, const Invocation *inv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(strv_freep) char **lines = NULL;
        int r;

        if (inv->n_args < 1)
                return output_error(EXIT_USAGE, "Usage: hubopsctl audit show ID...");
        for (int a = 0; a < inv->n_args; a++)
                if (strlen(inv->args[a]) != 32 || strspn(inv->args[a], "0123456789abcdef") != 32)
                        return output_error(EXIT_USAGE, "Invalid audit record id \"%s\" (32 hex digits)",
                                            inv->args[a]);
        r = fetch_records(bus, inv->args, &error, &lines);
        if (r < 0)
                return output_bus_error(&error, r, "Cannot read the audit records");
        return print_records(lines, inv);
}

/* ---- audit list --run RUN ---- */

static const char *field(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "-";
}

static int by_time(const void *a, const void *b) {
        json_object *x = *(json_object *const *) a, *y = *(json_object *const *) b, *vx, *vy;
        int64_t tx = json_object_object_get_ex(x, "time_usec", &vx) ? json_object_get_int64(vx) : 0;
        int64_t ty = json_object_object_get_ex(y, "time_usec", &vy) ? json_object_get_int64(vy) : 0;

        return tx < ty ? -1 : tx > ty;
}

/* The records of the run's steps on one host, added to all. Exit code. */
static int records_of_host(Hosts *hosts, const Run *run, const char *host, json_object *all) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(strv_freep) char **ids = NULL, **lines = NULL;
        char err[512], doing[128];
        sd_bus *bus;
        int r;

        for (unsigned i = 0; i < run->n_steps; i++)
                if (strcmp(run->steps[i].host, host) == 0 && run->steps[i].audit_id[0] &&
                    strv_extend(&ids, run->steps[i].audit_id) < 0)
                        return output_error(EXIT_FAILED, "Out of memory");
        if (!ids)
                return EXIT_OK;
        r = hosts_get(hosts, host, &bus, err, sizeof(err));
        if (r < 0)
                return output_error(EXIT_UNREACHABLE, "%s", err);
        (void) snprintf(doing, sizeof(doing), "%s: cannot read the audit records", host);
        r = fetch_records(bus, ids, &error, &lines);
        if (r < 0)
                return output_bus_error(&error, r, doing);
        for (char **l = lines; *l; l++) {
                json_object *o = json_tokener_parse(*l);
                if (o)
                        json_object_array_add(all, o);
        }
        return EXIT_OK;
}

static void print_table(json_object *all) {
        size_t n = json_object_array_length(all);

        if (!output.no_legend)
                printf("%-27s %-10s %-18s %-9s %-10s %s\n", "TIME", "HOST", "OPERATION", "VERDICT", "RESULT", "ID");
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_array_get_idx(all, i);
                printf("%-27s %-10s %-18s %-9s %-10s %s\n", field(o, "time"), field(o, "host"), field(o, "operation"),
                       field(o, "verdict"), field(o, "result"), field(o, "id"));
        }
}

int cmd_audit_list(sd_bus *bus, const Invocation *inv) {
        _cleanup_(site_config_freep) SiteConfig *site = NULL;
        _cleanup_free_ Run *run = calloc(1, sizeof(Run));
        _cleanup_free_ char *site_err = NULL;
        json_object *all;
        Hosts hosts = { 0 };
        char err[512];
        int code = EXIT_OK, r;

        (void) bus;
        if (!inv->audit_run || inv->n_args != 0)
                return output_error(EXIT_USAGE, "Usage: hubopsctl audit list --run RUN-ID");
        if (!run)
                return output_error(EXIT_FAILED, "Out of memory");
        r = run_load(inv->audit_run, run, err, sizeof(err));
        if (r < 0)
                return output_error(r == -EINVAL ? EXIT_USAGE : EXIT_NOT_CONFIGURED, "%s", err);
        r = site_config_load(inv->site, &site, &site_err);
        if (r < 0)
                return output_error(r == -ENOENT ? EXIT_NOT_CONFIGURED : EXIT_USAGE, "%s",
                                    site_err ? site_err : strerror(-r));
        hosts.site = site;
        all = json_object_new_array();
        for (unsigned i = 0; i < run->n_steps; i++) {
                bool seen = false;
                for (unsigned k = 0; k < i; k++)
                        seen = seen || strcmp(run->steps[k].host, run->steps[i].host) == 0;
                int c = seen ? EXIT_OK : records_of_host(&hosts, run, run->steps[i].host, all);
                if (c != EXIT_OK)
                        code = c; /* the other hosts' records still show */
        }
        hosts_close(&hosts);
        json_object_array_sort(all, by_time);
        if (output.json)
                for (size_t i = 0; i < json_object_array_length(all); i++)
                        output_json(json_object_get(json_object_array_get_idx(all, i)));
        else
                print_table(all);
        json_object_put(all);
        return code;
}
