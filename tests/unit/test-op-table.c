/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "macro.h"
#include "op-table.h"
#include "operations.h"

/* One set of names: the helper's table is common/operations.c's, row for row. */
static void test_rows_are_the_operation_names(_unused_ void **state) {
        assert_int_equal(n_op_rows, n_operation_names);
        for (size_t i = 0; i < n_op_rows; i++) {
                assert_string_equal(op_rows[i].name, operation_names[i].name);
                assert_non_null(op_rows[i].action);
                assert_ptr_equal(op_row_find(op_rows[i].name), &op_rows[i]);
                /* A subject to list is a subject the operation takes. */
                if (op_rows[i].n_subjects)
                        assert_non_null(operation_names[i].subject);
        }
        assert_null(op_row_find("service.manage"));
}

/* The details CanRun gives polkit: as the methods build them. */
static void test_details(_unused_ void **state) {
        const char *d[OP_DETAILS_MAX] = { 0 };

        op_row_find("service.restart")->details(NULL, "service.restart", "regclient", d);
        assert_string_equal(d[0], "service");
        assert_string_equal(d[1], "regclient");
        assert_string_equal(d[2], "verb");
        assert_string_equal(d[3], "restart");
        assert_null(d[4]);
        memset(d, 0, sizeof(d));
        op_row_find("directory.kill-root")->details(NULL, "directory.kill-root", "", d);
        assert_string_equal(d[0], "verb");
        assert_string_equal(d[1], "kill-root");
        assert_null(d[2]);

        HelperConfig config = { .health.probe_directory = (char *) "/srv/probe" };
        Context c = { .config = &config };
        memset(d, 0, sizeof(d));
        op_row_find("health.probe")->details(&c, "health.probe", "", d);
        assert_string_equal(d[0], "directory");
        assert_string_equal(d[1], "/srv/probe");
        assert_null(d[2]);
        assert_null(op_row_find("health.probe")->missing(&c, ""));
        config.health.probe_directory = NULL;
        assert_non_null(op_row_find("health.probe")->missing(&c, ""));
}

/* Where progress comes from: hooks report their own (a long copy says files
 * and bytes), the rebuild keeps its estimate, a service verb has phases only. */
static void test_progress_sources(_unused_ void **state) {
        assert_int_equal(op_row_find("hook.run")->progress, OP_PROGRESS_UNIT_STATUS);
        assert_int_equal(op_row_find("rebuild.start")->progress, OP_PROGRESS_ESTIMATE);
        assert_int_equal(op_row_find("health.probe")->progress, OP_PROGRESS_ESTIMATE);
        assert_int_equal(op_row_find("service.restart")->progress, OP_PROGRESS_NONE);
        assert_int_equal(op_row_find("directory.restart")->progress, OP_PROGRESS_NONE);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rows_are_the_operation_names),
                cmocka_unit_test(test_details),
                cmocka_unit_test(test_progress_sources),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
