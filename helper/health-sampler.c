/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "health-sampler.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "clock.h"
#include "health-probe.h"
#include "health-textfile.h"
#include "hubops-bus.h"
#include "macro.h"
#include "procfs.h"

#define MOUNTINFO_MAX ((size_t) 256 * 1024)

/* What the worker sends: one part of the sample per message, each below
 * PIPE_BUF, so every write arrives whole and a read gets exactly one. */
typedef enum WorkerPart { PART_FS, PART_KERNEL, PART_BACKUP } WorkerPart;
typedef struct WorkerMsg {
        uint32_t part;
        uint32_t index;
        int error;
        uint64_t newest, files;
        bool truncated;
        char cursor[HEALTH_CURSOR_MAX];
        HealthFsSample fs;
} WorkerMsg;
_Static_assert(sizeof(WorkerMsg) <= 4096, "a worker message must be written atomically");

struct HealthWaiter {
        HealthWaiter *next;
        bool deferred; /* arrived while a worker ran: wants the next sample */
        sd_bus_message *call;
        HealthThresholds thresholds;
};

static void send_msg(int fd, const WorkerMsg *m) {
        (void) !write(fd, m, sizeof(*m));
}

/* In the worker: nothing here touches the bus or the event loop. */
static _Noreturn void worker_main(const Health *health, const HelperConfig *cfg, int fd) {
        static HealthFsSample fs[HEALTH_FS_MAX];
        static char mountinfo[MOUNTINFO_MAX];
        const HealthConfig *h = &cfg->health;
        WorkerMsg m = { 0 };
        size_t len = 0;
        unsigned n = 0;

        /* A worker the helper gave up on must not outlive it. */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (procfs_read_file("/proc/self/mountinfo", mountinfo, sizeof(mountinfo), &len) < 0)
                len = 0;
        for (char **p = cfg->check_paths; p && *p && n < HEALTH_FS_MAX; p++, n++) {
                health_sample_fs(*p, mountinfo, len, &fs[n]);
                m = (WorkerMsg) { .part = PART_FS, .index = n, .fs = fs[n] };
                send_msg(fd, &m);
        }
        /* The fork's copy of the last sample: where the previous scan stopped. */
        const HealthSample *last = &health->last;
        HealthKernelPrevious prev = { .cursor = last->kernel_cursor, .fs = last->fs, .n_fs = last->n_fs };
        bool go_on = health->have_last && last->kernel_done && last->kernel_error == 0;
        m = (WorkerMsg) { .part = PART_KERNEL };
        m.error = health_sample_kernel(h->kernel_journal_directory, h->thresholds.kernel_window_usec,
                                       go_on ? &prev : NULL, fs, n, m.cursor, sizeof(m.cursor));
        for (unsigned i = 0; m.error >= 0 && i < n; i++) {
                WorkerMsg f = { .part = PART_FS, .index = i, .fs = fs[i] };
                send_msg(fd, &f);
        }
        send_msg(fd, &m);
        if (h->backup_path) {
                m = (WorkerMsg) { .part = PART_BACKUP };
                m.error = health_sample_backup(h->backup_path, &m.newest, &m.files, &m.truncated);
                send_msg(fd, &m);
        }
        _exit(0);
}

static void reap_strays(Health *h) {
        for (unsigned i = 0; i < HEALTH_STRAY_WORKERS_MAX; i++)
                if (h->strays[i] > 0 && waitpid(h->strays[i], NULL, WNOHANG) != 0)
                        h->strays[i] = 0;
}

static bool add_stray(Health *h, pid_t pid) {
        for (unsigned i = 0; i < HEALTH_STRAY_WORKERS_MAX; i++)
                if (h->strays[i] == 0) {
                        h->strays[i] = pid;
                        return true;
                }
        return false;
}

static unsigned strays_count(const Health *h) {
        unsigned n = 0;

        for (unsigned i = 0; i < HEALTH_STRAY_WORKERS_MAX; i++)
                n += h->strays[i] != 0;
        return n;
}

