/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "health.h"

/* The cheap checks' raw figures, gathered in a worker process
 * (helper/health-sampler.c) so that a hung filesystem never blocks the
 * event loop. Plain data with fixed sizes: the worker sends each part down
 * a pipe as soon as it has it, so a part that never arrives names what hung. */

#define HEALTH_FS_MAX 16

typedef struct HealthFsSample {
        char path[HEALTH_SUBJECT_MAX];
        bool done;              /* the worker got through this path */
        int error;              /* statvfs's errno, 0 */
        uint64_t bytes_free, bytes_total, inodes_free, inodes_total;
        bool mount_readonly;    /* the mount (or statvfs) says ro */
        bool super_readonly;    /* the filesystem itself: ro or emergency_ro */
        char fstype[32];
        char device[64];        /* "loop0" for /dev/loop0; "" when not a block device */
        int64_t fs_errors;      /* /sys/fs/ext4/DEV/errors_count; -1: not ext4 */
        uint64_t first_error_time, last_error_time; /* seconds since the epoch; 0: none */
        unsigned kernel_io, kernel_fs, kernel_ro;   /* kernel log lines about its device in the window */
        bool kernel_mount_seen; /* older lines are about an earlier mount (a reused loop device, a fsck'd disk) */
        uint64_t kernel_last_at;
        char kernel_last[HEALTH_REASON_MAX];
} HealthFsSample;

#define HEALTH_CURSOR_MAX 256

typedef struct HealthSample {
        uint64_t started_at;    /* CLOCK_REALTIME usec */
        HealthFsSample fs[HEALTH_FS_MAX];
        unsigned n_fs;
        bool kernel_done;
        int kernel_error;       /* the journal could not be read: -errno */
        char kernel_cursor[HEALTH_CURSOR_MAX]; /* the newest kernel entry seen: the next sample goes on from it */
        bool backup_done;
        int backup_error;
        uint64_t backup_newest_usec; /* the newest regular file's mtime; 0: none found */
        uint64_t backup_files;
        bool backup_truncated;       /* the walk stopped at its bound */
        bool timed_out;              /* the worker was stopped at SampleTimeoutSec= */
} HealthSample;

/* statvfs, the mount's flags and the filesystem's recorded errors of one path. */
void health_sample_fs(const char *path, const char *mountinfo, size_t len, HealthFsSample *ret);

/* What the last sample counted, and up to where: with a window of "this
 * boot" a sample reads only the entries since (a full scan each minute
 * would cost every host a walk through its whole boot's kernel log). */
typedef struct HealthKernelPrevious {
        const char *cursor;
        const HealthFsSample *fs;
        unsigned n_fs;
} HealthKernelPrevious;

/* Kernel lines about the sampled filesystems' devices in the journal
 * (directory NULL: the system journal), since window_usec ago (0: this boot,
 * going on from prev when given). ret_cursor: the newest entry, for the next. */
int health_sample_kernel(const char *directory, uint64_t window_usec, const HealthKernelPrevious *prev,
                         HealthFsSample *fs, unsigned n_fs, char *ret_cursor, size_t cursor_size);

/* The newest regular file's mtime under path, a walk bounded in depth and entries. */
int health_sample_backup(const char *path, uint64_t *ret_newest_usec, uint64_t *ret_files, bool *ret_truncated);
