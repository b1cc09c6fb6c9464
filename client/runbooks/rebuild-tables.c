/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mailhub table rebuild (DESIGN.md section 1): hubopsctl runbook start
 * rebuild-tables HUB, alias hubopsctl rebuild-tables HUB. */
#include "rebuild-tables.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "exit-codes.h"
#include "hubops-bus.h"
#include "macro.h"
#include "output.h"
#include "preflight.h"
#include "preflight-health.h"
#include "timespan.h"

#define MIB (1024.0 * 1024.0)

/* ---- [Runbook rebuild-tables] ---- */

static void *config_new(void) {
        RebuildConfig *c = calloc(1, sizeof(RebuildConfig));

        if (c)
                *c = (RebuildConfig) {
                        .idle_threshold = 0.90,
                        .idle_hold_usec = 30ULL * USEC_PER_SEC,
                        .gate_timeout_usec = 30ULL * 60 * USEC_PER_SEC,
                        .settle_hold_usec = 2ULL * 60 * USEC_PER_SEC,
                        .settle_timeout_usec = 2ULL * 3600 * USEC_PER_SEC,
                        .min_free_bytes = 1024ULL * 1024 * 1024,
                        .min_free_inodes = 10000,
                };
        return c;
}

static int config_key(void *config, IniStrict *ini, const char *key, const char *value) {
        RebuildConfig *rb = config;
        const struct {
                const char *key;
                uint64_t *field;
        } spans[] = {
                { "IdleHoldSec", &rb->idle_hold_usec },         { "GateTimeoutSec", &rb->gate_timeout_usec },
                { "SettleHoldSec", &rb->settle_hold_usec },     { "SettleTimeoutSec", &rb->settle_timeout_usec },
                { "RebuildTimeoutSec", &rb->rebuild_timeout_usec },
        }, sizes[] = {
                { "MinFreeSpace", &rb->min_free_bytes },
                { "MinFreeInodes", &rb->min_free_inodes },
        };
        const struct {
                const char *key;
                HookRef *field;
        } hooks[] = {
                { "StopStudentThread", &rb->stop_student_thread },
                { "StartStudentThread", &rb->start_student_thread },
                { "CheckRA", &rb->check_ra },
                { "CheckMailboxService", &rb->check_mailbox_service },
        };

        for (size_t i = 0; i < ELEMENTSOF(spans); i++)
                if (strcmp(key, spans[i].key) == 0)
                        return site_parse_span(ini, key, value, spans[i].field);
        for (size_t i = 0; i < ELEMENTSOF(sizes); i++)
                if (strcmp(key, sizes[i].key) == 0)
                        return site_parse_size(ini, key, value, sizes[i].field);
        for (size_t i = 0; i < ELEMENTSOF(hooks); i++)
                if (strcmp(key, hooks[i].key) == 0)
                        return site_parse_hook_ref(ini, key, value, hooks[i].field);
        if (strcmp(key, "IdleThreshold") == 0)
                return site_parse_percent(ini, key, value, &rb->idle_threshold);
        return -ENOENT;
}

static int config_check(const void *config, const SiteConfig *site, IniStrict *ini) {
        const RebuildConfig *rb = config;

        if (site_check_hook_ref(ini, site, "StopStudentThread", &rb->stop_student_thread) < 0 ||
            site_check_hook_ref(ini, site, "StartStudentThread", &rb->start_student_thread) < 0 ||
            site_check_hook_ref(ini, site, "CheckRA", &rb->check_ra) < 0 ||
            site_check_hook_ref(ini, site, "CheckMailboxService", &rb->check_mailbox_service) < 0)
                return -EINVAL;
        return 0;
}

/* ---- the plan ---- */

typedef struct Planner {
        Run *run;
        const RebuildConfig *rb;
        const char *dir;
        const char *phase;
        bool tidy;
} Planner;

