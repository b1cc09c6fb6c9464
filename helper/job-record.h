/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "context.h"

/* Jobs that outlive the helper running them. A durable job (every job
 * that starts a unit or a procedure: hooks, services, the directory, the
 * rebuild, the probe, the mailbox jobs) is recorded in
 * StateDirectory/jobs.json from before its caller learns its id until it
 * ends: its phase, its message so far and the systemd job doing its
 * current step. A helper starting after a crash
 * re-exposes each one, running, under its old id and path; the module that
 * owns it then follows that systemd job to its end or ends the job
 * "interrupted", saying what is known. Nothing is ever resumed: a half-done
 * procedure is the operator's to run again. (A rebuild.json an older
 * hubopsd left is taken over once: iface-rebuild.c.) */

#define JOB_RESULT_INTERRUPTED "interrupted"

#define JOB_RECORDS_MAX 64
#define JOB_RECORD_DETAILS_MAX 16 /* strings: key, value, key, value, ... */

typedef struct JobRecord {
        uint64_t id;
        uint64_t started_at; /* CLOCK_REALTIME usec */
        uint32_t started_by;
        char operation[64];
        char unit[256];
        char cancel_action[128];
        char phase[64];
        char message[1024];
        char systemd_job[96]; /* "" or /org/freedesktop/systemd1/job/N */
        char audit_id[33];
        char details[JOB_RECORD_DETAILS_MAX][128];
        size_t n_details;
} JobRecord;

/* jobs.json both ways. parse (fuzzed): 0 with *ret (calloc'ed, n entries)
 * or -EBADMSG for anything format() would not have written. */
int job_records_parse(const char *json, JobRecord **ret, size_t *ret_n);
char *job_records_format(const JobRecord *records, size_t n);

/* Write every running durable job. A failure is logged here; the jobs go
 * on, but a helper restarted now would not know them. */
void job_records_save(Context *c);

/* Start-up, before the bus: re-create the recorded jobs, running and
 * marked restored. A malformed record refuses start-up, as run-claim.json
 * does: dropping it would hide what a dead helper left half-done. */
int job_records_load(Context *c);

/* Once each module has taken its restored jobs: any left (its operation no
 * longer configured) ends "interrupted". */
void job_records_end_unclaimed(Context *c);
