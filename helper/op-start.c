/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "op-start.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "hubops-bus.h"
#include "job-record.h"
#include "macro.h"
#include "op-table.h"
#include "unit-run.h"

/* The request until the unit is accepted, then the job's id (not a
 * pointer: a job may be pruned) until the unit ends. */
typedef struct OpRun {
        Request *request;
        uint64_t job_id;
        op_finished_t finished;
        void (*started)(Job *j);
        char what[256];
} OpRun;

/* hubopsd stopped while the unit ran (it goes on; jobs.json has the job). */
static void op_run_free(void *userdata) {
        OpRun *run = userdata;

        request_free(run->request);
        free(run);
}

static OpRun *op_run_new(Request *req, uint64_t job_id, const char *what, op_finished_t finished) {
        OpRun *run = calloc(1, sizeof(OpRun));

        if (!run)
                return NULL;
        run->request = req;
        run->job_id = job_id;
        run->finished = finished ? finished : job_finish_from_outcome;
        (void) snprintf(run->what, sizeof(run->what), "%s", what ? what : "");
        return run;
}

static void on_started(Context *c, int error, const char *message, const char *systemd_job, void *userdata) {
        OpRun *run = userdata;
        Job *j = job_find(c, run->job_id);
        Request *req = TAKE_PTR(run->request);

        if (error >= 0 && j) {
                /* On disk before the reply: a restarted helper follows systemd's job on. */
                job_set_systemd_job(j, systemd_job);
                job_set_phase(j, "running", NULL);
                job_make_durable(j);
                if (run->started)
                        run->started(j);
        }
        if (!job_reply_started(j, req, error, run->what, message))
                free(run);
}

static void on_done(Context *c, const UnitOutcome *o, void *userdata) {
        OpRun *run = userdata;
        Job *j = job_find(c, run->job_id);
        op_finished_t finished = run->finished;

        free(run);
        if (j)
                finished(j, o);
}

/* The stem with "%s" as the subject. */
static void format_stem(const char *stem, const char *subject, char *buf, size_t size) {
        const char *p = strstr(stem, "%s");

        if (p)
                (void) snprintf(buf, size, "%.*s%s%s", (int) (p - stem), stem, subject, p + 2);
        else
                (void) snprintf(buf, size, "%s", stem);
}

static int job_from_row(Request *req, const OpRow *row, const char *subject, Job **ret) {
        Context *c = req->context;
        const OpUnitSpec *spec = &row->unit;
        _cleanup_free_ char *unit = NULL;
        char stem[300], basis[64] = "";
        Job *j;
        int r;

        format_stem(spec->stem, subject, stem, sizeof(stem));
        r = job_new(c, row->name, (const char *const *) req->details, stem, spec->cancel_action, req->caller.uid, &j);
        if (r < 0)
                return r;
        if (spec->kind == OP_UNIT_STABLE)
                /* Stable and host-unique: a restarted helper finds it by name. */
                unit = strdup_printf("%s-%s.service", c->config->unit_prefix, stem);
        else if (spec->configured)
                unit = spec->configured(c, row->name, subject);
        if (!unit && (spec->kind == OP_UNIT_STABLE || spec->kind == OP_UNIT_CONFIGURED))
                r = -ENOMEM;
        else if (unit)
                r = job_set_unit(j, unit);
        if (r < 0) {
                job_discard(j);
                return r;
        }
        if (spec->kind == OP_UNIT_TRANSIENT || spec->kind == OP_UNIT_STABLE)
                j->cancel = job_cancel_by_stopping_unit;
        if (row->estimate)
                job_set_estimate(j, row->estimate(c, basis, sizeof(basis)), basis);
        *ret = j;
        return 0;
}

int op_job_new(Request *req, const char *subject, Job **ret) {
        const OpRow *row = op_row_find(req->operation);
        int r = row && row->unit.kind != OP_UNIT_NONE ? job_from_row(req, row, subject ? subject : "", ret) : -EINVAL;

        if (r < 0)
                (void) request_reply_error(req, HUBOPS_ERROR_FAILED, "Cannot create a job: %s", strerror(-r));
        return r;
}

