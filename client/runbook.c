/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Executing a plan, step by step: observe, gate, act, wait; the state file
 * rewritten at every transition so that an interruption anywhere resumes
 * without repeating what took effect. */
#include "runbook.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "commands.h"
#include "exit-codes.h"
#include "hubops-bus.h"
#include "job-wait.h"
#include "output.h"
#include "timespan.h"

typedef enum Outcome { OUTCOME_OK, OUTCOME_FAILED, OUTCOME_STOPPED } Outcome;

void runbook_emit(const Run *r, const Step *s, const char *event, const char *fmt, ...) {
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (!output.json) {
                output_line("%s", msg);
                return;
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "event", json_object_new_string(event));
        json_object_object_add(o, "time", json_object_new_int64((int64_t) now_usec(CLOCK_REALTIME)));
        json_object_object_add(o, "run", json_object_new_string(r->id));
        if (s) {
                const char *op = step_operation(s);
                json_object_object_add(o, "step", json_object_new_string(s->id));
                json_object_object_add(o, "host", json_object_new_string(s->host));
                json_object_object_add(o, "operation", json_object_new_string(op ? op : "settle"));
                json_object_object_add(o, "subject", json_object_new_string(s->subject));
                json_object_object_add(o, "status", json_object_new_string(step_status_to_string(s->status)));
                if (s->job[0])
                        json_object_object_add(o, "job", json_object_new_string(s->job));
                if (s->audit_id[0])
                        json_object_object_add(o, "audit_id", json_object_new_string(s->audit_id));
        }
        json_object_object_add(o, "message", json_object_new_string(msg));
        output_json(o);
}

static int save(Exec *x) {
        int r = run_save(x->run);

        if (r < 0)
                return output_error(EXIT_FAILED, "Cannot write the run's state file: %s; stopping (nothing more is done)",
                                    strerror(-r));
        return EXIT_OK;
}

static void set_status(Step *s, StepStatus st, const char *fmt, ...) _printf_(3, 4);
static void set_status(Step *s, StepStatus st, const char *fmt, ...) {
        va_list ap;

        s->status = st;
        if (st == STEP_DONE || st == STEP_SKIPPED || st == STEP_FAILED)
                s->finished_at = now_usec(CLOCK_REALTIME);
        if (fmt) {
                va_start(ap, fmt);
                (void) vsnprintf(s->message, sizeof(s->message), fmt, ap);
                va_end(ap);
        }
}

static int get_memory(sd_bus *bus, uint64_t *ret) {
        return sd_bus_get_property_trivial(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_DIRECTORY,
                                           "MemoryBytes", NULL, 't', ret);
}

/* The newest job id on the host: a job above it that matches the step is
 * the step's own, even if we died before writing its path down. */
static int newest_job(sd_bus *bus, const Step *s, uint64_t floor, uint64_t *ret_max, char *ret_path, size_t size) {
        const char *op = step_operation(s);
        json_object *jobs = NULL, *v;
        uint64_t max = 0;
        int r;

        r = jobs_fetch(bus, NULL, &jobs);
        if (r < 0)
                return r;
        if (ret_path)
                ret_path[0] = '\0';
        /* Newest first: the last match is the oldest job above the floor, the step's own. */
        for (size_t i = 0; i < json_object_array_length(jobs); i++) {
                json_object *j = json_object_array_get_idx(jobs, i);
                uint64_t id = json_object_object_get_ex(j, "id", &v) ? (uint64_t) json_object_get_int64(v) : 0;
                const char *operation = json_object_object_get_ex(j, "operation", &v) ? json_object_get_string(v) : "";
                const char *subject = json_object_object_get_ex(j, "subject", &v) ? json_object_get_string(v) : "";

                if (id > max)
                        max = id;
                /* ListJobs names directory jobs "directory.restart" etc., services "service.start". */
                if (ret_path && id > floor && strcmp(operation, op) == 0 &&
                    (s->kind == STEP_DIRECTORY_RESTART || s->kind == STEP_REBUILD || strcmp(subject, s->subject) == 0) &&
                    json_object_object_get_ex(j, "path", &v))
                        (void) snprintf(ret_path, size, "%s", json_object_get_string(v));
        }
        json_object_put(jobs);
        if (ret_max)
                *ret_max = max;
        return 0;
}

