/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The runbook state file (~/.local/state/hubops/runs/ID.json), loaded by
 * every resume, in today's version and in version 1 (read as today's):
 * parse, and what parses must format and parse back the same. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "run-store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_strndup(data, size);
        Run *a = calloc(1, sizeof(Run)), *b = calloc(1, sizeof(Run));

        if (s && a && b && run_parse(s, a) == 0) {
                char *json = run_format(a), *again = NULL;
                if (!json || run_parse(json, b) != 0 || strcmp(a->id, b->id) != 0 || a->n_steps != b->n_steps ||
                    a->status != b->status)
                        __builtin_trap();
                for (unsigned i = 0; i < a->n_steps; i++)
                        if (a->steps[i].status != b->steps[i].status || strcmp(a->steps[i].job, b->steps[i].job) != 0 ||
                            strcmp(a->steps[i].gate.host, b->steps[i].gate.host) != 0)
                                __builtin_trap();
                /* Version 1 becomes today's once; today's stays itself. */
                again = run_format(b);
                if (!again || strcmp(json, again) != 0)
                        __builtin_trap();
                free(again);
                free(json);
        }
        free(a);
        free(b);
        free(s);
        return 0;
}
