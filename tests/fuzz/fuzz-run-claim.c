/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The site claim file (StateDirectory/run-claim.json), read at every hubopsd
 * start: parse, and what parses must format and parse back the same. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "run-claim.h"

static bool same(const RunClaim *a, const RunClaim *b) {
        return a->held == b->held && a->uid == b->uid && a->since == b->since && strcmp(a->run_id, b->run_id) == 0 &&
               strcmp(a->owner, b->owner) == 0 && strcmp(a->description, b->description) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_strndup(data, size);
        RunClaim a, b;

        if (s && run_claim_parse(s, &a) == 0) {
                char *json = run_claim_format(&a);
                if (!json || run_claim_parse(json, &b) != 0 || !same(&a, &b))
                        __builtin_trap();
                free(json);
        }
        free(s);
        return 0;
}
