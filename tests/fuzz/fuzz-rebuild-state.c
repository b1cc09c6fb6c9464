/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rebuild's state files, read at every hubopsd start:
 * StateDirectory/rebuild-history.json, and a rebuild.json an older hubopsd
 * left (taken over once, iface-rebuild.c); one parser reads both. Parse,
 * and what parses must format and parse back the same. */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rebuild.h"

static bool same(const RebuildState *a, const RebuildState *b) {
        return a->job_id == b->job_id && a->started_at == b->started_at && a->started_by == b->started_by &&
               strcmp(a->last_result, b->last_result) == 0 && a->last_started_at == b->last_started_at &&
               a->last_duration == b->last_duration && a->n_history == b->n_history &&
               memcmp(a->history, b->history, a->n_history * sizeof(uint64_t)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_strndup(data, size);
        RebuildState a, b;
        char *json;
        int r;

        r = rebuild_state_parse(s, &a);
        if (r == 0) {
                json = rebuild_state_format(&a);
                if (!json || rebuild_state_parse(json, &b) != 0 || !same(&a, &b))
                        __builtin_trap();
                free(json);
        } else if (r != -EBADMSG)
                __builtin_trap();
        free(s);
        return 0;
}
