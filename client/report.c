/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "report.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "output.h"
#include "run-store.h"
#include "timespan.h"

static void gate_text(const Step *s, char *buf, size_t size) {
        char hold[32], timeout[32];

        if (!s->gate.host[0]) {
                (void) snprintf(buf, size, "-");
                return;
        }
        (void) timespan_format(hold, sizeof(hold), s->gate.hold_usec);
        (void) timespan_format(timeout, sizeof(timeout), s->gate.timeout_usec);
        (void) snprintf(buf, size, "%s idle >= %.0f%% for %s (give up after %s)", s->gate.host,
                        s->gate.threshold * 100.0, hold, timeout);
}

static void add_params(json_object *o, const Run *r) {
        for (unsigned i = 0; i < r->n_params; i++)
                json_object_object_add(o, r->params[i].key, json_object_new_string(r->params[i].value));
}

static json_object *step_json(const Exec *x, const Step *s, unsigned n) {
        json_object *o = json_object_new_object();
        char what[160], gate[160];

        step_describe(x->def, s, what, sizeof(what));
        gate_text(s, gate, sizeof(gate));
        json_object_object_add(o, "n", json_object_new_int((int) n));
        json_object_object_add(o, "step", json_object_new_string(s->id));
        json_object_object_add(o, "host", json_object_new_string(s->host));
        json_object_object_add(o, "operation", json_object_new_string(step_operation_label(x->def, s)));
        json_object_object_add(o, "subject", json_object_new_string(s->subject));
        json_object_object_add(o, "description", json_object_new_string(what));
        json_object_object_add(o, "phase", json_object_new_string(s->phase));
        json_object_object_add(o, "gate", s->gate.host[0] ? json_object_new_string(gate) : NULL);
        const StepKind *k = step_kind_find(x->def, s->kind);
        json_object_object_add(o, "observe", json_object_new_string(k ? k->observation : "?"));
        json_object_object_add(o, "tidy_up", json_object_new_boolean(s->tidy_up));
        json_object_object_add(o, "status", json_object_new_string(step_status_to_string(s->status)));
        json_object_object_add(o, "duration_usec", json_object_new_int64((int64_t) step_duration(s)));
        json_object_object_add(o, "gate_usec", json_object_new_int64((int64_t) s->gate_usec));
        json_object_object_add(o, "job", json_object_new_string(s->job));
        json_object_object_add(o, "job_usec",
                               json_object_new_int64(s->job_finished_at > s->job_started_at && s->job_started_at
                                                             ? (int64_t) (s->job_finished_at - s->job_started_at)
                                                             : 0));
        json_object_object_add(o, "audit_id", json_object_new_string(s->audit_id));
        json_object_object_add(o, "message", json_object_new_string(s->message));
        return o;
}

static json_object *steps_json(const Exec *x) {
        json_object *a = json_object_new_array();

        for (unsigned i = 0; i < x->run->n_steps; i++)
                json_object_array_add(a, step_json(x, &x->run->steps[i], i + 1));
        return a;
}

static void plan_text(const Exec *x, bool with_status) {
        const Run *r = x->run;
        int wh = 0, wo = 0, ws = 0;

        printf("Plan: %s %s (claims the site on %s)%s%s\n", r->runbook, run_target(r), r->claim_host,
               r->id[0] ? ", run " : "", r->id);
        /* Columns as wide as their widest cell: long hook names must not run into the next column. */
        for (unsigned i = 0; i < r->n_steps; i++) {
                const char *op = step_operation(x->def, &r->steps[i]);
                wh = MAX(wh, (int) strlen(r->steps[i].host));
                wo = MAX(wo, (int) strlen(op ? op : "(wait)"));
                ws = MAX(ws, (int) strlen(r->steps[i].subject));
        }
        for (unsigned i = 0; i < r->n_steps; i++) {
                const Step *s = &r->steps[i];
                const StepKind *k = step_kind_find(x->def, s->kind);
                const char *op = k ? k->operation : NULL;
                char what[160], gate[160], st[32] = "";

                step_describe(x->def, s, what, sizeof(what));
                gate_text(s, gate, sizeof(gate));
                if (i == 0 || strcmp(s->phase, r->steps[i - 1].phase) != 0)
                        printf("  -- %s --\n", s->phase);
                if (with_status)
                        (void) snprintf(st, sizeof(st), "  [%s]", step_status_to_string(s->status));
                printf("  %2u. %-*s %-*s %-*s %s%s\n", i + 1, wh, s->host, wo, op ? op : "(wait)", ws, s->subject, what,
                       st);
                printf("      observe: %s%s%s\n", k ? k->observation : "?", strcmp(gate, "-") ? "; gate: " : "",
                       strcmp(gate, "-") ? gate : "");
        }
}

