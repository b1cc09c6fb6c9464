/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fs-stat.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "macro.h"

int (*fs_stat_statvfs)(const char *path, struct statvfs *buf) = statvfs;

/* Not in the Context: a hung worker may outlive it. */
static atomic_uint workers_alive;

typedef struct Entry {
        char *path;
        atomic_bool answered;
        int error;
        struct statvfs sv;
} Entry;

/* Shared by the worker and the loop; the last one to let go frees it. */
typedef struct FsStatJob {
        atomic_int ref;
        int efd; /* the worker says "done" here */
        sd_event_source *io, *timer;
        fs_stat_done_t done;
        void *userdata;
        bool reported;
        size_t n;
        Entry entries[];
} FsStatJob;

static void job_unref(FsStatJob *j) {
        if (atomic_fetch_sub(&j->ref, 1) != 1)
                return;
        for (size_t i = 0; i < j->n; i++)
                free(j->entries[i].path);
        if (j->efd >= 0)
                (void) close(j->efd);
        free(j);
}

static void *worker(void *userdata) {
        FsStatJob *j = userdata;

        for (size_t i = 0; i < j->n; i++) {
                Entry *e = &j->entries[i];
                e->error = fs_stat_statvfs(e->path, &e->sv) < 0 ? errno : 0;
                atomic_store(&e->answered, true);
        }
        (void) eventfd_write(j->efd, 1);
        job_unref(j);
        atomic_fetch_sub(&workers_alive, 1);
        return NULL;
}

/* On the loop, once: what is answered by now, and let go. */
static void report(FsStatJob *j) {
        FsStat stats[64];
        size_t n = MIN(j->n, ELEMENTSOF(stats));

        if (j->reported)
                return;
        j->reported = true;
        for (size_t i = 0; i < n; i++) {
                Entry *e = &j->entries[i];
                bool answered = atomic_load(&e->answered);
                stats[i] = (FsStat) { .path = e->path, .answered = answered };
                if (answered) {
                        stats[i].error = e->error;
                        stats[i].sv = e->sv;
                }
        }
        j->done(stats, n, j->userdata);
        j->io = sd_event_source_disable_unref(j->io);
        j->timer = sd_event_source_disable_unref(j->timer);
        job_unref(j);
}

static int on_worker_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        (void) s, (void) fd, (void) revents;
        report(userdata);
        return 0;
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) s, (void) usec;
        report(userdata);
        return 0;
}

static int job_new(char *const *paths, fs_stat_done_t done, void *userdata, FsStatJob **ret) {
        size_t n = 0;
        FsStatJob *j;

        while (paths && paths[n] && n < 64)
                n++;
        j = calloc(1, sizeof(FsStatJob) + n * sizeof(Entry));
        if (!j)
                return -ENOMEM;
        atomic_init(&j->ref, 1);
        j->efd = -1;
        j->done = done;
        j->userdata = userdata;
        j->n = n;
        for (size_t i = 0; i < n; i++)
                if (!(j->entries[i].path = strdup(paths[i]))) {
                        job_unref(j);
                        return -ENOMEM;
                }
        *ret = j;
        return 0;
}

int fs_stat_async(sd_event *e, char *const *paths, uint64_t timeout_usec, fs_stat_done_t done, void *userdata) {
        FsStatJob *j = NULL;
        pthread_attr_t attr;
        pthread_t thread;
        int r;

        if (atomic_load(&workers_alive) >= FS_STAT_WORKERS_MAX)
                return -EBUSY;
        r = job_new(paths, done, userdata, &j);
        if (r < 0)
                return r;
        j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (j->efd < 0)
                r = -errno;
        if (r >= 0)
                r = sd_event_add_io(e, &j->io, j->efd, EPOLLIN, on_worker_done, j);
        if (r >= 0)
                r = sd_event_add_time_relative(e, &j->timer, CLOCK_MONOTONIC, timeout_usec, 0, on_deadline, j);
        if (r < 0)
                goto fail;
        atomic_fetch_add(&j->ref, 1); /* the worker's */
        atomic_fetch_add(&workers_alive, 1);
        r = -pthread_attr_init(&attr);
        if (r >= 0) {
                (void) pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
                r = -pthread_create(&thread, &attr, worker, j);
                (void) pthread_attr_destroy(&attr);
        }
        if (r < 0) {
                atomic_fetch_sub(&workers_alive, 1);
                atomic_fetch_sub(&j->ref, 1);
                goto fail;
        }
        return 0;
fail:
        j->io = sd_event_source_disable_unref(j->io);
        j->timer = sd_event_source_disable_unref(j->timer);
        job_unref(j);
        return r;
}

unsigned fs_stat_workers_alive(void) {
        return atomic_load(&workers_alive);
}
