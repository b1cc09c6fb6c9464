/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Preflight: everything the run needs, checked before its first change,
 * every problem listed (not just the first). And the site claim. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "exit-codes.h"
#include "hubops-bus.h"
#include "output.h"
#include "preflight-health.h"
#include "runbook.h"

#define PROBLEMS_MAX 64

typedef struct Problems {
        char text[PROBLEMS_MAX][384];
        int code[PROBLEMS_MAX];
        unsigned n;
        unsigned checks;
} Problems;

static void problem(Problems *p, int code, const char *fmt, ...) _printf_(3, 4);
static void problem(Problems *p, int code, const char *fmt, ...) {
        va_list ap;

        if (p->n >= PROBLEMS_MAX)
                return;
        va_start(ap, fmt);
        (void) vsnprintf(p->text[p->n], sizeof(p->text[0]), fmt, ap);
        va_end(ap);
        p->code[p->n++] = code;
}

static void note(const Run *r, const char *fmt, ...) _printf_(2, 3);
static void note(const Run *r, const char *fmt, ...) {
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        runbook_emit(r, NULL, "preflight-check", "  ok: %s", msg);
}

/* Every host the plan touches answers, and is who the site config says. */
static void check_hosts(Exec *x, Problems *p, bool reachable[]) {
        const Run *r = x->run;

        for (unsigned i = 0; i < x->site->n_hosts; i++) {
                const SiteHost *h = &x->site->hosts[i];
                _cleanup_free_ char *name = NULL;
                char err[512];
                bool used = strcmp(h->name, r->directory_host) == 0;
                sd_bus *bus;
                int k;

                for (unsigned j = 0; j < r->n_steps && !used; j++)
                        used = strcmp(r->steps[j].host, h->name) == 0;
                if (!used)
                        continue;
                p->checks++;
                k = hosts_get(&x->hosts, h->name, &bus, err, sizeof(err));
                if (k >= 0)
                        k = sd_bus_get_property_string(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER,
                                                       "Hostname", NULL, &name);
                if (k < 0) {
                        if (!err[0] || strstr(err, "cannot connect") == NULL)
                                (void) snprintf(err, sizeof(err), "%s (%s): hubopsd does not answer: %s", h->name,
                                                h->address, strerror(-k));
                        problem(p, EXIT_UNREACHABLE, "%s", err);
                        continue;
                }
                /* A wrong Address= would send the rebuild to the wrong machine. */
                if (strcmp(name, h->name) != 0) {
                        problem(p, EXIT_FAILED, "%s (%s) answers as \"%s\": check Address= in %s", h->name, h->address,
                                name, x->site->path);
                        continue;
                }
                reachable[i] = true;
                note(r, "%s reachable (%s)", h->name, h->address);
        }
}

/* The connection to host, if the preflight found it reachable (and itself); NULL otherwise. */
static sd_bus *reachable_bus(Exec *x, const bool reachable[], const char *host) {
        char err[512];
        sd_bus *bus;

        for (unsigned i = 0; i < x->site->n_hosts; i++)
                if (strcmp(x->site->hosts[i].name, host) == 0)
                        return reachable[i] && hosts_get(&x->hosts, host, &bus, err, sizeof(err)) >= 0 ? bus : NULL;
        return NULL;
}

/* The same question asked for an earlier step. */
static bool asked_before(const Run *r, unsigned i, const char *host, const char *op, const char *subject) {
        for (unsigned j = 0; j < i && j < r->n_steps; j++) {
                const Step *t = &r->steps[j];
                if (!step_finished(t) && step_operation(t) && strcmp(t->host, host) == 0 &&
                    strcmp(step_operation(t), op) == 0 && strcmp(t->subject, subject) == 0)
                        return true;
        }
        return false;
}

static void ask_can_run(sd_bus *bus, Problems *p, const char *host, const char *op, const char *subject) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *answer, *reason;
        int k;

        p->checks++;
        k = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "CanRun", &error,
                                       &reply, "ss", op, subject);
        if (k >= 0)
                k = sd_bus_message_read(reply, "ss", &answer, &reason);
        if (k < 0)
                problem(p, output_exit_code(&error, k), "%s: %s %s: %s", host, op, subject,
                        error.message ? error.message : strerror(-k));
        else if (strcmp(answer, "yes") != 0)
                problem(p, EXIT_NOT_AUTHORIZED, "%s: not authorized for %s%s%s (polkit: %s%s%s)", host, op,
                        subject[0] ? " " : "", subject, answer, reason[0] ? ", " : "", reason);
}

/* polkit would allow every operation the rest of the plan needs (CanRun acts
 * on nothing), and the site claim on the directory host. */