/* Observe before acting. Returns 1: nothing to do (message set), 0: act, or an exit code < 0 ... as -code. */
static int observe(Exec *x, Step *s, sd_bus *bus) {
        _cleanup_free_ char *active = NULL, *sub = NULL, *state = NULL, *job = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *a, *b, *path;
        uint64_t mem = 0;
        int r;

        switch (s->kind) {
        case STEP_SERVICE_START:
        case STEP_SERVICE_STOP:
                r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_SERVICE, "GetState",
                                       &error, &reply, "s", s->subject);
                if (r >= 0)
                        r = sd_bus_message_read(reply, "ss", &a, &b);
                if (r < 0)
                        return -output_bus_error(&error, r, "Cannot observe the service");
                if (s->kind == STEP_SERVICE_START && strcmp(a, "active") == 0) {
                        set_status(s, STEP_SKIPPED, "%s is already active (%s)", s->subject, b);
                        return 1;
                }
                if (s->kind == STEP_SERVICE_STOP && (strcmp(a, "inactive") == 0 || strcmp(a, "failed") == 0)) {
                        set_status(s, STEP_SKIPPED, "%s is already stopped (%s)", s->subject, a);
                        return 1;
                }
                return 0;
        case STEP_DIRECTORY_RESTART:
                if (get_memory(bus, &mem) >= 0) {
                        if (s->tidy_up)
                                x->run->memory_peak = mem;
                        else if (!x->run->memory_before)
                                x->run->memory_before = mem;
                }
                return 0;
        case STEP_REBUILD:
                r = sd_bus_get_property_string(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_REBUILD, "State",
                                               &error, &state);
                if (r >= 0)
                        r = sd_bus_get_property(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_REBUILD,
                                                "CurrentJob", &error, &reply, "o");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "o", &path);
                if (r < 0)
                        return -output_bus_error(&error, r, "Cannot observe the rebuild");
                if (strcmp(state, "running") == 0 && strcmp(path, "/") != 0) {
                        /* Preflight refused a rebuild that is not this run's; this one is ours. */
                        (void) snprintf(s->job, sizeof(s->job), "%s", path);
                        s->status = STEP_ACTING;
                        return 2;
                }
                return 0;
        default:
                return 0;
        }
}

static int gate(Exec *x, Step *s, uint64_t hold, uint64_t timeout) {
        Run *run = x->run;
        char where[96], err[512];
        sd_bus *dir;
        int r;

        r = hosts_get(&x->hosts, run->directory_host, &dir, err, sizeof(err));
        if (r < 0)
                return output_error(EXIT_UNREACHABLE, "%s", err);
        (void) snprintf(where, sizeof(where), "  %s: ", run->directory_host);
        return load_gate(dir, where, run->idle_threshold, hold, timeout, &s->gate_usec);
}

/* Make the call that starts the step's job; returns an exit code. */
static int act(Step *s, sd_bus *bus) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *path;
        int r;

        switch (s->kind) {
        case STEP_DIRECTORY_RESTART:
                r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_DIRECTORY, "Restart",
                                       &error, &reply, NULL);
                break;
        case STEP_SERVICE_START:
        case STEP_SERVICE_STOP:
                r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_SERVICE,
                                       s->kind == STEP_SERVICE_START ? "Start" : "Stop", &error, &reply, "s",
                                       s->subject);
                break;
        case STEP_HOOK:
                r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_HOOKS, "Run", &error,
                                       &reply, "s", s->subject);
                break;
        case STEP_REBUILD:
                r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_REBUILD, "Start", &error,
                                       &reply, NULL);
                break;
        default:
                return EXIT_OK;
        }
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &path);
        if (r < 0) {
                (void) snprintf(s->message, sizeof(s->message), "%s", error.message ? error.message : strerror(-r));
                return output_bus_error(&error, r, "The helper refused");
        }
        (void) snprintf(s->job, sizeof(s->job), "%s", path);
        return EXIT_OK;
}