static Step *add(Planner *p, const char *kind, const char *id, const char *host, const char *subject, bool gate) {
        Step *s = run_add_step(p->run, kind, id, host, subject);

        if (!s)
                return NULL;
        (void) snprintf(s->phase, sizeof(s->phase), "%s", p->phase);
        s->tidy_up = p->tidy;
        if (gate) {
                s->gate = (Gate) { .metric = "cpu-idle",
                                   .threshold = p->rb->idle_threshold,
                                   .hold_usec = p->rb->idle_hold_usec,
                                   .timeout_usec = p->rb->gate_timeout_usec };
                (void) snprintf(s->gate.host, sizeof(s->gate.host), "%s", p->dir);
        }
        return s;
}

static bool add_hook(Planner *p, const char *id, const HookRef *h) {
        return !h->host[0] || add(p, "hook", id, h->host, h->hook, false);
}

/* Regclients on every mailhub, one at a time behind the idle gate, starting
 * with `first` if given. */
static bool add_regclients(Planner *p, const SiteConfig *site, const char *first, const char *prefix) {
        char id[96];

        if (first) {
                (void) snprintf(id, sizeof(id), "%sstart-regclient:%s", prefix, first);
                if (!add(p, "service-start", id, first, "regclient", true))
                        return false;
        }
        for (unsigned i = 0; i < site->n_hosts; i++) {
                const SiteHost *h = &site->hosts[i];
                if (!site_host_has_role(h, "mailhub") || (first && strcmp(h->name, first) == 0))
                        continue;
                (void) snprintf(id, sizeof(id), "%sstart-regclient:%s", prefix, h->name);
                if (!add(p, "service-start", id, h->name, "regclient", true))
                        return false;
        }
        return true;
}

static bool add_settle(Planner *p) {
        Step *s = add(p, "settle", "tidy:settle", p->dir, NULL, true);

        if (s) {
                s->gate.hold_usec = p->rb->settle_hold_usec;
                s->gate.timeout_usec = p->rb->settle_timeout_usec;
        }
        return s;
}

static bool add_steps(Planner *p, const SiteConfig *site, const char *hub) {
        Step *rebuild;

        /* 1-4: a fresh directory, regclients back one by one, RA checked, student thread stopped. */
        p->phase = "prepare";
        if (!add(p, "directory-restart", "restart-directory", p->dir, NULL, false) ||
            !add_regclients(p, site, NULL, "") || !add_hook(p, "check-ra", &p->rb->check_ra) ||
            !add_hook(p, "stop-student-thread", &p->rb->stop_student_thread) ||
            !add(p, "service-stop", "stop-regclient", hub, "regclient", false))
                return false;
        /* 5: the rebuild itself, on a quiet directory. */
        p->phase = "rebuild";
        rebuild = add(p, "rebuild", "rebuild", hub, NULL, true);
        if (!rebuild)
                return false;
        rebuild->timeout_usec = p->rb->rebuild_timeout_usec;
        /* 6: tidy up. */
        p->phase = "tidy up";
        p->tidy = true;
        return add(p, "directory-restart", "tidy:restart-directory", p->dir, NULL, false) &&
                add_regclients(p, site, hub, "tidy:") &&
                add_hook(p, "tidy:start-student-thread", &p->rb->start_student_thread) && add_settle(p) &&
                add_hook(p, "tidy:check-ra", &p->rb->check_ra) &&
                add_hook(p, "tidy:check-mailbox-service", &p->rb->check_mailbox_service);
}

static int plan(const SiteConfig *site, const void *config, Run *r, char *err, size_t err_size) {
        const char *hub = run_param(r, "hub");
        const SiteHost *h = hub ? site_find_host(site, hub) : NULL, *dir = site_find_role(site, "directory");
        Planner p = { .run = r, .rb = config };

        if (!h) {
                (void) snprintf(err, err_size, "%s: no [Host %s] in %s", hub, hub, site->path);
                return -ENOENT;
        }
        if (!site_host_has_role(h, "mailhub")) {
                (void) snprintf(err, err_size, "%s is not a mailhub (Roles= in %s)", hub, site->path);
                return -EINVAL;
        }
        if (!dir) {
                (void) snprintf(err, err_size, "no host with Roles=directory in %s", site->path);
                return -EINVAL;
        }
        p.dir = dir->name;
        (void) snprintf(r->claim_host, sizeof(r->claim_host), "%s", dir->name);
        if (!add_steps(&p, site, hub)) {
                (void) snprintf(err, err_size, "the plan has more than %d steps", RUN_STEPS_MAX);
                return -E2BIG;
        }
        return 0;
}

