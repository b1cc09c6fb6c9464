/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A run's plan and its summary, as text or JSON. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "output.h"
#include "runbook.h"
#include "timespan.h"

static void gate_text(const Run *r, const Step *s, char *buf, size_t size) {
        char hold[32], timeout[32];
        bool settle = s->kind == STEP_SETTLE;

        if (!s->gate && !settle) {
                (void) snprintf(buf, size, "-");
                return;
        }
        (void) timespan_format(hold, sizeof(hold), settle ? r->settle_hold_usec : r->idle_hold_usec);
        (void) timespan_format(timeout, sizeof(timeout), settle ? r->settle_timeout_usec : r->gate_timeout_usec);
        (void) snprintf(buf, size, "%s idle >= %.0f%% for %s (give up after %s)", r->directory_host,
                        r->idle_threshold * 100.0, hold, timeout);
}

static json_object *step_json(const Run *r, const Step *s, unsigned n) {
        json_object *o = json_object_new_object();
        const char *op = step_operation(s);
        char what[160], gate[160];

        step_describe(s, what, sizeof(what));
        gate_text(r, s, gate, sizeof(gate));
        json_object_object_add(o, "n", json_object_new_int((int) n));
        json_object_object_add(o, "step", json_object_new_string(s->id));
        json_object_object_add(o, "host", json_object_new_string(s->host));
        json_object_object_add(o, "operation", json_object_new_string(op ? op : "settle"));
        json_object_object_add(o, "subject", json_object_new_string(s->subject));
        json_object_object_add(o, "description", json_object_new_string(what));
        json_object_object_add(o, "gate", (s->gate || s->kind == STEP_SETTLE) ? json_object_new_string(gate) : NULL);
        json_object_object_add(o, "observe", json_object_new_string(step_observation(s)));
        json_object_object_add(o, "tidy_up", json_object_new_boolean(s->tidy_up));
        json_object_object_add(o, "status", json_object_new_string(step_status_to_string(s->status)));
        json_object_object_add(o, "duration_usec",
                               json_object_new_int64(s->finished_at > s->started_at
                                                             ? (int64_t) (s->finished_at - s->started_at)
                                                             : 0));
        json_object_object_add(o, "gate_usec", json_object_new_int64((int64_t) s->gate_usec));
        json_object_object_add(o, "job", json_object_new_string(s->job));
        json_object_object_add(o, "audit_id", json_object_new_string(s->audit_id));
        json_object_object_add(o, "message", json_object_new_string(s->message));
        return o;
}

/* Columns as wide as their widest cell: long hook names must not run into the next column. */
static void plan_column_widths(const Run *r, int *ret_host, int *ret_op, int *ret_subject) {
        int wh = 0, wo = 0, ws = 0;

        for (unsigned i = 0; i < r->n_steps; i++) {
                const char *op = step_operation(&r->steps[i]);
                wh = MAX(wh, (int) strlen(r->steps[i].host));
                wo = MAX(wo, (int) strlen(op ? op : "(wait)"));
                ws = MAX(ws, (int) strlen(r->steps[i].subject));
        }
        *ret_host = wh, *ret_op = wo, *ret_subject = ws;
}

void runbook_print_plan(const Run *r, bool with_status) {
        if (output.json) {
                json_object *o = json_object_new_object(), *a = json_object_new_array();
                json_object_object_add(o, "event", json_object_new_string("plan"));
                json_object_object_add(o, "run", json_object_new_string(r->id));
                json_object_object_add(o, "runbook", json_object_new_string(r->runbook));
                json_object_object_add(o, "hub", json_object_new_string(r->hub));
                json_object_object_add(o, "status", json_object_new_string(run_status_to_string(r->status)));
                for (unsigned i = 0; i < r->n_steps; i++)
                        json_object_array_add(a, step_json(r, &r->steps[i], i + 1));
                json_object_object_add(o, "steps", a);
                output_json(o);
                return;
        }
        printf("Plan: %s %s (directory: %s)%s%s\n", r->runbook, r->hub, r->directory_host, r->id[0] ? ", run " : "",
               r->id);
        int wh, wo, ws;
        plan_column_widths(r, &wh, &wo, &ws);
        for (unsigned i = 0; i < r->n_steps; i++) {
                const Step *s = &r->steps[i];
                const char *op = step_operation(s);
                char what[160], gate[160];

                step_describe(s, what, sizeof(what));
                gate_text(r, s, gate, sizeof(gate));
                if (i == 0 || s->tidy_up != r->steps[i - 1].tidy_up || s->kind == STEP_REBUILD)
                        printf("  %s\n", s->tidy_up ? "-- tidy up --" : s->kind == STEP_REBUILD ? "-- rebuild --"
                                                                                               : "-- prepare --");
                char st[32] = "";
                if (with_status)
                        (void) snprintf(st, sizeof(st), "  [%s]", step_status_to_string(s->status));
                printf("  %2u. %-*s %-*s %-*s %s%s\n", i + 1, wh, s->host, wo, op ? op : "(wait)", ws, s->subject,
                       what, st);
                printf("      observe: %s%s%s\n", step_observation(s), strcmp(gate, "-") ? "; gate: " : "",
                       strcmp(gate, "-") ? gate : "");
        }
}

