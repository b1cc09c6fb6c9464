/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rebuild's estimate and its state file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rebuild.h"

#define SEC 1000000ULL

static void test_estimate_falls_back_to_configured_then_nothing(void **state) {
        RebuildState s = { 0 };
        char basis[64];

        (void) state;
        assert_int_equal(rebuild_estimate(&s, 4 * 3600 * SEC, basis, sizeof(basis)), 4 * 3600 * SEC);
        assert_string_equal(basis, "the configured ExpectedDurationSec=");
        assert_int_equal(rebuild_estimate(&s, 0, basis, sizeof(basis)), 0);
        assert_string_equal(basis, "");
}

static void test_estimate_is_the_median_of_the_last_runs(void **state) {
        RebuildState s = { 0 };
        char basis[64];

        (void) state;
        rebuild_history_add(&s, 100 * SEC);
        assert_int_equal(rebuild_estimate(&s, 999 * SEC, basis, sizeof(basis)), 100 * SEC);
        assert_string_equal(basis, "the median of the last 1 run");
        rebuild_history_add(&s, 300 * SEC);
        assert_int_equal(rebuild_estimate(&s, 0, basis, sizeof(basis)), 200 * SEC); /* even: mean of the middle two */
        /* One run that hung for hours does not drag the estimate. */
        rebuild_history_add(&s, 40000 * SEC);
        assert_int_equal(rebuild_estimate(&s, 0, basis, sizeof(basis)), 300 * SEC);
        assert_string_equal(basis, "the median of the last 3 runs");
}

static void test_estimate_gets_better_after_a_few_runs(void **state) {
        RebuildState s = { 0 };
        const uint64_t truth = 4 * 3600 * SEC, first_guess = 2 * 3600 * SEC;
        uint64_t err_before, err_after, e;
        char basis[64];

        (void) state;
        e = rebuild_estimate(&s, first_guess, basis, sizeof(basis));
        err_before = e > truth ? e - truth : truth - e;
        for (int i = 0; i < 4; i++)
                rebuild_history_add(&s, truth + (uint64_t) (i % 2 ? 600 : -600) * SEC);
        e = rebuild_estimate(&s, first_guess, basis, sizeof(basis));
        err_after = e > truth ? e - truth : truth - e;
        assert_true(err_after * 10 < err_before);
}

static void test_history_keeps_only_the_newest(void **state) {
        RebuildState s = { 0 };
        char basis[64];

        (void) state;
        for (uint64_t i = 1; i <= REBUILD_HISTORY_MAX + 5; i++)
                rebuild_history_add(&s, i * SEC);
        assert_int_equal(s.n_history, REBUILD_HISTORY_MAX);
        assert_int_equal(s.history[0], 6 * SEC);
        assert_int_equal(s.history[REBUILD_HISTORY_MAX - 1], (REBUILD_HISTORY_MAX + 5) * SEC);
        /* The last five: 11..15 s, median 13 s. */
        assert_int_equal(rebuild_estimate(&s, 0, basis, sizeof(basis)), 13 * SEC);
}

static void test_state_round_trips(void **state) {
        RebuildState s = { .job_id = 42, .started_at = 1700000000000000ULL, .started_by = 1001,
                           .last_result = "exit-code", .last_started_at = 5, .last_duration = 7 };
        RebuildState back;
        char *json;

        (void) state;
        rebuild_history_add(&s, 10 * SEC);
        rebuild_history_add(&s, 20 * SEC);
        json = rebuild_state_format(&s);
        assert_non_null(json);
        assert_int_equal(rebuild_state_parse(json, &back), 0);
        free(json);
        assert_int_equal(back.job_id, 42);
        assert_int_equal(back.started_by, 1001);
        assert_string_equal(back.last_result, "exit-code");
        assert_int_equal(back.n_history, 2);
        assert_int_equal(back.history[1], 20 * SEC);
}

static void test_state_rejects_malformed_files(void **state) {
        static const char *const bad[] = {
                "",
                "[]",
                "{\"job\": -1}",
                "{\"job\": \"7\"}",
                "{\"started_by\": 4294967296}",
                "{\"last_result\": 5}",
                "{\"last_result\": \"a-result-name-far-too-long-for-its-field\"}",
                "{\"history\": [1, 2, 0]}",
                "{\"history\": [1,2,3,4,5,6,7,8,9,10,11]}",
                "{\"history\": {}}",
                "{\"job\": 1",
        };
        RebuildState s;

        (void) state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                print_message("case: %s\n", bad[i]);
                assert_int_equal(rebuild_state_parse(bad[i], &s), -EBADMSG);
        }
        assert_int_equal(rebuild_state_parse("{}", &s), 0);
        assert_int_equal(s.job_id, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_estimate_falls_back_to_configured_then_nothing),
                cmocka_unit_test(test_estimate_is_the_median_of_the_last_runs),
                cmocka_unit_test(test_estimate_gets_better_after_a_few_runs),
                cmocka_unit_test(test_history_keeps_only_the_newest),
                cmocka_unit_test(test_state_round_trips),
                cmocka_unit_test(test_state_rejects_malformed_files),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
