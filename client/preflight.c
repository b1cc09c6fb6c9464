/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "preflight.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "exit-codes.h"
#include "hubops-bus.h"
#include "output.h"

#define PROBLEMS_MAX 64

struct Preflight {
        Exec *x;
        char text[PROBLEMS_MAX][384];
        int code[PROBLEMS_MAX];
        unsigned n;
        unsigned checks;
        bool reachable[SITE_HOSTS_MAX];
};

void preflight_checked(Preflight *p) {
        p->checks++;
}

void preflight_problem(Preflight *p, int code, const char *fmt, ...) {
        va_list ap;

        if (p->n >= PROBLEMS_MAX)
                return;
        va_start(ap, fmt);
        (void) vsnprintf(p->text[p->n], sizeof(p->text[0]), fmt, ap);
        va_end(ap);
        p->code[p->n++] = code;
}

void preflight_ok(Preflight *p, const char *fmt, ...) {
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        events_emit(p->x, NULL, "preflight-check", "  ok: %s", msg);
}

unsigned preflight_problems(const Preflight *p) {
        return p->n;
}

bool preflight_reachable(const Preflight *p, const char *host) {
        for (unsigned i = 0; i < p->x->site->n_hosts; i++)
                if (strcmp(p->x->site->hosts[i].name, host) == 0)
                        return p->reachable[i];
        return false;
}

static bool host_used(const Run *r, const char *host) {
        if (strcmp(host, r->claim_host) == 0)
                return true;
        for (unsigned j = 0; j < r->n_steps; j++)
                if (strcmp(r->steps[j].host, host) == 0 || strcmp(r->steps[j].gate.host, host) == 0)
                        return true;
        return false;
}

/* Every host the plan touches answers, and is who the site config says. */
static void check_hosts(Preflight *p) {
        Exec *x = p->x;

        for (unsigned i = 0; i < x->site->n_hosts; i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                const SiteHost *h = &x->site->hosts[i];
                HelperValue name;
                int k;

                if (!host_used(x->run, h->name))
                        continue;
                p->checks++;
                k = x->api->property(x->api, h->name, HUBOPS_IFACE_MANAGER, "Hostname", 's', &name, &error);
                if (k < 0) {
                        if (sd_bus_error_has_name(&error, SD_BUS_ERROR_NO_SERVER))
                                preflight_problem(p, EXIT_UNREACHABLE, "%s", error.message);
                        else
                                preflight_problem(p, EXIT_UNREACHABLE, "%s (%s): hubopsd does not answer: %s", h->name,
                                                  h->address, strerror(-k));
                        continue;
                }
                /* A wrong Address= would send the run's actions to the wrong machine. */
                if (strcmp(name.s, h->name) != 0) {
                        preflight_problem(p, EXIT_FAILED, "%s (%s) answers as \"%s\": check Address= in %s", h->name,
                                          h->address, name.s, x->site->path);
                        continue;
                }
                p->reachable[i] = true;
                preflight_ok(p, "%s reachable (%s)", h->name, h->address);
        }
}

/* The same question asked for an earlier step. */
static bool asked_before(const Exec *x, unsigned i, const char *op) {
        const Step *s = &x->run->steps[i];

        for (unsigned j = 0; j < i; j++) {
                const Step *t = &x->run->steps[j];
                const char *o = step_operation(x->def, t);
                if (!step_finished(t) && o && strcmp(t->host, s->host) == 0 && strcmp(o, op) == 0 &&
                    strcmp(t->subject, s->subject) == 0)
                        return true;
        }
        return false;
}

static void ask_can_run(Preflight *p, const char *host, const char *op, const char *subject) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const HelperCall c = { HUBOPS_IFACE_MANAGER, "CanRun", { op, subject }, "ss" };
        HelperReply a;
        int k;

        p->checks++;
        k = p->x->api->call(p->x->api, host, &c, &a, &error);
        if (k < 0)
                preflight_problem(p, output_exit_code(&error, k), "%s: %s %s: %s", host, op, subject,
                                  error.message ? error.message : strerror(-k));
        else if (strcmp(a.s[0], "yes") != 0)
                preflight_problem(p, EXIT_NOT_AUTHORIZED, "%s: not authorized for %s%s%s (polkit: %s%s%s)", host, op,
                                  subject[0] ? " " : "", subject, a.s[0], a.s[1][0] ? ", " : "", a.s[1]);
}

/* polkit would allow every operation the rest of the plan needs (CanRun acts
 * on nothing), and the site claim. */
static void check_authorized(Preflight *p) {
        const Run *r = p->x->run;
        unsigned asked = 0;

        for (unsigned i = 0; i < r->n_steps; i++) {
                const Step *s = &r->steps[i];
                const char *op = step_operation(p->x->def, s);

                if (step_finished(s) || !op || asked_before(p->x, i, op) || !preflight_reachable(p, s->host))
                        continue;
                ask_can_run(p, s->host, op, s->subject);
                asked++;
        }
        if (preflight_reachable(p, r->claim_host)) {
                /* As ClaimRun will ask: a rule may judge by the run. */
                ask_can_run(p, r->claim_host, "run.claim", r->id);
                asked++;
        }
        if (asked)
                preflight_ok(p, "authorized for the %u distinct operations the plan needs", asked);
}

