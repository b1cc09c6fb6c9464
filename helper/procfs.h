/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Bounded parsers for the /proc files hubopsd reads. They take the file's
 * bytes (not necessarily NUL-terminated) so they can be fuzzed directly. */

typedef struct CpuTimes {
        uint64_t total; /* all jiffies, guest time excluded (already in user/nice) */
        uint64_t idle;  /* idle + iowait */
} CpuTimes;

/* The aggregate "cpu " line of /proc/stat. */
int procfs_parse_stat_cpu(const char *buf, size_t len, CpuTimes *ret);

/* Idle fraction between two samples, in [0, 1]; -EAGAIN if no time passed. */
int cpu_idle_fraction(const CpuTimes *before, const CpuTimes *after, double *ret);

int procfs_parse_loadavg(const char *buf, size_t len, double ret[3]);

/* MemAvailable from /proc/meminfo, in bytes. */
int procfs_parse_meminfo_available(const char *buf, size_t len, uint64_t *ret);

/* Does /proc/PID/cmdline's content (NUL-separated, maybe NUL-terminated)
 * equal argv exactly, word for word? */
bool procfs_cmdline_equals(const char *buf, size_t len, char *const *argv);

/* Is /proc/PID/exe's target (NUL-terminated) the program at path? It is
 * when it reads path, or path + " (deleted)": the file was replaced (an
 * upgrade) while the process runs on; *ret_deleted says which. */
bool procfs_exe_is(const char *exe, const char *path, bool *ret_deleted);

/* VmRSS from /proc/PID/status, in bytes. */
int procfs_parse_status_rss(const char *buf, size_t len, uint64_t *ret);

/* The Uid: line of /proc/PID/status: real, effective, saved and filesystem uid. */
int procfs_parse_status_uids(const char *buf, size_t len, uid_t ret[4]);

/* The process's cgroup in systemd's hierarchy, from /proc/PID/cgroup: the
 * "name=systemd" line (cgroup v1, hybrid), else the "0::" line (v2); the
 * path systemd reports as a unit's ControlGroup. -ENODATA if neither line
 * is there, -ENAMETOOLONG if it does not fit in size. */
int procfs_parse_cgroup(const char *buf, size_t len, char *ret, size_t size);

/* The mount that holds path, from /proc/self/mountinfo. */
typedef struct ProcMount {
        char fstype[32];
        char source[128];    /* e.g. /dev/loop0 */
        bool mount_readonly; /* this mount's own flags */
        bool super_readonly; /* the filesystem's: "ro", or "emergency_ro" after an error */
} ProcMount;
int procfs_mountinfo_find(const char *buf, size_t len, const char *path, ProcMount *ret);

/* The mount that holds path, from /proc/self/mountinfo: its filesystem type
 * and whether the filesystem itself (super options, not this view of it) is
 * read-only, as a failing disk remounted "ro" is. -ENOENT if none matches. */
int procfs_mountinfo_lookup(const char *buf, size_t len, const char *path, char *ret_fstype, size_t fstype_size,
                            bool *ret_readonly);

/* Read a small file whole (at most max bytes) into buf, NUL-terminated. */
int procfs_read_file(const char *path, char *buf, size_t max, size_t *ret_len);
