/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "events.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "output.h"

/* Progress events: when the whole percent moves, or this often. */
#define PROGRESS_EVERY_USEC (30ULL * USEC_PER_SEC)

/* {event, time, run, step, host, operation, subject, status, job, audit_id}: the order readers grep by. */
static json_object *event_new(const Exec *x, const Step *s, const char *event) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "event", json_object_new_string(event));
        json_object_object_add(o, "time", json_object_new_int64((int64_t) now_usec(CLOCK_REALTIME)));
        json_object_object_add(o, "run", json_object_new_string(x->run->id));
        if (!s)
                return o;
        json_object_object_add(o, "step", json_object_new_string(s->id));
        json_object_object_add(o, "host", json_object_new_string(s->host));
        json_object_object_add(o, "operation", json_object_new_string(step_operation_label(x->def, s)));
        json_object_object_add(o, "subject", json_object_new_string(s->subject));
        json_object_object_add(o, "status", json_object_new_string(step_status_to_string(s->status)));
        if (s->job[0])
                json_object_object_add(o, "job", json_object_new_string(s->job));
        if (s->audit_id[0])
                json_object_object_add(o, "audit_id", json_object_new_string(s->audit_id));
        return o;
}

void events_emit(const Exec *x, const Step *s, const char *event, const char *fmt, ...) {
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (!output.json) {
                output_line("%s", msg);
                return;
        }
        json_object *o = event_new(x, s, event);
        json_object_object_add(o, "message", json_object_new_string(msg));
        output_json(o);
}

void events_gate(const Exec *x, const Step *s, const char *event, const LoadSample *sample, uint64_t held_usec,
                 uint64_t waited_usec) {
        json_object *o;

        if (!output.json)
                return;
        o = event_new(x, s, event);
        json_object_object_add(o, "gate_host", json_object_new_string(s->gate.host));
        helper_load_to_json(o, sample, true, held_usec, waited_usec);
        output_json(o);
}

void events_progress(const Exec *x, const Step *s, const JobInfo *j) {
        static char last_job[RUN_JOB_PATH_MAX];
        static int last_percent = -1;
        static uint64_t last_at;
        uint64_t now = now_usec(CLOCK_REALTIME), elapsed = now > j->started_at ? now - j->started_at : 0;
        int percent = j->progress_valid ? (int) (j->progress * 100.0) : -1;
        json_object *o;

        if (!output.json)
                return;
        if (strcmp(last_job, j->path) == 0 && percent == last_percent && now - last_at < PROGRESS_EVERY_USEC)
                return;
        (void) snprintf(last_job, sizeof(last_job), "%s", j->path);
        last_percent = percent, last_at = now;

        o = event_new(x, s, "step-progress");
        json_object_object_add(o, "phase", json_object_new_string(j->phase));
        json_object_object_add(o, "elapsed_usec", json_object_new_int64((int64_t) elapsed));
        if (j->progress_valid) {
                double per_min = elapsed ? j->progress * 100.0 * 60.0 * (double) USEC_PER_SEC / (double) elapsed : 0;
                json_object_object_add(o, "percent", json_object_new_double(j->progress * 100.0));
                json_object_object_add(o, "rate_percent_per_min", json_object_new_double(per_min));
                json_object_object_add(
                        o, "eta_usec",
                        json_object_new_int64(j->expected_end_at > now ? (int64_t) (j->expected_end_at - now) : 0));
                json_object_object_add(o, "estimate_basis", json_object_new_string(j->estimate_basis));
        }
        if (j->n_counters > 0) {
                json_object *counters = json_object_new_array();

                for (size_t i = 0; i < j->n_counters; i++) {
                        json_object *c = json_object_new_object();

                        json_object_object_add(c, "name", json_object_new_string(j->counters[i].name));
                        json_object_object_add(c, "done", json_object_new_uint64(j->counters[i].done));
                        json_object_object_add(c, "total", json_object_new_uint64(j->counters[i].total));
                        json_object_object_add(c, "per_sec",
                                               json_object_new_double(job_counter_per_sec(&j->counters[i], elapsed)));
                        json_object_array_add(counters, c);
                }
                json_object_object_add(o, "counters", counters);
        }
        json_object_object_add(o, "message", json_object_new_string(j->message));
        output_json(o);
}
