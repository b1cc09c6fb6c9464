/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "unit-run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "macro.h"

struct UnitOp {
        Context *context;
        UnitOp *prev, *next;  /* in Context.unit_ops */
        char *unit;
        char verb[16];       /* "" for a transient unit */
        unit_started_t started;
        unit_done_t done;
        void *userdata;
        unit_userdata_free_t userdata_free;
        char job[96];        /* the systemd job followed */
        char job_result[16]; /* systemd's word for the job */
        bool warned;         /* a JobRemoved for it was not confirmed (logged once) */
        bool watching;       /* waiting for the job's JobRemoved (nothing else in flight) */
};

static void unit_op_free(UnitOp *op) {
        if (!op)
                return;
        if (op->prev)
                op->prev->next = op->next;
        else
                op->context->unit_ops = op->next;
        if (op->next)
                op->next->prev = op->prev;
        free(op->unit);
        free(op);
}

void unit_ops_free_all(Context *c) {
        while (c->unit_ops) {
                UnitOp *op = c->unit_ops;
                if (op->userdata_free)
                        op->userdata_free(op->userdata);
                unit_op_free(op);
        }
}

static UnitOp *unit_op_new(Context *c, const char *unit, const char *verb, unit_started_t started, unit_done_t done,
                           void *userdata, unit_userdata_free_t userdata_free) {
        UnitOp *op = calloc(1, sizeof(UnitOp));

        if (!op || !(op->unit = strdup(unit))) {
                free(op);
                return NULL;
        }
        op->context = c;
        (void) snprintf(op->verb, sizeof(op->verb), "%s", verb ? verb : "");
        op->started = started;
        op->done = done;
        op->userdata = userdata;
        op->userdata_free = userdata_free;
        op->next = c->unit_ops;
        if (op->next)
                op->next->prev = op;
        c->unit_ops = op;
        return op;
}

static void finish(UnitOp *op, UnitOutcome *o) {
        op->done(op->context, o, op->userdata);
        unit_op_free(op);
}

static void describe_exit(const ServiceOutcome *s, char *buf, size_t size) {
        if (strcmp(s->result, "timeout") == 0)
                (void) snprintf(buf, size, "timed out and was stopped");
        else if (s->exit_code == CLD_EXITED)
                (void) snprintf(buf, size, "exited with status %d", s->exit_status);
        else if (s->exit_code == CLD_KILLED || s->exit_code == CLD_DUMPED) {
                const char *sig = sigabbrev_np(s->exit_status);
                (void) snprintf(buf, size, "killed by signal %s%s", sig ? sig : "?",
                                s->exit_code == CLD_DUMPED ? " (core dumped)" : "");
        } else
                (void) snprintf(buf, size, "ended with result %s", s->result);
}

/* A transient unit's start job is gone: read how its command ended. */
static int on_transient_outcome(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UnitOp *op = userdata;
        UnitOutcome o = { .exit_status = -1 };
        ServiceOutcome s;

        (void) ret_error;
        if (systemd_decode_outcome(reply, &s) < 0) {
                /* The unit went before we could read it; the job's word is all we have. */
                o.ok = strcmp(op->job_result, "done") == 0;
                (void) snprintf(o.result, sizeof(o.result), "%s", o.ok ? "success" : op->job_result);
                (void) snprintf(o.message, sizeof(o.message), "finished, but its exit status could not be read");
                finish(op, &o);
                return 0;
        }
        o.ok = strcmp(s.result, "success") == 0;
        (void) snprintf(o.result, sizeof(o.result), "%s", s.result);
        o.exit_status = s.exit_code == CLD_EXITED ? s.exit_status : 128 + s.exit_status;
        o.ended_at = s.exited_at;
        describe_exit(&s, o.message, sizeof(o.message));
        systemd_collect_unit(op->context, op->unit, !o.ok);
        finish(op, &o);
        return 0;
}

