/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kernel_line_classify() on arbitrary bytes (a journal MESSAGE field is not
 * NUL-terminated, and any local process can log with _TRANSPORT=kernel only
 * as root, but the kernel quotes user data), kernel_device_matches(), and
 * the mountinfo lookup the filesystem checks use. */

#include <string.h>

#include "fuzz.h"
#include "health-parse.h"
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char dev[16], *s;
        KernelLineKind k = kernel_line_classify((const char *) data, size, dev, sizeof(dev));
        ProcMount m;

        if (k == KERNEL_LINE_OTHER ? dev[0] != '\0' : (dev[0] == '\0' || strlen(dev) >= sizeof(dev)))
                __builtin_trap();
        if (k != KERNEL_LINE_OTHER && !kernel_device_matches(dev, dev))
                __builtin_trap();
        s = fuzz_strndup(data, size);
        (void) kernel_device_matches(s, "sda1");
        (void) kernel_device_matches("nvme0n1", s);
        if (procfs_mountinfo_find((const char *) data, size, "/var/spool/exim", &m) == 0 &&
            (strlen(m.fstype) >= sizeof(m.fstype) || strlen(m.source) >= sizeof(m.source)))
                __builtin_trap();
        free(s);
        return 0;
}