/* No other run holds the site. */
static void check_site_free(Preflight *p) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const Run *r = p->x->run;
        SiteClaim c;

        if (!preflight_reachable(p, r->claim_host))
                return;
        p->checks++;
        if (p->x->api->site_claim(p->x->api, r->claim_host, &c, &error) < 0) {
                preflight_problem(p, EXIT_FAILED, "%s: cannot read which run holds the site", r->claim_host);
                return;
        }
        if (c.id[0] && strcmp(c.id, r->id) != 0) {
                char when[32] = "?";
                time_t t = (time_t) (c.since / USEC_PER_SEC);
                struct tm tm;
                if (localtime_r(&t, &tm))
                        (void) strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
                preflight_problem(p, EXIT_BUSY, "the site is held by run %s of %s (uid %u) since %s: %s", c.id, c.owner,
                                  c.uid, when, c.description);
        } else
                preflight_ok(p, "the site is free");
}

static void check_window(Preflight *p) {
        Exec *x = p->x;
        const SiteRunbook *rb = site_runbook(x->site, x->def->name);
        char why[256];

        if (!x->fresh || !rb)
                return; /* a resume finishes what was started inside the window */
        p->checks++;
        if (site_window_allows(&rb->window, (long) time(NULL), why, sizeof(why)))
                preflight_ok(p, "inside the allowed time window");
        else if (x->opts.outside_window) {
                x->run->outside_window = true;
                events_emit(x, NULL, "preflight-override",
                            "  OVERRIDE: %s; going ahead (--outside-window, recorded in the run and the claim's "
                            "audit record)",
                            why);
        } else
                preflight_problem(p, EXIT_FAILED, "%s (--outside-window overrides; the override is audited)", why);
}

static void print_verdict(const Preflight *p) {
        if (output.json) {
                json_object *o = json_object_new_object(), *a = json_object_new_array();
                json_object_object_add(o, "event", json_object_new_string("preflight-result"));
                json_object_object_add(o, "run", json_object_new_string(p->x->run->id));
                json_object_object_add(o, "ok", json_object_new_boolean(p->n == 0));
                json_object_object_add(o, "checks", json_object_new_int((int) p->checks));
                for (unsigned i = 0; i < p->n; i++)
                        json_object_array_add(a, json_object_new_string(p->text[i]));
                json_object_object_add(o, "problems", a);
                output_json(o);
        } else if (p->n == 0)
                output_line("Preflight passed (%u checks).", p->checks);
        else {
                output_line("Preflight FAILED, nothing was changed (%u problem%s):", p->n, p->n == 1 ? "" : "s");
                for (unsigned i = 0; i < p->n; i++)
                        output_line("  - %s", p->text[i]);
        }
}

int preflight_run(Exec *x) {
        _cleanup_free_ Preflight *p = calloc(1, sizeof(Preflight));

        if (!p)
                return output_error(EXIT_FAILED, "Out of memory");
        p->x = x;
        events_emit(x, NULL, "preflight", "Preflight%s:", x->fresh ? "" : " (resume)");
        check_hosts(p);
        check_authorized(p);
        check_site_free(p);
        if (x->def->preflight)
                x->def->preflight(x, p);
        check_window(p);
        print_verdict(p);
        return p->n > 0 ? p->code[0] : EXIT_OK;
}

static int call_claim(Exec *x, bool claim, sd_bus_error *error) {
        const Run *r = x->run;
        char desc[256];

        (void) snprintf(desc, sizeof(desc), "%s %s%s", r->runbook, run_target(r),
                        r->outside_window ? " (outside the allowed window, --outside-window)" : "");
        const HelperCall c = {
                HUBOPS_IFACE_MANAGER, claim ? "ClaimRun" : "ReleaseRun", { r->id, claim ? desc : NULL }, ""
        };
        return x->api->call(x->api, r->claim_host, &c, NULL, error);
}

int site_claim(Exec *x) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int k = call_claim(x, true, &error);

        if (k < 0)
                return output_bus_error(&error, k, "Cannot claim the site for this run");
        events_emit(x, NULL, "claimed", "Claimed the site on %s for run %s.", x->run->claim_host, x->run->id);
        return EXIT_OK;
}

int site_release(Exec *x) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int k = call_claim(x, false, &error);

        /* Already released (an earlier attempt got through): fine. */
        if (k < 0 && !sd_bus_error_has_name(&error, HUBOPS_ERROR_NOT_RUNNING))
                return output_bus_error(&error, k, "Cannot release the site");
        return EXIT_OK;
}
