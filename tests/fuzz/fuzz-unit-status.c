/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* unit_status_parse(): a unit's StatusText, which anything running in a
 * unit with NotifyAccess=all can set. What parses must hold the grammar's
 * promises. */

#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "unit-status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_strndup(data, size);
        UnitStatus st;
        int r = unit_status_parse(s, &st);

        if (r == 0) {
                double f = unit_status_fraction(&st);
                if (st.n_counters == 0 || st.n_counters > UNIT_STATUS_COUNTERS_MAX || !(f >= 0.0 && f <= 1.0))
                        __builtin_trap();
                for (size_t i = 0; i < st.n_counters; i++)
                        if (st.counters[i].total == 0 || st.counters[i].done > st.counters[i].total ||
                            st.counters[i].name[0] == '\0')
                                __builtin_trap();
        } else if (r != -EINVAL)
                __builtin_trap();
        free(s);
        return 0;
}
