/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/statvfs.h>
#include <systemd/sd-event.h>

/* statvfs(2) of configured paths, off the event loop. A filesystem that
 * hangs (an NFS server gone, a dying disk) blocks statvfs in the kernel,
 * possibly for ever: done in a worker thread, answered on the loop when the
 * worker finishes or at the deadline, whichever comes first, so neither
 * callers nor the watchdog wait on it. A path still unanswered at the
 * deadline is reported as not responding; its worker is left to finish. */

typedef struct FsStat {
        const char *path;
        bool answered; /* false: still hanging at the deadline */
        int error;     /* errno of statvfs, when answered */
        struct statvfs sv;
} FsStat;

/* Called once, on the loop, with one entry per path. */
typedef void (*fs_stat_done_t)(const FsStat *stats, size_t n, void *userdata);

/* At most this many workers alive at once: when that many hang, further
 * checks answer at once that earlier ones still hang, and no thread is made. */
#define FS_STAT_WORKERS_MAX 4U

/* -EBUSY when FS_STAT_WORKERS_MAX workers are still alive. */
int fs_stat_async(sd_event *e, char *const *paths, uint64_t timeout_usec, fs_stat_done_t done, void *userdata);

/* For tests: the statvfs the workers call. */
extern int (*fs_stat_statvfs)(const char *path, struct statvfs *buf);
/* Workers alive now (for tests). */
unsigned fs_stat_workers_alive(void);
