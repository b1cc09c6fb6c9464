/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel's own words for a disk going bad, as they reach the journal
 * (_TRANSPORT=kernel): block-layer I/O errors, filesystem errors and the
 * remount read-only that errors=remount-ro makes. Only what names a device
 * counts: the check attributes each line to a checked filesystem. */
#include <stdio.h>
#include <string.h>

#include "health-parse.h"

#define KERNEL_LINE_MAX 1024

/* The device name after prefix: up to ')', ',', ':' or a space. */
static bool device_after(const char *msg, const char *prefix, char *ret, size_t size) {
        const char *p = strstr(msg, prefix);
        size_t n;

        if (!p)
                return false;
        p += strlen(prefix);
        n = strcspn(p, "), :");
        if (n == 0 || n >= size)
                return false;
        memcpy(ret, p, n);
        ret[n] = '\0';
        return true;
}

static KernelLineKind classify(const char *m, char *dev, size_t size) {
        if (strstr(m, "I/O error") && (device_after(m, "I/O error, dev ", dev, size) ||
                                        device_after(m, "I/O error on dev ", dev, size) ||
                                        device_after(m, "I/O error on device ", dev, size)))
                return KERNEL_LINE_IO_ERROR;
        if (strstr(m, "emounting filesystem read-only") &&
            (device_after(m, "-fs (", dev, size) || device_after(m, "(device ", dev, size)))
                return KERNEL_LINE_REMOUNT_RO;
        if ((strstr(m, "-fs error (device ") && device_after(m, "-fs error (device ", dev, size)) ||
            (strncmp(m, "BTRFS error (device ", 20) == 0 && device_after(m, "(device ", dev, size)) ||
            (strncmp(m, "BTRFS critical (device ", 23) == 0 && device_after(m, "(device ", dev, size)) ||
            (strncmp(m, "XFS (", 5) == 0 && (strstr(m, "orruption") || strstr(m, "shutdown")) &&
             device_after(m, "XFS (", dev, size)))
                return KERNEL_LINE_FS_ERROR;
        if ((strstr(m, "-fs (") && strstr(m, "): mounted filesystem") && device_after(m, "-fs (", dev, size)) ||
            (strncmp(m, "XFS (", 5) == 0 && strstr(m, "): Mounting ") && device_after(m, "XFS (", dev, size)))
                return KERNEL_LINE_MOUNTED;
        return KERNEL_LINE_OTHER;
}

KernelLineKind kernel_line_classify(const char *msg, size_t len, char *ret_device, size_t device_size) {
        char line[KERNEL_LINE_MAX];
        char dev[64] = "";
        KernelLineKind k;

        /* A bounded, NUL-terminated copy: journal fields are not terminated. */
        if (len >= sizeof(line))
                len = sizeof(line) - 1;
        memcpy(line, msg, len);
        line[len] = '\0';
        k = classify(line, dev, sizeof(dev));
        if (k == KERNEL_LINE_OTHER)
                dev[0] = '\0';
        if (ret_device && device_size > 0)
                (void) snprintf(ret_device, device_size, "%s", dev);
        return k;
}

bool kernel_device_matches(const char *dev, const char *fs_dev) {
        size_t n = strlen(dev);

        if (n == 0 || strncmp(dev, fs_dev, n) != 0)
                return false;
        if (fs_dev[n] == '\0')
                return true;
        /* sda for sda1; nvme0n1 or mmcblk0 for nvme0n1p2, mmcblk0p1; loop1 never for loop10. */
        if (dev[n - 1] >= '0' && dev[n - 1] <= '9')
                return fs_dev[n] == 'p' && fs_dev[n + 1] >= '0' && fs_dev[n + 1] <= '9';
        return fs_dev[n] >= '0' && fs_dev[n] <= '9';
}
