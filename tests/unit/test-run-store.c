/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The run store: a state file of the client before the engine (version 1)
 * is read as today's run and resumes; a newer version is refused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "run-store.h"

static char *slurp(const char *path) {
        FILE *f = fopen(path, "re");
        char *buf = calloc(1, 256 * 1024);

        assert_non_null(f);
        assert_true(fread(buf, 1, 256 * 1024 - 1, f) > 0);
        (void) fclose(f);
        return buf;
}

static const Step *find(const Run *r, const char *id) {
        for (unsigned i = 0; i < r->n_steps; i++)
                if (strcmp(r->steps[i].id, id) == 0)
                        return &r->steps[i];
        fail_msg("no step %s", id);
        return NULL;
}

static void test_version_1_reads_as_today(void **state) {
        char *json = slurp(SOURCE_DIR "/tests/fuzz/corpus/run-state/interrupted.json"), *again;
        Run *r = calloc(1, sizeof(Run)), *b = calloc(1, sizeof(Run));

        (void) state;
        assert_int_equal(run_parse(json, r), 0);
        assert_string_equal(run_param(r, "hub"), "mailhub2");
        assert_string_equal(r->claim_host, "dirhost");
        assert_int_equal(run_figure(r, "memory_before"), 53415936);
        assert_int_equal(run_figure(r, "memory_end"), 48238592); /* read at the end then: said so */
        assert_string_equal(find(r, "start-regclient:mailhub1")->gate.host, "dirhost");
        assert_int_equal(find(r, "start-regclient:mailhub1")->gate.hold_usec, 1000000);
        assert_int_equal(find(r, "tidy:settle")->gate.hold_usec, 2000000);
        assert_string_equal(find(r, "restart-directory")->gate.host, "");
        assert_int_equal(find(r, "rebuild")->timeout_usec, 600000000);
        assert_int_equal(find(r, "rebuild")->status, STEP_ACTING);
        assert_string_equal(find(r, "rebuild")->phase, "rebuild");
        assert_string_equal(find(r, "tidy:check-ra")->phase, "tidy up");

        /* Saved again, it is today's version, and stays itself. */
        again = run_format(r);
        assert_non_null(strstr(again, "\"version\":2"));
        assert_int_equal(run_parse(again, b), 0);
        free(json);
        json = run_format(b);
        assert_string_equal(json, again);
        free(again);
        free(json);
        free(r);
        free(b);
}

static void test_newer_version_is_refused(void **state) {
        Run *r = calloc(1, sizeof(Run));

        (void) state;
        assert_int_equal(run_parse("{\"version\":3,\"id\":\"x\"}", r), -EPROTONOSUPPORT);
        assert_int_equal(run_parse("{\"version\":\"2\"}", r), -EBADMSG);
        assert_string_equal(r->id, ""); /* untouched */
        free(r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_version_1_reads_as_today),
                cmocka_unit_test(test_newer_version_is_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