static void worker_close(Health *h) {
        h->worker_io = sd_event_source_disable_unref(h->worker_io);
        h->worker_timeout = sd_event_source_disable_unref(h->worker_timeout);
        if (h->worker_fd >= 0)
                (void) close(h->worker_fd);
        h->worker_fd = -1;
        if (h->worker > 0) {
                (void) kill(h->worker, SIGKILL);
                if (waitpid(h->worker, NULL, WNOHANG) == 0 && !add_stray(h, h->worker))
                        (void) waitpid(h->worker, NULL, 0);
                h->worker = 0;
        }
}

static void log_change(Health *h, const HealthRow *r, HealthState before) {
        const Context *c = h->context;
        int prio = r->state == HEALTH_FAIL ? LOG_ERR : r->state == HEALTH_WARN ? LOG_WARNING : LOG_NOTICE;

        (void) sd_journal_send("MESSAGE=health %s %s: %s -> %s: %s", r->check, r->subject,
                               health_state_to_string(before), health_state_to_string(r->state), r->reason,
                               "MESSAGE_ID=" HEALTH_MESSAGE_ID, "PRIORITY=%d", prio, "HUBOPS_HOST=%s",
                               c->config->hostname, "HUBOPS_HEALTH_CHECK=%s", r->check, "HUBOPS_HEALTH_SUBJECT=%s",
                               r->subject, "HUBOPS_HEALTH_STATE=%s", health_state_to_string(r->state),
                               "HUBOPS_HEALTH_PREVIOUS=%s", health_state_to_string(before),
                               "HUBOPS_HEALTH_VALUE=%g", r->value, NULL);
        (void) sd_bus_emit_signal(c->bus, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_HEALTH, "StateChanged", "sssss", r->check,
                                  r->subject, health_state_to_string(before), health_state_to_string(r->state),
                                  r->reason);
}

static int find_row(const HealthRow *rows, unsigned n, const HealthRow *r) {
        for (unsigned i = 0; i < n; i++)
                if (strcmp(rows[i].check, r->check) == 0 && strcmp(rows[i].subject, r->subject) == 0)
                        return (int) i;
        return -1;
}

/* Judge under the helper's own thresholds; say what changed. A check seen
 * for the first time counts as a change unless it is OK: a helper that
 * starts on a failing disk says so at once. */
static void health_rejudge(Health *h) {
        static HealthRow rows[HEALTH_ROWS_MAX];
        HealthInputs in;
        unsigned n;

        health_inputs(h, &h->context->config->health.thresholds, &in);
        n = health_judge(&in, rows, HEALTH_ROWS_MAX);
        for (unsigned i = 0; i < n; i++) {
                int k = find_row(h->rows, h->n_rows, &rows[i]);
                HealthState before = k >= 0 ? h->rows[k].state : HEALTH_UNKNOWN;
                if ((k >= 0 && before != rows[i].state) || (k < 0 && rows[i].state != HEALTH_OK))
                        log_change(h, &rows[i], before);
        }
        memcpy(h->rows, rows, n * sizeof(HealthRow));
        h->n_rows = n;
        (void) health_textfile_write(h->context, h->rows, h->n_rows);
}

static void reply_rows(Health *h, sd_bus_message *call, const HealthThresholds *t) {
        static HealthRow rows[HEALTH_ROWS_MAX];
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        HealthInputs in;
        unsigned n;

        health_inputs(h, t, &in);
        n = health_judge(&in, rows, HEALTH_ROWS_MAX);
        if (sd_bus_message_new_method_return(call, &reply) >= 0 && health_append_rows(reply, rows, n) >= 0)
                (void) sd_bus_send(NULL, reply, NULL);
}

static void reply_waiter(Health *h, HealthWaiter *w) {
        reply_rows(h, w->call, &w->thresholds);
        sd_bus_message_unref(w->call);
        free(w);
}

/* Answer the waiters this sample is new enough for; the deferred ones wait for the next. */
static bool reply_waiters(Health *h) {
        HealthWaiter **p = &h->waiters;
        bool more = false;

        while (*p) {
                HealthWaiter *w = *p;
                if (w->deferred) {
                        w->deferred = false;
                        more = true;
                        p = &w->next;
                        continue;
                }
                *p = w->next;
                reply_waiter(h, w);
        }
        return more;
}