/* A unit verb's job is gone: on failure, ask the unit why, for the message. */
static int on_verb_failure_detail(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UnitOp *op = userdata;
        UnitOutcome o = { .exit_status = -1 };
        ServiceOutcome s;

        (void) ret_error;
        (void) snprintf(o.result, sizeof(o.result), "%s", op->job_result);
        if (systemd_decode_outcome(reply, &s) >= 0) {
                o.exit_status = s.exit_code == CLD_EXITED ? s.exit_status : s.exit_code ? 128 + s.exit_status : -1;
                (void) snprintf(o.message, sizeof(o.message),
                                "%s of %s %s (unit result: %s); see journalctl -u %s", op->verb, op->unit,
                                op->job_result, s.result, op->unit);
        } else
                (void) snprintf(o.message, sizeof(o.message), "%s of %s %s; see journalctl -u %s", op->verb,
                                op->unit, op->job_result, op->unit);
        finish(op, &o);
        return 0;
}

/* The job's end, confirmed: how it went. */
static void job_ended(UnitOp *op) {
        Context *c = op->context;
        const char *result = op->job_result;
        UnitOutcome o = { .exit_status = -1 };

        if (strcmp(result, "canceled") == 0) {
                o.canceled = true;
                (void) snprintf(o.result, sizeof(o.result), "canceled");
                (void) snprintf(o.message, sizeof(o.message), "canceled before it finished");
                finish(op, &o);
                return;
        }
        if (op->verb[0] == '\0') {
                if (systemd_get_outcome(c, op->unit, on_transient_outcome, op) < 0)
                        (void) on_transient_outcome(NULL, op, NULL);
                return;
        }
        if (strcmp(result, "done") == 0) {
                o.ok = true;
                (void) snprintf(o.result, sizeof(o.result), "done");
                (void) snprintf(o.message, sizeof(o.message), "%s of %s done", op->verb, op->unit);
                finish(op, &o);
                return;
        }
        if (systemd_get_outcome(c, op->unit, on_verb_failure_detail, op) < 0)
                (void) on_verb_failure_detail(NULL, op, NULL);
}

static void on_job_removed(Context *c, const char *result, void *userdata);

static int watch(UnitOp *op) {
        op->watching = true;
        return systemd_watch_job(op->context, op->job, on_job_removed, op);
}

/* A unit has at most one job: while ours exists, it is the unit's Job.
 * (Its ActiveState proves nothing here: a start job replaced by a stop job,
 * as Job.Cancel does it, leaves the unit activating until the stop runs.) */
static bool job_still_there(const UnitOp *op, const UnitState *u) {
        return strcmp(u->job, op->job) == 0;
}

/* A job that ended while the manager's connection was down: its JobRemoved
 * (and the result word in it) is lost. A transient unit still says how its
 * command ended; a verb's job did what it was for if the unit is where the
 * verb takes it. */
static void infer_job_result(UnitOp *op, const UnitState *u) {
        bool stop = strcmp(op->verb, "Stop") == 0;
        bool reached = u && (stop ? strcmp(u->active, "inactive") == 0 || strcmp(u->active, "failed") == 0
                                  : strcmp(u->active, "active") == 0);

        (void) snprintf(op->job_result, sizeof(op->job_result), "%s",
                        op->verb[0] == '\0' || reached ? "done" : "failed");
}

/* Nothing is recorded or collected on a signal's word alone (DESIGN.md
 * section 7): systemd itself must say the job is gone; if it is still there
 * the JobRemoved was forged or stale, and the job is followed on. A state
 * that cannot be read holds nothing up: the signal came from the manager. */
static int on_end_confirmed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UnitOp *op = userdata;
        bool resync = op->job_result[0] == '\0'; /* no signal: re-read after a reconnection */
        UnitState u = { .active = "" };
        int r;

        (void) ret_error;
        r = systemd_decode_unit_state(reply, &u);
        if (r < 0 || !job_still_there(op, &u)) {
                if (resync)
                        infer_job_result(op, r >= 0 ? &u : NULL);
                job_ended(op);
                return 0;
        }
        if (!resync && !op->warned) {
                log_warning("hubopsd: systemd says %s is still %s (job %s), not %s: ignoring that signal "
                            "(forged or stale)",
                            op->unit, u.active, u.job[0] ? u.job : "none", op->job_result);
                op->warned = true;
        }
        r = watch(op);
        if (r < 0) {
                UnitOutcome o = { .exit_status = -1, .result = "failed" };
                (void) snprintf(o.message, sizeof(o.message), "cannot follow systemd's job %s: %s", op->job,
                                strerror(-r));
                finish(op, &o);
        }
        return 0;
}