static void read_audit_id(Step *s, sd_bus *bus) {
        _cleanup_free_ char *id = NULL;

        if (!s->audit_id[0] && sd_bus_get_property_string(bus, HUBOPS_BUS_NAME, s->job, HUBOPS_IFACE_JOB, "AuditId",
                                                          NULL, &id) >= 0)
                (void) snprintf(s->audit_id, sizeof(s->audit_id), "%s", id);
}

/* Follow the step's job to its end. */
static Outcome follow(Exec *x, Step *s, sd_bus *bus, int *ret_code) {
        uint64_t timeout = s->kind == STEP_REBUILD ? x->run->rebuild_timeout_usec : 0;
        JobInfo j = { 0 };
        int r;

        read_audit_id(s, bus);
        r = job_wait(bus, s->job, timeout, &j);
        if (r == EXIT_TIMEOUT && s->kind == STEP_REBUILD) {
                set_status(s, STEP_FAILED, "the rebuild outran RebuildTimeoutSec=; it goes on (job %s)", s->job);
                *ret_code = r;
                return OUTCOME_FAILED;
        }
        if (r != EXIT_OK) {
                /* The helper or the connection went away: we do not know; resume will look. */
                *ret_code = r;
                return OUTCOME_STOPPED;
        }
        bool ok = strcmp(j.state, HUBOPS_JOB_DONE) == 0;
        set_status(s, ok ? STEP_DONE : STEP_FAILED, "%s", j.message[0] ? j.message : j.result);
        job_info_done(&j);
        *ret_code = ok ? EXIT_OK : EXIT_FAILED;
        return ok ? OUTCOME_OK : OUTCOME_FAILED;
}

/* A step left "acting" by an interrupted client: find its job. Returns 1
 * if there is one to follow (s->job set), 0 if the helper knows of none
 * (the call never arrived, or a restarted helper forgot a finished job: act
 * again), or an exit code < 0 ... as -code when the helper cannot be asked:
 * guessing "none" then could repeat an action that took effect. */
static int recover_job(Step *s, sd_bus *bus) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        char path[128];
        int r;

        if (s->job[0]) {
                JobInfo j = { 0 };
                r = job_info_get(bus, s->job, &j, &error);
                if (r >= 0) {
                        job_info_done(&j);
                        return 1;
                }
                if (!sd_bus_error_has_names(&error, SD_BUS_ERROR_UNKNOWN_OBJECT, SD_BUS_ERROR_UNKNOWN_INTERFACE,
                                            SD_BUS_ERROR_UNKNOWN_METHOD, HUBOPS_ERROR_NO_SUCH_JOB))
                        return -output_bus_error(&error, r, "Cannot look up the step's job");
                s->job[0] = '\0';
                return 0;
        }
        r = newest_job(bus, s, s->job_floor, NULL, path, sizeof(path));
        if (r < 0)
                return -output_bus_error(NULL, r, "Cannot list the host's jobs");
        if (!path[0])
                return 0;
        (void) snprintf(s->job, sizeof(s->job), "%s", path);
        return 1;
}

/* Observe, wait at the gate, act. OUTCOME_OK with the job to follow in s->job
 * (or the step finished: skipped, settled). */
