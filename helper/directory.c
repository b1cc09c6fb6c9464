/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "directory.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "directory-observe.h"
#include "format.h"
#include "job-record.h"
#include "job.h"
#include "macro.h"
#include "proc-control.h"
#include "timespan.h"
#include "unit-run.h"

#define READY_POLL_USEC (200ULL * USEC_PER_MSEC)

typedef enum Step { STEP_STOP, STEP_WAIT_MAIN, STEP_KILL_ROOT, STEP_START, STEP_WAIT_READY, STEP_END } Step;

static const char *const step_phase[] = {
        [STEP_STOP] = "stopping",         [STEP_WAIT_MAIN] = "waiting-for-main-exit",
        [STEP_KILL_ROOT] = "killing-root", [STEP_START] = "starting",
        [STEP_WAIT_READY] = "waiting-ready",
};

/* Which steps each verb takes, in order. */
static const Step plans[][6] = {
        [DIRECTORY_STOP] = { STEP_STOP, STEP_WAIT_MAIN, STEP_END },
        [DIRECTORY_KILL_ROOT] = { STEP_KILL_ROOT, STEP_END },
        [DIRECTORY_START] = { STEP_START, STEP_WAIT_READY, STEP_END },
        [DIRECTORY_RESTART] = { STEP_STOP, STEP_WAIT_MAIN, STEP_KILL_ROOT, STEP_START, STEP_WAIT_READY, STEP_END },
};

typedef struct DirOp {
        Context *context;
        uint64_t job_id;
        DirectoryVerb verb;
        unsigned step;
        uint64_t memory_before;
        uint64_t deadline;           /* CLOCK_MONOTONIC, for polling steps */
        sd_event_source *poll_timer;
        sd_event_source *next;       /* each step begins from the event loop */
        char notes[512];             /* what happened, for the final message */
} DirOp;

const char *directory_verb_to_string(DirectoryVerb v) {
        static const char *const names[] = { "stop", "kill-root", "start", "restart" };
        return (unsigned) v < ELEMENTSOF(names) ? names[v] : "?";
}

_printf_(2, 3) static void note(DirOp *op, const char *fmt, ...) {
        size_t l = strlen(op->notes);
        va_list ap;

        if (l > 0 && l < sizeof(op->notes) - 2) {
                memcpy(op->notes + l, "; ", 3);
                l += 2;
        }
        va_start(ap, fmt);
        (void) vsnprintf(op->notes + l, sizeof(op->notes) - l, fmt, ap);
        va_end(ap);
}

static uint64_t now_monotonic(sd_event *e) {
        uint64_t t = 0;
        (void) sd_event_now(e, CLOCK_MONOTONIC, &t);
        return t;
}

static void op_free(DirOp *op) {
        if (!op)
                return;
        sd_event_source_disable_unref(op->poll_timer);
        sd_event_source_disable_unref(op->next);
        if (op->context->directory_job_id == op->job_id)
                op->context->directory_job_id = 0;
        if (op->context->directory_op == op)
                op->context->directory_op = NULL;
        free(op);
}

static void memory_text(uint64_t bytes, char *buf, size_t size) {
        (void) snprintf(buf, size, "%.1f MiB", (double) bytes / (1024.0 * 1024.0));
}

static void op_end(DirOp *op, bool ok, const char *result, const char *why) {
        Job *j = job_find(op->context, op->job_id);
        DirectorySnapshot now;
        char before[32], after[32], message[1024];

        directory_observe(op->context, &now);
        memory_text(op->memory_before, before, sizeof(before));
        memory_text(now.memory_bytes, after, sizeof(after));
        (void) snprintf(message, sizeof(message), "%s%s%s; directory %s%s, memory %s -> %s", why ? why : "",
                        why && op->notes[0] ? "; " : "", op->notes, now.state,
                        now.exe_deleted ? " (running a deleted (upgraded) binary)" : "", before, after);
        if (j)
                job_finish(j, ok ? JOB_DONE : JOB_FAILED, result, ok ? 0 : -1, message);
        directory_properties_changed(op->context);
        op_free(op);
}

static Step current(const DirOp *op) {
        return plans[op->verb][op->step];
}

static void next_step(DirOp *op);

static int on_next(sd_event_source *s, void *userdata) {
        DirOp *op = userdata;

        op->next = sd_event_source_disable_unref(op->next);
        next_step(op);
        return 0;
}

