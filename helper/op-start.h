/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "job.h"
#include "unit-run.h"
#include "request.h"
#include "systemd-client.h"

/* The one start path of an operation carried out by one systemd unit (a
 * hook's transient unit, a service's verb): the request's audit record
 * before systemd is asked; once systemd accepts, the job's systemd job on
 * disk (jobs.json) before the caller hears the job's path; the unit's
 * outcome as the job's end. */

/* How an operation's job ends with its unit's outcome; NULL:
 * job_finish_from_outcome(). */
typedef void (*op_finished_t)(Job *j, const UnitOutcome *o);

typedef struct OpUnit {
        const char *verb;               /* "Start", "Stop", "Restart"; NULL: run transient */
        const TransientUnit *transient; /* with verb NULL */
        const char *what;               /* for a refusal: "the hook", the unit's name */
        const char *doing;              /* for an unreachable manager: "to run hook x", or "" */
        op_finished_t finished;
        void (*started)(Job *j);        /* once systemd took it, before the reply; may be NULL */
} OpUnit;

/* The job for req (its operation's row, op-table.h) on subject: its unit
 * named as the row's unit specification says, its Cancel and its estimate.
 * On failure the request is answered (and freed) and -errno returned. */
int op_job_new(Request *req, const char *subject, Job **ret);

/* Replies to req in every case; a job that does not start is discarded.
 * A transient unit gets the row's sandbox; one of a stable name is
 * collected first (a canceled run leaves it "failed"). */
void op_start_unit(Request *req, Job *job, const OpUnit *unit);

/* The start path of a procedure the helper runs itself, phase by phase
 * (OP_UNIT_PROCEDURE): the job on disk (jobs.json) before the caller
 * learns its id, the reply, then run(); a procedure that cannot begin
 * ends the job "failed". */
void op_start_procedure(Request *req, Job *job, int (*run)(Context *c, Job *j, void *userdata), void *userdata);

/* After a restart: follow a restored job's systemd job (job_path) to its
 * end, as op_start_unit() would have (verb as in OpUnit), or read the
 * outcome of its transient unit that ended meanwhile. */
int op_follow(Context *c, Job *j, const char *verb, const char *job_path, op_finished_t finished);
int op_read_outcome(Context *c, Job *j, op_finished_t finished);

/* A row's restore handler for work done by one transient unit named after
 * its job (hooks, the probe): each restored job of operation is followed
 * to its end (its Cancel and estimate as its row says; adopt(j), if any,
 * for the module's own state), its end
 * read from the unit if it came meanwhile, or it ends "interrupted"
 * saying what is known ("hubopsd restarted while this <what> ran"). */
void op_restore_transient(Context *c, const char *operation, const char *what, void (*adopt)(Job *j),
                          op_finished_t finished);