static int worker_start(Health *h);

static void sample_done(Health *h, bool timed_out) {
        worker_close(h);
        h->building.timed_out = timed_out;
        h->last = h->building;
        h->have_last = true;
        h->last_done_at = now_usec(CLOCK_MONOTONIC);
        h->last_started_at = h->building_started_at;
        h->samples++;
        reap_strays(h);
        health_rejudge(h);
        if (reply_waiters(h) && worker_start(h) < 0)
                (void) reply_waiters(h); /* no worker: answer from what there is */
}

static void take_msg(Health *h, const WorkerMsg *m) {
        HealthSample *s = &h->building;

        if (m->part == PART_FS && m->index < s->n_fs)
                s->fs[m->index] = m->fs;
        else if (m->part == PART_KERNEL) {
                s->kernel_done = true;
                s->kernel_error = m->error < 0 ? m->error : 0;
                memcpy(s->kernel_cursor, m->cursor, sizeof(s->kernel_cursor));
                s->kernel_cursor[sizeof(s->kernel_cursor) - 1] = '\0';
        } else if (m->part == PART_BACKUP) {
                s->backup_done = true;
                s->backup_error = m->error < 0 ? m->error : 0;
                s->backup_newest_usec = m->newest;
                s->backup_files = m->files;
                s->backup_truncated = m->truncated;
        }
}

static int on_worker_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Health *h = userdata;
        WorkerMsg m;
        ssize_t n;

        (void) s, (void) revents;
        while ((n = read(fd, &m, sizeof(m))) == (ssize_t) sizeof(m))
                take_msg(h, &m);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) || (n > 0 && n != (ssize_t) sizeof(m)))
                sample_done(h, false);
        return 0;
}

static int on_worker_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) s, (void) usec;
        sample_done(userdata, true);
        return 0;
}

static void building_reset(Health *h) {
        const HelperConfig *cfg = h->context->config;
        HealthSample *s = &h->building;
        unsigned n = 0;

        *s = (HealthSample) { .started_at = now_usec(CLOCK_REALTIME) };
        h->building_started_at = now_usec(CLOCK_MONOTONIC);
        /* Paths the worker never reaches stay "not done": the one it hung on, and after. */
        for (char **p = cfg->check_paths; p && *p && n < HEALTH_FS_MAX; p++, n++) {
                s->fs[n] = (HealthFsSample) { .fs_errors = -1 };
                (void) snprintf(s->fs[n].path, sizeof(s->fs[n].path), "%s", *p);
        }
        s->n_fs = n;
}

static int worker_start(Health *h) {
        Context *c = h->context;
        int fds[2];
        pid_t pid;
        int r;

        reap_strays(h);
        building_reset(h);
        health_side_checks_start(c);
        /* Earlier workers are stuck in the kernel: the caller reports that; do not pile up more. */
        if (strays_count(h) >= HEALTH_STRAY_WORKERS_MAX)
                return -EBUSY;
        if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                r = -errno;
                (void) close(fds[0]);
                (void) close(fds[1]);
                return r;
        }
        if (pid == 0) {
                (void) close(fds[0]);
                (void) fcntl(fds[1], F_SETFL, 0);
                worker_main(h, c->config, fds[1]);
        }
        (void) close(fds[1]);
        h->worker = pid;
        h->worker_fd = fds[0];
        r = sd_event_add_io(c->event, &h->worker_io, fds[0], EPOLLIN, on_worker_io, h);
        if (r >= 0)
                r = sd_event_add_time_relative(c->event, &h->worker_timeout, CLOCK_MONOTONIC,
                                               c->config->health.sample_timeout_usec, 0, on_worker_timeout, h);
        if (r < 0)
                worker_close(h);
        return r;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Health *h = userdata;
        const HealthConfig *cfg = &h->context->config->health;

        if (h->worker == 0 && worker_start(h) == -EBUSY)
                sample_done(h, true);
        (void) sd_event_source_set_time(s, usec + cfg->sample_interval_usec);
        return 0;
}

