/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "audit-budget.h"

/* Who asked. Read from the bus (GetConnectionCredentials), never from a PID
 * looked up later; login uid is informational only. */
typedef struct Caller {
        char sender[256];
        uid_t uid;
        pid_t pid;
        uid_t login_uid;
        bool have_uid, have_pid, have_login_uid;
} Caller;

/* When a record must be on disk. */
typedef enum AuditSync {
        AUDIT_SYNC_NOW,  /* fsync'd before audit_write() returns: a record an action depends on */
        AUDIT_SYNC_SOON, /* a refusal (nothing was done): written at once, so it outlives a
                          * hubopsd crash, and fsync'd within AUDIT_SYNC_DELAY_USEC, with
                          * the next NOW record, or at audit_close(), whichever comes first.
                          * A refusal's record is also budgeted per caller uid and kept
                          * out of the space reserve (AuditLimits), or else counted in a
                          * "suppressed" record instead of written. */
} AuditSync;

/* Refusals are made durable in batches: a caller who is refused cannot make
 * hubopsd flush the disk once per call (each refused call costs the
 * refusing caller little, and would cost the disk a flush). */
#define AUDIT_SYNC_DELAY_USEC (1ULL * 1000000ULL)

typedef enum AuditEvent {
        AUDIT_EVENT_REQUEST,      /* a privileged call: allowed, denied or failed */
        AUDIT_EVENT_JOB_FINISHED, /* the job a request started has ended */
        AUDIT_EVENT_SUPPRESSED,   /* refusals of one caller uid that were counted, not written */
        AUDIT_EVENT_JOB_STARTING, /* an allowed request is about to ask systemd to start a job's unit */
} AuditEvent;

/* Free space on the audit log's filesystem that refusals leave to the
 * records of authorized operations: 1 MiB is some 2,000 of those records
 * (a started and a finished record per operation, ~500 bytes each), weeks
 * of a site's operations, and nothing on a real log filesystem. On a small
 * one the reserve is at most a quarter of it, so that refusals are still
 * recorded there. */
#define AUDIT_RESERVE_DEFAULT_BYTES (1024ULL * 1024ULL)

typedef struct AuditLimits {
        unsigned refusal_burst;         /* refusal records a caller uid may have written at once, */
        uint64_t refusal_interval_usec; /* and one more per interval */
        uint64_t reserve_bytes;         /* 0: no reserve */
} AuditLimits;

#define AUDIT_LIMITS_DEFAULT \
        ((AuditLimits) { .refusal_burst = AUDIT_REFUSAL_BURST_DEFAULT, \
                         .refusal_interval_usec = AUDIT_REFUSAL_INTERVAL_DEFAULT_USEC, \
                         .reserve_bytes = AUDIT_RESERVE_DEFAULT_BYTES })

typedef struct AuditRecord {
        AuditEvent event;
        const char *operation;      /* "hook.run", "job.cancel", ... */
        const char *const *details; /* key, value, key, value, ..., NULL */
        const Caller *caller;       /* NULL for job completions */
        const char *action;         /* polkit action id, or NULL */
        const char *verdict;        /* yes, no, challenge, error, caller-gone, root, not-checked */
        const char *result;         /* started, denied, failed, done, canceled, ... */
        const char *message;        /* human explanation, or NULL */
        const char *job;            /* job object path, or NULL */
        const char *unit;           /* systemd unit, or NULL */
        uint64_t time_usec;         /* CLOCK_REALTIME when the request arrived */
        uint64_t duration_usec;
        AuditSync sync;             /* AUDIT_SYNC_NOW unless said otherwise */
        const AuditSuppressed *suppressed; /* AUDIT_EVENT_SUPPRESSED: the count */
} AuditRecord;

typedef struct Audit Audit;

/* Open (create, append-only, 0640) the JSON-lines file; the directory must
 * exist. The limits are AUDIT_LIMITS_DEFAULT. */
int audit_open(const char *path, const char *hostname, Audit **ret);
/* Writes the suppressed counts still pending (into the reserve if need be:
 * nothing is left to reserve it for) and flushes a pending AUDIT_SYNC_SOON
 * batch. */
void audit_close(Audit *a);

/* Write the suppressed counts pending (into the reserve if need be), then
 * budget afresh with these limits: at start-up, and by the bus fuzzer
 * after each input. */
int audit_set_limits(Audit *a, const AuditLimits *l);

/* The event loop that times AUDIT_SYNC_SOON batches and the suppressed
 * records. Without one, every record is fsync'd at once, and a suppressed
 * count is written with the first refusal after it is due. */
int audit_attach_event(Audit *a, sd_event *e);

/* Written but not yet fsync'd records? (For tests.) */
bool audit_sync_pending(const Audit *a);

/* Can a record be written right now? Checked before a privileged action so
 * that a full or read-only log refuses the action instead of losing the record. */
int audit_check_writable(Audit *a);

/* Journal + file; the file is fsync'd before this returns (AUDIT_SYNC_NOW).
 * The record's id is returned in ret_id (33 bytes), if non-NULL. Returns 0
 * if written, 1 if a refusal was counted instead (ret_id untouched). */
int audit_write(Audit *a, const AuditRecord *rec, char *ret_id);

/* The JSON line, without the trailing newline: the unit-tested core. */
int audit_format_json(const AuditRecord *rec, const char *hostname, const char *id, char **ret);