static Outcome start_step(Exec *x, Step *s, sd_bus *bus, int *ret_code) {
        int r;

        r = observe(x, s, bus);
        if (r < 0) {
                *ret_code = -r;
                return OUTCOME_STOPPED;
        }
        if (r == 1)
                return OUTCOME_OK; /* nothing to do */
        if (r == 2) {
                runbook_emit(x->run, s, "step-acting", "  attached to running job %s",
                             s->job + strlen(HUBOPS_JOB_PATH_PREFIX "/"));
                return OUTCOME_OK;
        }
        if (s->gate || s->kind == STEP_SETTLE) {
                bool settle = s->kind == STEP_SETTLE;
                s->status = STEP_GATING;
                if ((*ret_code = save(x)) != EXIT_OK)
                        return OUTCOME_STOPPED;
                r = gate(x, s, settle ? x->run->settle_hold_usec : x->run->idle_hold_usec,
                         settle ? x->run->settle_timeout_usec : x->run->gate_timeout_usec);
                if (r == EXIT_TIMEOUT)
                        set_status(s, STEP_FAILED, "the directory never became idle enough: gate timed out");
                *ret_code = r;
                if (r != EXIT_OK)
                        return r == EXIT_TIMEOUT ? OUTCOME_FAILED : OUTCOME_STOPPED;
                if (settle) {
                        set_status(s, STEP_DONE, "the directory's load settled");
                        return OUTCOME_OK;
                }
        }

        /* Note the newest job first: after a crash right after the call, the
         * job above it is ours, and resume follows it instead of acting again. */
        if (newest_job(bus, s, 0, &s->job_floor, NULL, 0) < 0)
                s->job_floor = 0;
        s->status = STEP_ACTING;
        s->job[0] = '\0';
        if ((*ret_code = save(x)) != EXIT_OK)
                return OUTCOME_STOPPED;
        r = act(s, bus);
        if (r != EXIT_OK) {
                set_status(s, STEP_FAILED, NULL);
                *ret_code = r;
                return r == EXIT_UNREACHABLE ? OUTCOME_STOPPED : OUTCOME_FAILED;
        }
        if ((*ret_code = save(x)) != EXIT_OK)
                return OUTCOME_STOPPED;
        runbook_emit(x->run, s, "step-acting", "  started job %s", s->job + strlen(HUBOPS_JOB_PATH_PREFIX "/"));
        return OUTCOME_OK;
}

static Outcome run_step(Exec *x, Step *s, int *ret_code) {
        char err[512], what[160];
        sd_bus *bus;
        Outcome o;
        int r;

        *ret_code = EXIT_OK;
        step_describe(s, what, sizeof(what));
        r = hosts_get(&x->hosts, s->host, &bus, err, sizeof(err));
        if (r < 0) {
                *ret_code = output_error(EXIT_UNREACHABLE, "%s", err);
                return OUTCOME_STOPPED;
        }
        if (!s->started_at)
                s->started_at = now_usec(CLOCK_REALTIME);

        r = s->status == STEP_ACTING ? recover_job(s, bus) : 0;
        if (r < 0) {
                *ret_code = -r;
                return OUTCOME_STOPPED;
        }
        if (r > 0)
                runbook_emit(x->run, s, "step-attached", "[%s] %s: %s: re-attaching to job %s", s->id, s->host, what,
                             s->job);
        else {
                runbook_emit(x->run, s, "step-started", "[%s] %s: %s", s->id, s->host, what);
                o = start_step(x, s, bus, ret_code);
                if (o != OUTCOME_OK || step_finished(s))
                        return o;
        }
        if (s->kind == STEP_REBUILD && x->opts.detach) {
                x->run->status = RUN_DETACHED;
                return OUTCOME_STOPPED;
        }
        return follow(x, s, bus, ret_code);
}

static void report_step(const Run *r, const Step *s) {
        char took[32] = "";

        if (s->finished_at > s->started_at)
                (void) timespan_format(took, sizeof(took), s->finished_at - s->started_at);
        runbook_emit(r, s, s->status == STEP_FAILED ? "step-failed" : "step-finished", "  %s%s%s: %s",
                     s->status == STEP_FAILED ? "FAILED" : step_status_to_string(s->status), took[0] ? " after " : "",
                     took, s->message);
}

static unsigned first_unfinished(const Run *r) {
        for (unsigned i = 0; i < r->n_steps; i++)
                if (!step_finished(&r->steps[i]))
                        return i;
        return r->n_steps;
}

