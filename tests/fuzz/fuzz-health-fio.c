/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fio_parse_json() on arbitrary bytes: the probe's report is written by fio
 * running as ProbeUser= into ProbeDirectory=, so its content is not trusted. */

#include <errno.h>
#include <math.h>

#include "fuzz.h"
#include "health-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FioResult r;
        int job_error = 0;

        if (fio_parse_json((const char *) data, size, &r, &job_error) == 0 &&
            (!(r.write_mbps >= 0.0) || !isfinite(r.write_mbps) || r.sync_p50_usec > r.sync_p99_usec))
                __builtin_trap(); /* judged against thresholds: must be a real, ordered figure */
        return 0;
}
