/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* smart_parse_json() on arbitrary bytes (smartctl's report of a disk's own words). */

#include <string.h>

#include "fuzz.h"
#include "health-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        SmartResult r = { .status = SMART_NOT_AVAILABLE };

        if (smart_parse_json((const char *) data, size, &r) < 0)
                return 0;
        if (strnlen(r.why, sizeof(r.why)) >= sizeof(r.why) || r.status > SMART_FAILED)
                __builtin_trap();
        for (size_t i = 0; i < strnlen(r.why, sizeof(r.why)); i++)
                if ((unsigned char) r.why[i] < 0x20)
                        __builtin_trap(); /* shown on an operator's terminal */
        return 0;
}
