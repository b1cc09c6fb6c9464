/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "site-config.h"

/* A run: one execution of a runbook definition (client/runbooks/), that is
 * its plan (an ordered list of steps) and how far each step got. A step is
 * one helper operation on one host (or a wait), with an optional gate
 * before it. The whole run is the state file (run-store.h), rewritten
 * atomically after every step transition, so a run interrupted anywhere
 * resumes from its first unfinished step. Resume uses the plan stored
 * here, not a fresh one: the site config may have changed since. */

#define RUN_STEPS_MAX 64
#define RUN_ID_LEN 64
#define RUN_TEXT_MAX 256
#define RUN_NAME_MAX 32 /* runbook names, step kinds, phases, parameter and figure names */
#define RUN_PARAMS_MAX 8
#define RUN_VALUE_MAX 253 /* a parameter or a step's subject: a host, a service, a mail domain */
#define RUN_FIGURES_MAX 8
#define RUN_JOB_PATH_MAX 128

typedef enum StepStatus {
        STEP_PENDING,
        STEP_GATING, /* waiting at the gate; nothing done yet */
        STEP_ACTING, /* the call is (being) made; job empty: interrupted before its reply came */
        STEP_DONE,
        STEP_SKIPPED, /* the observation found nothing to do */
        STEP_FAILED,
        STEP_STATUS_MAX,
} StepStatus;

typedef enum RunStatus {
        RUN_PLANNED,
        RUN_RUNNING,  /* a hubopsctl executes it; or it died doing so (run_lock_holder() tells) */
        RUN_DETACHED, /* the client left during a long step on purpose (--detach) */
        RUN_FAILED,   /* stopped at a failed step; resumable */
        RUN_DONE,
        RUN_DONE_WITH_FAILURE, /* tidied up after a failed step */
        RUN_ABANDONED,
        RUN_STATUS_MAX,
} RunStatus;

/* Wait before acting until a host's metric stays at or above a threshold. */
typedef struct Gate {
        char host[SITE_NAME_MAX + 1]; /* empty: no gate */
        char metric[RUN_NAME_MAX];    /* "cpu-idle" (the only one the helpers offer today) */
        double threshold;             /* fraction */
        uint64_t hold_usec, timeout_usec;
} Gate;

typedef struct Step {
        char id[96];
        char kind[RUN_NAME_MAX];  /* a row of the step-kind table (step-kinds.h) */
        char phase[RUN_NAME_MAX]; /* the plan's heading: "prepare", "rebuild", "tidy up" */
        char host[SITE_NAME_MAX + 1];
        char subject[RUN_VALUE_MAX + 1]; /* the service, hook or domain */
        Gate gate;
        uint64_t timeout_usec; /* the job's time before the step fails (the job goes on); 0: no limit */
        bool tidy_up;          /* part of the tidy-up (runs after a failure on request) */
        /* How far it got. */
        StepStatus status;
        uint64_t started_at, finished_at;         /* CLOCK_REALTIME usec, this client's clock */
        uint64_t gate_usec;                       /* time spent at the gate */
        uint64_t job_started_at, job_finished_at; /* the job's own StartedAt/FinishedAt */
        uint64_t job_floor;         /* the host's newest job id before acting: finds our job after a crash */
        char job[RUN_JOB_PATH_MAX]; /* the helper's job object path */
        char audit_id[33];          /* the helper's audit record of the request */
        char message[RUN_TEXT_MAX]; /* the observation, or the outcome */
} Step;

/* A runbook's argument ("hub" = "mailhub2"), as its definition names it. */
typedef struct RunParam {
        char key[RUN_NAME_MAX];
        char value[RUN_VALUE_MAX + 1];
} RunParam;

/* A reading the definition keeps for its summary ("memory_before"). */
typedef struct RunFigure {
        char key[RUN_NAME_MAX];
        uint64_t value;
} RunFigure;

typedef struct Run {
        char id[RUN_ID_LEN + 1];
        char runbook[RUN_NAME_MAX]; /* the definition's name, "rebuild-tables" */
        RunParam params[RUN_PARAMS_MAX];
        unsigned n_params;
        char claim_host[SITE_NAME_MAX + 1]; /* where the site is claimed for the run */
        char owner[64];
        uint32_t uid;
        char site[RUN_TEXT_MAX]; /* the site config it was planned from */
        uint64_t created_at, updated_at;
        RunStatus status;
        bool tidy_up_on_failure;
        bool outside_window; /* started outside the allowed window, by --outside-window */
        RunFigure figures[RUN_FIGURES_MAX];
        unsigned n_figures;
        char preflight_warnings[RUN_TEXT_MAX]; /* health WARNs the preflight showed ("" none) */
        char message[RUN_TEXT_MAX];            /* why it stopped */
        Step steps[RUN_STEPS_MAX];
        unsigned n_steps;
} Run;

const char *step_status_to_string(StepStatus s);
StepStatus step_status_from_string(const char *s);
const char *run_status_to_string(RunStatus s);
RunStatus run_status_from_string(const char *s);

static inline bool step_finished(const Step *s) {
        return s->status == STEP_DONE || s->status == STEP_SKIPPED;
}
static inline bool run_is_over(const Run *r) {
        return r->status == RUN_DONE || r->status == RUN_DONE_WITH_FAILURE || r->status == RUN_ABANDONED;
}

/* The value of parameter key, or NULL. */
const char *run_param(const Run *r, const char *key);
/* The first parameter's value ("" if none): what the run is about, in its id and listings. */
const char *run_target(const Run *r);
int run_set_param(Run *r, const char *key, const char *value);
/* 0 if never read. */
uint64_t run_figure(const Run *r, const char *key);
int run_set_figure(Run *r, const char *key, uint64_t value);

/* Append a step (phase, gate and the rest left for the caller); NULL if the plan is full. */
Step *run_add_step(Run *r, const char *kind, const char *id, const char *host, const char *subject);

/* The step's duration: at its gate plus its job's own time where the job
 * reported it (a client that re-attached later does not stretch it),
 * otherwise this client's start to finish. 0 while unfinished. */
uint64_t step_duration(const Step *s);
