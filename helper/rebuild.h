/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "context.h"
#include "rebuild-state.h"

/* The mailhub table rebuild (runbook step 5): one durable transient unit
 * per host, whose job outlives hubopsd restarts and client disconnects
 * (jobs.json, like every job). StateDirectory/rebuild-history.json keeps
 * the last run and the durations of past runs for the estimate; the
 * rebuild.json of a hubopsd before jobs.json, which also named the running
 * job, is read once at start-up and removed (iface-rebuild.c). */

/* The estimate: the median of the last REBUILD_ESTIMATE_RUNS successful
 * durations; without history the configured ExpectedDurationSec=; else 0.
 * basis says which, for the operator. */
uint64_t rebuild_estimate(const RebuildState *s, uint64_t configured, char *basis, size_t basis_size);
void rebuild_history_add(RebuildState *s, uint64_t duration);

/* rebuild-history.json, and an old rebuild.json: parse (fuzzed) and
 * format (the running job's fields only when job_id is set). */
int rebuild_state_parse(const char *json, RebuildState *ret);
char *rebuild_state_format(const RebuildState *s);

/* The rebuild row's restore (op_table_restore_all()): re-attach to a
 * rebuild that outlived the previous hubopsd, or report the one that ended
 * while none ran. */
void rebuild_restore(Context *c);
