/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "helper-api.h"
#include "ini-strict.h"
#include "run.h"
#include "site-config.h"

/* The runbook engine: what a runbook definition (client/runbooks/NAME.c)
 * gives it, and what it hands back while it runs one. The engine's
 * modules: run-store (the state file), executor (the steps), step-kinds
 * (one row per helper operation a step can make), preflight (and the site
 * claim), events (the live view and --json), report (plan and summary). */

typedef struct RunOptions {
        bool yes;            /* no confirmation question */
        bool dry_run;        /* plan and preflight only */
        bool detach;         /* leave once a long step's job runs */
        bool roll_forward;   /* resume: leave a failed step failed and tidy up */
        bool outside_window; /* start outside AllowedTime=/Blackout= (recorded) */
        bool tidy_up_on_failure;
} RunOptions;

typedef struct RunbookDef RunbookDef;

/* One run being executed. */
typedef struct Exec {
        Run *run;
        const SiteConfig *site;
        const RunbookDef *def;
        HelperApi *api;
        RunOptions opts;
        bool fresh; /* a new run, not a resume */
} Exec;

/* A kind of step: how it observes, acts, finds its job again after a
 * crash, and is shown. */
typedef struct StepKind {
        const char *name;           /* in the state file: "service-start" */
        const char *operation;      /* for CanRun and the plan: "service.start"; NULL: no action, a wait */
        const char *job_operation;  /* how Manager.ListJobs names the job it starts ... */
        const char *job_subject;    /* ... and its subject; NULL: the step's subject */
        const char *job_operation_older; /* how a helper from before one set of names listed it, or NULL */
        const char *iface, *method; /* the call that starts the job (returns its path) */
        bool call_with_subject;     /* ... with the step's subject as its argument */
        bool detachable;            /* a long job: --detach leaves while it runs */
        const char *observation;    /* what it looks at first (the plan says so) */
        void (*describe)(const Step *s, char *buf, size_t size);
        /* Before acting: 0 act, 1 nothing to do (status and message set), 2
         * its job already runs (s->job set), 3 failed (a check that found a
         * problem: status and message set), or -EXITCODE (error printed). NULL: act. */
        int (*observe)(Exec *x, Step *s);
        /* The call's arguments after the subject (if call_with_subject): a
         * mode, a flag, lists. NULL: none. < 0: the step cannot act (error set in s->message). */
        int (*append)(Exec *x, Step *s, sd_bus_message *m);
} StepKind;

/* The preflight's notebook (preflight.h). */
typedef struct Preflight Preflight;

typedef enum StepMoment {
        STEP_MOMENT_BEFORE,  /* observed, about to act */
        STEP_MOMENT_DONE,    /* its job ended well */
        STEP_MOMENT_RUN_END, /* s is NULL: the run's last step is behind it */
} StepMoment;

typedef struct RunbookParam {
        const char *key;     /* in the run: "hub" */
        const char *metavar; /* in the usage: "HUB" */
        const char *default_value; /* NULL: required; else it may be left out (the last ones only) */
} RunbookParam;

struct RunbookDef {
        const char *name;        /* runbook start NAME, [Runbook NAME] */
        const char *description; /* one line */
        const RunbookParam *params;
        size_t n_params;
        /* A failed step always leads to the tidy-up steps (as
         * --tidy-up-on-failure), whose own observation decides what they do. */
        bool tidy_up_always;
        /* Step kinds of its own, looked up before the engine's. */
        const StepKind *kinds;
        size_t n_kinds;

        /* [Runbook NAME] beyond the common AllowedTime= and Blackout=:
         * the settings with their defaults, each key (1, or 0 after
         * ini_strict_error(); -ENOENT for a key it does not know), the checks
         * across sections after the parse (0 or < 0 after ini_strict_error()). */
        void *(*config_new)(void);
        void (*config_free)(void *config);
        int (*config_key)(void *config, IniStrict *ini, const char *key, const char *value);
        int (*config_check)(const void *config, const SiteConfig *site, IniStrict *ini);

        /* The plan, into r whose params are set: 0, or -ENOENT (no such
         * host) / -EINVAL / -E2BIG with a sentence in err. r->claim_host is
         * set by it: the host the site is claimed on. */
        int (*plan)(const SiteConfig *site, const void *config, Run *r, char *err, size_t err_size);
        /* Its own preflight checks (may be NULL). */
        void (*preflight)(Exec *x, Preflight *p);
        /* A running step's progress told better than its unit can (may be
         * NULL): a copy's totals from the survey, say, not rsync's count so far. */
        void (*refine_progress)(const Run *r, const Step *s, JobInfo *j);
        /* Readings for the summary, at a step's moments (may be NULL). */
        void (*observe)(Exec *x, const Step *s, StepMoment m);
        /* Its summary figures: as fields of json, or (json NULL) as text lines. */
        void (*summary)(const Run *r, json_object *json);
        /* What a finished run achieved: "the tables of mailhub2 are rebuilt". */
        void (*achieved)(const Run *r, char *buf, size_t size);
};

/* The definitions, by name (runbooks.c). */
const RunbookDef *runbook_find(const char *name);
const RunbookDef *runbook_nth(size_t i);
size_t runbook_count(void);

/* The kind of step s, its runbook's own first; NULL if unknown. */
const StepKind *step_kind_find(const RunbookDef *def, const char *name);
/* "restart the directory (...)", or the kind's name if unknown. */
void step_describe(const RunbookDef *def, const Step *s, char *buf, size_t size);
/* The step's operation for CanRun and the plan; NULL for a wait or an unknown kind. */
const char *step_operation(const RunbookDef *def, const Step *s);
/* The same for the eye and --json: a wait is "settle". */
const char *step_operation_label(const RunbookDef *def, const Step *s);
