/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* What StateDirectory/rebuild-history.json holds, and the running job an
 * old rebuild.json also held (see rebuild.h). */
#define REBUILD_HISTORY_MAX 10
#define REBUILD_ESTIMATE_RUNS 5

typedef struct RebuildState {
        uint64_t job_id;          /* the running job, 0: none */
        uint64_t started_at;      /* of the running job */
        uint32_t started_by;
        char last_result[32];     /* "" before the first run */
        uint64_t last_started_at, last_duration;
        uint64_t history[REBUILD_HISTORY_MAX]; /* durations of successful runs, oldest first */
        size_t n_history;
} RebuildState;

