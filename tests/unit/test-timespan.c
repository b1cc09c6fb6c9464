/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "macro.h"
#include "timespan.h"

#define SEC USEC_PER_SEC
#define MSEC USEC_PER_MSEC

static void test_timespan_parses_units(_unused_ void **state) {
        static const struct {
                const char *input;
                uint64_t usec;
        } cases[] = {
                { "90", 90 * SEC },
                { "90s", 90 * SEC },
                { "90sec", 90 * SEC },
                { "5min", 5 * 60 * SEC },
                { "5 minutes", 5 * 60 * SEC },
                { "5m", 5 * 60 * SEC },
                { "1h 30min", 90 * 60 * SEC },
                { "1h30min", 90 * 60 * SEC },
                { "2hr", 2 * 3600 * SEC },
                { "3 hours", 3 * 3600 * SEC },
                { "250ms", 250 * MSEC },
                { "250msec", 250 * MSEC },
                { "2d", 2 * 86400 * SEC },
                { "2days", 2 * 86400 * SEC },
                { "10us", 10 },
                { "10usec", 10 },
                { "  7 s  ", 7 * SEC },
                { "1d 1h 1min 1s 1ms 1us", 90061 * SEC + MSEC + 1 },
                { "0", 0 },
                { "007", 7 * SEC },
                { "18446744073709551us", 18446744073709551ULL },
                { "10000000000000000000us 8446744073709551000us", 18446744073709551000ULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint64_t usec = 0;
                int r = timespan_parse(cases[i].input, &usec);

                if (r < 0 || usec != cases[i].usec)
                        fail_msg("\"%s\": expected %llu, got r=%d %llu", cases[i].input,
                                 (unsigned long long) cases[i].usec, r, (unsigned long long) usec);
        }
}

static void test_timespan_rejects_malformed_and_overflow(_unused_ void **state) {
        static const struct {
                const char *input;
                int error;
        } cases[] = {
                { "", -EINVAL },
                { "   ", -EINVAL },
                { "abc", -EINVAL },
                { "s", -EINVAL },
                { "min 5", -EINVAL },
                { "5 parsecs", -EINVAL },
                { "5x", -EINVAL },
                { "5mins", -EINVAL },
                { "5sx", -EINVAL },
                { "-5s", -EINVAL },
                { "+5s", -EINVAL },
                { "1.5s", -EINVAL },
                { "5s,", -EINVAL },
                { "99999999999999999999", -ERANGE },
                { "18446744073709551616us", -ERANGE },
                { "20000000000000s", -ERANGE },
                { "213503982335d", -ERANGE },
                { "10000000000000000000us 10000000000000000000us", -ERANGE },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint64_t usec = 4711;
                int r = timespan_parse(cases[i].input, &usec);

                if (r != cases[i].error)
                        fail_msg("\"%s\": expected %d, got %d", cases[i].input, cases[i].error, r);
                assert_int_equal(usec, 4711); /* untouched on failure */
        }
        assert_int_equal(timespan_parse(NULL, &(uint64_t) { 0 }), -EINVAL);
}

static void test_timespan_formats_for_humans(_unused_ void **state) {
        static const struct {
                uint64_t usec;
                const char *text;
        } cases[] = {
                { 0, "0ms" },
                { 999, "0ms" },
                { 250 * MSEC, "250ms" },
                { SEC - 1, "999ms" },
                { SEC, "1.0s" },
                { 12 * SEC + 500 * MSEC, "12.5s" },
                { 59 * SEC + 999 * MSEC, "59.9s" },
                { 60 * SEC, "1min 0s" },
                { 90 * SEC, "1min 30s" },
                { 3599 * SEC, "59min 59s" },
                { 3600 * SEC, "1h 0min" },
                { (4 * 3600 + 2 * 60 + 59) * SEC, "4h 2min" },
                { 2 * 86400 * SEC, "48h 0min" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char buf[32];

                assert_ptr_equal(timespan_format(buf, sizeof(buf), cases[i].usec), buf);
                assert_string_equal(buf, cases[i].text);
        }
}

static void test_timespan_format_truncates_and_terminates(_unused_ void **state) {
        char buf[8];

        memset(buf, 'x', sizeof(buf));
        assert_ptr_equal(timespan_format(buf, 4, 12 * SEC + 500 * MSEC), buf);
        assert_string_equal(buf, "12.");
        assert_int_equal(buf[4], 'x'); /* nothing written past size */
}

static void test_timespan_format_output_parses_back(_unused_ void **state) {
        static const char *const inputs[] = { "1h 30min", "5min 7s", "250ms", "12h 0min" };

        for (size_t i = 0; i < ELEMENTSOF(inputs); i++) {
                uint64_t usec, again;
                char buf[32];

                assert_int_equal(timespan_parse(inputs[i], &usec), 0);
                timespan_format(buf, sizeof(buf), usec);
                assert_string_equal(buf, inputs[i]);
                assert_int_equal(timespan_parse(buf, &again), 0);
                assert_int_equal(again, usec);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_timespan_parses_units),
                cmocka_unit_test(test_timespan_rejects_malformed_and_overflow),
                cmocka_unit_test(test_timespan_formats_for_humans),
                cmocka_unit_test(test_timespan_format_truncates_and_terminates),
                cmocka_unit_test(test_timespan_format_output_parses_back),
        };

        return cmocka_run_group_tests_name("timespan", tests, NULL, NULL);
}
