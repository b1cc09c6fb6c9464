/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hubopsctl health, hubopsctl site health [HOST...]: every check of every
 * host in one table, OK / WARN / FAIL, under the site's thresholds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "exit-codes.h"
#include "clock.h"
#include "health-fetch.h"
#include "hubops-bus.h"
#include "macro.h"
#include "output.h"
#include "site-config.h"
#include "timespan.h"

static const char *state_color(HealthState s) {
        static const char *const colors[HEALTH_STATE_MAX] = { "\033[32m", "\033[33m", "\033[1;31m", "\033[2m" };

        return colors[s];
}

static void print_state(HealthState s) {
        char upper[8];

        (void) snprintf(upper, sizeof(upper), "%s", health_state_to_string(s));
        for (char *c = upper; *c; c++)
                *c = (char) (*c - 'a' + 'A');
        /* Our own sequences go past the escaping stdout (output_sgr), which
         * would show them as \x1b[32m. */
        output_sgr(state_color(s));
        printf("%-7s", upper);
        output_sgr("\033[0m");
}

/* Site health answers from each helper's periodic sample: say how old. */
static void print_sample_age(const HealthHost *hosts, unsigned n) {
        uint64_t oldest = 0, now = now_usec(CLOCK_REALTIME);
        char age[64];

        for (unsigned i = 0; i < n; i++)
                if (hosts[i].error >= 0 && hosts[i].sampled_at && (!oldest || hosts[i].sampled_at < oldest))
                        oldest = hosts[i].sampled_at;
        if (!oldest)
                return;
        (void) timespan_format(age, sizeof(age), now > oldest ? now - oldest : 0);
        printf("Sampled by each helper within its SampleIntervalSec=, the oldest %s ago (--fresh: sample now).\n",
               age);
}

static void print_table(const HealthHost *hosts, unsigned n) {
        int w = 8;

        for (unsigned i = 0; i < n; i++)
                for (unsigned k = 0; k < hosts[i].n_rows; k++)
                        w = MAX(w, (int) strlen(hosts[i].rows[k].subject));
        if (!output.no_legend)
                printf("%-12s %-16s %-*s %-7s %s\n", "HOST", "CHECK", w, "SUBJECT", "STATE", "WHY");
        for (unsigned i = 0; i < n; i++) {
                const HealthHost *h = &hosts[i];
                if (h->error < 0) {
                        printf("%-12s %-16s %-*s ", h->name, "reachable", w, "-");
                        print_state(HEALTH_FAIL);
                        printf(" unreachable: %s\n", h->problem);
                        continue;
                }
                if (h->probe_result[0])
                        printf("%-12s %-16s %-*s %-7s %s\n", h->name, "probe", w, "-", h->probe_failed ? "FAIL" : "ran",
                               h->probe_result);
                for (unsigned k = 0; k < h->n_rows; k++) {
                        const HealthRow *r = &h->rows[k];
                        printf("%-12s %-16s %-*s ", h->name, r->check, w, r->subject);
                        print_state(r->state);
                        printf(" %s\n", r->reason);
                }
        }
}

static json_object *host_json(const HealthHost *h) {
        json_object *o = json_object_new_object(), *a = json_object_new_array();

        json_object_object_add(o, "host", json_object_new_string(h->name));
        json_object_object_add(o, "reachable", json_object_new_boolean(h->error >= 0));
        if (h->error < 0)
                json_object_object_add(o, "error", json_object_new_string(h->problem));
        else
                json_object_object_add(o, "state", json_object_new_string(health_state_to_string(h->worst)));
        if (h->probe_result[0]) {
                json_object_object_add(o, "probe", json_object_new_string(h->probe_result));
                json_object_object_add(o, "probe_ok", json_object_new_boolean(!h->probe_failed));
        }
        for (unsigned k = 0; k < h->n_rows; k++) {
                const HealthRow *r = &h->rows[k];
                json_object *c = json_object_new_object();
                json_object_object_add(c, "check", json_object_new_string(r->check));
                json_object_object_add(c, "subject", json_object_new_string(r->subject));
                json_object_object_add(c, "state", json_object_new_string(health_state_to_string(r->state)));
                /* Counts and bytes as integers: a double's text may round them. */
                json_object_object_add(c, "value", r->value == (double) (int64_t) r->value
                                                           ? json_object_new_int64((int64_t) r->value)
                                                           : json_object_new_double(r->value));
                json_object_object_add(c, "unit", json_object_new_string(r->unit));
                json_object_object_add(c, "reason", json_object_new_string(r->reason));
                json_object_object_add(c, "measured_at_usec", json_object_new_int64((int64_t) r->measured_at));
                json_object_array_add(a, c);
        }
        json_object_object_add(o, "checks", a);
        return o;
}

