/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "health.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "timespan.h"

static const char *const state_names[HEALTH_STATE_MAX] = { "ok", "warn", "fail", "unknown" };

const char *health_state_to_string(HealthState s) {
        return s >= 0 && s < HEALTH_STATE_MAX ? state_names[s] : "unknown";
}

int health_state_from_string(const char *s) {
        for (int i = 0; i < HEALTH_STATE_MAX; i++)
                if (strcmp(s, state_names[i]) == 0)
                        return i;
        return -EINVAL;
}

HealthState health_state_worst(HealthState a, HealthState b) {
        static const int rank[HEALTH_STATE_MAX] = { 0, 2, 3, 1 };

        return rank[a] >= rank[b] ? a : b;
}

void health_thresholds_default(HealthThresholds *ret) {
        *ret = (HealthThresholds) {
                .free_space_warn = { 10, true },
                .free_space_fail = { 5, true },
                .free_inodes_warn = { 10, true },
                .free_inodes_fail = { 5, true },
                /* The story's disk did 15 MB/s: well below what a mail store needs. */
                .throughput_warn = 50.0,
                .throughput_fail = 20.0,
                .sync_warn_usec = 20 * USEC_PER_MSEC,
                .sync_fail_usec = 200 * USEC_PER_MSEC,
                /* A nightly backup is a day old at worst; a missed night is a WARN, two a FAIL. */
                .backup_warn_usec = 26ULL * 3600 * USEC_PER_SEC,
                .backup_fail_usec = 50ULL * 3600 * USEC_PER_SEC,
                .probe_age_warn_usec = 7ULL * 86400 * USEC_PER_SEC,
                .kernel_window_usec = 0,
        };
}

/* "N%" (0-100), or "N" with an optional K, M, G or T (powers of 1024). */
static int parse_limit(const char *value, HealthLimit *ret) {
        static const char suffixes[] = "KMGT";
        size_t digits = strspn(value, "0123456789");
        const char *end = value + digits, *suffix;
        uint64_t n = 0, unit = 1;

        if (digits == 0 || digits > 15)
                return -EINVAL;
        for (const char *d = value; d < end; d++)
                n = n * 10 + (uint64_t) (*d - '0');
        if (strcmp(end, "%") == 0) {
                if (n > 100)
                        return -ERANGE;
                *ret = (HealthLimit) { n, true };
                return 0;
        }
        if (*end != '\0') {
                suffix = strchr(suffixes, *end);
                if (!suffix || end[1] != '\0')
                        return -EINVAL;
                unit = 1ULL << (10 * (suffix - suffixes + 1));
        }
        if (n > (1ULL << 50) / unit)
                return -ERANGE;
        *ret = (HealthLimit) { n * unit, false };
        return 0;
}

/* A plain decimal such as "20" or "12.5", 0 to 100000. */
static int parse_rate(const char *value, double *ret) {
        char *end;
        double d;

        if (value[0] < '0' || value[0] > '9' || strspn(value, "0123456789.") != strlen(value))
                return -EINVAL;
        d = strtod(value, &end);
        if (*end != '\0' || !isfinite(d) || d > 100000.0)
                return -EINVAL;
        *ret = d;
        return 0;
}

static int parse_span(const char *value, uint64_t max, uint64_t *ret) {
        uint64_t t;

        if (timespan_parse(value, &t) < 0 || t > max)
                return -EINVAL;
        *ret = t;
        return 0;
}

#define SPAN_MAX (366ULL * 86400 * USEC_PER_SEC)

