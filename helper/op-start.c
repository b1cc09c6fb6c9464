/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "op-start.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubops-bus.h"
#include "job-record.h"
#include "macro.h"
#include "unit-run.h"

/* The request until the unit is accepted, then the job's id (not a
 * pointer: a job may be pruned) until the unit ends. */
typedef struct OpRun {
        Request *request;
        uint64_t job_id;
        op_finished_t finished;
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

void op_start_unit(Request *req, Job *job, const OpUnit *unit) {
        Context *c = req->context;
        OpRun *run;
        int r;

        if (!job_record_starting(job, req))
                return;
        run = op_run_new(req, job->id, unit->what, unit->finished);
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

static void restore_one(Context *c, Job *j, const char *what, void (*adopt)(Job *j), op_finished_t finished) {
        OpRestore *rs = calloc(1, sizeof(OpRestore));
        int r = -ENOMEM;

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