/* A Check() that accepts a sample up to max_age_usec old is answered from
 * the periodic sampler's last one: a site of N hosts asking at once then
 * costs each helper a judgement, not a fork and a journal read. The rows
 * carry the sample's time, so the caller sees how old they are. Any other
 * call gets a sample taken after it arrived; calls that arrive while a
 * worker runs wait for the next one. At most one worker runs, so callers
 * cannot make the helper fork faster than its checks complete. */
int health_check_async(Context *c, sd_bus_message *call, const HealthThresholds *t, uint64_t max_age_usec) {
        Health *h = c->health;
        uint64_t now = now_usec(CLOCK_MONOTONIC), interval = c->config->health.sample_interval_usec;
        HealthWaiter *w;
        int r;

        if (h->have_last && health_sample_recent(now, h->last_started_at, max_age_usec, interval)) {
                reply_rows(h, call, t);
                return 1;
        }
        w = calloc(1, sizeof(HealthWaiter));
        if (!w)
                return -ENOMEM;
        /* The running sample will do if it began recently enough for this caller. */
        *w = (HealthWaiter) { .next = h->waiters, .call = sd_bus_message_ref(call), .thresholds = *t,
                              .deferred = h->worker != 0 &&
                                          !health_sample_recent(now, h->building_started_at, max_age_usec, interval) };
        h->waiters = w;
        if (h->worker == 0) {
                r = worker_start(h);
                if (r == -EBUSY) {
                        sample_done(h, true);
                        return 1;
                }
                if (r < 0) {
                        h->waiters = w->next;
                        sd_bus_message_unref(w->call);
                        free(w);
                        return r;
                }
        }
        return 1;
}

void health_inputs(const Health *h, const HealthThresholds *t, HealthInputs *ret) {
        const HealthConfig *cfg = &h->context->config->health;

        *ret = (HealthInputs) {
                .sample = &h->last,
                .thresholds = t,
                .now = now_usec(CLOCK_REALTIME),
                .probe_directory = cfg->probe_directory,
                .probe = &h->probe,
                .backup_path = cfg->backup_path,
                .backup_unit = cfg->backup_check_unit,
                .backup_unit_state = &h->backup_unit,
                .smart = h->smart,
                .n_smart = h->n_smart,
        };
}

int health_append_rows(sd_bus_message *m, const HealthRow *rows, unsigned n) {
        int r = sd_bus_message_open_container(m, 'a', "(sssdsst)");

        for (unsigned i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(m, "(sssdsst)", rows[i].check, rows[i].subject,
                                          health_state_to_string(rows[i].state), rows[i].value, rows[i].unit,
                                          rows[i].reason, rows[i].measured_at);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

int health_start(Context *c) {
        Health *h = calloc(1, sizeof(Health));
        int r;

        if (!h)
                return -ENOMEM;
        *h = (Health) { .context = c, .worker_fd = -1 };
        c->health = h;
        health_probe_load(c);
        for (char **d = c->config->health.smart_devices; d && *d && h->n_smart < HEALTH_SMART_MAX; d++)
                (void) snprintf(h->smart[h->n_smart++].device, sizeof(h->smart[0].device), "%s", *d);
        /* The first sample at once, then every SampleIntervalSec=. */
        r = sd_event_add_time_relative(c->event, &h->timer, CLOCK_MONOTONIC, 0, 0, on_timer, h);
        if (r >= 0)
                r = sd_event_source_set_enabled(h->timer, SD_EVENT_ON);
        return r;
}

void health_stop(Context *c) {
        Health *h = c->health;

        if (!h)
                return;
        worker_close(h);
        while (h->waiters) {
                HealthWaiter *w = h->waiters;
                h->waiters = w->next;
                sd_bus_message_unref(w->call);
                free(w);
        }
        for (unsigned i = 0; i < HEALTH_STRAY_WORKERS_MAX; i++)
                if (h->strays[i] > 0)
                        (void) kill(h->strays[i], SIGKILL);
        h->timer = sd_event_source_disable_unref(h->timer);
        free(h);
        c->health = NULL;
}