/* ---- its own preflight checks ---- */

/* No rebuild runs anywhere, except this run's own. */
static void check_no_rebuild(Exec *x, Preflight *p) {
        const char *ours = "";

        for (unsigned i = 0; i < x->run->n_steps; i++)
                if (strcmp(x->run->steps[i].kind, "rebuild") == 0)
                        ours = x->run->steps[i].job;
        for (unsigned i = 0; i < x->site->n_hosts; i++) {
                const SiteHost *h = &x->site->hosts[i];
                HelperValue state, job;

                if (!site_host_has_role(h, "mailhub") || !preflight_reachable(p, h->name))
                        continue;
                preflight_checked(p);
                if (x->api->property(x->api, h->name, HUBOPS_IFACE_REBUILD, "State", 's', &state, NULL) < 0 ||
                    x->api->property(x->api, h->name, HUBOPS_IFACE_REBUILD, "CurrentJob", 'o', &job, NULL) < 0)
                        continue; /* no [Rebuild] there: nothing can run */
                if (strcmp(state.s, "running") == 0 && strcmp(job.s, ours) != 0)
                        preflight_problem(p, EXIT_BUSY,
                                          "%s: a rebuild is already running (job %s); wait for it or cancel it",
                                          h->name, job.s + strlen(HUBOPS_JOB_PATH_PREFIX "/"));
        }
}

/* One filesystem of the hub: writable, with space and inodes. */
static void check_fs(Preflight *p, const RebuildConfig *rb, const char *hub, const HealthFs *f) {
        if (f->why[0])
                preflight_problem(p, EXIT_FAILED, "%s:%s: %s", hub, f->path, f->why);
        else if (!f->writable)
                preflight_problem(p, EXIT_FAILED, "%s:%s: the filesystem is read-only", hub, f->path);
        if (f->bfree < rb->min_free_bytes)
                preflight_problem(p, EXIT_FAILED, "%s:%s: %.1f MiB free, below MinFreeSpace= (%.1f MiB)", hub, f->path,
                                  (double) f->bfree / MIB, (double) rb->min_free_bytes / MIB);
        if (f->itotal && f->ifree < rb->min_free_inodes)
                preflight_problem(p, EXIT_FAILED, "%s:%s: %" PRIu64 " inodes free, below MinFreeInodes= (%" PRIu64 ")",
                                  hub, f->path, f->ifree, rb->min_free_inodes);
}

/* The target hub can take the rebuild: filesystems writable, space and inodes. */
static void check_hub_health(Exec *x, Preflight *p, const RebuildConfig *rb) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ HealthFs *fs = NULL;
        const char *hub = run_param(x->run, "hub");
        size_t n = 0;
        int k;

        if (!preflight_reachable(p, hub))
                return;
        preflight_checked(p);
        k = x->api->health(x->api, hub, &fs, &n, &error);
        if (k < 0) {
                preflight_problem(p, EXIT_FAILED, "%s: cannot read its health: %s", hub,
                                  error.message ? error.message : strerror(-k));
                return;
        }
        if (n == 0) {
                preflight_problem(p, EXIT_FAILED,
                                  "%s: no CheckPaths= in its helper config, so its filesystems cannot be checked", hub);
                return;
        }
        unsigned before = preflight_problems(p);
        for (size_t i = 0; i < n; i++)
                check_fs(p, rb, hub, &fs[i]);
        if (preflight_problems(p) == before)
                preflight_ok(p, "%s: %zu filesystem(s) writable, with space and inodes above the minimums", hub, n);
}

