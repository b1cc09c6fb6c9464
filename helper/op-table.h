/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "context.h"

/* The privileged operations, one row each, named as common/operations.c
 * names them: what CanRun asks polkit, what ListOperations lists, which
 * interface offers it and who takes its jobs back after a restart. The methods that start
 * them build the same action and details (iface-*.c). */

#define OP_DETAILS_MAX 5 /* key, value, key, value, NULL */

/* Where a running job's Progress comes from. */
typedef enum OpProgress {
        OP_PROGRESS_NONE,        /* phases only */
        OP_PROGRESS_ESTIMATE,    /* elapsed time against an estimate (job_set_estimate()) */
        /* The unit's StatusText (unit-status.h): its transient unit gets
         * NotifyAccess=all, so a script's systemd-notify --status= counts. */
        OP_PROGRESS_UNIT_STATUS,
} OpProgress;

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
