/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Who asked. Read from the bus (GetConnectionCredentials), never from a PID
 * looked up later; login uid is informational only. */
typedef struct Caller {
        char sender[256];
        uid_t uid;
        pid_t pid;
        uid_t login_uid;
        bool have_uid, have_pid, have_login_uid;
} Caller;

typedef enum AuditEvent {
        AUDIT_EVENT_REQUEST,      /* a privileged call: allowed, denied or failed */
        AUDIT_EVENT_JOB_FINISHED, /* the job a request started has ended */
} AuditEvent;

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
} AuditRecord;

typedef struct Audit Audit;

/* Open (create, append-only, 0640) the JSON-lines file; the directory must exist. */
int audit_open(const char *path, const char *hostname, Audit **ret);
void audit_close(Audit *a);

/* Can a record be written right now? Checked before a privileged action so
 * that a full or read-only log refuses the action instead of losing the record. */
int audit_check_writable(Audit *a);

/* Journal + file; the file is fsync'd before this returns. The record's id is
 * returned in ret_id (33 bytes), if non-NULL. */
int audit_write(Audit *a, const AuditRecord *rec, char *ret_id);

/* The JSON line, without the trailing newline: the unit-tested core. */
int audit_format_json(const AuditRecord *rec, const char *hostname, const char *id, char **ret);