int health_thresholds_set(HealthThresholds *t, const char *key, const char *value, const char **ret_reason) {
        static const struct {
                const char *key;
                size_t offset;
        } limits[] = {
                { "FreeSpaceWarn", offsetof(HealthThresholds, free_space_warn) },
                { "FreeSpaceFail", offsetof(HealthThresholds, free_space_fail) },
                { "FreeInodesWarn", offsetof(HealthThresholds, free_inodes_warn) },
                { "FreeInodesFail", offsetof(HealthThresholds, free_inodes_fail) },
        }, spans[] = {
                { "SyncLatencyWarnSec", offsetof(HealthThresholds, sync_warn_usec) },
                { "SyncLatencyFailSec", offsetof(HealthThresholds, sync_fail_usec) },
                { "BackupAgeWarnSec", offsetof(HealthThresholds, backup_warn_usec) },
                { "BackupAgeFailSec", offsetof(HealthThresholds, backup_fail_usec) },
                { "ProbeAgeWarnSec", offsetof(HealthThresholds, probe_age_warn_usec) },
                { "KernelLogWindowSec", offsetof(HealthThresholds, kernel_window_usec) },
        };
        const char *reason = NULL;
        int r = -ENOENT;

        for (size_t i = 0; r == -ENOENT && i < ELEMENTSOF(limits); i++)
                if (strcmp(key, limits[i].key) == 0) {
                        r = parse_limit(value, (HealthLimit *) ((char *) t + limits[i].offset));
                        reason = "a percentage (10%) or an amount (2G; K, M, G, T)";
                }
        for (size_t i = 0; r == -ENOENT && i < ELEMENTSOF(spans); i++)
                if (strcmp(key, spans[i].key) == 0) {
                        r = parse_span(value, SPAN_MAX, (uint64_t *) ((char *) t + spans[i].offset));
                        reason = "a time span such as 20ms, 26h or 7d (at most a year)";
                }
        if (r == -ENOENT && (strcmp(key, "ThroughputWarn") == 0 || strcmp(key, "ThroughputFail") == 0)) {
                r = parse_rate(value, key[10] == 'W' ? &t->throughput_warn : &t->throughput_fail);
                reason = "MB/s (10^6 bytes a second), such as 50 or 12.5";
        }
        if (r == -ENOENT)
                return r;
        if (r < 0) {
                if (ret_reason)
                        *ret_reason = reason;
                return -EINVAL;
        }
        return 0;
}

bool health_threshold_key_is_known(const char *key) {
        HealthThresholds t;

        health_thresholds_default(&t);
        return health_thresholds_set(&t, key, "1", NULL) != -ENOENT;
}

static bool limit_stricter(HealthLimit warn, HealthLimit fail) {
        /* Only comparable in the same kind; a warn limit must ask for at least as much. */
        return warn.percent != fail.percent || warn.amount >= fail.amount;
}

const char *health_thresholds_check(const HealthThresholds *t) {
        if (!limit_stricter(t->free_space_warn, t->free_space_fail))
                return "FreeSpaceWarn= asks for less than FreeSpaceFail=";
        if (!limit_stricter(t->free_inodes_warn, t->free_inodes_fail))
                return "FreeInodesWarn= asks for less than FreeInodesFail=";
        if (t->throughput_warn < t->throughput_fail)
                return "ThroughputWarn= is below ThroughputFail=";
        if (t->sync_warn_usec > t->sync_fail_usec)
                return "SyncLatencyWarnSec= is above SyncLatencyFailSec=";
        if (t->backup_warn_usec > t->backup_fail_usec)
                return "BackupAgeWarnSec= is above BackupAgeFailSec=";
        return NULL;
}

uint64_t health_limit_resolve(HealthLimit l, uint64_t total) {
        if (!l.percent)
                return l.amount;
        return (uint64_t) ((long double) total * (long double) l.amount / 100.0L);
}

void health_row_set(HealthRow *r, const char *check, const char *subject, HealthState state, double value,
                    const char *unit, uint64_t at, const char *fmt, ...) {
        va_list ap;

        *r = (HealthRow) { .state = state, .value = value, .measured_at = at };
        (void) snprintf(r->check, sizeof(r->check), "%s", check);
        (void) snprintf(r->subject, sizeof(r->subject), "%s", subject);
        (void) snprintf(r->unit, sizeof(r->unit), "%s", unit);
        va_start(ap, fmt);
        (void) vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
        va_end(ap);
}