static void check_authorized(Exec *x, Problems *p, const bool reachable[]) {
        const Run *r = x->run;
        unsigned asked = 0;

        sd_bus *bus;

        for (unsigned i = 0; i < r->n_steps; i++) {
                const Step *s = &r->steps[i];
                const char *op = step_operation(s);

                if (step_finished(s) || !op || asked_before(r, i, s->host, op, s->subject) ||
                    !(bus = reachable_bus(x, reachable, s->host)))
                        continue;
                ask_can_run(bus, p, s->host, op, s->subject);
                asked++;
        }
        if ((bus = reachable_bus(x, reachable, r->directory_host))) {
                ask_can_run(bus, p, r->directory_host, "run.claim", "");
                asked++;
        }
        if (asked)
                note(r, "authorized for the %u distinct operations the plan needs", asked);
}

/* No rebuild runs anywhere, except this run's own. */
static void check_no_rebuild(Exec *x, Problems *p, const bool reachable[]) {
        const Run *r = x->run;
        const char *ours = "";

        for (unsigned i = 0; i < r->n_steps; i++)
                if (r->steps[i].kind == STEP_REBUILD)
                        ours = r->steps[i].job;
        for (unsigned i = 0; i < x->site->n_hosts; i++) {
                const SiteHost *h = &x->site->hosts[i];
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                _cleanup_free_ char *state = NULL;
                const char *job = "/";
                sd_bus *bus;

                if (!site_host_has_role(h, "mailhub") || !(bus = reachable_bus(x, reachable, h->name)))
                        continue;
                p->checks++;
                if (sd_bus_get_property_string(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_REBUILD, "State",
                                               NULL, &state) < 0 ||
                    sd_bus_get_property(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_REBUILD, "CurrentJob",
                                        NULL, &reply, "o") < 0 ||
                    sd_bus_message_read(reply, "o", &job) < 0)
                        continue; /* no [Rebuild] there: nothing can run */
                if (strcmp(state, "running") == 0 && strcmp(job, ours) != 0)
                        problem(p, EXIT_BUSY, "%s: a rebuild is already running (job %s); wait for it or cancel it",
                                h->name, job + strlen(HUBOPS_JOB_PATH_PREFIX "/"));
        }
}

/* No other run holds the site. */
static void check_site_free(Exec *x, Problems *p, const bool reachable[]) {
        const Run *r = x->run;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *id, *owner, *desc;
        uint32_t uid;
        uint64_t since;
        sd_bus *bus = reachable_bus(x, reachable, r->directory_host);

        if (!bus)
                return;
        p->checks++;
        if (sd_bus_get_property(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "CurrentRun", NULL,
                                &reply, "(ssuts)") < 0 ||
            sd_bus_message_read(reply, "(ssuts)", &id, &owner, &uid, &since, &desc) < 0) {
                problem(p, EXIT_FAILED, "%s: cannot read which run holds the site", r->directory_host);
                return;
        }
        if (id[0] && strcmp(id, r->id) != 0) {
                char when[32] = "?";
                time_t t = (time_t) (since / USEC_PER_SEC);
                struct tm tm;
                if (localtime_r(&t, &tm))
                        (void) strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
                problem(p, EXIT_BUSY, "the site is held by run %s of %s (uid %u) since %s: %s", id, owner, uid, when,
                        desc);
        } else
                note(r, "no rebuild running, the site is free");
}

/* The target hub can take the rebuild: filesystems writable, space and inodes. */
static void check_hub_health(Exec *x, Problems *p, const bool reachable[]) {
        const Run *r = x->run;
        const RebuildRunbook *rb = &x->site->rebuild;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *path, *fstype, *why;
        uint64_t bfree, btotal, ifree, itotal;
        unsigned n = 0, before = p->n;
        sd_bus *bus = reachable_bus(x, reachable, r->hub);
        int writable, k;

        if (!bus)
                return;
        p->checks++;
        k = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "GetHealth", &error,
                               &reply, NULL);
        if (k >= 0)
                k = sd_bus_message_enter_container(reply, 'a', "(sttttbss)");
        while (k >= 0 && (k = sd_bus_message_read(reply, "(sttttbss)", &path, &bfree, &btotal, &ifree, &itotal,
                                                  &writable, &fstype, &why)) > 0) {
                n++;
                if (why[0])
                        problem(p, EXIT_FAILED, "%s:%s: %s", r->hub, path, why);
                else if (!writable)
                        problem(p, EXIT_FAILED, "%s:%s: the filesystem is read-only", r->hub, path);
                if (bfree < rb->min_free_bytes)
                        problem(p, EXIT_FAILED, "%s:%s: %.1f MiB free, below MinFreeSpace= (%.1f MiB)", r->hub, path,
                                (double) bfree / 1048576.0, (double) rb->min_free_bytes / 1048576.0);
                if (itotal && ifree < rb->min_free_inodes)
                        problem(p, EXIT_FAILED, "%s:%s: %" PRIu64 " inodes free, below MinFreeInodes= (%" PRIu64 ")",
                                r->hub, path, ifree, rb->min_free_inodes);
        }
        if (k < 0)
                problem(p, EXIT_FAILED, "%s: cannot read its health: %s", r->hub,
                        error.message ? error.message : strerror(-k));
        else if (n == 0)
                problem(p, EXIT_FAILED, "%s: no CheckPaths= in its helper config, so its filesystems cannot be checked",
                        r->hub);
        else if (p->n == before)
                note(r, "%s: %u filesystem(s) writable, with space and inodes above the minimums", r->hub, n);
}

