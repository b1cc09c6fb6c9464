/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "output.h"

/* Strings from hubopsd reach the operator's terminal only through
 * output_escape(): no C0 (but newline and tab), no DEL, no C1 (raw or as
 * UTF-8), nothing that is not UTF-8; everything else as it was. */

static void expect(const char *in, size_t len, const char *want) {
        char out[4 * 64 + 1];

        assert_true(len <= 64);
        assert_int_equal(output_escape(in, len, true, out), len);
        assert_string_equal(out, want);
}
#define EXPECT(in, want) expect(in, sizeof(in) - 1, want)

static void test_output_escape_table(void **state) {
        (void) state;
        EXPECT("plain text, 100%", "plain text, 100%");
        EXPECT("two\nlines\tand a tab", "two\nlines\tand a tab");
        EXPECT("\033[2J\033]52;c;ZXZpbA==\007", "\\x1b[2J\\x1b]52;c;ZXZpbA==\\x07");
        EXPECT("over\rwrite\b", "over\\x0dwrite\\x08");
        EXPECT("del\177", "del\\x7f");
        EXPECT("nul\001\037", "nul\\x01\\x1f");
        EXPECT("c1 csi \302\233 nel \302\205", "c1 csi \\xc2\\x9b nel \\xc2\\x85");
        EXPECT("raw c1 \233 latin1 \351", "raw c1 \\x9b latin1 \\xe9");
        EXPECT("caf\303\251 \342\202\254 \360\237\230\200", "caf\303\251 \342\202\254 \360\237\230\200");
        EXPECT("nbsp \302\240", "nbsp \302\240"); /* U+00A0 is text */
        EXPECT("overlong \300\257 \340\200\257", "overlong \\xc0\\xaf \\xe0\\x80\\xaf");
        EXPECT("surrogate \355\240\200", "surrogate \\xed\\xa0\\x80");
        EXPECT("cut \342\202", "cut \\xe2\\x82"); /* final: an incomplete sequence is escaped */
}

static void test_output_escape_holds_back_an_incomplete_sequence(void **state) {
        char out[64];

        (void) state;
        /* Not final: "\342\202" may be completed by the next write. */
        assert_int_equal(output_escape("a\342\202", 3, false, out), 1);
        assert_string_equal(out, "a");
        /* Not a valid start whatever follows: escaped at once. */
        assert_int_equal(output_escape("a\202", 2, false, out), 2);
        assert_string_equal(out, "a\\x82");
}

/* Colour only on a terminal, not for JSON, and never with NO_COLOR (set and
 * not empty, https://no-color.org) or TERM=dumb. */
static void test_output_color_table(void **state) {
        static const struct {
                bool tty, json;
                const char *no_color, *term;
                bool want;
        } rows[] = {
                { true, false, NULL, "xterm", true },   { true, false, "", "xterm", true },
                { true, false, "1", "xterm", false },   { true, false, "0", "xterm", false },
                { true, false, NULL, "dumb", false },   { true, false, NULL, NULL, true },
                { false, false, NULL, "xterm", false }, { true, true, NULL, "xterm", false },
        };

        (void) state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                output.tty = rows[i].tty;
                output.json = rows[i].json;
                if (rows[i].no_color)
                        assert_int_equal(setenv("NO_COLOR", rows[i].no_color, 1), 0);
                else
                        assert_int_equal(unsetenv("NO_COLOR"), 0);
                if (rows[i].term)
                        assert_int_equal(setenv("TERM", rows[i].term, 1), 0);
                else
                        assert_int_equal(unsetenv("TERM"), 0);
                output_color_init();
                if (output.color != rows[i].want)
                        fail_msg("row %zu: colour %d, wanted %d", i, output.color, rows[i].want);
        }
        output = (Output) { 0 };
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_output_escape_table),
                cmocka_unit_test(test_output_escape_holds_back_an_incomplete_sequence),
                cmocka_unit_test(test_output_color_table),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
