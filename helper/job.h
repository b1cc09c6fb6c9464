/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "context.h"
#include "unit-status.h"

/* A Job is what every privileged operation returns at once: the caller's
 * handle on work that may take hours. Jobs live at /org/hubops/Helper1/job/N;
 * N is never reused (the last one is kept in the state directory). */

typedef struct Request Request;
typedef struct UnitOutcome UnitOutcome;

typedef enum JobState { JOB_RUNNING, JOB_DONE, JOB_FAILED, JOB_CANCELED } JobState;

struct Job {
        Context *context;
        Job *next;
        uint64_t id;
        char *path;
        char *operation;      /* e.g. "hook.run" */
        char **details;       /* key, value, ..., NULL: audit and polkit details */
        char *unit;           /* the transient unit doing the work */
        char *cancel_action;  /* polkit action for Cancel() */
        char *log_file;       /* where the unit's output goes, or NULL */
        JobState state;
        char *result;         /* "" while running; then systemd's Result word, or "canceled" */
        char *message;        /* one human sentence about the outcome */
        int exit_status;
        uint64_t started_at;  /* CLOCK_REALTIME, usec */
        uint64_t finished_at;
        uid_t started_by_uid;
        char *phase;          /* what it is doing now, e.g. "stopping", "killing-root" */
        uint64_t expected_usec; /* how long it should take; 0: no estimate */
        char *estimate_basis;   /* where that estimate comes from, for the operator */
        char audit_id[33];      /* the id of the audit record of the request that started it */
        char *systemd_job;      /* the systemd job doing its current step, "" when none */
        bool durable;           /* recorded in StateDirectory/jobs.json while it runs (job-record.h) */
        bool restored;          /* re-exposed after a restart; its module has yet to take it over */
        bool progress_from_status; /* its row says: progress is the unit's StatusText (op-table.h) */
        UnitStatus status;      /* the unit's last report that parsed; n_counters 0: none yet */
        /* How to cancel it; NULL: it cannot be canceled. Replies to req. */
        int (*cancel)(Job *j, Request *req);
};

const char *job_state_to_string(JobState s);

/* Allocates the next id and the unit name "<UnitPrefix>-<stem>-<id>.service". */
int job_new(Context *c, const char *operation, const char *const *details, const char *unit_stem,
            const char *cancel_action, uid_t started_by, Job **ret);
/* Re-expose a job that outlived a helper restart, under its old id. */
int job_restore(Context *c, uint64_t id, const char *operation, const char *const *details, const char *unit,
                const char *cancel_action, uid_t started_by, uint64_t started_at, Job **ret);

/* A restored job's progress as it was recorded (no signal: no one can be listening yet). */
int job_restore_progress(Job *j, const char *phase, const char *message, const char *systemd_job);

/* Progress, ExpectedEndAt: elapsed time against expected_usec (0: none). */
void job_set_estimate(Job *j, uint64_t expected_usec, const char *basis);

/* The unit's StatusText changed (systemd-client.c, from the manager only):
 * every running job on unit whose row takes progress from it moves on.
 * Text that is not the grammar of unit-status.h leaves the job as it was. */
void jobs_on_unit_status(Context *c, const char *unit, const char *text);

/* For jobs on an existing unit (services, the directory) rather than a transient one. */
int job_set_unit(Job *j, const char *unit);

/* Forget a job that never started (its unit could not be created). */
void job_discard(Job *j);

/* Record the end: properties, Completed signal, audit record. */
void job_finish(Job *j, JobState state, const char *result, int exit_status, const char *message);

Job *job_find(Context *c, uint64_t id);

/* Progress within a running job: Phase (and Message, unless NULL), signalled. */
void job_set_phase(Job *j, const char *phase, const char *message);

/* Keep this running job in StateDirectory/jobs.json until it ends, with its
 * phase, message and systemd job, so a restarted helper can say what became
 * of it (job-record.h). */
void job_make_durable(Job *j);
/* The systemd job (path) doing the current step; NULL or "": none. */
void job_set_systemd_job(Job *j, const char *path);

void job_finish_from_outcome(Job *j, const UnitOutcome *o);

/* systemd accepted (error 0) or refused the unit behind new job j: reply to
 * the request that asked for it (the job's path, or the refusal, discarding
 * the job). Returns whether the job lives on. */
bool job_reply_started(Job *j, Request *req, int error, const char *what, const char *message);
/* Just before systemd is asked to start new job j's unit: its audit record
 * (request_audit_starting()). If that cannot be written, the job is
 * discarded, the request refused (AuditFailed), and false returned: start nothing. */
bool job_record_starting(Job *j, Request *req);
int job_cancel_by_stopping_unit(Job *j, Request *req);

int jobs_load_last_id(Context *c);
int jobs_register(Context *c);
void jobs_free_all(Context *c);
