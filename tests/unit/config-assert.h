/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the config unit tests: parse a text, expect a config or an
 * error at a line. Include after cmocka.h. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define PATH "/etc/hubops/helper.conf"

static inline int parse_text(const char *text, HelperConfig **ret, char **ret_error) {
        FILE *f = fmemopen((void *) text, strlen(text), "r");
        int r;

        assert_non_null(f);
        r = config_parse(f, PATH, ret, ret_error);
        (void) fclose(f);
        return r;
}

/* Parse text that must be good; fail the test with the parser's message otherwise. */
static inline HelperConfig *parse_good(const char *text) {
        HelperConfig *c = NULL;
        char *error = NULL;

        if (parse_text(text, &c, &error) < 0)
                fail_msg("unexpected parse error: %s", error);
        assert_null(error);
        assert_non_null(c);
        return c;
}

/* The error must start with "PATH:LINE: " and contain the phrase. */
static inline void assert_parse_error(const char *text, unsigned line, const char *phrase) {
        HelperConfig *c = NULL;
        char *error = NULL, prefix[64];
        int r;

        r = parse_text(text, &c, &error);
        if (c) {
                config_free(c);
                fail_msg("parser returned a config (r=%d) for:\n%s", r, text);
        }
        if (r != -EINVAL || !error) {
                fail_msg("expected an error at line %u (\"%s\") for:\n%s\ngot r=%d", line, phrase, text, r);
                return; /* not reached: for the analyzer, which does not know fail_msg() never returns */
        }
        (void) snprintf(prefix, sizeof(prefix), "%s:%u: ", PATH, line);
        if (strncmp(error, prefix, strlen(prefix)) != 0 || !strstr(error, phrase))
                fail_msg("expected \"%s...%s\", got \"%s\" for:\n%s", prefix, phrase, error, text);
        free(error);
}