/* The next step starts from the event loop, not from inside this one. */
static void advance(DirOp *op) {
        op->step++;
        directory_properties_changed(op->context);
        if (sd_event_add_defer(op->context->event, &op->next, on_next, op) < 0)
                op_end(op, false, "failed", "out of memory");
}

/* ---- stop and start: a unit verb, or the init script as a transient unit ---- */

static void on_unit_started(Context *c, int error, const char *message, const char *systemd_job,
                            void *userdata) {
        DirOp *op = userdata;
        Job *j = job_find(c, op->job_id);
        char why[320];

        /* Recorded: a helper restarted before it ends can still follow it. */
        if (error >= 0 && j)
                job_set_systemd_job(j, systemd_job);
        if (error < 0) {
                (void) snprintf(why, sizeof(why), "%s refused by systemd: %s", step_phase[current(op)], message);
                op_end(op, false, current(op) == STEP_STOP ? "stop-failed" : "start-failed", why);
        }
}

static void on_unit_done(Context *c, const UnitOutcome *o, void *userdata) {
        DirOp *op = userdata;
        Job *j = job_find(c, op->job_id);
        bool stopping = current(op) == STEP_STOP;
        char why[320];

        if (j)
                job_set_systemd_job(j, NULL);
        if (!o->ok) {
                (void) snprintf(why, sizeof(why), "%s failed: %s", stopping ? "stop" : "start", o->message);
                op_end(op, false, stopping ? "stop-failed" : "start-failed", why);
                return;
        }
        note(op, stopping ? "stopped" : "started");
        advance(op);
}

/* The init script's stop or start for job id: named by both, so a restarted helper finds it. */
static char *command_unit_name(const Context *c, const char *what, uint64_t id) {
        return strdup_printf("%s-directory-%s-%" PRIu64 ".service", c->config->unit_prefix, what, id);
}

static int run_command(DirOp *op, char **argv, const char *what, uint64_t timeout, bool keep_processes) {
        const DirectoryConfig *d = &op->context->config->directory;
        _cleanup_free_ char *name = command_unit_name(op->context, what, op->job_id);
        TransientUnit u = {
                .name = name,
                .description = what,
                .argv = argv,
                .user = d->user,
                .timeout_usec = timeout,
                /* The daemon the init script starts must outlive this unit. */
                .keep_processes = keep_processes,
        };

        if (!name)
                return -ENOMEM;
        return unit_run_transient(op->context, &u, on_unit_started, on_unit_done, op, NULL);
}

static int step_stop_or_start(DirOp *op, bool stop) {
        const DirectoryConfig *d = &op->context->config->directory;

        if (d->unit)
                return unit_run_verb(op->context, stop ? "Stop" : "Start", d->unit, on_unit_started, on_unit_done, op,
                                     NULL);
        return stop ? run_command(op, d->stop_command, "stop", d->stop_timeout_usec, false)
                    : run_command(op, d->start_command, "start", d->start_timeout_usec, true);
}

/* ---- the main process must be gone before the root process is killed ---- */

static void on_main_exit(Context *c, ProcEnd how, void *userdata) {
        DirOp *op = userdata;
        char span[32], why[128];

        (void) c;
        if (how != PROC_EXITED) {
                (void) timespan_format(span, sizeof(span), c->config->directory.stop_timeout_usec);
                (void) snprintf(why, sizeof(why), "the main directory process did not exit within %s of the stop",
                                span);
                op_end(op, false, "timeout", why);
                return;
        }
        advance(op);
}

static int step_wait_main(DirOp *op) {
        const DirectoryConfig *d = &op->context->config->directory;
        ProcMatch m = directory_match(op->context, d->main_process);
        ProcFound found[PROC_FIND_MAX];
        unsigned n = 0;
        int r, fd;

        r = proc_find(&m, found, &n);
        if (r < 0)
                return r;
        if (n == 0) {
                advance(op);
                return 0;
        }
        r = proc_open_verified(found[0].pid, &m, &fd);
        if (r == -ESRCH) {
                advance(op);
                return 0;
        }
        if (r < 0)
                return r;
        return proc_wait_exit(op->context, fd, d->stop_timeout_usec, on_main_exit, op);
}

/* ---- kill the leftover root process, through a verified pidfd ---- */

static int step_kill_root(DirOp *op);