/* The row's sandbox over what act() built from the config. */
static void apply_sandbox(TransientUnit *u, const Job *job) {
        const OpRow *row = op_row_find(job->operation);
        OpSandbox s = row ? row->unit.sandbox : OP_SANDBOX_NONE;

        u->sandbox = s != OP_SANDBOX_NONE;
        u->private_network = s == OP_SANDBOX_OFFLINE || s == OP_SANDBOX_WRITES;
        if (s != OP_SANDBOX_NETWORK && s != OP_SANDBOX_WRITES)
                u->writable_path = NULL;
}

static bool has_stable_unit(const Job *job) {
        const OpRow *row = op_row_find(job->operation);

        return row && row->unit.kind == OP_UNIT_STABLE;
}

void op_start_procedure(Request *req, Job *job, int (*run)(Context *c, Job *j, void *userdata), void *userdata) {
        Context *c = req->context;

        /* On disk before the caller learns its id: a helper restarted from
         * here on can still say what became of it. */
        job_make_durable(job);
        /* Reply first: the procedure may take minutes; the job tells the rest. */
        (void) request_reply_job(req, job);
        if (run(c, job, userdata) < 0)
                job_finish(job, JOB_FAILED, "failed", -1, "could not begin the procedure");
}

void op_start_unit(Request *req, Job *job, const OpUnit *unit) {
        Context *c = req->context;
        OpRun *run;
        int r;

        if (!job_record_starting(job, req))
                return;
        run = op_run_new(req, job->id, unit->what, unit->finished);
        if (run)
                run->started = unit->started;
        if (!run) {
                job_discard(job);
                (void) request_reply_error(req, HUBOPS_ERROR_FAILED, "Out of memory");
                return;
        }
        if (unit->verb)
                r = unit_run_verb(c, unit->verb, job->unit, on_started, on_done, run, op_run_free);
        else {
                TransientUnit u = *unit->transient;

                u.notify_access_all = job->progress_from_status;
                apply_sandbox(&u, job);
                if (has_stable_unit(job))
                        /* Queued before the start on the same connection: systemd sees it first. */
                        systemd_collect_unit(c, job->unit, true);
                r = unit_run_transient(c, &u, on_started, on_done, run, op_run_free);
        }
        if (r < 0) {
                free(run);
                job_discard(job);
                (void) request_reply_error(req, HUBOPS_ERROR_SYSTEMD_UNAVAILABLE,
                                           "Cannot reach the systemd manager%s%s: %s", unit->doing[0] ? " " : "",
                                           unit->doing, strerror(-r));
        }
}

int op_follow(Context *c, Job *j, const char *verb, const char *job_path, op_finished_t finished) {
        OpRun *run = op_run_new(NULL, j->id, NULL, finished);
        int r;

        if (!run)
                return -ENOMEM;
        r = unit_follow(c, verb, j->unit, job_path, on_done, run, op_run_free);
        if (r < 0)
                free(run);
        return r;
}

int op_read_outcome(Context *c, Job *j, op_finished_t finished) {
        OpRun *run = op_run_new(NULL, j->id, NULL, finished);
        int r;

        if (!run)
                return -ENOMEM;
        r = unit_read_transient_outcome(c, j->unit, on_done, run, op_run_free);
        if (r < 0)
                free(run);
        return r;
}

/* A restored job, while systemd is asked about its unit. */
typedef struct OpRestore {
        Context *context;
        uint64_t job_id;
        const char *what;
        op_finished_t finished;
} OpRestore;

static int on_status_text(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        OpRestore *rs = userdata;
        Job *j = job_find(rs->context, rs->job_id);
        const char *text;

        (void) ret_error;
        if (j && systemd_decode_status_text(reply, &text) >= 0)
                jobs_on_unit_status(rs->context, j->unit, text);
        free(rs);
        return 0;
}

