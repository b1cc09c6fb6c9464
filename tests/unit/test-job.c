/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "context.h"
#include "job.h"
#include "macro.h"

/* jobs_load_last_id() reads StateDirectory/last-job-id, which job paths are
 * numbered from. Only a plain decimal that save_last_id() could have written
 * may pass: "-1" used to wrap the next id to 0 (a path no object answers). */

typedef struct Fixture {
        char dir[64];
        char file[96];
        HelperConfig config;
        Context context;
} Fixture;

static int fixture_setup(void **state) {
        Fixture *f = calloc(1, sizeof(Fixture));

        if (!f)
                return -1;
        (void) snprintf(f->dir, sizeof(f->dir), "/tmp/hubops-test-job.XXXXXX");
        if (!mkdtemp(f->dir)) {
                free(f);
                return -1;
        }
        (void) snprintf(f->file, sizeof(f->file), "%s/last-job-id", f->dir);
        f->config.state_directory = f->dir;
        f->context.config = &f->config;
        *state = f;
        return 0;
}

static int fixture_teardown(void **state) {
        Fixture *f = *state;

        (void) unlink(f->file);
        (void) rmdir(f->dir);
        free(f);
        return 0;
}

static int load(Fixture *f, const char *content) {
        FILE *file;

        if (content) {
                file = fopen(f->file, "we");
                assert_non_null(file);
                assert_int_equal(fputs(content, file) >= 0, 1);
                assert_int_equal(fclose(file), 0);
        }
        f->context.last_job_id = 4242;
        return jobs_load_last_id(&f->context);
}

static void test_last_job_id_missing_file_starts_at_zero(void **state) {
        Fixture *f = *state;

        assert_int_equal(load(f, NULL), 0);
        assert_int_equal(f->context.last_job_id, 4242); /* untouched: ids start after whatever it was */
}

static void test_last_job_id_reads_what_save_writes(void **state) {
        Fixture *f = *state;

        assert_int_equal(load(f, "17\n"), 0);
        assert_int_equal(f->context.last_job_id, 17);
        assert_int_equal(load(f, "0\n"), 0);
        assert_int_equal(f->context.last_job_id, 0);
        assert_int_equal(load(f, "18446744073709551614"), 0);
        assert_true(f->context.last_job_id == 18446744073709551614ULL);
}

static void test_last_job_id_refuses_anything_else(void **state) {
        static const char *const bad[] = {
                "", "\n", "-1\n", " 5\n", "+5\n", "5x\n", "5 6\n", "0x10\n",
                "18446744073709551615\n",   /* the next id would wrap to 0 */
                "99999999999999999999999\n", /* overflow */
        };
        Fixture *f = *state;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                if (load(f, bad[i]) != -EBADMSG)
                        fail_msg("last-job-id \"%s\" was accepted", bad[i]);
                assert_int_equal(f->context.last_job_id, 4242);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_last_job_id_missing_file_starts_at_zero, fixture_setup,
                                                fixture_teardown),
                cmocka_unit_test_setup_teardown(test_last_job_id_reads_what_save_writes, fixture_setup,
                                                fixture_teardown),
                cmocka_unit_test_setup_teardown(test_last_job_id_refuses_anything_else, fixture_setup,
                                                fixture_teardown),
        };

        return cmocka_run_group_tests_name("job", tests, NULL, NULL);
}
