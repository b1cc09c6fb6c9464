/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "job.h"
#include "request.h"
#include "systemd-client.h"

/* The one start path of an operation carried out by one systemd unit (a
 * hook's transient unit, a service's verb): the request's audit record
 * before systemd is asked; once systemd accepts, the job's systemd job on
 * disk (jobs.json) before the caller hears the job's path; the unit's
 * outcome as the job's end. */

typedef struct OpUnit {
        const char *verb;               /* "Start", "Stop", "Restart"; NULL: run transient */
        const TransientUnit *transient; /* with verb NULL */
        const char *what;               /* for a refusal: "the hook", the unit's name */
        const char *doing;              /* for an unreachable manager: "to run hook x", or "" */
} OpUnit;

/* Replies to req in every case; a job that does not start is discarded. */
void op_start_unit(Request *req, Job *job, const OpUnit *unit);

/* After a restart: follow a restored job's systemd job (job_path) to its
 * end, as op_start_unit() would have (verb as in OpUnit), or read the
 * outcome of its transient unit that ended meanwhile. */
int op_follow(Context *c, Job *j, const char *verb, const char *job_path);
int op_read_outcome(Context *c, Job *j);

/* At start-up: every restored job whose operation starts with
 * operation_prefix and that ran in a transient unit named after it is
 * followed on, or read as it ended, or ended "interrupted" (what: "this
 * hook", for the message). */
void op_restore_transient_jobs(Context *c, const char *operation_prefix, const char *what);