/* The unit's report so far: its next change may be a while off. */
static void read_status(const OpRestore *rs, const Job *j) {
        OpRestore *copy = malloc(sizeof(OpRestore));

        if (copy)
                *copy = *rs;
        if (copy && systemd_get_status_text(rs->context, j->unit, on_status_text, copy) < 0)
                free(copy);
}

static int follow_restored(const OpRestore *rs, Job *j, const UnitState *u) {
        /* The unit is named after this job: any job systemd runs for it is ours
         * (its start, or the stop a Cancel asked for). */
        if (u->job_id != 0) {
                job_set_systemd_job(j, u->job);
                job_set_phase(j, "running", "re-attached after a helper restart");
                if (j->progress_from_status)
                        read_status(rs, j);
                return op_follow(rs->context, j, NULL, u->job, rs->finished);
        }
        /* It ended while no helper watched; the unit (RemainAfterExit) still holds how. */
        if (strcmp(u->active, "active") == 0 || strcmp(u->active, "failed") == 0)
                return op_read_outcome(rs->context, j, rs->finished);
        return -ESRCH;
}

static void end_interrupted(Job *j, const char *what, const UnitState *u, int error) {
        char message[512];

        if (error == -ESRCH)
                (void) snprintf(message, sizeof(message),
                                "hubopsd restarted while this %s ran; its unit %s is %s, so how it ended is not "
                                "known",
                                what, j->unit, u && u->active[0] ? u->active : "gone");
        else
                (void) snprintf(message, sizeof(message),
                                "hubopsd restarted while this %s ran, and cannot follow %s: %s", what, j->unit,
                                strerror(-error));
        job_finish(j, JOB_FAILED, JOB_RESULT_INTERRUPTED, -1, message);
}

static int on_restored_unit_state(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        OpRestore *rs = userdata;
        Job *j = job_find(rs->context, rs->job_id);
        UnitState u = { .active = "" };
        int r;

        (void) ret_error;
        r = systemd_decode_unit_state(reply, &u);
        if (j && r >= 0)
                r = follow_restored(rs, j, &u);
        if (j && r < 0)
                end_interrupted(j, rs->what, &u, r);
        free(rs);
        return 0;
}

/* What op_job_new() gave it at its start, as its row says. */
static void adopt_from_row(Job *j) {
        const OpRow *row = op_row_find(j->operation);
        char basis[64] = "";

        if (!row)
                return;
        if (row->unit.kind == OP_UNIT_TRANSIENT || row->unit.kind == OP_UNIT_STABLE)
                j->cancel = job_cancel_by_stopping_unit;
        if (row->estimate)
                job_set_estimate(j, row->estimate(j->context, basis, sizeof(basis)), basis);
}

static void restore_one(Context *c, Job *j, const char *what, void (*adopt)(Job *j), op_finished_t finished) {
        OpRestore *rs = calloc(1, sizeof(OpRestore));
        int r = -ENOMEM;

        adopt_from_row(j);
        if (adopt)
                adopt(j);
        if (rs) {
                *rs = (OpRestore) { .context = c, .job_id = j->id, .what = what, .finished = finished };
                r = systemd_get_unit_state(c, j->unit, on_restored_unit_state, rs);
        }
        if (r < 0) {
                free(rs);
                end_interrupted(j, what, NULL, r);
        }
}

void op_restore_transient(Context *c, const char *operation, const char *what, void (*adopt)(Job *j),
                          op_finished_t finished) {
        Job *j;

        /* One at a time: ending a job may prune others from the list. */
        for (;;) {
                for (j = c->jobs; j && !(j->restored && strcmp(j->operation, operation) == 0 && j->unit); j = j->next)
                        ;
                if (!j)
                        return;
                j->restored = false;
                restore_one(c, j, what, adopt, finished);
        }
}
