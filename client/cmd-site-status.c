/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hubopsctl site status: every host of the site config at once. All
 * connections are opened first and every call is in flight together on one
 * event loop, so the whole site answers in about the time of its slowest
 * host, not the sum of all of them (BENCHMARKS.md measures 1 to 64 hosts). */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-event.h>

#include "commands.h"
#include "exit-codes.h"
#include "hosts.h"
#include "hubops-bus.h"
#include "macro.h"
#include "output.h"
#include "site-config.h"

#define SITE_STATUS_LOAD_WINDOW_MS 250U
#define SITE_STATUS_CALL_TIMEOUT_USEC (15ULL * 1000000ULL)

typedef struct HostStatus {
        const SiteHost *host;
        sd_bus *bus;
        unsigned pending;
        int error;           /* the first failure: negative errno */
        char problem[256];   /* what it was, for the table */
        char hostname[SITE_NAME_MAX + 1];
        char version[32];
        char roles[128];
        double idle, load1;
        uint64_t mem_available;
        unsigned jobs_running;
        struct SiteStatus *site;
} HostStatus;

typedef struct SiteStatus {
        sd_event *event;
        HostStatus hosts[SITE_HOSTS_MAX];
        unsigned n_hosts;
        unsigned pending; /* calls in flight, all hosts */
} SiteStatus;

static void host_failed(HostStatus *h, int r, const sd_bus_error *e) {
        if (h->error < 0)
                return;
        h->error = r < 0 ? r : -EIO;
        (void) snprintf(h->problem, sizeof(h->problem), "%s",
                        e && sd_bus_error_is_set(e) ? (e->message ? e->message : e->name) : strerror(-h->error));
}

/* Manager's properties: only the three shown, each of its own type. */
static int read_manager(HostStatus *h, sd_bus_message *m) {
        const char *name;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &name);
                if (r >= 0 && strcmp(name, "Hostname") == 0) {
                        const char *s;
                        r = sd_bus_message_read(m, "v", "s", &s);
                        if (r >= 0)
                                (void) snprintf(h->hostname, sizeof(h->hostname), "%s", s);
                } else if (r >= 0 && strcmp(name, "Version") == 0) {
                        const char *s;
                        r = sd_bus_message_read(m, "v", "s", &s);
                        if (r >= 0)
                                (void) snprintf(h->version, sizeof(h->version), "%s", s);
                } else if (r >= 0 && strcmp(name, "Roles") == 0) {
                        const char *s;
                        size_t len = 0;
                        r = sd_bus_message_enter_container(m, 'v', "as");
                        if (r >= 0)
                                r = sd_bus_message_enter_container(m, 'a', "s");
                        while (r >= 0 && (r = sd_bus_message_read(m, "s", &s)) > 0 && len < sizeof(h->roles))
                                len += (size_t) snprintf(h->roles + len, sizeof(h->roles) - len, "%s%s",
                                                         len ? "," : "", s);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                } else if (r >= 0)
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        return r;
}

static int read_load(HostStatus *h, sd_bus_message *m) {
        double load5, load15;

        return sd_bus_message_read(m, "ddddt", &h->idle, &h->load1, &load5, &load15, &h->mem_available);
}

static int read_jobs(HostStatus *h, sd_bus_message *m) {
        const char *op, *subject, *state, *path;
        uint64_t id;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(tssso)");
        while (r >= 0 && (r = sd_bus_message_read(m, "(tssso)", &id, &op, &subject, &state, &path)) > 0)
                if (strcmp(state, "running") == 0)
                        h->jobs_running++;
        return r;
}

typedef struct Call {
        HostStatus *host;
        int (*read)(HostStatus *h, sd_bus_message *m);
} Call;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Call *c = userdata;
        HostStatus *h = c->host;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        int r;

        (void) ret_error;
        if (e)
                host_failed(h, -sd_bus_message_get_errno(m), e);
        else if ((r = c->read(h, m)) < 0)
                host_failed(h, r, NULL);
        free(c);
        h->pending--;
        if (--h->site->pending == 0)
                (void) sd_event_exit(h->site->event, 0);
        return 0;
}

static int call_async(HostStatus *h, const char *iface, const char *member,
                      int (*read)(HostStatus *h, sd_bus_message *m), const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        Call *c;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(h->bus, &m, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, iface, member);
        if (r < 0)
                return r;
        va_start(ap, types);
        r = types ? sd_bus_message_appendv(m, types, ap) : 0;
        va_end(ap);
        if (r < 0)
                return r;
        c = calloc(1, sizeof(Call));
        if (!c)
                return -ENOMEM;
        *c = (Call) { h, read };
        /* Floating slot: the call is freed with its reply or with the bus. */
        r = sd_bus_call_async(h->bus, NULL, m, on_reply, c, SITE_STATUS_CALL_TIMEOUT_USEC);
        if (r < 0) {
                free(c);
                return r;
        }
        h->pending++;
        h->site->pending++;
        return 0;
}

