/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Executing a plan, step by step: observe, gate, act, follow; the state
 * file rewritten at every transition so that an interruption anywhere
 * resumes without repeating what took effect. */
#include "executor.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "events.h"
#include "exit-codes.h"
#include "hubops-bus.h"
#include "output.h"
#include "preflight.h"
#include "report.h"
#include "run-store.h"
#include "timespan.h"

typedef enum Outcome { OUTCOME_OK, OUTCOME_FAILED, OUTCOME_STOPPED } Outcome;

static int save(Exec *x) {
        int r;

        x->run->updated_at = now_usec(CLOCK_REALTIME);
        r = run_save(x->run);
        if (r < 0)
                return output_error(EXIT_FAILED,
                                    "Cannot write the run's state file: %s; stopping (nothing more is done)",
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

static void moment(Exec *x, const Step *s, StepMoment m) {
        if (x->def->observe)
                x->def->observe(x, s, m);
}

static const char *job_id(const char *path) {
        return path + strlen(HUBOPS_JOB_PATH_PREFIX "/");
}

/* The newest job id on the host (*ret_max), and in ret_path the step's own
 * job: the oldest above floor that the helper lists as the kind's. */
static int find_job(Exec *x, const Step *s, const StepKind *k, uint64_t floor, uint64_t *ret_max, char *ret_path,
                    size_t size, sd_bus_error *error) {
        const char *subject = k->job_subject ? k->job_subject : s->subject;
        json_object *jobs = NULL, *v;
        uint64_t max = 0, best = UINT64_MAX;
        int r;

        r = x->api->list_jobs(x->api, s->host, &jobs, error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < json_object_array_length(jobs); i++) {
                json_object *j = json_object_array_get_idx(jobs, i);
                uint64_t id = json_object_object_get_ex(j, "id", &v) ? (uint64_t) json_object_get_int64(v) : 0;
                const char *op = json_object_object_get_ex(j, "operation", &v) ? json_object_get_string(v) : "";
                const char *sub = json_object_object_get_ex(j, "subject", &v) ? json_object_get_string(v) : "";

                max = MAX(max, id);
                bool ours = strcmp(op, k->job_operation) == 0 ||
                            (k->job_operation_older && strcmp(op, k->job_operation_older) == 0);

                if (ret_path && id > floor && id < best && ours && strcmp(sub, subject) == 0 &&
                    json_object_object_get_ex(j, "path", &v)) {
                        best = id;
                        (void) snprintf(ret_path, size, "%s", json_object_get_string(v));
                }
        }
        json_object_put(jobs);
        if (ret_max)
                *ret_max = max;
        return 0;
}

static int sample_gate_host(void *userdata, LoadSample *ret, sd_bus_error *error) {
        Exec *x = ((void **) userdata)[0];
        const Step *s = ((void **) userdata)[1];

        return x->api->load(x->api, s->gate.host, ret, error);
}

static void report_gate(void *userdata, const char *event, const LoadSample *sample, uint64_t held, uint64_t waited) {
        events_gate(((void **) userdata)[0], ((void **) userdata)[1], event, sample, held, waited);
}

static int gate(Exec *x, Step *s) {
        void *ctx[2] = { x, s };
        const GateReport report = { .event = report_gate, .userdata = ctx };
        char where[96];

        (void) snprintf(where, sizeof(where), "  %s: ", s->gate.host);
        return helper_gate(sample_gate_host, ctx, where, s->gate.threshold, s->gate.hold_usec, s->gate.timeout_usec,
                           &report, &s->gate_usec);
}

/* Make the call that starts the step's job: an exit code. *ret_unanswered:
 * it failed without an answer, so it may have taken effect. */
static int append_step_args(sd_bus_message *m, void *userdata) {
        Exec *x = ((void **) userdata)[0];
        Step *s = ((void **) userdata)[1];
        const StepKind *k = ((void **) userdata)[2];

        return k->append(x, s, m);
}

static int act(Exec *x, Step *s, const StepKind *k, bool *ret_unanswered) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        void *ctx[3] = { x, s, (void *) k };
        const HelperCall c = { k->iface, k->method, { k->call_with_subject ? s->subject : NULL }, "o",
                               k->append ? append_step_args : NULL, ctx };
        HelperReply reply;
        int r;

        r = x->api->call(x->api, s->host, &c, &reply, &error);
        if (r < 0) {
                *ret_unanswered = helper_call_unanswered(&error, r);
                (void) snprintf(s->message, sizeof(s->message), "%s", error.message ? error.message : strerror(-r));
                return output_bus_error(&error, r,
                                        *ret_unanswered ? "No answer from the helper" : "The helper refused");
        }
        (void) snprintf(s->job, sizeof(s->job), "%.127s", reply.s[0]);
        return EXIT_OK;
}

static void on_progress(void *userdata, const JobInfo *j) {
        events_progress(((void **) userdata)[0], ((void **) userdata)[1], j);
}

static void on_refine(void *userdata, JobInfo *j) {
        const Exec *x = ((void **) userdata)[0];

        if (x->def->refine_progress)
                x->def->refine_progress(x->run, ((void **) userdata)[1], j);
}

/* Follow the step's job to its end. */
static Outcome follow(Exec *x, Step *s, int *ret_code) {
        void *ctx[2] = { x, s };
        const JobWatch watch = { .refine = on_refine, .progress = on_progress, .userdata = ctx };
        JobInfo j = { 0 };
        int r;

        r = x->api->wait_job(x->api, s->host, s->job, s->timeout_usec, &watch, &j);
        *ret_code = r;
        if (r == EXIT_TIMEOUT && s->timeout_usec) {
                char limit[32];
                (void) timespan_format(limit, sizeof(limit), s->timeout_usec);
                set_status(s, STEP_FAILED, "the job outran the step's time limit (%s); it goes on (job %s)", limit,
                           job_id(s->job));
                return OUTCOME_FAILED;
        }
        if (r != EXIT_OK)
                /* The helper or the connection went away: we do not know; resume will look. */
                return OUTCOME_STOPPED;
        bool ok = strcmp(j.state, HUBOPS_JOB_DONE) == 0;
        s->job_started_at = j.started_at;
        s->job_finished_at = j.finished_at;
        if (j.audit_id[0])
                (void) snprintf(s->audit_id, sizeof(s->audit_id), "%s", j.audit_id);
        set_status(s, ok ? STEP_DONE : STEP_FAILED, "%s", j.message[0] ? j.message : j.result);
        job_info_done(&j);
        *ret_code = ok ? EXIT_OK : EXIT_FAILED;
        return ok ? OUTCOME_OK : OUTCOME_FAILED;
}

/* A step left "acting" by an interrupted client: find its job. Returns 1
 * if there is one to follow (s->job set), 0 if the helper knows of none
 * (the call never arrived, or a restarted helper forgot a finished job: act
 * again), or -EXITCODE when the helper cannot be asked: guessing "none"
 * then could repeat an action that took effect. */
static int recover_job(Exec *x, Step *s, const StepKind *k) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        char path[RUN_JOB_PATH_MAX] = "";
        int r;

        if (s->job[0]) {
                JobInfo j = { 0 };
                r = x->api->job(x->api, s->host, s->job, &j, &error);
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
        r = find_job(x, s, k, s->job_floor, NULL, path, sizeof(path), &error);
        if (r < 0)
                return -output_bus_error(&error, r, "Cannot list the host's jobs");
        if (!path[0])
                return 0;
        (void) snprintf(s->job, sizeof(s->job), "%s", path);
        return 1;
}

/* The gate, for a step that has one. OUTCOME_OK to go on (a wait step is then done). */
static Outcome pass_gate(Exec *x, Step *s, const StepKind *k, int *ret_code) {
        if (!s->gate.host[0])
                return OUTCOME_OK;
        s->status = STEP_GATING;
        if ((*ret_code = save(x)) != EXIT_OK)
                return OUTCOME_STOPPED;
        *ret_code = gate(x, s);
        if (*ret_code == EXIT_TIMEOUT) {
                set_status(s, STEP_FAILED, "%s never became idle enough: gate timed out", s->gate.host);
                return OUTCOME_FAILED;
        }
        if (*ret_code != EXIT_OK)
                return OUTCOME_STOPPED;
        if (!k->operation)
                set_status(s, STEP_DONE, "the load on %s settled", s->gate.host);
        return OUTCOME_OK;
}

/* Note the newest job, then call. After a crash right after the call, the
 * job above the floor is ours, and resume follows it instead of acting
 * again; a call whose answer never came is left "acting" for the same. */
static Outcome call_step(Exec *x, Step *s, const StepKind *k, int *ret_code) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        bool unanswered = false;
        int r;

        r = find_job(x, s, k, 0, &s->job_floor, NULL, 0, &error);
        if (r < 0) {
                *ret_code = output_bus_error(&error, r, "Cannot list the host's jobs (needed before acting)");
                return OUTCOME_STOPPED;
        }
        s->status = STEP_ACTING;
        s->job[0] = '\0';
        if ((*ret_code = save(x)) != EXIT_OK)
                return OUTCOME_STOPPED;
        *ret_code = act(x, s, k, &unanswered);
        if (*ret_code != EXIT_OK && unanswered)
                return OUTCOME_STOPPED; /* still acting, without a job: resume looks above the floor */
        if (*ret_code != EXIT_OK) {
                set_status(s, STEP_FAILED, NULL);
                return OUTCOME_FAILED;
        }
        if ((*ret_code = save(x)) != EXIT_OK)
                return OUTCOME_STOPPED;
        events_emit(x, s, "step-acting", "  started job %s", job_id(s->job));
        return OUTCOME_OK;
}