static void on_root_end(Context *c, ProcEnd how, void *userdata) {
        DirOp *op = userdata;

        (void) c;
        if (how == PROC_EXITED)
                note(op, "root process ended on SIGTERM");
        else if (how == PROC_KILLED)
                note(op, "root process ignored SIGTERM, killed with SIGKILL");
        else {
                op_end(op, false, "kill-failed", "the root process could not be killed");
                return;
        }
        /* Look again: there may have been more than one. */
        if (step_kill_root(op) < 0)
                op_end(op, false, "kill-failed", "cannot look for the root process in /proc");
}

static int step_kill_root(DirOp *op) {
        const DirectoryConfig *d = &op->context->config->directory;
        ProcMatch m = directory_match(op->context, d->root_process);
        ProcFound found[PROC_FIND_MAX];
        unsigned n = 0;
        int r, fd = -1;

        /* "Already gone" would be a guess: the root process may run, unrecognised. */
        if (!directory_owner_known(op->context)) {
                char why[320];
                (void) snprintf(why, sizeof(why),
                                "systemd has not said which cgroup is %s's: its root process cannot be told from "
                                "a copy; try again",
                                d->unit);
                op_end(op, false, "kill-failed", why);
                return 0;
        }
        r = proc_find(&m, found, &n);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < n && fd < 0; i++) {
                r = proc_open_verified(found[i].pid, &m, &fd);
                /* Gone or not that program after all: look at the next. Anything
                 * else (no pidfds here) is a failure: never fall back to a bare PID. */
                if (r < 0 && r != -ESRCH) {
                        char why[160];
                        (void) snprintf(why, sizeof(why), "cannot open a pidfd for root process %d: %s",
                                        (int) found[i].pid, strerror(-r));
                        op_end(op, false, "kill-failed", why);
                        return 0;
                }
        }
        if (fd < 0) {
                /* Nothing (left) to kill: that is success, as the runbook wants. */
                if (!strstr(op->notes, "root process"))
                        note(op, "root process already gone");
                advance(op);
                return 0;
        }
        return proc_terminate(op->context, fd, d->kill_timeout_usec, on_root_end, op);
}

/* ---- readiness: the socket accepts, or (without one) the main process runs ---- */

static bool ready_now(const Context *c) {
        const DirectoryConfig *d = &c->config->directory;
        DirectorySnapshot s;

        if (d->ready_socket) {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

                if (fd < 0 || strlen(d->ready_socket) >= sizeof(sa.sun_path))
                        return false;
                memcpy(sa.sun_path, d->ready_socket, strlen(d->ready_socket) + 1);
                return connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
        }
        directory_observe(c, &s);
        return s.main_pid != 0;
}

static int on_ready_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        DirOp *op = userdata;
        char span[32], why[128];

        if (ready_now(op->context)) {
                note(op, "ready");
                op->poll_timer = sd_event_source_disable_unref(op->poll_timer);
                advance(op);
                return 0;
        }
        if (usec >= op->deadline) {
                (void) timespan_format(span, sizeof(span), op->context->config->directory.start_timeout_usec);
                (void) snprintf(why, sizeof(why), "the directory was not ready within %s of its start", span);
                op_end(op, false, "timeout", why);
                return 0;
        }
        (void) sd_event_source_set_time_relative(s, READY_POLL_USEC);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int step_wait_ready(DirOp *op) {
        op->deadline = now_monotonic(op->context->event) + op->context->config->directory.start_timeout_usec;
        /* Accuracy 10 ms: sd-event's default (250 ms) would stretch every poll. */
        return sd_event_add_time_relative(op->context->event, &op->poll_timer, CLOCK_MONOTONIC, 0,
                                          10 * USEC_PER_MSEC, on_ready_poll,
                                          op);
}

static void next_step(DirOp *op) {
        Job *j = job_find(op->context, op->job_id);
        Step s = current(op);
        int r;

        if (s == STEP_END) {
                op_end(op, true, "success", NULL);
                return;
        }
        if (j)
                job_set_phase(j, step_phase[s], op->notes[0] ? op->notes : NULL);
        switch (s) {
        case STEP_STOP:
        case STEP_START:
                r = step_stop_or_start(op, s == STEP_STOP);
                break;
        case STEP_WAIT_MAIN:
                r = step_wait_main(op);
                break;
        case STEP_KILL_ROOT:
                r = step_kill_root(op);
                break;
        default:
                r = step_wait_ready(op);
                break;
        }
        if (r < 0) {
                char why[160];
                (void) snprintf(why, sizeof(why), "%s: %s", step_phase[s], strerror(-r));
                op_end(op, false, "failed", why);
        }
}

