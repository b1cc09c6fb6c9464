/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "site-config.h"

/* A runbook run: the plan (an ordered list of steps, each with its host,
 * operation, gate and first observation) and how far it got. The whole
 * thing is the state file ~/.local/state/hubops/runs/ID.json, rewritten
 * atomically after every step transition, so a run interrupted anywhere
 * (Ctrl-C, SIGKILL, lost ssh, reboot) resumes from its first unfinished
 * step. Resume uses the plan stored here, not a fresh one: the site config
 * may have changed since. */

#define RUN_STEPS_MAX 64
#define RUN_ID_LEN 64
#define RUN_TEXT_MAX 256

typedef enum StepKind {
        STEP_DIRECTORY_RESTART,
        STEP_SERVICE_START,
        STEP_SERVICE_STOP,
        STEP_HOOK,
        STEP_REBUILD,
        STEP_SETTLE, /* no action: wait for the directory's load to settle */
        STEP_KIND_MAX,
} StepKind;

typedef enum StepStatus {
        STEP_PENDING,
        STEP_GATING, /* waiting at the gate; nothing done yet */
        STEP_ACTING, /* the call is (being) made; job may be empty if interrupted right then */
        STEP_DONE,
        STEP_SKIPPED, /* the observation found nothing to do */
        STEP_FAILED,
        STEP_STATUS_MAX,
} StepStatus;

typedef enum RunStatus {
        RUN_PLANNED,
        RUN_RUNNING,  /* or interrupted: a client that died leaves it so */
        RUN_DETACHED, /* the client left during the rebuild on purpose (--detach) */
        RUN_FAILED,   /* stopped at a failed step; resumable */
        RUN_DONE,
        RUN_DONE_WITH_FAILURE, /* tidied up after a failed step */
        RUN_ABANDONED,
        RUN_STATUS_MAX,
} RunStatus;

typedef struct Step {
        char id[96];
        StepKind kind;
        char host[SITE_NAME_MAX + 1];
        char subject[SITE_NAME_MAX + 1]; /* the service or hook */
        bool gate;                       /* wait for the directory host's idle gate before acting */
        bool tidy_up;                    /* part of the tidy-up (runs after a failure on request) */
        /* How far it got. */
        StepStatus status;
        uint64_t started_at, finished_at; /* CLOCK_REALTIME usec */
        uint64_t gate_usec;               /* time spent at the gate */
        uint64_t job_floor;               /* the host's newest job id before acting: finds our job after a crash */
        char job[128];                    /* the helper's job object path */
        char audit_id[33];                /* the helper's audit record of the request */
        char message[RUN_TEXT_MAX];       /* the observation, or the outcome */
} Step;

typedef struct Run {
        char id[RUN_ID_LEN + 1];
        char runbook[32]; /* "rebuild-tables" */
        char hub[SITE_NAME_MAX + 1];
        char directory_host[SITE_NAME_MAX + 1];
        char owner[64];
        uint32_t uid;
        char site[RUN_TEXT_MAX]; /* the site config it was planned from */
        uint64_t created_at;
        RunStatus status;
        bool tidy_up_on_failure;
        bool outside_window; /* started outside the allowed window, by --outside-window */
        char preflight_warnings[RUN_TEXT_MAX]; /* health WARNs the preflight showed ("" none) */
        double idle_threshold;
        uint64_t idle_hold_usec, gate_timeout_usec, settle_hold_usec, settle_timeout_usec, rebuild_timeout_usec;
        uint64_t memory_before, memory_peak, memory_after; /* the directory's, 0: not read */
        char message[RUN_TEXT_MAX];                        /* why it stopped */
        Step steps[RUN_STEPS_MAX];
        unsigned n_steps;
} Run;

const char *step_kind_to_string(StepKind k);
StepKind step_kind_from_string(const char *s);
const char *step_status_to_string(StepStatus s);
StepStatus step_status_from_string(const char *s);
const char *run_status_to_string(RunStatus s);
RunStatus run_status_from_string(const char *s);

/* The helper operation a step asks for (for CanRun), e.g. "service.start"; NULL for STEP_SETTLE. */
const char *step_operation(const Step *s);
/* "Restart the directory", "Start regclient" ... */
void step_describe(const Step *s, char *buf, size_t size);
/* What the step looks at before acting, and when it skips. */
const char *step_observation(const Step *s);
static inline bool step_finished(const Step *s) {
        return s->status == STEP_DONE || s->status == STEP_SKIPPED;
}

/* The rebuild-tables plan for hub: DESIGN.md section 1, step by step.
 * Returns 0, or -EINVAL with a sentence in err. */
int plan_rebuild_tables(const SiteConfig *site, const char *hub, Run *ret, char *err, size_t err_size);

/* The state file, both ways. parse: 0 or -EBADMSG (anything malformed or out of range). */
int run_parse(const char *json, Run *ret);
char *run_format(const Run *r);

/* ~/.local/state/hubops/runs (or $XDG_STATE_HOME/hubops/runs), created 0700. */
int run_dir(char *buf, size_t size, bool create);
int run_save(const Run *r);
/* Remove ID.json: a run that never claimed the site. */
int run_delete(const char *id);
int run_load(const char *id, Run *ret, char *err, size_t err_size);
