/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "health-parse.h"
#include "health-sample.h"
#include "health.h"

/* From figures to states: every check's OK/WARN/FAIL and its reason, under
 * given thresholds (the helper's own, or the site's that a client sends). */

typedef struct HealthProbeResult {
        uint64_t at;              /* when it ended (CLOCK_REALTIME usec); 0: never probed */
        bool ok;
        char error[160];          /* why it failed */
        double write_mbps;
        uint64_t sync_p50_usec, sync_p99_usec;
        uint64_t size;            /* bytes it wrote sequentially */
        uint64_t duration_usec;   /* the unit's whole run */
} HealthProbeResult;

typedef struct HealthSmartResult {
        char device[64];
        uint64_t at;              /* 0: not read yet */
        int error;                /* smartctl could not be run: -errno */
        char error_text[128];
        SmartResult smart;
} HealthSmartResult;

typedef struct HealthBackupUnit {
        uint64_t at;              /* when it was read; 0: not yet */
        char result[32];          /* systemd's Result of its last run; "" if it never ran */
        int exit_status;
        uint64_t exited_at;       /* its last run's end; 0: never */
} HealthBackupUnit;

typedef struct HealthInputs {
        const HealthSample *sample;
        const HealthThresholds *thresholds;
        uint64_t now;
        const char *probe_directory;      /* NULL: no probe configured */
        const HealthProbeResult *probe;
        const char *backup_path;          /* at most one of these two */
        const char *backup_unit;
        const HealthBackupUnit *backup_unit_state;
        const HealthSmartResult *smart;
        unsigned n_smart;
} HealthInputs;

#define HEALTH_ROWS_MAX 128

/* Fills up to max rows; returns how many. */
unsigned health_judge(const HealthInputs *in, HealthRow *rows, unsigned max);

/* Whether a sample begun at started (CLOCK_MONOTONIC usec) may answer a call
 * accepting max_age: younger than both max_age and the sampling period (a
 * sampler that fell behind never serves its last sample for long). */
bool health_sample_recent(uint64_t now, uint64_t started, uint64_t max_age, uint64_t interval);
