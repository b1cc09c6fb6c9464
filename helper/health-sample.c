/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cheap checks, run in the sampler's worker process. */
#include "health-sample.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-id128.h>
#include <systemd/sd-journal.h>

#include "health-parse.h"
#include "macro.h"
#include "procfs.h"

#define KERNEL_ENTRIES_MAX 20000U
#define BACKUP_DEPTH_MAX 8
#define BACKUP_ENTRIES_MAX 200000U

static uint64_t read_sysfs_u64(const char *dev, const char *name, bool *ret_found) {
        char path[160], buf[32];
        size_t len;
        char *end;
        unsigned long long v;

        (void) snprintf(path, sizeof(path), "/sys/fs/ext4/%s/%s", dev, name);
        if (procfs_read_file(path, buf, sizeof(buf), &len) < 0)
                return 0;
        v = strtoull(buf, &end, 10);
        if (end == buf)
                return 0;
        if (ret_found)
                *ret_found = true;
        return v;
}

/* ext4 keeps a count of errors in its superblock until fsck clears it: the
 * filesystem itself says it was hurt, however its mount flags read. */
static void sample_ext4_errors(HealthFsSample *s) {
        bool found = false;
        uint64_t n;

        s->fs_errors = -1;
        if (strcmp(s->fstype, "ext4") != 0 || !s->device[0])
                return;
        n = read_sysfs_u64(s->device, "errors_count", &found);
        if (!found)
                return;
        s->fs_errors = (int64_t) n;
        s->first_error_time = read_sysfs_u64(s->device, "first_error_time", NULL);
        s->last_error_time = read_sysfs_u64(s->device, "last_error_time", NULL);
}

void health_sample_fs(const char *path, const char *mountinfo, size_t len, HealthFsSample *ret) {
        HealthFsSample s = { .fs_errors = -1 };
        struct statvfs sv;
        ProcMount m;

        (void) snprintf(s.path, sizeof(s.path), "%s", path);
        if (statvfs(path, &sv) < 0) {
                s.error = errno;
                s.done = true;
                *ret = s;
                return;
        }
        s.bytes_free = (uint64_t) sv.f_bavail * sv.f_frsize;
        s.bytes_total = (uint64_t) sv.f_blocks * sv.f_frsize;
        s.inodes_free = (uint64_t) sv.f_favail;
        s.inodes_total = (uint64_t) sv.f_files;
        s.mount_readonly = (sv.f_flag & ST_RDONLY) != 0;
        if (procfs_mountinfo_find(mountinfo, len, path, &m) == 0) {
                (void) snprintf(s.fstype, sizeof(s.fstype), "%s", m.fstype);
                if (strncmp(m.source, "/dev/", 5) == 0)
                        (void) snprintf(s.device, sizeof(s.device), "%s", strrchr(m.source, '/') + 1);
                s.mount_readonly = s.mount_readonly || m.mount_readonly;
                s.super_readonly = m.super_readonly;
        }
        sample_ext4_errors(&s);
        s.done = true;
        *ret = s;
}

static void note_kernel_line(HealthFsSample *fs, unsigned n_fs, const char *msg, size_t len, uint64_t at) {
        char dev[64];
        KernelLineKind k = kernel_line_classify(msg, len, dev, sizeof(dev));

        if (k == KERNEL_LINE_OTHER)
                return;
        for (unsigned i = 0; i < n_fs; i++) {
                HealthFsSample *s = &fs[i];
                if (!s->device[0] || s->kernel_mount_seen || !kernel_device_matches(dev, s->device))
                        continue;
                if (k == KERNEL_LINE_MOUNTED) {
                        s->kernel_mount_seen = strcmp(dev, s->device) == 0;
                        continue;
                }
                s->kernel_io += k == KERNEL_LINE_IO_ERROR;
                s->kernel_fs += k == KERNEL_LINE_FS_ERROR;
                s->kernel_ro += k == KERNEL_LINE_REMOUNT_RO;
                if (at >= s->kernel_last_at) {
                        s->kernel_last_at = at;
                        (void) snprintf(s->kernel_last, sizeof(s->kernel_last), "%.*s", (int) (len < 190 ? len : 190),
                                        msg);
                }
        }
}

