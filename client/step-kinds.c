/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kinds of step every runbook can use: one row per helper operation
 * (DESIGN.md section 3's operation table, seen from the client). */
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "hubops-bus.h"
#include "macro.h"
#include "output.h"

/* A service's state decides: skip a start if active, a stop if stopped. */
static int observe_service(Exec *x, Step *s) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const HelperCall c = { HUBOPS_IFACE_SERVICE, "GetState", { s->subject }, "ss" };
        bool start = strcmp(s->kind, "service-start") == 0;
        HelperReply st;
        int r;

        r = x->api->call(x->api, s->host, &c, &st, &error);
        if (r < 0)
                return -output_bus_error(&error, r, "Cannot observe the service");
        if (start && strcmp(st.s[0], "active") == 0) {
                s->status = STEP_SKIPPED;
                (void) snprintf(s->message, sizeof(s->message), "%.64s is already active (%.64s)", s->subject, st.s[1]);
                return 1;
        }
        if (!start && (strcmp(st.s[0], "inactive") == 0 || strcmp(st.s[0], "failed") == 0)) {
                s->status = STEP_SKIPPED;
                (void) snprintf(s->message, sizeof(s->message), "%.64s is already stopped (%.64s)", s->subject, st.s[0]);
                return 1;
        }
        return 0;
}

/* A rebuild that runs is this run's own: preflight refused one that was not. */
static int observe_rebuild(Exec *x, Step *s) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        HelperValue state, job;
        int r;

        r = x->api->property(x->api, s->host, HUBOPS_IFACE_REBUILD, "State", 's', &state, &error);
        if (r >= 0)
                r = x->api->property(x->api, s->host, HUBOPS_IFACE_REBUILD, "CurrentJob", 'o', &job, &error);
        if (r < 0)
                return -output_bus_error(&error, r, "Cannot observe the rebuild");
        if (strcmp(state.s, "running") != 0 || strcmp(job.s, "/") == 0)
                return 0;
        (void) snprintf(s->job, sizeof(s->job), "%.127s", job.s);
        s->status = STEP_ACTING;
        return 2;
}

static void describe_directory_restart(const Step *s, char *buf, size_t size) {
        (void) s;
        (void) snprintf(buf, size, "restart the directory (stop, kill the root process, start)");
}
static void describe_service_start(const Step *s, char *buf, size_t size) {
        (void) snprintf(buf, size, "start %s", s->subject);
}
static void describe_service_stop(const Step *s, char *buf, size_t size) {
        (void) snprintf(buf, size, "stop %s", s->subject);
}
static void describe_hook(const Step *s, char *buf, size_t size) {
        (void) snprintf(buf, size, "run hook %s", s->subject);
}
static void describe_rebuild(const Step *s, char *buf, size_t size) {
        (void) s;
        (void) snprintf(buf, size, "rebuild the mailhub tables");
}
static void describe_settle(const Step *s, char *buf, size_t size) {
        (void) snprintf(buf, size, "wait for the load on %s to settle", s->gate.host[0] ? s->gate.host : s->host);
}

/* job_operation/job_subject: as Manager.ListJobs names the job, by the
 * operation's name (common/operations.c), the directory's verb as its
 * subject; job_operation_older: as a helper from before listed it (a
 * directory restart as directory.manage), so that a resume against an
 * older helper still finds its job rather than act twice. */
static const StepKind kinds[] = {
        { .name = "directory-restart",
          .operation = "directory.restart",
          .job_operation = "directory.restart",
          .job_subject = "restart",
          .job_operation_older = "directory.manage",
          .iface = HUBOPS_IFACE_DIRECTORY,
          .method = "Restart",
          .observation = "directory state and memory (a leftover root process is killed only if there)",
          .describe = describe_directory_restart },
        { .name = "service-start",
          .operation = "service.start",
          .job_operation = "service.start",
          .iface = HUBOPS_IFACE_SERVICE,
          .method = "Start",
          .call_with_subject = true,
          .observation = "skip if already active",
          .describe = describe_service_start,
          .observe = observe_service },
        { .name = "service-stop",
          .operation = "service.stop",
          .job_operation = "service.stop",
          .iface = HUBOPS_IFACE_SERVICE,
          .method = "Stop",
          .call_with_subject = true,
          .observation = "skip if already stopped",
          .describe = describe_service_stop,
          .observe = observe_service },
        { .name = "hook",
          .operation = "hook.run",
          .job_operation = "hook.run",
          .iface = HUBOPS_IFACE_HOOKS,
          .method = "Run",
          .call_with_subject = true,
          .observation = "none: site hooks are checks or idempotent",
          .describe = describe_hook },
        { .name = "rebuild",
          .operation = "rebuild.start",
          .job_operation = "rebuild.start",
          .job_subject = "",
          .iface = HUBOPS_IFACE_REBUILD,
          .method = "Start",
          .detachable = true,
          .observation = "attach if a rebuild is already running",
          .describe = describe_rebuild,
          .observe = observe_rebuild },
        /* No action: the step is its gate. */
        { .name = "settle", .observation = "the gate host's CPU idle", .describe = describe_settle },
};

const StepKind *step_kind_find(const RunbookDef *def, const char *name) {
        for (size_t i = 0; def && i < def->n_kinds; i++)
                if (strcmp(def->kinds[i].name, name) == 0)
                        return &def->kinds[i];
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                if (strcmp(kinds[i].name, name) == 0)
                        return &kinds[i];
        return NULL;
}

void step_describe(const RunbookDef *def, const Step *s, char *buf, size_t size) {
        const StepKind *k = step_kind_find(def, s->kind);

        if (k)
                k->describe(s, buf, size);
        else
                (void) snprintf(buf, size, "%s (unknown to this hubopsctl)", s->kind);
}

const char *step_operation(const RunbookDef *def, const Step *s) {
        const StepKind *k = step_kind_find(def, s->kind);

        return k ? k->operation : NULL;
}

const char *step_operation_label(const RunbookDef *def, const Step *s) {
        const char *op = step_operation(def, s);

        return op ? op : "settle";
}
