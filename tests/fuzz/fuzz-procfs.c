/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /proc parsers (helper/procfs.h) on arbitrary bytes. They take a
 * buffer and a length, not a C string, so the input is passed as is: any
 * read past `size` is an ASan report. CPUStatSource= may name a file the
 * lab (or an attacker with write access to it) controls. */

#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "procfs.h"

/* Two /proc/stat samples, split at the first NUL byte, as GetLoad() takes them. */
static void fuzz_idle_fraction(const uint8_t *data, size_t size) {
        const uint8_t *nul = memchr(data, '\0', size);
        CpuTimes before, after;
        double idle;

        if (!nul)
                return;
        if (procfs_parse_stat_cpu((const char *) data, (size_t) (nul - data), &before) < 0 ||
            procfs_parse_stat_cpu((const char *) nul + 1, size - (size_t) (nul - data) - 1, &after) < 0)
                return;
        if (cpu_idle_fraction(&before, &after, &idle) == 0 && !(idle >= 0.0 && idle <= 1.0))
                __builtin_trap(); /* the gate compares this against 0.9: it must be a fraction */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *buf = (const char *) data;
        CpuTimes t;
        double avg[3];
        uint64_t mem;

        if (procfs_parse_stat_cpu(buf, size, &t) == 0 && t.idle > t.total)
                __builtin_trap();
        if (procfs_parse_loadavg(buf, size, avg) == 0 && !(isfinite(avg[0]) && avg[0] >= 0.0))
                __builtin_trap();
        (void) procfs_parse_meminfo_available(buf, size, &mem);
        fuzz_idle_fraction(data, size);
        return 0;
}
