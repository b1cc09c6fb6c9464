/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "hubops-bus.h"
#include "macro.h"
#include "names.h"

/* A string of n copies of c after prefix; the caller frees it. */
static char *repeat(const char *prefix, char c, size_t n) {
        size_t l = strlen(prefix);
        char *s = malloc(l + n + 1);

        assert_non_null(s);
        memcpy(s, prefix, l);
        memset(s + l, c, n);
        s[l + n] = '\0';
        return s;
}

static void test_name_is_valid_accepts_narrow_names_only(_unused_ void **state) {
        static const struct {
                const char *name;
                bool valid;
        } cases[] = {
                { "a", true },
                { "hook-1", true },
                { "A.B_c-9", true },
                { "x.-", true },
                { "_private", true },
                { "9lives", true },
                { "", false },
                { ".hidden", false },
                { "-x", false },
                { "a b", false },
                { "a/b", false },
                { "../x", false },
                { "a:b", false },
                { "a@b", false },
                { "a\tb", false },
                { "a\n", false },
                { "caf\xc3\xa9", false },
                { "a$", false },
                { "a'b", false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (name_is_valid(cases[i].name) != cases[i].valid)
                        fail_msg("name_is_valid(\"%s\") should be %s", cases[i].name,
                                 cases[i].valid ? "true" : "false");
        assert_false(name_is_valid(NULL));
}

static void test_name_is_valid_length_limit(_unused_ void **state) {
        char *max = repeat("", 'n', HUBOPS_NAME_MAX), *over = repeat("", 'n', HUBOPS_NAME_MAX + 1);

        assert_true(name_is_valid(max));
        assert_false(name_is_valid(over));
        free(max);
        free(over);
}

static void test_path_is_safe_absolute_table(_unused_ void **state) {
        static const struct {
                const char *path;
                bool safe;
        } cases[] = {
                { "/", true },
                { "/etc/hubops/helper.conf", true },
                { "/var/log/hubops/audit.jsonl", true },
                { "/a/..b", true },
                { "/a/b..", true },
                { "/a/.b", true },
                { "/a/...", true },
                { "/with space/x", true },
                { "", false },
                { "relative", false },
                { "relative/path", false },
                { "./x", false },
                { "~/x", false },
                { "/a//b", false },
                { "//a", false },
                { "/a/./b", false },
                { "/a/.", false },
                { "/.", false },
                { "/a/../b", false },
                { "/a/b/..", false },
                { "/..", false },
                { "/a\tb", false },
                { "/a\nb", false },
                { "/a\x7f", false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (path_is_safe_absolute(cases[i].path) != cases[i].safe)
                        fail_msg("path_is_safe_absolute(\"%s\") should be %s", cases[i].path,
                                 cases[i].safe ? "true" : "false");
        assert_false(path_is_safe_absolute(NULL));
}

static void test_path_is_safe_absolute_length_limit(_unused_ void **state) {
        char *max = repeat("/", 'p', PATH_MAX - 2), *over = repeat("/", 'p', PATH_MAX - 1);

        assert_int_equal(strlen(max), PATH_MAX - 1);
        assert_true(path_is_safe_absolute(max));
        assert_false(path_is_safe_absolute(over));
        free(max);
        free(over);
}

static void test_text_is_printable_table(_unused_ void **state) {
        static const struct {
                const char *text;
                unsigned max;
                bool printable;
        } cases[] = {
                { "", 0, true },
                { "abc", 3, true },
                { "abcd", 3, false },
                { "a b ~ !\"#", 20, true },
                { "caf\xc3\xa9", 10, true }, /* UTF-8 bytes are not control characters */
                { "tab\t", 10, false },
                { "nl\n", 10, false },
                { "cr\r", 10, false },
                { "esc\x1b[0m", 10, false },
                { "del\x7f", 10, false },
                { "\x01", 10, false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (text_is_printable(cases[i].text, cases[i].max) != cases[i].printable)
                        fail_msg("text_is_printable(\"%s\", %u) should be %s", cases[i].text, cases[i].max,
                                 cases[i].printable ? "true" : "false");
        assert_false(text_is_printable(NULL, 10));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_name_is_valid_accepts_narrow_names_only),
                cmocka_unit_test(test_name_is_valid_length_limit),
                cmocka_unit_test(test_path_is_safe_absolute_table),
                cmocka_unit_test(test_path_is_safe_absolute_length_limit),
                cmocka_unit_test(test_text_is_printable_table),
        };

        return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
