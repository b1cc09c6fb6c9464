/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* config_parse() on arbitrary bytes: the root-owned helper config is
 * trusted, but a parser that crashes on a typo takes the helper down, and
 * inih plus our line reader must hold their bounds on any input. */

#include <stdio.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        HelperConfig *c = NULL;
        char *error = NULL;
        FILE *f;

        if (size == 0)
                return 0; /* fmemopen() refuses an empty buffer */
        /* The stream reads the fuzzer's own bytes: nothing past size is touched. */
        f = fmemopen((void *) data, size, "r");
        if (!f)
                return 0;
        if (config_parse(f, "fuzz.conf", &c, &error) == 0) {
                /* A config that parses must be usable as the helper uses it. */
                for (size_t i = 0; i < c->n_hooks; i++)
                        if (!config_find_hook(c, c->hooks[i].name) || !c->hooks[i].argv || !c->hooks[i].argv[0] ||
                            c->hooks[i].argv[0][0] != '/')
                                __builtin_trap();
                config_free(c);
        } else if (!error)
                __builtin_trap(); /* every refusal says why */
        free(error);
        (void) fclose(f);
        return 0;
}