static void on_job_removed(Context *c, const char *result, void *userdata) {
        UnitOp *op = userdata;

        op->watching = false;
        (void) snprintf(op->job_result, sizeof(op->job_result), "%s", result);
        if (systemd_get_unit_state(c, op->unit, on_end_confirmed, op) < 0)
                (void) on_end_confirmed(NULL, op, NULL);
}

static int on_accepted(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UnitOp *op = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *job;
        int r;

        (void) ret_error;
        if (e) {
                op->started(op->context, -EIO, e->message ? e->message : e->name, NULL, op->userdata);
                unit_op_free(op);
                return 0;
        }
        r = sd_bus_message_read(reply, "o", &job);
        if (r < 0) {
                op->started(op->context, r, "cannot follow the systemd job", NULL, op->userdata);
                unit_op_free(op);
                return 0;
        }
        (void) snprintf(op->job, sizeof(op->job), "%s", job);
        /* Told before the watch is set: a job that has already ended reports at once. */
        op->started(op->context, 0, NULL, job, op->userdata);
        r = watch(op);
        if (r < 0) {
                UnitOutcome o = { .exit_status = -1, .result = "failed" };
                (void) snprintf(o.message, sizeof(o.message), "cannot follow systemd's job %s: %s", job, strerror(-r));
                finish(op, &o);
        }
        return 0;
}

void unit_ops_resync(Context *c) {
        UnitOp *next;

        /* The old watches belong to the connection that dropped. */
        systemd_watches_free(c);
        for (UnitOp *op = c->unit_ops; op; op = next) {
                next = op->next;
                if (!op->watching)
                        continue; /* a call of its own is in flight, or failed with the connection */
                op->watching = false;
                op->job_result[0] = '\0';
                if (systemd_get_unit_state(c, op->unit, on_end_confirmed, op) < 0)
                        (void) on_end_confirmed(NULL, op, NULL);
        }
}

int unit_run_transient(Context *c, const TransientUnit *u, unit_started_t started, unit_done_t done,
                       void *userdata, unit_userdata_free_t userdata_free) {
        UnitOp *op = unit_op_new(c, u->name, NULL, started, done, userdata, userdata_free);
        int r;

        if (!op)
                return -ENOMEM;
        r = systemd_start_transient(c, u, on_accepted, op);
        if (r < 0)
                unit_op_free(op);
        return r;
}

int unit_run_verb(Context *c, const char *verb, const char *unit, unit_started_t started, unit_done_t done,
                  void *userdata, unit_userdata_free_t userdata_free) {
        UnitOp *op = unit_op_new(c, unit, verb, started, done, userdata, userdata_free);
        int r;

        if (!op)
                return -ENOMEM;
        r = systemd_unit_verb(c, verb, unit, on_accepted, op);
        if (r < 0)
                unit_op_free(op);
        return r;
}

int unit_follow(Context *c, const char *verb, const char *unit, const char *job_path, unit_done_t done,
                void *userdata, unit_userdata_free_t userdata_free) {
        UnitOp *op = unit_op_new(c, unit, verb, NULL, done, userdata, userdata_free);
        int r;

        if (!op)
                return -ENOMEM;
        (void) snprintf(op->job, sizeof(op->job), "%s", job_path);
        r = watch(op);
        if (r < 0)
                unit_op_free(op);
        return r;
}

int unit_read_transient_outcome(Context *c, const char *unit, unit_done_t done, void *userdata,
                                unit_userdata_free_t userdata_free) {
        UnitOp *op = unit_op_new(c, unit, NULL, NULL, done, userdata, userdata_free);
        int r;

        if (!op)
                return -ENOMEM;
        (void) snprintf(op->job_result, sizeof(op->job_result), "done");
        r = systemd_get_outcome(c, unit, on_transient_outcome, op);
        if (r < 0)
                unit_op_free(op);
        return r;
}