int directory_run(Context *c, Job *j, DirectoryVerb verb) {
        DirectorySnapshot s;
        DirOp *op = calloc(1, sizeof(DirOp));

        if (!op)
                return -ENOMEM;
        directory_observe(c, &s);
        *op = (DirOp) { .context = c, .job_id = j->id, .verb = verb, .memory_before = s.memory_bytes };
        c->directory_job_id = j->id;
        c->directory_op = op;
        next_step(op);
        return 0;
}

/* ---- after a restart: a directory job the previous hubopsd left running ---- */

/* What the dead helper was doing, as its record says. Nothing is resumed: a
 * systemd job it had begun is followed to its end, for the truth, and then
 * the job ends "interrupted"; running the operation again completes it. */
struct DirRestore {
        Context *context;
        DirRestore *next;       /* in Context.directory_restores */
        uint64_t job_id;
        char verb[16];          /* the operation: stop, kill-root, start, restart */
        char phase[32];         /* where it was cut off */
        char done_before[512];  /* its notes so far */
        const char *what;       /* "stop" or "start" when systemd ran that step, else NULL */
        bool transient;         /* that step ran the init script as a transient unit */
        char unit[256];
        char since[640];        /* what happened after the restart */
        uint64_t deadline;      /* CLOCK_MONOTONIC: for readiness after a start */
        sd_event_source *poll_timer;
};

static void restore_free(DirRestore *rs) {
        for (DirRestore **p = &rs->context->directory_restores; *p; p = &(*p)->next)
                if (*p == rs) {
                        *p = rs->next;
                        break;
                }
        sd_event_source_disable_unref(rs->poll_timer);
        free(rs);
}

void directory_ops_free(Context *c) {
        op_free(c->directory_op);
        while (c->directory_restores)
                restore_free(c->directory_restores);
}

static void restore_end(DirRestore *rs, const char *since) {
        Context *c = rs->context;
        Job *j = job_find(c, rs->job_id);
        DirectorySnapshot now;
        char memory[32], message[1536];

        directory_observe(c, &now);
        memory_text(now.memory_bytes, memory, sizeof(memory));
        (void) snprintf(message, sizeof(message),
                        "hubopsd restarted in phase %s%s%s%s%s; directory %s, memory %s. To complete it, run it "
                        "again: hubopsctl directory %s",
                        rs->phase, rs->done_before[0] ? " (done before: " : "", rs->done_before,
                        rs->done_before[0] ? ")" : "", since ? since : "", now.state, memory, rs->verb);
        if (c->directory_job_id == rs->job_id)
                c->directory_job_id = 0;
        if (j)
                job_finish(j, JOB_FAILED, JOB_RESULT_INTERRUPTED, -1, message);
        directory_properties_changed(c);
        restore_free(rs);
}

/* A start that went on to succeed: the state worth reporting is the one it
 * settles in, as the procedure's own last step would have seen it. */
static int on_restored_ready_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        DirRestore *rs = userdata;
        const DirectoryConfig *d = &rs->context->config->directory;
        size_t l = strlen(rs->since);
        char span[32];

        if (ready_now(rs->context))
                (void) snprintf(rs->since + l, sizeof(rs->since) - l, "; ready");
        else if (usec < rs->deadline) {
                (void) sd_event_source_set_time_relative(s, READY_POLL_USEC);
                return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        } else {
                (void) timespan_format(span, sizeof(span), d->start_timeout_usec);
                (void) snprintf(rs->since + l, sizeof(rs->since) - l, "; not ready within %s", span);
        }
        restore_end(rs, rs->since);
        return 0;
}

static void on_restored_step_done(Context *c, const UnitOutcome *o, void *userdata) {
        DirRestore *rs = userdata;

        (void) snprintf(rs->since, sizeof(rs->since), "; the %s (%s) went on: %s", rs->what, rs->unit,
                        o->ok && !rs->transient ? "done" : o->message);
        if (o->ok && strcmp(rs->what, "start") == 0) {
                rs->deadline = now_monotonic(c->event) + c->config->directory.start_timeout_usec;
                if (sd_event_add_time_relative(c->event, &rs->poll_timer, CLOCK_MONOTONIC, 0, 10 * USEC_PER_MSEC,
                                               on_restored_ready_poll, rs) >= 0)
                        return;
        }
        restore_end(rs, rs->since);
}

