/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "op-start.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubops-bus.h"
#include "macro.h"
#include "unit-run.h"

/* The request until the unit is accepted, then the job's id (not a
 * pointer: a job may be pruned) until the unit ends. */
typedef struct OpRun {
        Request *request;
        uint64_t job_id;
        char what[256];
} OpRun;

/* hubopsd stopped while the unit ran (it goes on; jobs.json has the job). */
static void op_run_free(void *userdata) {
        OpRun *run = userdata;

        request_free(run->request);
        free(run);
}

static OpRun *op_run_new(Request *req, uint64_t job_id, const char *what) {
        OpRun *run = calloc(1, sizeof(OpRun));

        if (!run)
                return NULL;
        run->request = req;
        run->job_id = job_id;
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

        free(run);
        if (j)
                job_finish_from_outcome(j, o);
}

void op_start_unit(Request *req, Job *job, const OpUnit *unit) {
        Context *c = req->context;
        OpRun *run;
        int r;

        if (!job_record_starting(job, req))
                return;
        run = op_run_new(req, job->id, unit->what);
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

int op_follow(Context *c, Job *j, const char *verb, const char *job_path) {
        OpRun *run = op_run_new(NULL, j->id, NULL);
        int r;

        if (!run)
                return -ENOMEM;
        r = unit_follow(c, verb, j->unit, job_path, on_done, run, op_run_free);
        if (r < 0)
                free(run);
        return r;
}

int op_read_outcome(Context *c, Job *j) {
        OpRun *run = op_run_new(NULL, j->id, NULL);
        int r;

        if (!run)
                return -ENOMEM;
        r = unit_read_transient_outcome(c, j->unit, on_done, run, op_run_free);
        if (r < 0)
                free(run);
        return r;
}