/* Observe, wait at the gate, act. OUTCOME_OK with the job to follow in s->job
 * (or the step finished: skipped, settled). */
static Outcome start_step(Exec *x, Step *s, const StepKind *k, int *ret_code) {
        Outcome o;
        int r;

        r = k->observe ? k->observe(x, s) : 0;
        if (r < 0) {
                *ret_code = -r;
                return OUTCOME_STOPPED;
        }
        if (r == 1)
                return OUTCOME_OK; /* nothing to do */
        if (r == 3)
                return OUTCOME_FAILED; /* a check that failed */
        if (r == 2) {
                events_emit(x, s, "step-acting", "  attached to running job %s", job_id(s->job));
                return OUTCOME_OK;
        }
        moment(x, s, STEP_MOMENT_BEFORE);
        o = pass_gate(x, s, k, ret_code);
        if (o != OUTCOME_OK || step_finished(s))
                return o;
        if (!k->operation) {
                set_status(s, STEP_DONE, "nothing to do");
                return OUTCOME_OK;
        }
        return call_step(x, s, k, ret_code);
}

static Outcome run_step(Exec *x, Step *s, int *ret_code) {
        const StepKind *k = step_kind_find(x->def, s->kind);
        char what[160];
        Outcome o;
        int r;

        *ret_code = EXIT_OK;
        if (!k) {
                *ret_code = output_error(EXIT_FAILED, "Step %s is of kind \"%s\", which this hubopsctl does not know",
                                         s->id, s->kind);
                return OUTCOME_STOPPED;
        }
        step_describe(x->def, s, what, sizeof(what));
        if (!s->started_at)
                s->started_at = now_usec(CLOCK_REALTIME);

        r = s->status == STEP_ACTING ? recover_job(x, s, k) : 0;
        if (r < 0) {
                *ret_code = -r;
                return OUTCOME_STOPPED;
        }
        if (r > 0)
                events_emit(x, s, "step-attached", "[%s] %s: %s: re-attaching to job %s", s->id, s->host, what, s->job);
        else {
                events_emit(x, s, "step-started", "[%s] %s: %s", s->id, s->host, what);
                o = start_step(x, s, k, ret_code);
                if (o != OUTCOME_OK || step_finished(s))
                        return o;
        }
        if (k->detachable && x->opts.detach) {
                x->run->status = RUN_DETACHED;
                return OUTCOME_STOPPED;
        }
        o = follow(x, s, ret_code);
        if (s->status == STEP_DONE)
                moment(x, s, STEP_MOMENT_DONE);
        return o;
}

