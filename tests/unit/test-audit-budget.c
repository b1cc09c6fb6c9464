/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "audit-budget.h"
#include "macro.h"

#define SEC USEC_PER_SEC
#define T0 (1000ULL * SEC) /* a monotonic "now" well past 0 */
#define OUTSIDER 1002

/* What report() was handed, and whether it says the write failed. */
typedef struct Reports {
        AuditSuppressed got[AUDIT_BUDGET_UIDS_MAX + 2];
        unsigned n;
        int fail_with;
} Reports;

static int collect(const AuditSuppressed *s, void *userdata) {
        Reports *r = userdata;

        assert_true(r->n < ELEMENTSOF(r->got));
        r->got[r->n++] = *s;
        return r->fail_with;
}

static AuditBudget *budget(unsigned burst, uint64_t interval) {
        AuditBudget *b = NULL;

        assert_int_equal(audit_budget_new(burst, interval, &b), 0);
        assert_non_null(b);
        return b;
}

static void test_budget_refuses_bad_limits(_unused_ void **state) {
        AuditBudget *b = NULL;

        assert_int_equal(audit_budget_new(0, SEC, &b), -EINVAL);
        assert_int_equal(audit_budget_new(1, 0, &b), -EINVAL);
        assert_int_equal(audit_budget_new(2, UINT64_MAX / 2 + 1, &b), -ERANGE);
        assert_null(b);
}

static void test_budget_is_a_burst_then_one_per_interval(_unused_ void **state) {
        _cleanup_(audit_budget_freep) AuditBudget *b = budget(4, SEC);

        for (int i = 0; i < 4; i++)
                assert_true(audit_budget_take(b, OUTSIDER, T0));
        assert_false(audit_budget_take(b, OUTSIDER, T0));
        assert_false(audit_budget_take(b, OUTSIDER, T0 + SEC - 1));
        assert_true(audit_budget_take(b, OUTSIDER, T0 + SEC)); /* one back per interval */
        assert_false(audit_budget_take(b, OUTSIDER, T0 + SEC));
        /* A long quiet spell refills the bucket, never past the burst. */
        for (int i = 0; i < 4; i++)
                assert_true(audit_budget_take(b, OUTSIDER, T0 + 3600 * SEC));
        assert_false(audit_budget_take(b, OUTSIDER, T0 + 3600 * SEC));
}

static void test_budget_is_per_uid_and_never_for_root(_unused_ void **state) {
        _cleanup_(audit_budget_freep) AuditBudget *b = budget(1, SEC);

        assert_true(audit_budget_take(b, OUTSIDER, T0));
        assert_false(audit_budget_take(b, OUTSIDER, T0));
        assert_true(audit_budget_take(b, OUTSIDER + 1, T0)); /* another uid: a bucket of its own */
        for (int i = 0; i < 1000; i++)
                assert_true(audit_budget_take(b, 0, T0));
}

static void test_budget_counts_exactly_and_reports_when_due(_unused_ void **state) {
        _cleanup_(audit_budget_freep) AuditBudget *b = budget(1, SEC);
        Reports r = { 0 };

        assert_int_equal(audit_budget_due(b), UINT64_MAX);
        for (uint64_t i = 0; i < 500; i++)
                audit_budget_suppress(b, OUTSIDER, 1700000000000000ULL + i, T0 + i);
        assert_int_equal(audit_budget_due(b), T0 + AUDIT_SUPPRESSED_REPORT_USEC);

        /* Not due yet: nothing is reported. */
        assert_int_equal(audit_budget_report(b, true, T0 + AUDIT_SUPPRESSED_REPORT_USEC - 1, collect, &r), 0);
        assert_int_equal(r.n, 0);

        /* A failed write keeps the count, which goes on growing. */
        r.fail_with = -ENOSPC;
        assert_int_equal(audit_budget_report(b, true, T0 + AUDIT_SUPPRESSED_REPORT_USEC, collect, &r), -ENOSPC);
        assert_int_equal(r.n, 1);
        audit_budget_suppress(b, OUTSIDER, 1700000000009999ULL, T0 + 2 * AUDIT_SUPPRESSED_REPORT_USEC);

        r = (Reports) { 0 };
        assert_int_equal(audit_budget_report(b, true, T0 + 2 * AUDIT_SUPPRESSED_REPORT_USEC, collect, &r), 0);
        assert_int_equal(r.n, 1);
        assert_int_equal(r.got[0].uid, OUTSIDER);
        assert_int_equal(r.got[0].count, 501);
        assert_int_equal(r.got[0].first_usec, 1700000000000000ULL);
        assert_int_equal(r.got[0].last_usec, 1700000000009999ULL);

        /* Reported once: cleared. */
        assert_int_equal(audit_budget_due(b), UINT64_MAX);
        r = (Reports) { 0 };
        assert_int_equal(audit_budget_report(b, false, 0, collect, &r), 0);
        assert_int_equal(r.n, 0);
}

