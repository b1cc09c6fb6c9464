/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"
#include "macro.h"

/* "return log_error_errno(r, ...)" passes r on, logged or not, and leaves errno alone. */
static void test_errno_forms_return_r(_unused_ void **state) {
        errno = EAGAIN;
        assert_int_equal(log_error_errno(-ENOENT, "test-log: expected: %m"), -ENOENT);
        assert_int_equal(errno, EAGAIN);
        log_set_max_level(LOG_LEVEL_ERROR);
        assert_int_equal(log_warning_errno(-EIO, "test-log: never shown: %m"), -EIO);
        assert_int_equal(log_info("test-log: never shown"), 0);
        log_set_max_level(LOG_LEVEL_INFO);
}

static void test_level_names(_unused_ void **state) {
        assert_int_equal(log_level_from_string("error"), LOG_LEVEL_ERROR);
        assert_int_equal(log_level_from_string("debug"), LOG_LEVEL_DEBUG);
        assert_int_equal(log_level_from_string("verbose"), -EINVAL);
        assert_int_equal(log_level_from_string(NULL), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_errno_forms_return_r),
                cmocka_unit_test(test_level_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
