/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "context.h"
#include "systemd-client.h"

/* Operations carried out by systemd, followed to their end: a transient
 * unit run to completion (hooks, init-script commands, the rebuild), or a
 * start/stop/restart of an existing unit (services, the directory unit). */

typedef struct UnitOutcome {
        bool ok;            /* the unit did what was asked */
        bool canceled;      /* its systemd job was canceled (e.g. Job.Cancel stopped it) */
        char result[32];    /* transient: the service's Result (success, exit-code, timeout, ...);
                               verbs: systemd's job result (done, failed, timeout, dependency, ...) */
        int exit_status;    /* exit status, 128+signal, or -1 when not known */
        uint64_t ended_at;  /* when the command ended (CLOCK_REALTIME usec); 0: now, as far as we know */
        char message[256];  /* one sentence for the operator */
} UnitOutcome;

/* started: the manager accepted (error == 0; systemd_job is the path of its
 * job) or refused the request (message says why). done: only after a
 * successful start, once, with the outcome. */
typedef void (*unit_started_t)(Context *c, int error, const char *message, const char *systemd_job,
                               void *userdata);
typedef void (*unit_done_t)(Context *c, const UnitOutcome *outcome, void *userdata);
/* Frees userdata when hubopsd stops before done was called (the unit goes
 * on under systemd). NULL: the caller keeps track of userdata itself. */
typedef void (*unit_userdata_free_t)(void *userdata);

int unit_run_transient(Context *c, const TransientUnit *u, unit_started_t started, unit_done_t done,
                       void *userdata, unit_userdata_free_t userdata_free);

/* verb: "Start", "Stop" or "Restart". */
int unit_run_verb(Context *c, const char *verb, const char *unit, unit_started_t started, unit_done_t done,
                  void *userdata, unit_userdata_free_t userdata_free);

/* After a helper restart: follow a systemd job (job_path) that is still
 * running to its end, as unit_run_verb() (verb) or unit_run_transient()
 * (verb NULL) would have; or read the outcome of a transient unit that
 * already ended. */
int unit_follow(Context *c, const char *verb, const char *unit, const char *job_path, unit_done_t done,
                void *userdata, unit_userdata_free_t userdata_free);
int unit_read_transient_outcome(Context *c, const char *unit, unit_done_t done, void *userdata,
                                unit_userdata_free_t userdata_free);

/* The connection to the manager came back (systemd_schedule_resync()):
 * every job followed is looked up again, as a JobRemoved would have it
 * checked; still running, it is watched again, else it is reported as it
 * ended. */
void unit_ops_resync(Context *c);

/* At shutdown, after the systemd connection is closed (no callback can come
 * any more): free the operations still being followed, and their userdata. */
void unit_ops_free_all(Context *c);
