/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The run's vocabulary: status names, parameters, figures, steps. */
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"

static const char *const step_status_names[STEP_STATUS_MAX] = {
        [STEP_PENDING] = "pending", [STEP_GATING] = "gating",   [STEP_ACTING] = "acting",
        [STEP_DONE] = "done",       [STEP_SKIPPED] = "skipped", [STEP_FAILED] = "failed",
};
static const char *const run_status_names[RUN_STATUS_MAX] = {
        [RUN_PLANNED] = "planned",     [RUN_RUNNING] = "running", [RUN_DETACHED] = "detached",
        [RUN_FAILED] = "failed",       [RUN_DONE] = "done",       [RUN_DONE_WITH_FAILURE] = "done-with-failure",
        [RUN_ABANDONED] = "abandoned",
};

static int lookup(const char *const *table, int n, const char *s) {
        for (int i = 0; i < n; i++)
                if (table[i] && strcmp(table[i], s) == 0)
                        return i;
        return -1;
}

const char *step_status_to_string(StepStatus s) {
        return s >= 0 && s < STEP_STATUS_MAX ? step_status_names[s] : "?";
}
StepStatus step_status_from_string(const char *s) {
        return (StepStatus) lookup(step_status_names, STEP_STATUS_MAX, s);
}
const char *run_status_to_string(RunStatus s) {
        return s >= 0 && s < RUN_STATUS_MAX ? run_status_names[s] : "?";
}
RunStatus run_status_from_string(const char *s) {
        return (RunStatus) lookup(run_status_names, RUN_STATUS_MAX, s);
}

const char *run_param(const Run *r, const char *key) {
        for (unsigned i = 0; i < r->n_params; i++)
                if (strcmp(r->params[i].key, key) == 0)
                        return r->params[i].value;
        return NULL;
}

const char *run_target(const Run *r) {
        return r->n_params > 0 ? r->params[0].value : "";
}

int run_set_param(Run *r, const char *key, const char *value) {
        RunParam *p = NULL;

        for (unsigned i = 0; i < r->n_params && !p; i++)
                if (strcmp(r->params[i].key, key) == 0)
                        p = &r->params[i];
        if (!p) {
                if (r->n_params >= RUN_PARAMS_MAX)
                        return -E2BIG;
                p = &r->params[r->n_params++];
                (void) snprintf(p->key, sizeof(p->key), "%s", key);
        }
        (void) snprintf(p->value, sizeof(p->value), "%s", value);
        return 0;
}

uint64_t run_figure(const Run *r, const char *key) {
        for (unsigned i = 0; i < r->n_figures; i++)
                if (strcmp(r->figures[i].key, key) == 0)
                        return r->figures[i].value;
        return 0;
}

int run_set_figure(Run *r, const char *key, uint64_t value) {
        for (unsigned i = 0; i < r->n_figures; i++)
                if (strcmp(r->figures[i].key, key) == 0) {
                        r->figures[i].value = value;
                        return 0;
                }
        if (r->n_figures >= RUN_FIGURES_MAX)
                return -E2BIG;
        (void) snprintf(r->figures[r->n_figures].key, sizeof(r->figures[0].key), "%s", key);
        r->figures[r->n_figures++].value = value;
        return 0;
}

Step *run_add_step(Run *r, const char *kind, const char *id, const char *host, const char *subject) {
        Step *s;

        if (r->n_steps >= RUN_STEPS_MAX)
                return NULL;
        s = &r->steps[r->n_steps++];
        *s = (Step) { .status = STEP_PENDING };
        (void) snprintf(s->kind, sizeof(s->kind), "%s", kind);
        (void) snprintf(s->id, sizeof(s->id), "%s", id);
        (void) snprintf(s->host, sizeof(s->host), "%s", host);
        (void) snprintf(s->subject, sizeof(s->subject), "%s", subject ? subject : "");
        return s;
}

uint64_t step_duration(const Step *s) {
        if (!step_finished(s) && s->status != STEP_FAILED)
                return 0;
        if (s->job_finished_at > s->job_started_at && s->job_started_at)
                return s->gate_usec + (s->job_finished_at - s->job_started_at);
        return s->finished_at > s->started_at ? s->finished_at - s->started_at : 0;
}
