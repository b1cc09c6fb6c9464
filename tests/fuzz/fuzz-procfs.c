/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /proc parsers (helper/procfs.h) on arbitrary bytes. They take a
 * buffer and a length, not a C string, so the input is passed as is: any
 * read past `size` is an ASan report. CPUStatSource= may name a file the
 * lab (or an attacker with write access to it) controls; a process's
 * cgroup path and its exe's target are partly its owner's choice. */

#include <math.h>
#include <stdlib.h>
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

/* Whether a process is the directory's rests on these two. */
static void fuzz_owner(const char *buf, size_t size) {
        char cgroup[64];
        uid_t uids[4];

        if (procfs_parse_cgroup(buf, size, cgroup, sizeof(cgroup)) == 0 &&
            (cgroup[0] != '/' || strlen(cgroup) >= sizeof(cgroup) || !memmem(buf, size, cgroup, strlen(cgroup))))
                __builtin_trap(); /* compared whole with the unit's path: it must be a path from the file */
        if (procfs_parse_status_uids(buf, size, uids) == 0)
                for (unsigned i = 0; i < 4; i++)
                        if (uids[i] == (uid_t) -1)
                                __builtin_trap();
}

/* An exe target and a configured path, split at the first NUL byte. */
static void fuzz_exe_is(const uint8_t *data, size_t size) {
        static const char deleted_suffix[] = " (deleted)";
        const uint8_t *nul = memchr(data, '\0', size);
        char *exe, *path;
        bool deleted = false;
        size_t l;

        if (!nul)
                return;
        exe = strndup((const char *) data, (size_t) (nul - data));
        path = strndup((const char *) nul + 1, size - (size_t) (nul - data) - 1);
        if (exe && path && procfs_exe_is(exe, path, &deleted)) {
                l = strlen(path);
                /* Exactly the path, or the path and the kernel's suffix: nothing else. */
                if (strncmp(exe, path, l) != 0 || strcmp(exe + l, deleted ? deleted_suffix : "") != 0)
                        __builtin_trap();
        }
        free(exe);
        free(path);
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
        fuzz_owner(buf, size);
        fuzz_exe_is(data, size);
        return 0;
}
