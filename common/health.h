/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Health checks (DESIGN.md section 2a): the states, the row every check
 * reports, and the thresholds that judge the figures. Shared by hubopsd (its
 * own thresholds, [Health] in helper.conf) and hubopsctl (the site's, [Health]
 * in site.conf, which it hands to the helper with each check). */

typedef enum HealthState { HEALTH_OK, HEALTH_WARN, HEALTH_FAIL, HEALTH_UNKNOWN, HEALTH_STATE_MAX } HealthState;

const char *health_state_to_string(HealthState s); /* "ok", "warn", "fail", "unknown" */
int health_state_from_string(const char *s);        /* HealthState, or -EINVAL */
HealthState health_state_worst(HealthState a, HealthState b); /* fail > warn > unknown > ok */

#define HEALTH_CHECK_MAX 24
#define HEALTH_SUBJECT_MAX 160
#define HEALTH_REASON_MAX 200

/* One check of one subject (a path, a device), as the table shows it. */
typedef struct HealthRow {
        char check[HEALTH_CHECK_MAX];     /* fs.space, fs.inodes, fs.writable, fs.errors, kernel.log,
                                             disk.throughput, disk.sync, backup.age, smart */
        char subject[HEALTH_SUBJECT_MAX]; /* what was checked: a path, a device */
        HealthState state;
        double value;                     /* the figure judged, in unit */
        char unit[12];                    /* "bytes", "inodes", "MB/s", "s", "errors", "" */
        char reason[HEALTH_REASON_MAX];   /* one sentence: the figure and the limit it passed */
        uint64_t measured_at;             /* CLOCK_REALTIME usec */
} HealthRow;

/* A free-space or free-inode limit: an absolute amount or a percentage. */
typedef struct HealthLimit {
        uint64_t amount;
        bool percent;
} HealthLimit;

typedef struct HealthThresholds {
        HealthLimit free_space_warn, free_space_fail;   /* FreeSpaceWarn= 10%, FreeSpaceFail= 5% */
        HealthLimit free_inodes_warn, free_inodes_fail; /* FreeInodesWarn= 10%, FreeInodesFail= 5% */
        double throughput_warn, throughput_fail;        /* ThroughputWarn= 50, ThroughputFail= 20 (MB/s) */
        uint64_t sync_warn_usec, sync_fail_usec;        /* SyncLatencyWarnSec= 20ms, SyncLatencyFailSec= 200ms (p99) */
        uint64_t backup_warn_usec, backup_fail_usec;    /* BackupAgeWarnSec= 26h, BackupAgeFailSec= 50h */
        uint64_t probe_age_warn_usec;                   /* ProbeAgeWarnSec= 7d: an older probe is a WARN */
        uint64_t kernel_window_usec;                    /* KernelLogWindowSec=: 0, since boot */
} HealthThresholds;

void health_thresholds_default(HealthThresholds *ret);

/* Set one threshold key (the names above) from its config text. 0; -ENOENT
 * for a key that is not a threshold; -EINVAL (*ret_reason says what is
 * expected) for a bad value. Used by both configs and by Health.Check(). */
int health_thresholds_set(HealthThresholds *t, const char *key, const char *value, const char **ret_reason);
bool health_threshold_key_is_known(const char *key);

/* Warn below fail, e.g. a warn limit stricter than its fail limit: NULL, or what is wrong. */
const char *health_thresholds_check(const HealthThresholds *t);

/* The free amount a limit means on a filesystem of size total. */
uint64_t health_limit_resolve(HealthLimit l, uint64_t total);

/* Fill a row; the reason is formatted. */
void health_row_set(HealthRow *r, const char *check, const char *subject, HealthState state, double value,
                    const char *unit, uint64_t at, const char *fmt, ...) __attribute__((format(printf, 8, 9)));
