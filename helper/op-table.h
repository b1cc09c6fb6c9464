/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "context.h"

/* The privileged operations, one row each, named as common/operations.c
 * names them: what CanRun asks polkit, what ListOperations lists, and who
 * takes the operation's jobs back after a restart. The methods that start
 * them build the same action and details (iface-*.c). */

#define OP_DETAILS_MAX 5 /* key, value, key, value, NULL */

typedef struct OpRow {
        const char *name;
        const char *action; /* polkit */
        /* The details the real call gives polkit and the audit log. */
        void (*details)(const char *name, const char *subject, const char *details[OP_DETAILS_MAX]);
        /* NULL when subject (or the host) has it configured, else why not. */
        const char *(*missing)(const Context *c, const char *subject);
        /* The subjects to list; NULL: one, "" (listed when configured). */
        size_t (*n_subjects)(const Context *c);
        const char *(*subject)(const Context *c, size_t i);
        /* Start-up: take back this family's jobs a dead helper left
         * running (on the family's first row only). */
        void (*restore)(Context *c);
} OpRow;

extern const OpRow op_rows[];
extern const size_t n_op_rows;

const OpRow *op_row_find(const char *name);

/* Before serving: every family's restore handler, then whatever no one
 * took ends "interrupted" (job-record.h). */
void op_table_restore_all(Context *c);
