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

/* "Prefix:   1234 kB" (meminfo, status): the value in bytes. */
static int parse_kib_line(const char *buf, size_t len, const char *prefix, int missing, uint64_t *ret) {
        char line[128];
        const char *p;
        uint64_t kib;

        if (!find_line(buf, len, prefix, line, sizeof(line)))
                return missing;
        p = line + strlen(prefix);
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

int procfs_parse_meminfo_available(const char *buf, size_t len, uint64_t *ret) {
        return parse_kib_line(buf, len, "MemAvailable:", -EBADMSG, ret);
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
        /* Kernel threads and zombies have no VmRSS: that is not malformed. */
        return parse_kib_line(buf, len, "VmRSS:", -ENODATA, ret);
}

bool procfs_exe_is(const char *exe, const char *path, bool *ret_deleted) {
        static const char deleted[] = " (deleted)";
        size_t l = strlen(path);

        if (strncmp(exe, path, l) != 0)
                return false;
        if (exe[l] == '\0') {
                *ret_deleted = false;
                return true;
        }
        if (strcmp(exe + l, deleted) != 0)
                return false;
        *ret_deleted = true;
        return true;
}

int procfs_parse_status_uids(const char *buf, size_t len, uid_t ret[4]) {
        char line[128];
        const char *p;
        uid_t v[4];

        if (!find_line(buf, len, "Uid:", line, sizeof(line)))
                return -EBADMSG;
        p = line + strlen("Uid:");
        for (unsigned i = 0; i < ELEMENTSOF(v); i++) {
                uint64_t u;

                if (*p != '\t' && *p != ' ')
                        return -EBADMSG;
                while (*p == '\t' || *p == ' ')
                        p++;
                /* (uid_t) -1 is "no uid", never a process's. */
                if (parse_u64(&p, &u) < 0 || u >= (uid_t) -1)
                        return -EBADMSG;
                v[i] = (uid_t) u;
        }
        while (*p == '\t' || *p == ' ')
                p++;
        if (*p != '\0')
                return -EBADMSG;
        memcpy(ret, v, sizeof(v));
        return 0;
}

/* One /proc/PID/cgroup line "ID:CONTROLLERS:PATH": is it systemd's hierarchy
 * (rank 2: v1's name=systemd; rank 1: v2's 0::)? Sets the path's offset. */
static int cgroup_line_rank(const char *line, size_t l, size_t *ret_path) {
        const char *c1 = memchr(line, ':', l), *c2, *ctl;
        size_t n;

        if (!c1 || !(c2 = memchr(c1 + 1, ':', l - (size_t) (c1 + 1 - line))))
                return 0;
        *ret_path = (size_t) (c2 + 1 - line);
        if (c1 - line == 1 && line[0] == '0' && c2 == c1 + 1)
                return 1;
        /* The controller list is comma-separated; name=systemd is one whole item. */
        for (ctl = c1 + 1; ctl < c2; ctl += n + 1) {
                const char *comma = memchr(ctl, ',', (size_t) (c2 - ctl));
                n = comma ? (size_t) (comma - ctl) : (size_t) (c2 - ctl);
                if (n == strlen("name=systemd") && memcmp(ctl, "name=systemd", n) == 0)
                        return 2;
        }
        return 0;
}

int procfs_parse_cgroup(const char *buf, size_t len, char *ret, size_t size) {
        const char *best = NULL;
        size_t best_len = 0;
        int best_rank = 0;

        for (size_t i = 0; i < len;) {
                const char *nl = memchr(buf + i, '\n', len - i);
                size_t l = nl ? (size_t) (nl - (buf + i)) : len - i, at = 0;
                int rank = cgroup_line_rank(buf + i, l, &at);

                if (rank > best_rank) {
                        best_rank = rank;
                        best = buf + i + at;
                        best_len = l - at;
                }
                i += l + 1;
        }
        if (!best)
                return -ENODATA;
        if (best_len == 0 || best[0] != '/' || memchr(best, '\0', best_len))
                return -EBADMSG;
        if (best_len >= size)
                return -ENAMETOOLONG;
        memcpy(ret, best, best_len);
        ret[best_len] = '\0';
        return 0;
}

/* Does mount point m (unescaped) contain path? "/" contains all; "/var" contains "/var/x", not "/varx". */
static size_t mount_covers(const char *m, const char *path) {
        size_t l = strlen(m);

        if (strcmp(m, "/") == 0)
                return 1;
        if (strncmp(path, m, l) == 0 && (path[l] == '/' || path[l] == '\0'))
                return l;
        return 0;
}

/* Mount points escape space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s) {
        char *w = s;

        for (const char *r = s; *r; r++) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
                    r[3] <= '7') {
                        *w++ = (char) ((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
                        r += 3;
                } else
                        *w++ = *r;
        }
        *w = '\0';
}

static bool has_option(const char *opts, const char *opt) {
        size_t l = strlen(opt);

        for (const char *p = opts; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
                if (strncmp(p, opt, l) == 0 && (p[l] == ',' || p[l] == '\0'))
                        return true;
        return false;
}

/* One mountinfo line: "id parent maj:min root mountpoint options [optional...] - type source super".
 * Fills the unescaped mount point, its options, the type, the source and the super options; false if malformed. */
static bool split_mountinfo(char *line, char **ret_point, char **ret_opts, char **ret_type, char **ret_source,
                            char **ret_super) {
        char *sep = strstr(line, " - "), *save = NULL, *t;
        unsigned n = 0;

        if (!sep)
                return false;
        *sep = '\0';
        for (t = strtok_r(line, " ", &save); t && n < 4; t = strtok_r(NULL, " ", &save))
                n++;
        if (n != 4 || !t || !(*ret_opts = strtok_r(NULL, " ", &save)))
                return false;
        *ret_point = t;
        save = NULL;
        *ret_type = strtok_r(sep + 3, " ", &save);
        if (!*ret_type || !(*ret_source = strtok_r(NULL, " ", &save)) || !(*ret_super = strtok_r(NULL, " ", &save)))
                return false;
        unescape_octal(*ret_point);
        return true;
}

static void mount_fill(ProcMount *m, const char *opts, const char *type, const char *source, const char *super) {
        (void) snprintf(m->fstype, sizeof(m->fstype), "%s", type);
        (void) snprintf(m->source, sizeof(m->source), "%s", source);
        m->mount_readonly = has_option(opts, "ro");
        /* After an error with errors=remount-ro, 6.x kernels show "emergency_ro"
         * here and may leave "rw" everywhere else, while every write fails. */
        m->super_readonly = has_option(super, "ro") || has_option(super, "emergency_ro");
}

int procfs_mountinfo_find(const char *buf, size_t len, const char *path, ProcMount *ret) {
        ProcMount m = { 0 };
        size_t best = 0;
        bool found = false;

        for (size_t i = 0; i < len;) {
                const char *nl = memchr(buf + i, '\n', len - i);
                size_t l = nl ? (size_t) (nl - (buf + i)) : len - i;
                char line[4096], *point, *opts, *type, *source, *super;

                if (l < sizeof(line)) {
                        memcpy(line, buf + i, l);
                        line[l] = '\0';
                        size_t cover;
                        /* The deepest mount wins; a later one at the same point overmounts. */
                        if (split_mountinfo(line, &point, &opts, &type, &source, &super) &&
                            (cover = mount_covers(point, path)) && cover >= best) {
                                best = cover;
                                found = true;
                                mount_fill(&m, opts, type, source, super);
                        }
                }
                i += l + 1;
        }
        if (!found)
                return -ENOENT;
        *ret = m;
        return 0;
}

int procfs_mountinfo_lookup(const char *buf, size_t len, const char *path, char *ret_fstype, size_t fstype_size,
                            bool *ret_readonly) {
        ProcMount m;
        int r = procfs_mountinfo_find(buf, len, path, &m);

        if (r < 0)
                return r;
        (void) snprintf(ret_fstype, fstype_size, "%s", m.fstype);
        *ret_readonly = m.super_readonly;
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