static void fmt_mib(char *buf, size_t size, uint64_t v) {
        if (v)
                (void) snprintf(buf, size, "%.1f MiB", (double) v / 1048576.0);
        else
                (void) snprintf(buf, size, "-");
}

void runbook_print_summary(const Run *r) {
        uint64_t first = 0, last = 0, gates = 0, rebuild = 0;

        for (unsigned i = 0; i < r->n_steps; i++) {
                const Step *s = &r->steps[i];
                if (s->started_at && (!first || s->started_at < first))
                        first = s->started_at;
                if (s->finished_at > last)
                        last = s->finished_at;
                gates += s->gate_usec;
                if (s->kind == STEP_REBUILD && s->finished_at > s->started_at)
                        rebuild = s->finished_at - s->started_at - s->gate_usec;
        }
        if (output.json) {
                json_object *o = json_object_new_object(), *a = json_object_new_array();
                json_object_object_add(o, "event", json_object_new_string("summary"));
                json_object_object_add(o, "run", json_object_new_string(r->id));
                json_object_object_add(o, "status", json_object_new_string(run_status_to_string(r->status)));
                json_object_object_add(o, "hub", json_object_new_string(r->hub));
                json_object_object_add(o, "wall_usec", json_object_new_int64(last > first ? (int64_t) (last - first) : 0));
                json_object_object_add(o, "gate_usec", json_object_new_int64((int64_t) gates));
                json_object_object_add(o, "rebuild_usec", json_object_new_int64((int64_t) rebuild));
                json_object_object_add(o, "memory_before", json_object_new_int64((int64_t) r->memory_before));
                json_object_object_add(o, "memory_peak", json_object_new_int64((int64_t) r->memory_peak));
                json_object_object_add(o, "memory_after", json_object_new_int64((int64_t) r->memory_after));
                json_object_object_add(o, "outside_window", json_object_new_boolean(r->outside_window));
                for (unsigned i = 0; i < r->n_steps; i++)
                        json_object_array_add(a, step_json(r, &r->steps[i], i + 1));
                json_object_object_add(o, "steps", a);
                output_json(o);
                return;
        }

        char wall[32] = "-", g[32], rb[32], before[32], peak[32], after[32];
        if (last > first)
                (void) timespan_format(wall, sizeof(wall), last - first);
        (void) timespan_format(g, sizeof(g), gates);
        (void) timespan_format(rb, sizeof(rb), rebuild);
        fmt_mib(before, sizeof(before), r->memory_before);
        fmt_mib(peak, sizeof(peak), r->memory_peak);
        fmt_mib(after, sizeof(after), r->memory_after);
        output_line("%s", "");
        output_line("Summary of run %s (%s %s): %s", r->id, r->runbook, r->hub, run_status_to_string(r->status));
        output_line("  %-34s %-9s %-8s %9s %9s  %s", "STEP", "HOST", "STATUS", "TOOK", "AT GATE", "AUDIT RECORD");
        for (unsigned i = 0; i < r->n_steps; i++) {
                const Step *s = &r->steps[i];
                char took[32] = "-", gate[32] = "-";
                if (s->finished_at > s->started_at)
                        (void) timespan_format(took, sizeof(took), s->finished_at - s->started_at);
                if (s->gate_usec)
                        (void) timespan_format(gate, sizeof(gate), s->gate_usec);
                output_line("  %-34s %-9s %-8s %9s %9s  %s", s->id, s->host, step_status_to_string(s->status), took,
                            gate, s->audit_id[0] ? s->audit_id : "-");
        }
        output_line("  Wall time %s: at gates %s, rebuilding %s.", wall, g, rb);
        output_line("  Directory memory: %s before, %s before the tidy-up restart, %s after.", before, peak, after);
        if (r->outside_window)
                output_line("  Started outside the allowed window (--outside-window).");
}