static int journal_open(const char *directory, sd_journal **ret) {
        if (directory)
                return sd_journal_open_directory(ret, directory, 0);
        return sd_journal_open(ret, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
}

static int journal_filter(sd_journal *j, uint64_t window_usec) {
        char match[64];
        sd_id128_t boot;
        int r;

        r = sd_journal_add_match(j, "_TRANSPORT=kernel", 0);
        if (r >= 0 && window_usec == 0 && sd_id128_get_boot(&boot) >= 0) {
                (void) snprintf(match, sizeof(match), "_BOOT_ID=" SD_ID128_FORMAT_STR, SD_ID128_FORMAT_VAL(boot));
                r = sd_journal_add_match(j, match, 0);
        }
        return r;
}

static bool read_message(sd_journal *j, const char **ret_msg, size_t *ret_len, uint64_t *ret_at) {
        const void *data;
        size_t len;

        *ret_at = 0;
        (void) sd_journal_get_realtime_usec(j, ret_at);
        if (sd_journal_get_data(j, "MESSAGE", &data, &len) < 0 || len < 8)
                return false;
        *ret_msg = (const char *) data + 8;
        *ret_len = len - 8;
        return true;
}

/* Newest first (so the current mount's "mounted filesystem" line ends what
 * counts for its device), back to the window's start, at most
 * KERNEL_ENTRIES_MAX entries: a kernel flooding its log cannot make the
 * sample unbounded. */
static int scan_backward(sd_journal *j, uint64_t window_usec, HealthFsSample *fs, unsigned n_fs) {
        uint64_t since = 0;
        unsigned seen = 0;
        int r;

        if (window_usec > 0) {
                struct timespec ts;
                (void) clock_gettime(CLOCK_REALTIME, &ts);
                uint64_t now = (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
                since = now > window_usec ? now - window_usec : 0;
        }
        r = sd_journal_seek_tail(j);
        while (r >= 0 && seen < KERNEL_ENTRIES_MAX && (r = sd_journal_previous(j)) > 0) {
                const char *msg;
                size_t len;
                uint64_t at;

                seen++;
                if (!read_message(j, &msg, &len, &at))
                        continue;
                if (at < since)
                        break;
                note_kernel_line(fs, n_fs, msg, len, at);
        }
        return r < 0 ? r : 0;
}

/* Since this boot, only what came after the last sample's newest entry: a
 * "mounted filesystem" line starts its device's count afresh. */
static int scan_forward(sd_journal *j, const char *cursor, HealthFsSample *fs, unsigned n_fs) {
        unsigned seen = 0;
        int r;

        r = sd_journal_seek_cursor(j, cursor);
        if (r >= 0)
                r = sd_journal_next(j);
        if (r <= 0 || sd_journal_test_cursor(j, cursor) <= 0)
                return -ESTALE; /* rotated away: scan it all again */
        while (seen < KERNEL_ENTRIES_MAX && (r = sd_journal_next(j)) > 0) {
                const char *msg;
                size_t len;
                uint64_t at;
                char dev[64];

                seen++;
                if (!read_message(j, &msg, &len, &at))
                        continue;
                if (kernel_line_classify(msg, len, dev, sizeof(dev)) != KERNEL_LINE_MOUNTED) {
                        note_kernel_line(fs, n_fs, msg, len, at);
                        continue;
                }
                for (unsigned i = 0; i < n_fs; i++)
                        if (strcmp(fs[i].device, dev) == 0) {
                                fs[i].kernel_io = fs[i].kernel_fs = fs[i].kernel_ro = 0;
                                fs[i].kernel_last[0] = '\0';
                        }
        }
        return r < 0 ? r : 0;
}

static void newest_cursor(sd_journal *j, char *ret, size_t size) {
        _cleanup_free_ char *c = NULL;

        ret[0] = '\0';
        if (sd_journal_seek_tail(j) >= 0 && sd_journal_previous(j) > 0 && sd_journal_get_cursor(j, &c) >= 0 &&
            strlen(c) < size)
                (void) snprintf(ret, size, "%s", c);
}

int health_sample_kernel(const char *directory, uint64_t window_usec, const HealthKernelPrevious *prev,
                         HealthFsSample *fs, unsigned n_fs, char *ret_cursor, size_t cursor_size) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        int r;

        r = journal_open(directory, &j);
        if (r >= 0)
                r = journal_filter(j, window_usec);
        if (r < 0)
                return r;
        r = -ESTALE;
        if (window_usec == 0 && prev && prev->cursor[0]) {
                for (unsigned i = 0; i < n_fs && i < prev->n_fs; i++) {
                        fs[i].kernel_io = prev->fs[i].kernel_io;
                        fs[i].kernel_fs = prev->fs[i].kernel_fs;
                        fs[i].kernel_ro = prev->fs[i].kernel_ro;
                        fs[i].kernel_last_at = prev->fs[i].kernel_last_at;
                        memcpy(fs[i].kernel_last, prev->fs[i].kernel_last, sizeof(fs[i].kernel_last));
                }
                r = scan_forward(j, prev->cursor, fs, n_fs);
        }
        if (r == -ESTALE) {
                for (unsigned i = 0; i < n_fs; i++) {
                        fs[i].kernel_io = fs[i].kernel_fs = fs[i].kernel_ro = 0;
                        fs[i].kernel_last_at = 0;
                        fs[i].kernel_last[0] = '\0';
                        fs[i].kernel_mount_seen = false;
                }
                r = scan_backward(j, window_usec, fs, n_fs);
        }
        if (r >= 0)
                newest_cursor(j, ret_cursor, cursor_size);
        return r;
}

typedef struct Walk {
        uint64_t newest, files, entries;
        bool truncated;
        DIR *stack[BACKUP_DEPTH_MAX + 1]; /* the directories being read, outermost first */
        unsigned depth;
} Walk;

static void walk_entry(Walk *w, DIR *d, const struct dirent *de) {
        struct stat st;

        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return;
        if (S_ISREG(st.st_mode)) {
                uint64_t t = (uint64_t) st.st_mtim.tv_sec * USEC_PER_SEC + (uint64_t) st.st_mtim.tv_nsec / 1000;
                w->files++;
                w->newest = MAX(w->newest, t);
        } else if (S_ISDIR(st.st_mode) && w->depth < BACKUP_DEPTH_MAX) {
                int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                DIR *sub = fd >= 0 ? fdopendir(fd) : NULL;
                if (sub)
                        w->stack[++w->depth] = sub;
                else if (fd >= 0)
                        (void) close(fd);
        } else if (S_ISDIR(st.st_mode))
                w->truncated = true;
}

/* Depth first with an explicit stack: bounded in depth and in entries. */
static void walk(Walk *w) {
        while (w->stack[0]) {
                DIR *d = w->stack[w->depth];
                struct dirent *de = readdir(d);

                if (!de || w->entries > BACKUP_ENTRIES_MAX) {
                        (void) closedir(d);
                        w->stack[w->depth] = NULL;
                        if (w->depth == 0)
                                break;
                        w->depth--;
                        continue;
                }
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (++w->entries > BACKUP_ENTRIES_MAX)
                        w->truncated = true;
                else
                        walk_entry(w, d, de);
        }
}

int health_sample_backup(const char *path, uint64_t *ret_newest_usec, uint64_t *ret_files, bool *ret_truncated) {
        Walk w = { 0 };
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        w.stack[0] = fdopendir(fd);
        if (!w.stack[0]) {
                (void) close(fd);
                return -errno;
        }
        walk(&w);
        *ret_newest_usec = w.newest;
        *ret_files = w.files;
        *ret_truncated = w.truncated;
        return 0;
}
