/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* timespan_parse() (TimeoutSec=, hubopsctl --timeout) and timespan_format()
 * on whatever parses. */

#include <errno.h>

#include "fuzz.h"
#include "timespan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_strndup(data, size);
        char small[8], big[64];
        uint64_t usec;
        int r;

        r = timespan_parse(s, &usec);
        if (r == 0) {
                (void) timespan_format(small, sizeof(small), usec);
                (void) timespan_format(big, sizeof(big), usec);
                if (strlen(small) >= sizeof(small) || strlen(big) >= sizeof(big))
                        __builtin_trap();
        } else if (r != -EINVAL && r != -ERANGE)
                __builtin_trap();
        free(s);
        return 0;
}