static void test_budget_report_all_ignores_due_time(_unused_ void **state) {
        _cleanup_(audit_budget_freep) AuditBudget *b = budget(1, SEC);
        Reports r = { 0 };

        audit_budget_suppress(b, OUTSIDER, 1, T0);
        audit_budget_suppress(b, 0, 2, T0); /* root's refusals, kept out of the reserve */
        audit_budget_suppress(b, AUDIT_BUDGET_UID_UNKNOWN, 3, T0);
        assert_int_equal(audit_budget_report(b, false, 0, collect, &r), 0);
        assert_int_equal(r.n, 3);
        for (unsigned i = 0; i < r.n; i++)
                assert_int_equal(r.got[i].count, 1);
}

/* A table full of uids that are not at rest: the next uid shares the
 * unknown uids' bucket; once a uid is at rest its slot is reused. */
static void test_budget_table_is_bounded(_unused_ void **state) {
        _cleanup_(audit_budget_freep) AuditBudget *b = budget(1, SEC);
        uid_t last = 10000 + AUDIT_BUDGET_UIDS_MAX;
        Reports r = { 0 };

        for (uid_t u = 10000; u < last; u++)
                assert_true(audit_budget_take(b, u, T0));
        assert_true(audit_budget_take(b, last, T0));      /* the shared bucket's one */
        assert_false(audit_budget_take(b, last + 1, T0)); /* shares it */
        assert_false(audit_budget_take(b, AUDIT_BUDGET_UID_UNKNOWN, T0));
        audit_budget_suppress(b, last + 1, 7, T0);
        assert_int_equal(audit_budget_report(b, false, 0, collect, &r), 0);
        assert_int_equal(r.n, 1);
        assert_int_equal(r.got[0].uid, AUDIT_BUDGET_UID_UNKNOWN);

        /* A second later every bucket is full again: a newcomer gets its own. */
        assert_true(audit_budget_take(b, last + 2, T0 + SEC));
        assert_false(audit_budget_take(b, last + 2, T0 + SEC));
        assert_true(audit_budget_take(b, last + 3, T0 + SEC));
}

static void test_reserve_in_blocks(_unused_ void **state) {
        const uint64_t mib = 1024ULL * 1024ULL;

        assert_int_equal(audit_reserve_blocks(mib, 4096, 1ULL << 30), 256);
        assert_int_equal(audit_reserve_blocks(mib + 1, 4096, 1ULL << 30), 257); /* rounded up */
        assert_int_equal(audit_reserve_blocks(0, 4096, 1ULL << 30), 0);
        /* A 2 MiB filesystem: a quarter of it, 512 KiB. */
        assert_int_equal(audit_reserve_blocks(mib, 4096, 512), 128);
        assert_int_equal(audit_reserve_blocks(UINT64_MAX, 1, UINT64_MAX), UINT64_MAX / 4);
        assert_int_equal(audit_reserve_blocks(mib, 0, 512), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_budget_refuses_bad_limits),
                cmocka_unit_test(test_budget_is_a_burst_then_one_per_interval),
                cmocka_unit_test(test_budget_is_per_uid_and_never_for_root),
                cmocka_unit_test(test_budget_counts_exactly_and_reports_when_due),
                cmocka_unit_test(test_budget_report_all_ignores_due_time),
                cmocka_unit_test(test_budget_table_is_bounded),
                cmocka_unit_test(test_reserve_in_blocks),
        };

        return cmocka_run_group_tests_name("audit-budget", tests, NULL, NULL);
}
