/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "context.h"

/* The privileged operations, one row each, named as common/operations.c
 * names them: what CanRun asks polkit, what ListOperations lists, which
 * interface offers it, what a second call collides on, how its unit is
 * made and who takes its jobs back after a restart. The methods that start
 * them build the same action and details (iface-*.c); adding an operation
 * is a row here, its act function and its vtable entry. */

#define OP_DETAILS_MAX 5 /* key, value, key, value, NULL */

/* Where a running job's Progress comes from. */
typedef enum OpProgress {
        OP_PROGRESS_NONE,        /* phases only */
        OP_PROGRESS_ESTIMATE,    /* elapsed time against an estimate (job_set_estimate()) */
        /* The unit's StatusText (unit-status.h): its transient unit gets
         * NotifyAccess=all, so a script's systemd-notify --status= counts. */
        OP_PROGRESS_UNIT_STATUS,
} OpProgress;

/* What a second call of the same family (the rows sharing the name's
 * prefix: "directory.", "mailbox.") collides on: the Busy refusal, asked
 * before polkit and again once authorized (op-busy.h). */
typedef enum OpBusy {
        OP_BUSY_NONE,    /* side by side, as today (systemd queues a unit's jobs itself) */
        OP_BUSY_HOST,    /* one job of the family on this host */
        OP_BUSY_SUBJECT, /* one job of the family per subject (its details' first value: a domain) */
} OpBusy;

/* How a job's unit is named and made (op_job_new(), op_start_unit()). */
typedef enum OpUnitKind {
        OP_UNIT_NONE,       /* no job */
        OP_UNIT_TRANSIENT,  /* a transient unit PREFIX-STEM-ID.service; Cancel stops it */
        OP_UNIT_STABLE,     /* a transient unit PREFIX-STEM.service, one per host: a helper
                               restarted finds it by name, and a failed one is collected first */
        OP_UNIT_CONFIGURED, /* a unit the config names (configured()); no Cancel */
        OP_UNIT_PROCEDURE,  /* the helper's own phases, each run as a unit (directory.c);
                               its job's Unit is configured()'s, if any; no Cancel */
} OpUnitKind;

/* A transient unit's sandbox beyond systemd-run's (transient-unit.c). */
typedef enum OpSandbox {
        OP_SANDBOX_NONE,
        OP_SANDBOX_OFFLINE,  /* ProtectSystem=strict and the rest; no network, nothing writable */
        OP_SANDBOX_NETWORK,  /* the same with the network and the one tree act() names writable */
        OP_SANDBOX_WRITES,   /* no network, the one tree act() names writable (retire) */
} OpSandbox;

typedef struct OpUnitSpec {
        OpUnitKind kind;
        const char *stem;          /* the name's middle; "%s": the subject ("hook-%s") */
        const char *cancel_action; /* polkit, for Job.Cancel (and the job's details) */
        OpSandbox sandbox;
        /* The configured unit's name (malloc'ed); NULL: none (PROCEDURE) or no memory. */
        char *(*configured)(const Context *c, const char *name, const char *subject);
} OpUnitSpec;

typedef struct OpRow {
        const char *name;
        const char *action; /* polkit */
        /* The details the real call gives polkit and the audit log. */
        void (*details)(const Context *c, const char *name, const char *subject, const char *details[OP_DETAILS_MAX]);
        /* NULL when subject (or the host) has it configured, else why not. */
        const char *(*missing)(const Context *c, const char *subject);
        /* The subjects to list; NULL: one, "" (listed when configured). */
        size_t (*n_subjects)(const Context *c);
        const char *(*subject)(const Context *c, size_t i);
        /* On the family's first row only: its D-Bus interface, and at
         * start-up, taking back the jobs a dead helper left running. */
        int (*register_interface)(Context *c);
        void (*restore)(Context *c);
        OpProgress progress;
        /* OP_PROGRESS_ESTIMATE: how long a job should take, and why (for EstimateBasis). */
        uint64_t (*estimate)(const Context *c, char *basis, size_t basis_size);
        OpBusy busy;
        const char *busy_what; /* for the refusal: "the directory", "a rebuild" */
        OpUnitSpec unit;
} OpRow;

extern const OpRow op_rows[];
extern const size_t n_op_rows;

const OpRow *op_row_find(const char *name);

/* Every object on c->bus: the Manager, each family's interface, the Jobs
 * and the object manager (hubopsd and the fuzz fixture alike). */
int op_table_register_objects(Context *c);

/* Before serving: every family's restore handler, then whatever no one
 * took ends "interrupted" (job-record.h). */
void op_table_restore_all(Context *c);