static unsigned first_tidy_up(const Run *r, unsigned after) {
        for (unsigned i = after; i < r->n_steps; i++)
                if (r->steps[i].tidy_up)
                        return i;
        return r->n_steps;
}

static void print_stopped(const Run *r) {
        runbook_print_summary(r);
        if (r->status == RUN_DETACHED)
                runbook_emit(r, NULL, "run-detached",
                             "Run %s detached while the rebuild runs. Re-attach and finish with: hubopsctl runbook "
                             "resume %s%s",
                             r->id, r->id, output_resume_yes());
        else if (r->status == RUN_FAILED) {
                runbook_emit(r, NULL, "run-failed", "Run %s stopped: %s. The site stays claimed by it.", r->id,
                             r->message);
                runbook_emit(r, NULL, "run-failed-hint", "  Retry the failed step:   hubopsctl runbook resume %s%s",
                             r->id, output_resume_yes());
                runbook_emit(r, NULL, "run-failed-hint",
                             "  Or roll forward (tidy up): hubopsctl runbook resume %s --roll-forward%s", r->id,
                             output_resume_yes());
        } else
                runbook_emit(r, NULL, "run-interrupted", "Run %s %s. Continue with: hubopsctl runbook resume %s%s",
                             r->id, r->message, r->id, output_resume_yes());
}

int runbook_execute(Exec *x) {
        Run *r = x->run;
        bool rolled = false;
        int code = EXIT_OK;

        if (x->opts.tidy_up_on_failure || x->opts.roll_forward)
                r->tidy_up_on_failure = true;
        r->status = RUN_RUNNING;
        r->message[0] = '\0';
        if ((code = save(x)) != EXIT_OK)
                return code;

        for (unsigned i = first_unfinished(r); i < r->n_steps; i++) {
                Step *s = &r->steps[i];

                /* Rolling forward (asked for now, or when the run started): past a failed step to the tidy-up. */
                if (s->status == STEP_FAILED && !s->tidy_up && r->tidy_up_on_failure) {
                        i = first_tidy_up(r, i) - 1;
                        continue;
                }
                if (step_finished(s))
                        continue;
                Outcome o = run_step(x, s, &code);
                if (o == OUTCOME_STOPPED) {
                        if (r->status != RUN_DETACHED)
                                (void) snprintf(r->message, sizeof(r->message), "interrupted at %s", s->id);
                        (void) save(x);
                        print_stopped(r);
                        return r->status == RUN_DETACHED ? EXIT_OK : code;
                }
                report_step(r, s);
                if (o == OUTCOME_FAILED) {
                        (void) snprintf(r->message, sizeof(r->message), "step %.64s failed: %.160s", s->id, s->message);
                        if (r->tidy_up_on_failure && !s->tidy_up) {
                                runbook_emit(r, s, "tidy-up", "Tidying up after the failure (--tidy-up-on-failure)");
                                i = first_tidy_up(r, i) - 1;
                                (void) save(x);
                                continue;
                        }
                        r->status = RUN_FAILED;
                        (void) save(x);
                        print_stopped(r);
                        return code;
                }
                if ((code = save(x)) != EXIT_OK)
                        return code;
        }

        char err[512];
        sd_bus *dir;
        if (hosts_get(&x->hosts, r->directory_host, &dir, err, sizeof(err)) >= 0)
                (void) get_memory(dir, &r->memory_after);
        for (unsigned i = 0; i < r->n_steps; i++)
                rolled = rolled || r->steps[i].status == STEP_FAILED;
        r->status = rolled ? RUN_DONE_WITH_FAILURE : RUN_DONE;
        (void) save(x);
        code = runbook_release(x);
        (void) save(x);
        runbook_print_summary(r);
        if (rolled) {
                runbook_emit(r, NULL, "run-finished", "Run %s finished, tidied up after a failure: %s", r->id,
                             r->message);
                return EXIT_FAILED;
        }
        runbook_emit(r, NULL, "run-finished", "Run %s finished: the tables of %s are rebuilt.", r->id, r->hub);
        return code;
}
