/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "proc-control.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "macro.h"
#include "procfs.h"

#define CMDLINE_MAX 8192
/* A unit's cgroup path: slices and a unit name, each at most 255 bytes. */
#define CGROUP_PATH_MAX 2048
/* After SIGKILL the kernel reaps quickly; this only bounds a stuck D-state exit. */
#define KILL_REAP_TIMEOUT_USEC (10ULL * USEC_PER_SEC)

static bool in_cgroup(pid_t pid, const char *want) {
        char path[64], buf[8192], cgroup[CGROUP_PATH_MAX];
        size_t len;

        (void) snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) pid);
        /* A file that filled the buffer may go on: never judge a cut-off line. */
        if (procfs_read_file(path, buf, sizeof(buf), &len) < 0 || len >= sizeof(buf) - 1)
                return false;
        return procfs_parse_cgroup(buf, len, cgroup, sizeof(cgroup)) >= 0 && strcmp(cgroup, want) == 0;
}

static bool runs_as(pid_t pid, uid_t want) {
        char path[64], buf[4096];
        uid_t uids[4];
        size_t len;

        (void) snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        if (procfs_read_file(path, buf, sizeof(buf), &len) < 0 || procfs_parse_status_uids(buf, len, uids) < 0)
                return false;
        /* All four: a set-uid copy someone else runs has only the effective one. */
        return uids[0] == want && uids[1] == want && uids[2] == want && uids[3] == want;
}

static bool owner_matches(pid_t pid, const ProcMatch *m) {
        return (m->cgroup && in_cgroup(pid, m->cgroup)) || (m->uid != (uid_t) -1 && runs_as(pid, m->uid));
}

static bool is_program(pid_t pid, const ProcMatch *m, bool *ret_deleted) {
        char path[64], exe[PATH_MAX], buf[CMDLINE_MAX];
        bool deleted;
        size_t len;
        ssize_t n;

        (void) snprintf(path, sizeof(path), "/proc/%d/exe", (int) pid);
        n = readlink(path, exe, sizeof(exe) - 1);
        if (n < 0)
                return false;
        exe[n] = '\0';
        if (!procfs_exe_is(exe, m->argv[0], &deleted))
                return false;
        (void) snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
        if (procfs_read_file(path, buf, sizeof(buf), &len) < 0 || !procfs_cmdline_equals(buf, len, m->argv))
                return false;
        if (!owner_matches(pid, m))
                return false;
        *ret_deleted = deleted;
        return true;
}

int proc_find(const ProcMatch *m, ProcFound ret[PROC_FIND_MAX], unsigned *ret_n) {
        DIR *d = opendir("/proc");
        struct dirent *de;
        unsigned n = 0;

        if (!d)
                return -errno;
        while ((de = readdir(d)) && n < PROC_FIND_MAX) {
                char *end;
                long pid = strtol(de->d_name, &end, 10);
                bool deleted;

                if (*end != '\0' || pid <= 0 || pid > INT_MAX)
                        continue;
                if (is_program((pid_t) pid, m, &deleted))
                        ret[n++] = (ProcFound) { .pid = (pid_t) pid, .exe_deleted = deleted };
        }
        closedir(d);
        *ret_n = n;
        return 0;
}

int proc_open_verified(pid_t pid, const ProcMatch *m, int *ret_pidfd) {
        _cleanup_close_ int fd = pidfd_open(pid, 0);
        bool deleted;

        if (fd < 0)
                return errno == ESRCH ? -ESRCH : -errno;
        /* The pidfd pins the process we opened. If /proc/PID is still our
         * program *and* the pidfd's process is still alive, they are one. */
        if (!is_program(pid, m, &deleted) || pidfd_send_signal(fd, 0, NULL, 0) < 0)
                return -ESRCH;
        *ret_pidfd = TAKE_FD(fd);
        return 0;
}

uint64_t proc_rss_bytes(pid_t pid) {
        char path[64], buf[4096];
        uint64_t rss = 0;
        size_t len;

        (void) snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        if (procfs_read_file(path, buf, sizeof(buf), &len) < 0 || procfs_parse_status_rss(buf, len, &rss) < 0)
                return 0;
        return rss;
}

typedef struct ProcWait {
        Context *context;
        int pidfd;
        bool terminate;  /* escalate to SIGKILL at the deadline */
        bool killed;
        sd_event_source *io, *timer;
        proc_end_t callback;
        void *userdata;
} ProcWait;

static void proc_wait_done(ProcWait *w, ProcEnd how) {
        proc_end_t cb = w->callback;
        void *ud = w->userdata;
        Context *c = w->context;

        sd_event_source_disable_unref(w->io);
        sd_event_source_disable_unref(w->timer);
        close(w->pidfd);
        free(w);
        cb(c, how, ud);
}

static int on_exit_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ProcWait *w = userdata;

        (void) s, (void) fd, (void) revents;
        proc_wait_done(w, w->killed ? PROC_KILLED : PROC_EXITED);
        return 0;
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        ProcWait *w = userdata;

        (void) usec;
        if (!w->terminate || w->killed) {
                proc_wait_done(w, w->killed ? PROC_ERROR : PROC_STILL_RUNNING);
                return 0;
        }
        /* It ignored SIGTERM: the runbook's answer was `kill -9`. */
        if (pidfd_send_signal(w->pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH) {
                proc_wait_done(w, PROC_ERROR);
                return 0;
        }
        w->killed = true;
        (void) sd_event_source_set_time_relative(s, KILL_REAP_TIMEOUT_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

static int wait_start(Context *c, int pidfd, uint64_t timeout_usec, bool terminate, proc_end_t callback,
                      void *userdata) {
        ProcWait *w = calloc(1, sizeof(ProcWait));
        int r;

        if (!w) {
                close(pidfd);
                return -ENOMEM;
        }
        *w = (ProcWait) { .context = c, .pidfd = pidfd, .terminate = terminate, .callback = callback,
                          .userdata = userdata };
        r = sd_event_add_io(c->event, &w->io, pidfd, EPOLLIN, on_exit_io, w);
        if (r >= 0)
                /* Accuracy 10 ms: KillTimeoutSec= means what it says, not +250 ms. */
                r = sd_event_add_time_relative(c->event, &w->timer, CLOCK_MONOTONIC, timeout_usec,
                                               10 * USEC_PER_MSEC, on_deadline,
                                               w);
        if (r >= 0 && terminate && pidfd_send_signal(pidfd, SIGTERM, NULL, 0) < 0 && errno != ESRCH)
                r = -errno;
        if (r < 0) {
                sd_event_source_disable_unref(w->io);
                sd_event_source_disable_unref(w->timer);
                close(pidfd);
                free(w);
        }
        return r;
}

int proc_wait_exit(Context *c, int pidfd, uint64_t timeout_usec, proc_end_t callback, void *userdata) {
        return wait_start(c, pidfd, timeout_usec, false, callback, userdata);
}

int proc_terminate(Context *c, int pidfd, uint64_t timeout_usec, proc_end_t callback, void *userdata) {
        return wait_start(c, pidfd, timeout_usec, true, callback, userdata);
}