void report_plan(const Exec *x, bool with_status) {
        const Run *r = x->run;

        if (!output.json) {
                plan_text(x, with_status);
                return;
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "event", json_object_new_string("plan"));
        json_object_object_add(o, "run", json_object_new_string(r->id));
        json_object_object_add(o, "runbook", json_object_new_string(r->runbook));
        add_params(o, r);
        json_object_object_add(o, "status", json_object_new_string(run_status_display(r, NULL)));
        json_object_object_add(o, "steps", steps_json(x));
        output_json(o);
}

typedef struct Times {
        uint64_t wall, gates, jobs;
} Times;

/* From the first step's start to the run's last update (a detached run:
 * when it left), the time at gates and in the jobs by their own clocks.
 * A step counts its gate even if it has not finished: the wall covers it. */
static Times times_of(const Run *r) {
        uint64_t first = 0, last = r->updated_at;
        Times t = { 0 };

        for (unsigned i = 0; i < r->n_steps; i++) {
                const Step *s = &r->steps[i];
                if (s->started_at && (!first || s->started_at < first))
                        first = s->started_at;
                last = MAX(last, s->finished_at);
                t.gates += s->gate_usec;
                if (s->job_started_at && s->job_finished_at > s->job_started_at)
                        t.jobs += s->job_finished_at - s->job_started_at;
        }
        t.wall = first && last > first ? last - first : 0;
        return t;
}

static void summary_json(const Exec *x, Times t) {
        const Run *r = x->run;
        json_object *o = json_object_new_object();

        json_object_object_add(o, "event", json_object_new_string("summary"));
        json_object_object_add(o, "run", json_object_new_string(r->id));
        json_object_object_add(o, "runbook", json_object_new_string(r->runbook));
        json_object_object_add(o, "status", json_object_new_string(run_status_display(r, NULL)));
        add_params(o, r);
        json_object_object_add(o, "wall_usec", json_object_new_int64((int64_t) t.wall));
        json_object_object_add(o, "gate_usec", json_object_new_int64((int64_t) t.gates));
        json_object_object_add(o, "job_usec", json_object_new_int64((int64_t) t.jobs));
        if (x->def->summary)
                x->def->summary(r, o);
        json_object_object_add(o, "outside_window", json_object_new_boolean(r->outside_window));
        json_object_object_add(o, "steps", steps_json(x));
        output_json(o);
}

void report_summary(const Exec *x) {
        const Run *r = x->run;
        Times t = times_of(r);
        char wall[32] = "-", gates[32], jobs[32];

        if (output.json) {
                summary_json(x, t);
                return;
        }
        if (t.wall)
                (void) timespan_format(wall, sizeof(wall), t.wall);
        (void) timespan_format(gates, sizeof(gates), t.gates);
        (void) timespan_format(jobs, sizeof(jobs), t.jobs);
        output_line("%s", "");
        output_line("Summary of run %s (%s %s): %s", r->id, r->runbook, run_target(r), run_status_display(r, NULL));
        output_line("  %-34s %-9s %-8s %9s %9s  %s", "STEP", "HOST", "STATUS", "TOOK", "AT GATE", "AUDIT RECORD");
        for (unsigned i = 0; i < r->n_steps; i++) {
                const Step *s = &r->steps[i];
                char took[32] = "-", gate[32] = "-";
                if (step_duration(s))
                        (void) timespan_format(took, sizeof(took), step_duration(s));
                if (s->gate_usec)
                        (void) timespan_format(gate, sizeof(gate), s->gate_usec);
                output_line("  %-34s %-9s %-8s %9s %9s  %s", s->id, s->host, step_status_to_string(s->status), took,
                            gate, s->audit_id[0] ? s->audit_id : "-");
        }
        output_line("  Wall time %s: at gates %s, in jobs %s (by the jobs' own clocks).", wall, gates, jobs);
        if (x->def->summary)
                x->def->summary(r, NULL);
        if (r->outside_window)
                output_line("  Started outside the allowed window (--outside-window).");
}
