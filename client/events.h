/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "engine.h"
#include "macro.h"

/* What a run tells its operator as it goes: on a terminal a live view,
 * otherwise timestamped lines, with --json one object per line, each with
 * {event, time, run} and, about a step, {step, host, operation, subject,
 * status, job, audit_id}. */

/* An event of x's run about step s (may be NULL), with a message. */
_printf_(4, 5) void events_emit(const Exec *x, const Step *s, const char *event, const char *fmt, ...);

/* --json only: a gate's sample (gate-waiting, gate-passed), as every step event. */
void events_gate(const Exec *x, const Step *s, const char *event, const LoadSample *sample, uint64_t held_usec,
                 uint64_t waited_usec);

/* --json only: a long job's progress (step-progress), at most every few
 * seconds or whole percent: percent, rate (percent per minute) and ETA. */
void events_progress(const Exec *x, const Step *s, const JobInfo *j);
