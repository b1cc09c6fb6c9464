/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rebuild-tables plan: DESIGN.md section 1 as an ordered list of steps. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "run.h"

static const char *const kind_names[STEP_KIND_MAX] = {
        [STEP_DIRECTORY_RESTART] = "directory-restart", [STEP_SERVICE_START] = "service-start",
        [STEP_SERVICE_STOP] = "service-stop",           [STEP_HOOK] = "hook",
        [STEP_REBUILD] = "rebuild",                     [STEP_SETTLE] = "settle",
};
static const char *const step_status_names[STEP_STATUS_MAX] = {
        [STEP_PENDING] = "pending", [STEP_GATING] = "gating",   [STEP_ACTING] = "acting",
        [STEP_DONE] = "done",       [STEP_SKIPPED] = "skipped", [STEP_FAILED] = "failed",
};
static const char *const run_status_names[RUN_STATUS_MAX] = {
        [RUN_PLANNED] = "planned", [RUN_RUNNING] = "running",
        [RUN_DETACHED] = "detached", [RUN_FAILED] = "failed",
        [RUN_DONE] = "done",       [RUN_DONE_WITH_FAILURE] = "done-with-failure",
        [RUN_ABANDONED] = "abandoned",
};

static int lookup(const char *const *table, int n, const char *s) {
        for (int i = 0; i < n; i++)
                if (table[i] && strcmp(table[i], s) == 0)
                        return i;
        return -1;
}

const char *step_kind_to_string(StepKind k) {
        return k >= 0 && k < STEP_KIND_MAX ? kind_names[k] : "?";
}
StepKind step_kind_from_string(const char *s) {
        return (StepKind) lookup(kind_names, STEP_KIND_MAX, s);
}
const char *step_status_to_string(StepStatus s) {
        return s >= 0 && s < STEP_STATUS_MAX ? step_status_names[s] : "?";
}
StepStatus step_status_from_string(const char *s) {
        return (StepStatus) lookup(step_status_names, STEP_STATUS_MAX, s);
}
const char *run_status_to_string(RunStatus s) {
        return s >= 0 && s < RUN_STATUS_MAX ? run_status_names[s] : "?";
}
RunStatus run_status_from_string(const char *s) {
        return (RunStatus) lookup(run_status_names, RUN_STATUS_MAX, s);
}

const char *step_operation(const Step *s) {
        switch (s->kind) {
        case STEP_DIRECTORY_RESTART:
                return "directory.restart";
        case STEP_SERVICE_START:
                return "service.start";
        case STEP_SERVICE_STOP:
                return "service.stop";
        case STEP_HOOK:
                return "hook.run";
        case STEP_REBUILD:
                return "rebuild.start";
        default:
                return NULL;
        }
}

void step_describe(const Step *s, char *buf, size_t size) {
        switch (s->kind) {
        case STEP_DIRECTORY_RESTART:
                (void) snprintf(buf, size, "restart the directory (stop, kill the root process, start)");
                return;
        case STEP_SERVICE_START:
                (void) snprintf(buf, size, "start %s", s->subject);
                return;
        case STEP_SERVICE_STOP:
                (void) snprintf(buf, size, "stop %s", s->subject);
                return;
        case STEP_HOOK:
                (void) snprintf(buf, size, "run hook %s", s->subject);
                return;
        case STEP_REBUILD:
                (void) snprintf(buf, size, "rebuild the mailhub tables");
                return;
        default:
                (void) snprintf(buf, size, "wait for the directory's load to settle (delta files clearing)");
                return;
        }
}

const char *step_observation(const Step *s) {
        switch (s->kind) {
        case STEP_DIRECTORY_RESTART:
                return "directory state and memory (a leftover root process is killed only if there)";
        case STEP_SERVICE_START:
                return "skip if already active";
        case STEP_SERVICE_STOP:
                return "skip if already stopped";
        case STEP_HOOK:
                return "none: site hooks are checks or idempotent";
        case STEP_REBUILD:
                return "attach if a rebuild is already running";
        default:
                return "directory CPU idle";
        }
}