static void check_directory(Exec *x, Preflight *p) {
        const char *dir = x->run->claim_host;
        HelperValue state, mem;

        if (!preflight_reachable(p, dir))
                return;
        preflight_checked(p);
        if (x->api->property(x->api, dir, HUBOPS_IFACE_DIRECTORY, "State", 's', &state, NULL) < 0 ||
            x->api->property(x->api, dir, HUBOPS_IFACE_DIRECTORY, "MemoryBytes", 't', &mem, NULL) < 0) {
                preflight_problem(p, EXIT_NOT_CONFIGURED, "%s: no directory server configured there ([Directory])",
                                  dir);
                return;
        }
        preflight_ok(p, "directory on %s: %s, memory %.1f MiB", dir, state.s, (double) mem.u / MIB);
}

static void preflight(Exec *x, Preflight *p) {
        const SiteRunbook *rb = site_runbook(x->site, "rebuild-tables");

        /* The hosts the rebuild loads: their health (DESIGN.md 2a) under the site's [Health]. */
        const char *loaded[] = { run_param(x->run, "hub"), x->run->claim_host };

        check_no_rebuild(x, p);
        check_hub_health(x, p, rb->config);
        preflight_health(x, p, loaded, ELEMENTSOF(loaded));
        check_directory(x, p);
}

/* ---- the summary's figures ---- */

/* The directory leaks: its memory before the first restart, before the
 * tidy-up restart (the rebuild's peak), right after it, and at the end
 * (when it has grown again). */
static void observe(Exec *x, const Step *s, StepMoment m) {
        HelperValue mem;
        const char *key;

        if (m == STEP_MOMENT_RUN_END)
                key = "memory_end";
        else if (strcmp(s->kind, "directory-restart") != 0)
                return;
        else if (m == STEP_MOMENT_BEFORE)
                key = s->tidy_up ? "memory_peak" : run_figure(x->run, "memory_before") ? NULL : "memory_before";
        else
                key = s->tidy_up ? "memory_after" : NULL;
        if (key &&
            x->api->property(x->api, x->run->claim_host, HUBOPS_IFACE_DIRECTORY, "MemoryBytes", 't', &mem, NULL) >= 0)
                (void) run_set_figure(x->run, key, mem.u);
}

static uint64_t rebuild_usec(const Run *r) {
        for (unsigned i = 0; i < r->n_steps; i++) {
                const Step *s = &r->steps[i];
                if (strcmp(s->kind, "rebuild") == 0 && s->job_started_at && s->job_finished_at > s->job_started_at)
                        return s->job_finished_at - s->job_started_at;
        }
        return 0;
}

static void fmt_mib(char *buf, size_t size, uint64_t v) {
        if (v)
                (void) snprintf(buf, size, "%.1f MiB", (double) v / MIB);
        else
                (void) snprintf(buf, size, "-");
}

static void summary(const Run *r, json_object *o) {
        static const char *const keys[] = { "memory_before", "memory_peak", "memory_after", "memory_end" };
        char mem[ELEMENTSOF(keys)][32], took[32] = "-";

        if (o) {
                json_object_object_add(o, "rebuild_usec", json_object_new_int64((int64_t) rebuild_usec(r)));
                for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                        json_object_object_add(o, keys[i], json_object_new_int64((int64_t) run_figure(r, keys[i])));
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                fmt_mib(mem[i], sizeof(mem[i]), run_figure(r, keys[i]));
        if (rebuild_usec(r))
                (void) timespan_format(took, sizeof(took), rebuild_usec(r));
        output_line("  Rebuilding took %s (the job's own start to end).", took);
        output_line("  Directory memory: %s before, %s before the tidy-up restart, %s right after it, %s at the end.",
                    mem[0], mem[1], mem[2], mem[3]);
}

static void achieved(const Run *r, char *buf, size_t size) {
        (void) snprintf(buf, size, "the tables of %s are rebuilt", run_target(r));
}

static const RunbookParam params[] = {
        { "hub", "HUB" },
};

const RunbookDef runbook_rebuild_tables = {
        .name = "rebuild-tables",
        .description = "rebuild a mailhub's tables: directory restarted before and after, regclients gated",
        .params = params,
        .n_params = ELEMENTSOF(params),
        .config_new = config_new,
        .config_free = free,
        .config_key = config_key,
        .config_check = config_check,
        .plan = plan,
        .preflight = preflight,
        .observe = observe,
        .summary = summary,
        .achieved = achieved,
};