static void report_step(const Exec *x, const Step *s) {
        char took[32] = "";
        uint64_t d = step_duration(s);

        if (d)
                (void) timespan_format(took, sizeof(took), d);
        events_emit(x, s, s->status == STEP_FAILED ? "step-failed" : "step-finished", "  %s%s%s: %s",
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

static void print_stopped(const Exec *x, const Step *at) {
        const Run *r = x->run;

        report_summary(x);
        if (r->status == RUN_DETACHED)
                events_emit(x, NULL, "run-detached",
                            "Run %s detached while step %s runs (job %s). Re-attach and finish with: hubopsctl "
                            "runbook resume %s%s",
                            r->id, at->id, job_id(at->job), r->id, output_resume_yes());
        else if (r->status == RUN_FAILED) {
                events_emit(x, NULL, "run-failed", "Run %s stopped: %s. The site stays claimed by it.", r->id,
                            r->message);
                events_emit(x, NULL, "run-failed-hint", "  Retry the failed step:   hubopsctl runbook resume %s%s",
                            r->id, output_resume_yes());
                events_emit(x, NULL, "run-failed-hint",
                            "  Or roll forward (tidy up): hubopsctl runbook resume %s --roll-forward%s", r->id,
                            output_resume_yes());
        } else
                events_emit(x, NULL, "run-interrupted", "Run %s %s. Continue with: hubopsctl runbook resume %s%s",
                            r->id, r->message, r->id, output_resume_yes());
}

/* All steps behind: the readings, the status, the site released. */
static int finish_run(Exec *x) {
        Run *r = x->run;
        bool rolled = false;
        char achieved[256] = "done";
        int code;

        moment(x, NULL, STEP_MOMENT_RUN_END);
        for (unsigned i = 0; i < r->n_steps; i++)
                rolled = rolled || r->steps[i].status == STEP_FAILED;
        r->status = rolled ? RUN_DONE_WITH_FAILURE : RUN_DONE;
        (void) save(x);
        code = site_release(x);
        (void) save(x);
        report_summary(x);
        if (rolled) {
                events_emit(x, NULL, "run-finished", "Run %s finished, tidied up after a failure: %s", r->id,
                            r->message);
                return EXIT_FAILED;
        }
        if (x->def->achieved)
                x->def->achieved(r, achieved, sizeof(achieved));
        events_emit(x, NULL, "run-finished", "Run %s finished: %s.", r->id, achieved);
        return code;
}

/* A step failed: tidy up now if the run says so, else stop holding the site. */
static int step_failed(Exec *x, Step *s, unsigned *i, int code) {
        Run *r = x->run;

        (void) snprintf(r->message, sizeof(r->message), "step %.64s failed: %.160s", s->id, s->message);
        if (r->tidy_up_on_failure && !s->tidy_up) {
                events_emit(x, s, "tidy-up", "Tidying up after the failure (--tidy-up-on-failure)");
                *i = first_tidy_up(r, *i) - 1;
                (void) save(x);
                return -1;
        }
        r->status = RUN_FAILED;
        (void) save(x);
        print_stopped(x, s);
        return code;
}

int executor_run(Exec *x) {
        Run *r = x->run;
        int code = EXIT_OK;

        if (x->opts.tidy_up_on_failure || x->opts.roll_forward || x->def->tidy_up_always)
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
                        print_stopped(x, s);
                        return r->status == RUN_DETACHED ? EXIT_OK : code;
                }
                report_step(x, s);
                if (o == OUTCOME_FAILED) {
                        int k = step_failed(x, s, &i, code);
                        if (k >= 0)
                                return k;
                        continue;
                }
                if ((code = save(x)) != EXIT_OK)
                        return code;
        }
        return finish_run(x);
}
