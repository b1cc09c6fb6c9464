/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "macro.h"

#include "hosts.h"
#include "run.h"

/* Running a plan: preflight, claim the site, each step observe -> gate ->
 * act -> wait, the state file saved at every transition, a summary. */

typedef struct RunOptions {
        bool yes;            /* no confirmation question */
        bool dry_run;        /* plan and preflight only */
        bool detach;         /* leave once the rebuild runs */
        bool roll_forward;   /* resume: leave a failed step failed and tidy up */
        bool outside_window; /* start outside AllowedTime=/Blackout= (recorded) */
        bool tidy_up_on_failure;
} RunOptions;

typedef struct Exec {
        Run *run;
        const SiteConfig *site;
        Hosts hosts;
        RunOptions opts;
        bool fresh; /* a new run, not a resume */
        /* A rebuild that was already running when the run started is not ours. */
} Exec;

/* Each returns an exit code (exit-codes.h), having printed what happened. */
int runbook_preflight(Exec *x);
int runbook_execute(Exec *x);

/* Print the plan (text or JSON), with the step statuses once it has run. */
void runbook_print_plan(const Run *r, bool with_status);
void runbook_print_summary(const Run *r);

/* An event about step s (may be NULL): with --json one object
 * {event, time, run, step, host, operation, subject, status, message},
 * otherwise the message as a (timestamped) line. */
_printf_(4, 5) void runbook_emit(const Run *r, const Step *s, const char *event, const char *fmt, ...);

/* Claim or release the site on the directory host. Exit codes. */
int runbook_claim(Exec *x);
int runbook_release(Exec *x);