static Step *add(Run *r, StepKind kind, const char *id, const char *host, const char *subject, bool gate, bool tidy) {
        Step *s;

        if (r->n_steps >= RUN_STEPS_MAX)
                return NULL;
        s = &r->steps[r->n_steps++];
        *s = (Step) { .kind = kind, .gate = gate, .tidy_up = tidy };
        (void) snprintf(s->id, sizeof(s->id), "%s", id);
        (void) snprintf(s->host, sizeof(s->host), "%s", host);
        (void) snprintf(s->subject, sizeof(s->subject), "%s", subject ? subject : "");
        return s;
}

static bool add_hook(Run *r, const char *id, const HookRef *h, bool tidy) {
        return !h->host[0] || add(r, STEP_HOOK, id, h->host, h->hook, false, tidy);
}

/* Regclients on every mailhub, one at a time behind the idle gate, starting
 * with `first` if given. */
static bool add_regclients(Run *r, const SiteConfig *site, const char *first, const char *prefix, bool tidy) {
        char id[96];

        if (first) {
                (void) snprintf(id, sizeof(id), "%sstart-regclient:%s", prefix, first);
                if (!add(r, STEP_SERVICE_START, id, first, "regclient", true, tidy))
                        return false;
        }
        for (unsigned i = 0; i < site->n_hosts; i++) {
                const SiteHost *h = &site->hosts[i];
                if (!site_host_has_role(h, "mailhub") || (first && strcmp(h->name, first) == 0))
                        continue;
                (void) snprintf(id, sizeof(id), "%sstart-regclient:%s", prefix, h->name);
                if (!add(r, STEP_SERVICE_START, id, h->name, "regclient", true, tidy))
                        return false;
        }
        return true;
}

int plan_rebuild_tables(const SiteConfig *site, const char *hub, Run *ret, char *err, size_t err_size) {
        const RebuildRunbook *rb = &site->rebuild;
        const SiteHost *h = site_find_host(site, hub), *dir = site_find_role(site, "directory");
        Run *r = ret;
        bool ok;

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

        *r = (Run) { .status = RUN_PLANNED };
        (void) snprintf(r->runbook, sizeof(r->runbook), "rebuild-tables");
        (void) snprintf(r->hub, sizeof(r->hub), "%s", hub);
        (void) snprintf(r->directory_host, sizeof(r->directory_host), "%s", dir->name);
        (void) snprintf(r->site, sizeof(r->site), "%s", site->path);
        r->idle_threshold = rb->idle_threshold;
        r->idle_hold_usec = rb->idle_hold_usec;
        r->gate_timeout_usec = rb->gate_timeout_usec;
        r->settle_hold_usec = rb->settle_hold_usec;
        r->settle_timeout_usec = rb->settle_timeout_usec;
        r->rebuild_timeout_usec = rb->rebuild_timeout_usec;

        /* 1-4: a fresh directory, regclients back one by one, RA checked, student thread stopped. */
        ok = add(r, STEP_DIRECTORY_RESTART, "restart-directory", dir->name, NULL, false, false) &&
             add_regclients(r, site, NULL, "", false) && add_hook(r, "check-ra", &rb->check_ra, false) &&
             add_hook(r, "stop-student-thread", &rb->stop_student_thread, false) &&
             /* 5: the rebuild itself, on a quiet directory. */
             add(r, STEP_SERVICE_STOP, "stop-regclient", hub, "regclient", false, false) &&
             add(r, STEP_REBUILD, "rebuild", hub, NULL, true, false) &&
             /* 6: tidy up. */
             add(r, STEP_DIRECTORY_RESTART, "tidy:restart-directory", dir->name, NULL, false, true) &&
             add_regclients(r, site, hub, "tidy:", true) &&
             add_hook(r, "tidy:start-student-thread", &rb->start_student_thread, true) &&
             add(r, STEP_SETTLE, "tidy:settle", dir->name, NULL, true, true) &&
             add_hook(r, "tidy:check-ra", &rb->check_ra, true) &&
             add_hook(r, "tidy:check-mailbox-service", &rb->check_mailbox_service, true);
        if (!ok) {
                (void) snprintf(err, err_size, "the plan has more than %d steps", RUN_STEPS_MAX);
                return -E2BIG;
        }
        return 0;
}
