/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "preflight-health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health-fetch.h"

static void add_host(Exec *x, const bool reachable[], const char *name, HealthHost *hosts, unsigned *n) {
        char err[512];

        for (unsigned i = 0; i < x->site->n_hosts; i++) {
                const SiteHost *sh = &x->site->hosts[i];
                if (strcmp(sh->name, name) != 0 || !reachable[i])
                        continue;
                for (unsigned k = 0; k < *n; k++)
                        if (strcmp(hosts[k].name, name) == 0)
                                return;
                HealthHost *h = &hosts[(*n)++];
                *h = (HealthHost) { .name = sh->name };
                health_host_settings(h, x->site, sh);
                if (hosts_get(&x->hosts, name, &h->bus, err, sizeof(err)) < 0) {
                        h->error = -1;
                        (void) snprintf(h->problem, sizeof(h->problem), "%.200s", err);
                }
        }
}

static void record_warning(Run *r, const char *host, const HealthRow *row) {
        size_t len = strlen(r->preflight_warnings);

        runbook_emit(r, NULL, "preflight-warning", "  WARN: %s: %s %s: %s", host, row->check, row->subject,
                     row->reason);
        if (len + 1 < sizeof(r->preflight_warnings))
                (void) snprintf(r->preflight_warnings + len, sizeof(r->preflight_warnings) - len, "%s%s:%s:%s",
                                len ? "; " : "", host, row->check, row->subject);
}

void preflight_health(Exec *x, const bool reachable[],
                      char ret_text[PREFLIGHT_HEALTH_PROBLEMS_MAX][PREFLIGHT_HEALTH_TEXT_MAX], unsigned *ret_n) {
        HealthHost *hosts = calloc(2, sizeof(HealthHost));
        unsigned n = 0, problems = 0;

        *ret_n = 0;
        if (!hosts)
                return;
        add_host(x, reachable, x->run->hub, hosts, &n);
        add_host(x, reachable, x->run->directory_host, hosts, &n);
        (void) health_fetch(hosts, n, false);
        x->run->preflight_warnings[0] = '\0';
        for (unsigned i = 0; i < n; i++) {
                const HealthHost *h = &hosts[i];
                if (h->error < 0 && problems < PREFLIGHT_HEALTH_PROBLEMS_MAX)
                        (void) snprintf(ret_text[problems++], PREFLIGHT_HEALTH_TEXT_MAX,
                                        "%.64s: cannot read its health: %.250s", h->name, h->problem);
                for (unsigned k = 0; h->error >= 0 && k < h->n_rows; k++) {
                        const HealthRow *row = &h->rows[k];
                        if (row->state == HEALTH_WARN)
                                record_warning(x->run, h->name, row);
                        else if (row->state == HEALTH_FAIL && problems < PREFLIGHT_HEALTH_PROBLEMS_MAX) {
                                (void) snprintf(ret_text[problems++], PREFLIGHT_HEALTH_TEXT_MAX,
                                                "%.64s: health %.23s %.80s FAIL: %.180s", h->name, row->check, row->subject,
                                                row->reason);
                        }
                }
        }
        if (problems == 0)
                runbook_emit(x->run, NULL, "preflight-check", "  ok: health of %u host(s): no FAIL%s", n,
                             x->run->preflight_warnings[0] ? " (WARNs above)" : "");
        free(hosts);
        *ret_n = problems;
}
