/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* The budget of refusal records per caller uid (DESIGN.md section 7): what
 * a refused caller can make hubopsd write is bounded, so that looping on a
 * refused call cannot fill the audit filesystem. A token bucket per uid:
 * AUDIT_REFUSAL_BURST_DEFAULT records at once, then one more per interval.
 * The refusals over budget are not written but counted, exactly, and the
 * count is written later as one "suppressed" record per uid. Root is never
 * budgeted. */

/* 64 at once: more than an honest streak of refusals (a runbook run against
 * a host that lacks its hooks, a polkit rule mistyped) leaves; one a second
 * after that: a caller who loops on a refused call gets a record a second
 * (some 40 MB a day), and the suppressed records count the rest. */
#define AUDIT_REFUSAL_BURST_DEFAULT 64U
#define AUDIT_REFUSAL_INTERVAL_DEFAULT_USEC (1ULL * USEC_PER_SEC)
/* A suppressed count is due this long after its first suppression (and
 * written then if there is room above the reserve): soon enough to be read
 * while a flood goes on, and at most one record per uid per interval. */
#define AUDIT_SUPPRESSED_REPORT_USEC (10ULL * USEC_PER_SEC)
/* Buckets kept. One user may be many uids (subordinate uids in a user
 * namespace), so the table is bounded: past it, uids whose bucket is full
 * and who have nothing suppressed are forgotten (they are as if new), and
 * if none is, the newcomer shares one bucket with callers whose uid is
 * unknown (reported without a uid). */
#define AUDIT_BUDGET_UIDS_MAX 256U
#define AUDIT_BUDGET_UID_UNKNOWN ((uid_t) -1)

/* A count of refusals not written, for one uid. */
typedef struct AuditSuppressed {
        uid_t uid; /* AUDIT_BUDGET_UID_UNKNOWN: unknown, or past the table */
        uint64_t count;
        uint64_t first_usec; /* CLOCK_REALTIME of the first and last refusal counted */
        uint64_t last_usec;
        uint64_t since; /* CLOCK_MONOTONIC of the first: when the count is due */
} AuditSuppressed;

typedef struct AuditBudget AuditBudget;

/* burst >= 1, interval_usec >= 1. */
int audit_budget_new(unsigned burst, uint64_t interval_usec, AuditBudget **ret);
void audit_budget_free(AuditBudget *b);
static inline void audit_budget_freep(AuditBudget **b) {
        audit_budget_free(*b);
}

/* May a refusal by uid be written at monotonic time now? Takes one from its
 * bucket if so. Root always may. */
bool audit_budget_take(AuditBudget *b, uid_t uid, uint64_t now);

/* Count a refusal by uid that was not written (over budget, or no room);
 * when_usec: its CLOCK_REALTIME. */
void audit_budget_suppress(AuditBudget *b, uid_t uid, uint64_t when_usec, uint64_t now);

/* The monotonic time the oldest pending count is due (its first suppression
 * plus AUDIT_SUPPRESSED_REPORT_USEC), or UINT64_MAX if none is pending. */
uint64_t audit_budget_due(const AuditBudget *b);

/* Hand each pending count (or, with due_only, each due at now) to report();
 * a count is cleared when report() returns >= 0, and kept (growing on) when
 * it fails. Returns the first failure, or 0. */
typedef int (*audit_budget_report_t)(const AuditSuppressed *s, void *userdata);
int audit_budget_report(AuditBudget *b, bool due_only, uint64_t now, audit_budget_report_t report, void *userdata);

/* The reserve (AuditLimits.reserve_bytes) in blocks of block_size, at most
 * a quarter of the filesystem's fs_blocks: free blocks refusals leave. */
uint64_t audit_reserve_blocks(uint64_t reserve_bytes, uint64_t block_size, uint64_t fs_blocks);