static void check_directory(Exec *x, Problems *p, const bool reachable[]) {
        const Run *r = x->run;
        _cleanup_free_ char *state = NULL;
        uint64_t mem = 0;
        sd_bus *bus = reachable_bus(x, reachable, r->directory_host);

        if (!bus)
                return;
        p->checks++;
        if (sd_bus_get_property_string(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_DIRECTORY, "State", NULL,
                                       &state) < 0 ||
            sd_bus_get_property_trivial(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_DIRECTORY, "MemoryBytes",
                                        NULL, 't', &mem) < 0) {
                problem(p, EXIT_NOT_CONFIGURED, "%s: no directory server configured there ([Directory])",
                        r->directory_host);
                return;
        }
        note(r, "directory on %s: %s, memory %.1f MiB", r->directory_host, state, (double) mem / 1048576.0);
}

static void check_window(Exec *x, Problems *p) {
        char why[256];

        if (!x->fresh)
                return; /* a resume finishes what was started inside the window */
        p->checks++;
        if (site_window_allows(&x->site->rebuild, (long) time(NULL), why, sizeof(why)))
                note(x->run, "inside the allowed time window");
        else if (x->opts.outside_window) {
                x->run->outside_window = true;
                runbook_emit(x->run, NULL, "preflight-override", "  OVERRIDE: %s; going ahead (--outside-window, "
                                                                 "recorded in the run and the claim's audit record)",
                             why);
        } else
                problem(p, EXIT_FAILED, "%s (--outside-window overrides; the override is audited)", why);
}

/* Health (DESIGN.md 2a) of the hub and the directory host, under the
 * site's thresholds: a FAIL stops the run, a WARN is shown and recorded in
 * it (client/preflight-health.c). */
static void check_health(Exec *x, Problems *p, const bool reachable[]) {
        char text[PREFLIGHT_HEALTH_PROBLEMS_MAX][PREFLIGHT_HEALTH_TEXT_MAX];
        unsigned n = 0;

        p->checks++;
        preflight_health(x, reachable, text, &n);
        for (unsigned i = 0; i < n; i++)
                problem(p, EXIT_FAILED, "%s", text[i]);
}

int runbook_preflight(Exec *x) {
        Problems *p = calloc(1, sizeof(Problems));
        bool reachable[SITE_HOSTS_MAX] = { false };
        int code = EXIT_OK;

        if (!p)
                return output_error(EXIT_FAILED, "Out of memory");
        runbook_emit(x->run, NULL, "preflight", "Preflight%s:", x->fresh ? "" : " (resume)");
        check_hosts(x, p, reachable);
        check_authorized(x, p, reachable);
        check_no_rebuild(x, p, reachable);
        check_site_free(x, p, reachable);
        check_hub_health(x, p, reachable);
        check_health(x, p, reachable);
        check_directory(x, p, reachable);
        check_window(x, p);

        if (output.json) {
                json_object *o = json_object_new_object(), *a = json_object_new_array();
                json_object_object_add(o, "event", json_object_new_string("preflight-result"));
                json_object_object_add(o, "run", json_object_new_string(x->run->id));
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
        if (p->n > 0)
                code = p->code[0];
        free(p);
        return code;
}

static int call_claim(Exec *x, const char *member, sd_bus_error *error) {
        const Run *r = x->run;
        char err[512], desc[256];
        sd_bus *bus;
        int k;

        k = hosts_get(&x->hosts, r->directory_host, &bus, err, sizeof(err));
        if (k < 0) {
                (void) sd_bus_error_set(error, SD_BUS_ERROR_NO_SERVER, err);
                return k;
        }
        if (strcmp(member, "ClaimRun") == 0) {
                (void) snprintf(desc, sizeof(desc), "%s %s%s", r->runbook, r->hub,
                                r->outside_window ? " (outside the allowed window, --outside-window)" : "");
                return sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, member, error,
                                          NULL, "ss", r->id, desc);
        }
        return sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, member, error, NULL,
                                  "s", r->id);
}

int runbook_claim(Exec *x) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int k = call_claim(x, "ClaimRun", &error);

        if (k < 0)
                return output_bus_error(&error, k, "Cannot claim the site for this run");
        runbook_emit(x->run, NULL, "claimed", "Claimed the site on %s for run %s.", x->run->directory_host,
                     x->run->id);
        return EXIT_OK;
}

int runbook_release(Exec *x) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int k = call_claim(x, "ReleaseRun", &error);

        /* Already released (an earlier attempt got through): fine. */
        if (k < 0 && !sd_bus_error_has_name(&error, HUBOPS_ERROR_NOT_RUNNING))
                return output_bus_error(&error, k, "Cannot release the site");
        return EXIT_OK;
}
