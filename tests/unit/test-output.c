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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_output_escape_table),
                cmocka_unit_test(test_output_escape_holds_back_an_incomplete_sequence),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
