/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The STATUS= progress grammar (helper/unit-status.h): what parses, and
 * that a service's free-form status never reads as progress. */
#include <errno.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "macro.h"
#include "unit-status.h"

static void test_unit_status_parses_counters(_unused_ void **state) {
        UnitStatus s;

        assert_int_equal(unit_status_parse("files 1200/5000 bytes 10485760/52428800", &s), 0);
        assert_int_equal(s.n_counters, 2);
        assert_string_equal(s.counters[0].name, "files");
        assert_int_equal(s.counters[0].done, 1200);
        assert_int_equal(s.counters[0].total, 5000);
        assert_string_equal(s.counters[1].name, "bytes");
        assert_int_equal(s.counters[1].done, 10485760);
        assert_int_equal(s.counters[1].total, 52428800);

        assert_int_equal(unit_status_parse("passes 0/3", &s), 0);
        assert_int_equal(s.n_counters, 1);
        assert_int_equal(unit_status_parse("a 18446744073709551615/18446744073709551615", &s), 0);
        assert_true(s.counters[0].done == UINT64_MAX);
        assert_int_equal(unit_status_parse("a 1/2 b 1/2 c 1/2 d 1/2", &s), 0);
        assert_int_equal(s.n_counters, 4);
}

static void test_unit_status_refuses_anything_else(_unused_ void **state) {
        static const char *const bad[] = {
                "",
                "Processing requests...",     /* a service's own words */
                "files",
                "files 1/",
                "files /2",
                "files 1/2 ",                 /* trailing space */
                " files 1/2",
                "files  1/2",
                "files 1/2  bytes 1/2",
                "files 1/2,bytes 1/2",
                "Files 1/2",
                "files-done 1/2",
                "files 01/2",
                "files 1/02",
                "files -1/2",
                "files +1/2",
                "files 1/0",                  /* no total */
                "files 0/0",
                "files 3/2",                  /* past the end */
                "files 1/18446744073709551616",
                "files 1/2 files 1/2",        /* twice */
                "a 1/2 b 1/2 c 1/2 d 1/2 e 1/2",
                "abcdefghijklmnopq 1/2",      /* 17 letters */
                "files 1/2\n",
                "files 1.5/2",
        };
        UnitStatus s = { .n_counters = 99 };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (unit_status_parse(bad[i], &s) != -EINVAL)
                        fail_msg("\"%s\" parsed", bad[i]);
        assert_int_equal(s.n_counters, 99); /* untouched on failure */
        assert_int_equal(unit_status_parse(NULL, &s), -EINVAL);
}

static void test_unit_status_refuses_overlong_text(_unused_ void **state) {
        char text[UNIT_STATUS_TEXT_MAX + 2];
        UnitStatus s;

        /* "a 1/" then digits: a well-formed counter, too long as a whole. */
        memset(text, '1', sizeof(text) - 1);
        text[sizeof(text) - 1] = '\0';
        memcpy(text, "a 1/", 4);
        assert_int_equal(unit_status_parse(text, &s), -EINVAL);
}

/* The first counter leads: a copy's bytes copied, second, end far below the
 * total when most files were there already (hubops-mailsync). */
static void test_unit_status_fraction_is_the_first_counters(_unused_ void **state) {
        UnitStatus s;

        assert_int_equal(unit_status_parse("files 1/4 bytes 3/4", &s), 0);
        assert_true(unit_status_fraction(&s) == 0.25);
        assert_int_equal(unit_status_parse("bytes 3/4 files 1/4", &s), 0);
        assert_true(unit_status_fraction(&s) == 0.75);
        assert_int_equal(unit_status_parse("files 4/4 bytes 1/40", &s), 0);
        assert_true(unit_status_fraction(&s) == 1.0);
        s.n_counters = 0;
        assert_true(unit_status_fraction(&s) == 0.0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_unit_status_parses_counters),
                cmocka_unit_test(test_unit_status_refuses_anything_else),
                cmocka_unit_test(test_unit_status_refuses_overlong_text),
                cmocka_unit_test(test_unit_status_fraction_is_the_first_counters),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
