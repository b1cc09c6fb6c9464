/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"

/* Copy at most one line into a NUL-terminated scratch buffer. */
static bool find_line(const char *buf, size_t len, const char *prefix, char *out, size_t out_size) {
        size_t plen = strlen(prefix);

        for (size_t i = 0; i < len;) {
                const char *nl = memchr(buf + i, '\n', len - i);
                size_t l = nl ? (size_t) (nl - (buf + i)) : len - i;

                if (l >= plen && memcmp(buf + i, prefix, plen) == 0) {
                        if (l >= out_size)
                                return false;
                        memcpy(out, buf + i, l);
                        out[l] = '\0';
                        return true;
                }
                i += l + 1;
        }
        return false;
}

static int parse_u64(const char **p, uint64_t *ret) {
        uint64_t v = 0;
        bool any = false;

        while (**p == ' ')
                (*p)++;
        for (; **p >= '0' && **p <= '9'; (*p)++) {
                if (v > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (**p - '0');
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret = v;
        return 0;
}

int procfs_parse_stat_cpu(const char *buf, size_t len, CpuTimes *ret) {
        char line[512];
        uint64_t f[10] = { 0 };
        const char *p;
        unsigned n = 0;

        if (!find_line(buf, len, "cpu ", line, sizeof(line)))
                return -EBADMSG;
        p = line + 3;
        /* user nice system idle iowait irq softirq steal [guest guest_nice] */
        for (; n < ELEMENTSOF(f); n++) {
                const char *q = p;
                while (*q == ' ')
                        q++;
                if (*q == '\0')
                        break;
                if (parse_u64(&p, &f[n]) < 0)
                        return -EBADMSG;
        }
        if (n < 4)
                return -EBADMSG;

        uint64_t total = 0;
        for (unsigned i = 0; i < 8 && i < n; i++) {
                if (total > UINT64_MAX - f[i])
                        return -ERANGE;
                total += f[i];
        }
        if (f[3] > UINT64_MAX - f[4])
                return -ERANGE;
        *ret = (CpuTimes) { .total = total, .idle = f[3] + f[4] };
        return 0;
}

int cpu_idle_fraction(const CpuTimes *before, const CpuTimes *after, double *ret) {
        uint64_t dt, di;

        /* Counters only grow; a reset (or a lab file rewritten) is not a sample. */
        if (after->total < before->total || after->idle < before->idle)
                return -ERANGE;
        dt = after->total - before->total;
        di = after->idle - before->idle;
        if (dt == 0)
                return -EAGAIN;
        if (di > dt)
                di = dt;
        *ret = (double) di / (double) dt;
        return 0;
}

static int parse_decimal(const char **p, double *ret) {
        uint64_t whole, frac = 0, scale = 1;

        if (parse_u64(p, &whole) < 0)
                return -EINVAL;
        if (**p == '.') {
                (*p)++;
                for (; **p >= '0' && **p <= '9' && scale < 1000000; (*p)++) {
                        frac = frac * 10 + (uint64_t) (**p - '0');
                        scale *= 10;
                }
                while (**p >= '0' && **p <= '9')
                        (*p)++;
        }
        *ret = (double) whole + (double) frac / (double) scale;
        return 0;
}

int procfs_parse_loadavg(const char *buf, size_t len, double ret[3]) {
        char line[256];
        const char *p = line;
        double v[3];

        if (len == 0 || len >= sizeof(line))
                return -EBADMSG;
        memcpy(line, buf, len);
        line[len] = '\0';
        for (unsigned i = 0; i < 3; i++) {
                if (parse_decimal(&p, &v[i]) < 0)
                        return -EBADMSG;
                if (*p != ' ' && *p != '\n' && *p != '\0')
                        return -EBADMSG;
        }
        memcpy(ret, v, sizeof(v));
        return 0;
}

int procfs_parse_meminfo_available(const char *buf, size_t len, uint64_t *ret) {
        char line[128];
        const char *p;
        uint64_t kib;

        if (!find_line(buf, len, "MemAvailable:", line, sizeof(line)))
                return -EBADMSG;
        p = line + strlen("MemAvailable:");
        if (parse_u64(&p, &kib) < 0)
                return -EBADMSG;
        while (*p == ' ')
                p++;
        if (strcmp(p, "kB") != 0 || kib > UINT64_MAX / 1024)
                return -EBADMSG;
        *ret = kib * 1024;
        return 0;
}

bool procfs_cmdline_equals(const char *buf, size_t len, char *const *argv) {
        size_t pos = 0;

        if (len > 0 && buf[len - 1] == '\0')
                len--; /* the kernel terminates the last word too */
        for (size_t i = 0; argv[i]; i++) {
                size_t l = strlen(argv[i]);

                if (i > 0) {
                        if (pos >= len || buf[pos] != '\0')
                                return false;
                        pos++;
                }
                if (l > len - pos || memcmp(buf + pos, argv[i], l) != 0)
                        return false;
                pos += l;
        }
        return pos == len;
}

int procfs_parse_status_rss(const char *buf, size_t len, uint64_t *ret) {
        char line[128];
        const char *p;
        uint64_t kib;

        if (!find_line(buf, len, "VmRSS:", line, sizeof(line)))
                return -ENODATA; /* kernel threads and zombies have none */
        p = line + strlen("VmRSS:");
        while (*p == '\t')
                p++;
        if (parse_u64(&p, &kib) < 0)
                return -EBADMSG;
        while (*p == ' ')
                p++;
        if (strcmp(p, "kB") != 0 || kib > UINT64_MAX / 1024)
                return -EBADMSG;
        *ret = kib * 1024;
        return 0;
}

int procfs_read_file(const char *path, char *buf, size_t max, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        size_t len = 0;

        if (fd < 0)
                return -errno;
        if (max == 0)
                return -EINVAL;
        while (len < max - 1) {
                ssize_t n = read(fd, buf + len, max - 1 - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        buf[len] = '\0';
        *ret_len = len;
        return 0;
}
