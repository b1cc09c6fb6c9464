/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* execline_parse(): ExecStart= becomes the argv systemd executes as root
 * or as the hook's user, so the splitter must hold its bounds and never
 * hand out a program that is not an absolute path. */

#include "execline.h"
#include "fuzz.h"
#include "names.h"

#define ARGV_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_strndup(data, size);
        const char *reason = NULL;
        char **argv = NULL;
        int r;

        r = execline_parse(s, ARGV_MAX, &argv, &reason);
        if (r == 0) {
                if (!argv || !argv[0] || !path_is_safe_absolute(argv[0]) || strv_length(argv) > ARGV_MAX)
                        __builtin_trap();
                for (char **a = argv; *a; a++)
                        if (strpbrk(*a, "$%"))
                                __builtin_trap(); /* systemd would expand these */
                strv_free(argv);
        } else if (!reason)
                __builtin_trap();
        free(s);
        return 0;
}