static int host_start(SiteStatus *s, HostStatus *h) {
        Target t = hosts_target_of(h->host);
        int r;

        r = transport_open(&t, false, &h->bus);
        if (r >= 0)
                r = sd_bus_attach_event(h->bus, s->event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = call_async(h, "org.freedesktop.DBus.Properties", "GetAll", read_manager, "s",
                               HUBOPS_IFACE_MANAGER);
        if (r >= 0)
                r = call_async(h, HUBOPS_IFACE_MANAGER, "GetLoad", read_load, "u", SITE_STATUS_LOAD_WINDOW_MS);
        if (r >= 0)
                r = call_async(h, HUBOPS_IFACE_MANAGER, "ListJobs", read_jobs, NULL);
        if (r < 0)
                host_failed(h, r, NULL);
        return r;
}

/* "a,b" as ["a","b"], as `hubopsctl status --json` shows roles. */
static json_object *roles_json(const char *list) {
        json_object *a = json_object_new_array();
        char buf[128], *save = NULL;

        (void) snprintf(buf, sizeof(buf), "%s", list);
        for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save))
                json_object_array_add(a, json_object_new_string(w));
        return a;
}

static json_object *host_json(const HostStatus *h) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "host", json_object_new_string(h->host->name));
        json_object_object_add(o, "address", json_object_new_string(h->host->address));
        json_object_object_add(o, "reachable", json_object_new_boolean(h->error >= 0));
        if (h->error < 0) {
                json_object_object_add(o, "error", json_object_new_string(h->problem));
                return o;
        }
        json_object_object_add(o, "hostname", json_object_new_string(h->hostname));
        json_object_object_add(o, "version", json_object_new_string(h->version));
        json_object_object_add(o, "roles", roles_json(h->roles));
        json_object_object_add(o, "cpu_idle", json_object_new_double(h->idle));
        json_object_object_add(o, "load1", json_object_new_double(h->load1));
        json_object_object_add(o, "memory_available", json_object_new_int64((int64_t) h->mem_available));
        json_object_object_add(o, "jobs_running", json_object_new_int((int) h->jobs_running));
        return o;
}

static void print_table(const SiteStatus *s) {
        if (!output.no_legend)
                printf("%-16s %-12s %-9s %8s %6s %10s %4s\n", "HOST", "ROLES", "VERSION", "CPU IDLE", "LOAD1",
                       "MEM AVAIL", "JOBS");
        for (unsigned i = 0; i < s->n_hosts; i++) {
                const HostStatus *h = &s->hosts[i];
                if (h->error < 0) {
                        printf("%-16s unreachable: %s\n", h->host->name, h->problem);
                        continue;
                }
                /* A wrong Address= answers as another host: say so, as the runbook preflight refuses it. */
                bool other = strcmp(h->hostname, h->host->name) != 0;
                printf("%-16s %-12s %-9s %7.1f%% %6.2f %8.1f M %4u%s%s%s\n", h->host->name,
                       h->roles[0] ? h->roles : "-", h->version, h->idle * 100.0, h->load1,
                       (double) h->mem_available / 1048576.0, h->jobs_running, other ? "  (answers as " : "",
                       other ? h->hostname : "", other ? ")" : "");
        }
}

static int select_hosts(SiteStatus *s, const SiteConfig *site, const Invocation *inv) {
        if (inv->n_args == 0) {
                for (unsigned i = 0; i < site->n_hosts; i++)
                        s->hosts[s->n_hosts++] = (HostStatus) { .host = &site->hosts[i], .site = s };
                return EXIT_OK;
        }
        for (int i = 0; i < inv->n_args; i++) {
                const SiteHost *h = site_find_host(site, inv->args[i]);
                if (!h)
                        return output_error(EXIT_NOT_CONFIGURED, "%s: no such host in %s", inv->args[i], site->path);
                if (s->n_hosts >= SITE_HOSTS_MAX)
                        return output_error(EXIT_USAGE, "At most %d hosts", SITE_HOSTS_MAX);
                s->hosts[s->n_hosts++] = (HostStatus) { .host = h, .site = s };
        }
        return EXIT_OK;
}

static void site_status_done(SiteStatus *s) {
        for (unsigned i = 0; i < s->n_hosts; i++)
                s->hosts[i].bus = sd_bus_flush_close_unref(s->hosts[i].bus);
        s->event = sd_event_unref(s->event);
}

int cmd_site_status(sd_bus *bus, const Invocation *inv) {
        _cleanup_(site_config_freep) SiteConfig *site = NULL;
        _cleanup_free_ char *err = NULL;
        SiteStatus *s;
        unsigned unreachable = 0;
        int r;

        (void) bus;
        r = site_config_load(inv->site, &site, &err);
        if (r < 0)
                return output_error(r == -ENOENT ? EXIT_NOT_CONFIGURED : EXIT_USAGE, "%s", err ? err : strerror(-r));
        s = calloc(1, sizeof(SiteStatus));
        if (!s || sd_event_new(&s->event) < 0) {
                free(s);
                return output_error(EXIT_FAILED, "Out of memory");
        }
        r = select_hosts(s, site, inv);
        if (r == EXIT_OK) {
                for (unsigned i = 0; i < s->n_hosts; i++)
                        (void) host_start(s, &s->hosts[i]);
                if (s->pending > 0)
                        (void) sd_event_loop(s->event);
                for (unsigned i = 0; i < s->n_hosts; i++)
                        unreachable += s->hosts[i].error < 0;
                if (output.json) {
                        json_object *o = json_object_new_object(), *a = json_object_new_array();
                        for (unsigned i = 0; i < s->n_hosts; i++)
                                json_object_array_add(a, host_json(&s->hosts[i]));
                        json_object_object_add(o, "hosts", a);
                        output_json(o);
                } else
                        print_table(s);
                r = unreachable ? EXIT_UNREACHABLE : EXIT_OK;
        }
        site_status_done(s);
        free(s);
        return r;
}
