/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The operations a caller can name (CanRun, ListOperations, hubopsctl
 * can-run), spelled one way. subject: what the second word names ("hook",
 * "service"), or NULL when the operation takes none; subject_optional: it
 * may be left out (run.claim: polkit rules may judge by the run, or not). */
typedef struct OperationName {
        const char *name;
        const char *subject;
        bool subject_optional;
} OperationName;

extern const OperationName operation_names[];
extern const size_t n_operation_names;

const OperationName *operation_name_find(const char *name);
