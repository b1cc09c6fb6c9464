/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "execline.h"
#include "macro.h"

#define WORDS_MAX 8

static void test_execline_splits_words_quotes_and_escapes(_unused_ void **state) {
        static const struct {
                const char *input;
                const char *argv[WORDS_MAX + 1];
        } cases[] = {
                { "/bin/true", { "/bin/true" } },
                { "  /bin/echo   a  b  ", { "/bin/echo", "a", "b" } },
                { "/bin/echo \"a b\" 'c d'", { "/bin/echo", "a b", "c d" } },
                { "/bin/echo \"say \\\"hi\\\"\"", { "/bin/echo", "say \"hi\"" } },
                { "/bin/echo \"back\\\\slash\"", { "/bin/echo", "back\\slash" } },
                /* Only \" and \\ are escapes; anything else stays as written. */
                { "/bin/echo \"a\\nb\"", { "/bin/echo", "a\\nb" } },
                { "/bin/echo 'single \\ kept'", { "/bin/echo", "single \\ kept" } },
                { "/bin/echo 'it\"s'", { "/bin/echo", "it\"s" } },
                { "/bin/echo a\"b c\"d", { "/bin/echo", "ab cd" } },
                { "/bin/echo \"a\"'b'", { "/bin/echo", "ab" } },
                { "/bin/echo \"\" ''", { "/bin/echo", "", "" } },
                { "'/usr/lib/my tool' --x=1", { "/usr/lib/my tool", "--x=1" } },
                { "/bin/sh -c 'exit 1'", { "/bin/sh", "-c", "exit 1" } },
                { "/bin/echo -n @x +y !z :w", { "/bin/echo", "-n", "@x", "+y", "!z", ":w" } },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const char *reason = NULL;
                char **argv = NULL;
                unsigned n = 0;
                int r;

                r = execline_parse(cases[i].input, WORDS_MAX, &argv, &reason);
                if (r < 0)
                        fail_msg("\"%s\": unexpected error %d (%s)", cases[i].input, r, reason);
                while (cases[i].argv[n])
                        n++;
                assert_int_equal(strv_length(argv), n);
                for (unsigned k = 0; k < n; k++)
                        assert_string_equal(argv[k], cases[i].argv[k]);
                assert_null(argv[n]);
                strv_free(argv);
        }
}

static void test_execline_rejects_bad_input(_unused_ void **state) {
        static const struct {
                const char *input;
                int error;
                const char *reason;
        } cases[] = {
                { "", -EINVAL, "empty command" },
                { "    ", -EINVAL, "empty command" },
                { "-/bin/x", -EINVAL, "command prefixes" },
                { "@/bin/x argv0", -EINVAL, "command prefixes" },
                { "+/bin/x", -EINVAL, "command prefixes" },
                { "!/bin/x", -EINVAL, "command prefixes" },
                { ":/bin/x", -EINVAL, "command prefixes" },
                { "bin/x", -EINVAL, "absolute, normalized path" },
                { "x", -EINVAL, "absolute, normalized path" },
                { "/usr/../bin/x", -EINVAL, "absolute, normalized path" },
                { "/usr//bin/x", -EINVAL, "absolute, normalized path" },
                { "\"\" /bin/x", -EINVAL, "absolute, normalized path" },
                { "/bin/echo \"abc", -EINVAL, "unterminated quote" },
                { "/bin/echo 'abc", -EINVAL, "unterminated quote" },
                { "/bin/echo \"abc\\\"", -EINVAL, "unterminated quote" },
                { "/bin/echo \"abc\\", -EINVAL, "unterminated quote" },
                { "/bin/echo a\\ b", -EINVAL, "backslash outside double quotes" },
                { "/bin/echo \\\"x\\\"", -EINVAL, "backslash outside double quotes" },
                { "/bin/echo $HOME", -EINVAL, "'$' and '%'" },
                { "/bin/echo '$HOME'", -EINVAL, "'$' and '%'" },
                { "/bin/echo 100%", -EINVAL, "'$' and '%'" },
                { "/bin/echo\ta", -EINVAL, "control characters" },
                { "/bin/echo \"a\nb\"", -EINVAL, "control characters" },
                { "/bin/echo \x7f", -EINVAL, "control characters" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const char *reason = NULL;
                char **argv = NULL;
                int r;

                r = execline_parse(cases[i].input, WORDS_MAX, &argv, &reason);
                if (r != cases[i].error || !reason || !strstr(reason, cases[i].reason))
                        fail_msg("\"%s\": expected %d (%s), got %d (%s)", cases[i].input, cases[i].error,
                                 cases[i].reason, r, reason ? reason : "no reason");
                assert_null(argv);
        }
}

static void test_execline_enforces_word_limit(_unused_ void **state) {
        const char *reason = NULL;
        char **argv = NULL;

        assert_int_equal(execline_parse("/bin/echo a b", 3, &argv, &reason), 0);
        assert_int_equal(strv_length(argv), 3);
        strv_free(argv);
        argv = NULL;

        assert_int_equal(execline_parse("/bin/echo a b c", 3, &argv, &reason), -E2BIG);
        assert_string_equal(reason, "too many words");
        assert_null(argv);

        /* Quoted words count once, however many spaces they hold. */
        assert_int_equal(execline_parse("/bin/echo 'a b c d e'", 2, &argv, &reason), 0);
        assert_int_equal(strv_length(argv), 2);
        strv_free(argv);
}

static void test_execline_refuses_overlong_input(_unused_ void **state) {
        const char *reason = NULL;
        char **argv = NULL;
        char *s = malloc(4098);

        assert_non_null(s);
        memcpy(s, "/bin/echo ", 10);
        memset(s + 10, 'a', 4086);
        s[4096] = '\0'; /* exactly 4096 bytes: accepted */
        assert_int_equal(execline_parse(s, WORDS_MAX, &argv, &reason), 0);
        assert_int_equal(strlen(argv[1]), 4086);
        strv_free(argv);
        argv = NULL;

        s[4096] = 'a';
        s[4097] = '\0';
        assert_int_equal(execline_parse(s, WORDS_MAX, &argv, &reason), -EINVAL);
        assert_string_equal(reason, "control characters or too long");
        assert_null(argv);
        free(s);
}

static void test_strv_length_counts_until_null(_unused_ void **state) {
        char *empty[] = { NULL };
        char *two[] = { (char *) "a", (char *) "b", NULL };

        assert_int_equal(strv_length(NULL), 0);
        assert_int_equal(strv_length(empty), 0);
        assert_int_equal(strv_length(two), 2);
        strv_free(NULL); /* must be a no-op */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_execline_splits_words_quotes_and_escapes),
                cmocka_unit_test(test_execline_rejects_bad_input),
                cmocka_unit_test(test_execline_enforces_word_limit),
                cmocka_unit_test(test_execline_refuses_overlong_input),
                cmocka_unit_test(test_strv_length_counts_until_null),
        };

        return cmocka_run_group_tests_name("execline", tests, NULL, NULL);
}
