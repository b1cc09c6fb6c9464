/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "audit-budget.h"

#include <errno.h>
#include <stdlib.h>

/* A token bucket kept as the time it is full again (GCRA): each record
 * written moves full_at one interval on; a record may be written while
 * full_at stays within burst intervals of now. No division, no drift, and
 * a bucket at rest (full, nothing suppressed) is the same as no bucket. */
typedef struct Bucket {
        bool used;
        uint64_t full_at;
        AuditSuppressed suppressed; /* .uid is the bucket's; .count 0: nothing pending */
} Bucket;

struct AuditBudget {
        uint64_t interval;
        uint64_t window; /* burst * interval */
        Bucket shared;   /* unknown uids, and those the table has no room for */
        Bucket buckets[AUDIT_BUDGET_UIDS_MAX];
};

int audit_budget_new(unsigned burst, uint64_t interval_usec, AuditBudget **ret) {
        AuditBudget *b;
        uint64_t window;

        if (burst == 0 || interval_usec == 0)
                return -EINVAL;
        if (__builtin_mul_overflow((uint64_t) burst, interval_usec, &window))
                return -ERANGE;
        b = calloc(1, sizeof(AuditBudget));
        if (!b)
                return -ENOMEM;
        b->interval = interval_usec;
        b->window = window;
        b->shared = (Bucket) { .used = true, .suppressed.uid = AUDIT_BUDGET_UID_UNKNOWN };
        *ret = b;
        return 0;
}

void audit_budget_free(AuditBudget *b) {
        free(b);
}

static bool bucket_at_rest(const Bucket *k, uint64_t now) {
        return !k->used || (k->full_at <= now && k->suppressed.count == 0);
}

static Bucket *bucket_for(AuditBudget *b, uid_t uid, uint64_t now) {
        Bucket *reusable = NULL;

        if (uid == AUDIT_BUDGET_UID_UNKNOWN)
                return &b->shared;
        for (unsigned i = 0; i < AUDIT_BUDGET_UIDS_MAX; i++) {
                Bucket *k = &b->buckets[i];
                if (k->used && k->suppressed.uid == uid)
                        return k;
                if (!reusable && bucket_at_rest(k, now))
                        reusable = k;
        }
        if (!reusable)
                return &b->shared;
        *reusable = (Bucket) { .used = true, .suppressed.uid = uid };
        return reusable;
}

bool audit_budget_take(AuditBudget *b, uid_t uid, uint64_t now) {
        Bucket *k;
        uint64_t from;

        /* Root could fill the disk in other ways; its refusals are a
         * misconfiguration to see, never a flood to hold back. */
        if (uid == 0)
                return true;
        k = bucket_for(b, uid, now);
        from = k->full_at > now ? k->full_at : now;
        if (from - now + b->interval > b->window)
                return false;
        k->full_at = from + b->interval;
        return true;
}

void audit_budget_suppress(AuditBudget *b, uid_t uid, uint64_t when_usec, uint64_t now) {
        AuditSuppressed *s = &bucket_for(b, uid, now)->suppressed;

        if (s->count++ == 0) {
                s->first_usec = when_usec;
                s->since = now;
        }
        s->last_usec = when_usec;
}

static uint64_t due_at(const AuditSuppressed *s) {
        return s->since + AUDIT_SUPPRESSED_REPORT_USEC;
}

uint64_t audit_budget_due(const AuditBudget *b) {
        uint64_t due = b->shared.suppressed.count > 0 ? due_at(&b->shared.suppressed) : UINT64_MAX;

        for (unsigned i = 0; i < AUDIT_BUDGET_UIDS_MAX; i++) {
                const AuditSuppressed *s = &b->buckets[i].suppressed;
                if (b->buckets[i].used && s->count > 0 && due_at(s) < due)
                        due = due_at(s);
        }
        return due;
}

static int report_one(Bucket *k, bool due_only, uint64_t now, audit_budget_report_t report, void *userdata) {
        int r;

        if (!k->used || k->suppressed.count == 0 || (due_only && due_at(&k->suppressed) > now))
                return 0;
        r = report(&k->suppressed, userdata);
        if (r >= 0)
                k->suppressed.count = 0;
        return r;
}

int audit_budget_report(AuditBudget *b, bool due_only, uint64_t now, audit_budget_report_t report, void *userdata) {
        int r, ret = report_one(&b->shared, due_only, now, report, userdata);

        for (unsigned i = 0; i < AUDIT_BUDGET_UIDS_MAX; i++) {
                r = report_one(&b->buckets[i], due_only, now, report, userdata);
                if (r < 0 && ret >= 0)
                        ret = r;
        }
        return ret < 0 ? ret : 0;
}

uint64_t audit_reserve_blocks(uint64_t reserve_bytes, uint64_t block_size, uint64_t fs_blocks) {
        uint64_t blocks;

        if (block_size == 0)
                return 0;
        blocks = reserve_bytes / block_size + (reserve_bytes % block_size != 0);
        /* A reserve as large as a small filesystem would keep every refusal
         * out of it: there, three quarters remain for refusals. */
        return blocks < fs_blocks / 4 ? blocks : fs_blocks / 4;
}
