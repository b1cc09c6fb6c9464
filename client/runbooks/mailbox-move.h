/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "engine.h"

/* The mailbox move's two files: the definition (mailbox-move.c: config,
 * plan, preflight, summary) and its step kinds (mailbox-move-steps.c: the
 * calls' arguments and the checks that are steps). */

#define MAILBOX_MOVE_N_KINDS 12
extern const StepKind mailbox_move_kinds[MAILBOX_MOVE_N_KINDS];

static inline const char *mailbox_move_source(const Run *r) {
        return run_param(r, "from");
}

static inline const char *mailbox_move_destination(const Run *r) {
        return run_param(r, "to");
}

static inline bool mailbox_move_param_yes(const Run *r, const char *key) {
        const char *v = run_param(r, key);

        return v && strcmp(v, "yes") == 0;
}

static inline const Step *mailbox_move_step(const Run *r, const char *id) {
        for (unsigned i = 0; i < r->n_steps; i++)
                if (strcmp(r->steps[i].id, id) == 0)
                        return &r->steps[i];
        return NULL;
}