static int follow_step(DirRestore *rs, Job *j, const UnitState *u) {
        char message[1024];

        (void) snprintf(message, sizeof(message), "%s%shubopsd restarted: following systemd's %s (%s) to its end",
                        rs->done_before, rs->done_before[0] ? "; " : "", rs->what, rs->unit);
        job_set_phase(j, rs->phase, message);
        return unit_follow(rs->context, rs->transient ? NULL : strcmp(rs->what, "stop") == 0 ? "Stop" : "Start",
                           rs->unit, u->job, on_restored_step_done, rs, NULL);
}

static int on_restored_step_state(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        DirRestore *rs = userdata;
        Job *j = job_find(rs->context, rs->job_id);
        char since[640];
        UnitState u;
        int r;

        r = systemd_decode_unit_state(reply, &u);
        if (r >= 0 && j && u.job_id != 0 && strcmp(u.job, j->systemd_job) == 0)
                r = follow_step(rs, j, &u);
        else if (r >= 0 && rs->transient && (strcmp(u.active, "active") == 0 || strcmp(u.active, "failed") == 0))
                /* It ended while no helper watched; the unit still holds how. */
                r = unit_read_transient_outcome(rs->context, rs->unit, on_restored_step_done, rs, NULL);
        else {
                (void) snprintf(since, sizeof(since), "; the %s (%s) %s", rs->what, rs->unit,
                                r < 0 ? "could not be looked up in systemd" : "had ended; its result was not seen");
                restore_end(rs, since);
                return 0;
        }
        if (r < 0) {
                (void) snprintf(since, sizeof(since), "; the %s (%s) could not be followed: %s", rs->what, rs->unit,
                                strerror(-r));
                restore_end(rs, since);
        }
        return 0;
}

static void restore_one(Context *c, Job *j) {
        const DirectoryConfig *d = &c->config->directory;
        _cleanup_free_ char *unit = NULL;
        DirRestore *rs = calloc(1, sizeof(DirRestore));

        if (!rs) {
                job_finish(j, JOB_FAILED, JOB_RESULT_INTERRUPTED, -1, "hubopsd restarted during this job");
                return;
        }
        rs->context = c;
        rs->job_id = j->id;
        rs->next = c->directory_restores;
        c->directory_restores = rs;
        (void) snprintf(rs->verb, sizeof(rs->verb), "%s",
                        j->details[0] && strcmp(j->details[0], "verb") == 0 && j->details[1] ? j->details[1] : "restart");
        (void) snprintf(rs->phase, sizeof(rs->phase), "%s", j->phase);
        (void) snprintf(rs->done_before, sizeof(rs->done_before), "%s", j->message);
        if (c->directory_job_id != 0 || j->systemd_job[0] == '\0' ||
            !(strcmp(j->phase, step_phase[STEP_STOP]) == 0 || strcmp(j->phase, step_phase[STEP_START]) == 0)) {
                /* Only the dead helper was doing it (waiting, killing): nothing goes on. */
                restore_end(rs, NULL);
                return;
        }
        c->directory_job_id = j->id;
        rs->what = strcmp(j->phase, step_phase[STEP_STOP]) == 0 ? "stop" : "start";
        rs->transient = !d->unit;
        unit = d->unit ? strdup(d->unit) : command_unit_name(c, rs->what, j->id);
        (void) snprintf(rs->unit, sizeof(rs->unit), "%s", unit ? unit : "?");
        if (!unit || systemd_get_unit_state(c, rs->unit, on_restored_step_state, rs) < 0)
                restore_end(rs, "; systemd's job for it could not be looked up");
}

void directory_restore(Context *c) {
        Job *j;

        if (!c->config->directory.present)
                return;
        /* One at a time: restore_one() may end a job, which may prune others. */
        for (;;) {
                /* directory.VERB; directory.manage in a jobs.json an older helper wrote. */
                for (j = c->jobs; j && !(j->restored && strncmp(j->operation, "directory.", strlen("directory.")) == 0); j = j->next)
                        ;
                if (!j)
                        return;
                j->restored = false;
                restore_one(c, j);
        }
}
