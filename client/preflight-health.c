/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "preflight-health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "exit-codes.h"
#include "health-fetch.h"
#include "helper-api.h"
#include "macro.h"

static void add_host(Exec *x, Preflight *p, const char *name, HealthHost *hosts, unsigned *n) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const SiteHost *sh = site_find_host(x->site, name);

        if (!sh || !preflight_reachable(p, name))
                return;
        for (unsigned k = 0; k < *n; k++)
                if (strcmp(hosts[k].name, name) == 0)
                        return;
        HealthHost *h = &hosts[(*n)++];
        *h = (HealthHost) { .name = sh->name };
        health_host_settings(h, x->site, sh);
        h->bus = x->api->connection ? x->api->connection(x->api, name, &error) : NULL;
        if (!h->bus) {
                h->error = -1;
                (void) snprintf(h->problem, sizeof(h->problem), "%.200s",
                                error.message ? error.message : "no connection to it");
        }
}

static void record_warning(Exec *x, const char *host, const HealthRow *row) {
        Run *r = x->run;
        size_t len = strlen(r->preflight_warnings);

        events_emit(x, NULL, "preflight-warning", "  WARN: %s: %s %s: %s", host, row->check, row->subject,
                    row->reason);
        if (len + 1 < sizeof(r->preflight_warnings))
                (void) snprintf(r->preflight_warnings + len, sizeof(r->preflight_warnings) - len, "%s%s:%s:%s",
                                len ? "; " : "", host, row->check, row->subject);
}

static void judge_host(Exec *x, Preflight *p, const HealthHost *h) {
        if (h->error < 0) {
                preflight_problem(p, EXIT_FAILED, "%.64s: cannot read its health: %.250s", h->name, h->problem);
                return;
        }
        if (h->probe_failed)
                preflight_problem(p, EXIT_FAILED, "%.64s: the disk probe did not give a figure: %.250s", h->name,
                                  h->probe_result);
        for (unsigned k = 0; k < h->n_rows; k++) {
                const HealthRow *row = &h->rows[k];
                if (row->state == HEALTH_WARN)
                        record_warning(x, h->name, row);
                else if (row->state == HEALTH_FAIL)
                        preflight_problem(p, EXIT_FAILED, "%.64s: health %.23s %.80s FAIL: %.180s", h->name,
                                          row->check, row->subject, row->reason);
        }
}

static void check_health(Exec *x, Preflight *p, const char *const *names, size_t n_names, bool probe) {
        HealthHost *hosts = calloc(n_names ? n_names : 1, sizeof(HealthHost));
        unsigned n = 0, before = preflight_problems(p);

        if (!hosts) {
                preflight_problem(p, EXIT_FAILED, "Out of memory");
                return;
        }
        for (size_t i = 0; i < n_names; i++)
                add_host(x, p, names[i], hosts, &n);
        if (n == 0) {
                free(hosts);
                return;
        }
        preflight_checked(p);
        /* Fresh samples: the run is about to change things on these hosts. */
        (void) health_fetch(hosts, n, probe, HEALTH_FETCH_FRESH);
        x->run->preflight_warnings[0] = '\0';
        for (unsigned i = 0; i < n; i++)
                judge_host(x, p, &hosts[i]);
        if (preflight_problems(p) == before)
                preflight_ok(p, "health of %u host(s): no FAIL%s", n, x->run->preflight_warnings[0] ? " (WARNs above)" : "");
        free(hosts);
}

void preflight_health(Exec *x, Preflight *p, const char *const *names, size_t n_names) {
        check_health(x, p, names, n_names, false);
}

void preflight_health_probed(Exec *x, Preflight *p, const char *const *names, size_t n_names) {
        check_health(x, p, names, n_names, true);
}