/* 4 if a host could not be asked, else 1 on any FAIL, else 0 (WARN is shown, not an error). */
static int report(const HealthHost *hosts, unsigned n, bool recent) {
        bool unreachable = false, fail = false;

        if (output.json) {
                json_object *o = json_object_new_object(), *a = json_object_new_array();
                for (unsigned i = 0; i < n; i++)
                        json_object_array_add(a, host_json(&hosts[i]));
                json_object_object_add(o, "hosts", a);
                output_json(o);
        } else {
                print_table(hosts, n);
                if (recent && !output.no_legend)
                        print_sample_age(hosts, n);
        }
        for (unsigned i = 0; i < n; i++) {
                unreachable = unreachable || hosts[i].error < 0;
                fail = fail || (hosts[i].error >= 0 && hosts[i].worst == HEALTH_FAIL);
        }
        return unreachable ? EXIT_UNREACHABLE : fail ? EXIT_FAILED : EXIT_OK;
}

/* One host: the bus of -H/--address; the site's [Health] thresholds if a
 * site config is found (and the host's own, when -H names a site host). */
int cmd_health(sd_bus *bus, const Invocation *inv) {
        _cleanup_(site_config_freep) SiteConfig *site = NULL;
        _cleanup_free_ char *err = NULL;
        HealthHost *h = calloc(1, sizeof(HealthHost));
        SiteHost fallback = { .name = "" };
        int code;

        if (!h)
                return output_error(EXIT_FAILED, "Out of memory");
        if (site_config_load(inv->site, &site, &err) < 0)
                site = NULL;
        const SiteHost *sh = site && inv->target.host ? site_find_host(site, inv->target.host) : NULL;
        _cleanup_free_ char *hostname = NULL;
        (void) sd_bus_get_property_string(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "Hostname",
                                          NULL, &hostname);
        h->name = hostname ? hostname : inv->target.host ? inv->target.host : "localhost";
        h->bus = bus;
        health_host_settings(h, site, sh ? sh : &fallback);
        /* One host, an operator looking: the current truth, not the last period's. */
        if (health_fetch(h, 1, inv->probe, HEALTH_FETCH_FRESH) < 0 && h->error >= 0)
                h->error = -EIO;
        code = report(h, 1, false);
        free(h);
        return code;
}

static int open_hosts(HealthHost *hosts, const SiteConfig *site, const Invocation *inv, unsigned *ret_n) {
        unsigned n = 0;

        for (unsigned i = 0; i < (inv->n_args ? (unsigned) inv->n_args : site->n_hosts); i++) {
                const SiteHost *sh = inv->n_args ? site_find_host(site, inv->args[i]) : &site->hosts[i];
                if (!sh)
                        return output_error(EXIT_NOT_CONFIGURED, "%s: no such host in %s", inv->args[i], site->path);
                if (n >= SITE_HOSTS_MAX)
                        return output_error(EXIT_USAGE, "At most %d hosts", SITE_HOSTS_MAX);
                HealthHost *h = &hosts[n++];
                Target t = hosts_target_of(sh);
                /* hosts is calloc'd: a compound literal here would zero each host's
                 * 50 KiB of rows again (a fifth of the client's CPU at 64 hosts). */
                h->name = sh->name;
                health_host_settings(h, site, sh);
                int r = transport_open(&t, false, &h->bus);
                if (r < 0) {
                        h->error = r;
                        (void) snprintf(h->problem, sizeof(h->problem), "%s: %s", sh->address, strerror(-r));
                }
        }
        *ret_n = n;
        return EXIT_OK;
}

int cmd_site_health(sd_bus *bus, const Invocation *inv) {
        _cleanup_(site_config_freep) SiteConfig *site = NULL;
        _cleanup_free_ char *err = NULL;
        HealthHost *hosts;
        unsigned n = 0;
        int r;

        (void) bus;
        r = site_config_load(inv->site, &site, &err);
        if (r < 0)
                return output_error(r == -ENOENT ? EXIT_NOT_CONFIGURED : EXIT_USAGE, "%s", err ? err : strerror(-r));
        hosts = calloc(SITE_HOSTS_MAX, sizeof(HealthHost));
        if (!hosts)
                return output_error(EXIT_FAILED, "Out of memory");
        r = open_hosts(hosts, site, inv, &n);
        if (r == EXIT_OK) {
                (void) health_fetch(hosts, n, inv->probe, inv->fresh ? HEALTH_FETCH_FRESH : HEALTH_FETCH_RECENT);
                r = report(hosts, n, !inv->fresh);
        }
        for (unsigned i = 0; i < n; i++)
                hosts[i].bus = sd_bus_flush_close_unref(hosts[i].bus);
        free(hosts);
        return r;
}
