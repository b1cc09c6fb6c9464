/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fileio.h"

/* The state files' one way to change: write-then-rename and unlink, each
 * followed by an fsync of the directory (what the fsync buys cannot be seen
 * without pulling the plug; what can be seen is tested here). */

static char dir[64];

static int setup(void **state) {
        (void) state;
        (void) snprintf(dir, sizeof(dir), "/tmp/hubops-test-fileio.XXXXXX");
        return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
        char path[128];

        (void) state;
        (void) snprintf(path, sizeof(path), "%s/state.json", dir);
        (void) unlink(path);
        return rmdir(dir);
}

static void test_fileio_write_then_unlink(void **state) {
        char path[128], tmp[136], buf[32] = "";
        struct stat st;
        FILE *f;

        (void) state;
        (void) snprintf(path, sizeof(path), "%s/state.json", dir);
        (void) snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        assert_int_equal(write_file_atomic(path, "old\n", 4, 0644), 0);
        assert_int_equal(write_file_atomic(path, "new\n", 4, 0600), 0);
        f = fopen(path, "re");
        assert_non_null(f);
        assert_non_null(fgets(buf, sizeof(buf), f));
        (void) fclose(f);
        assert_string_equal(buf, "new\n");
        assert_int_equal(access(tmp, F_OK), -1);
        assert_int_equal(stat(path, &st), 0);

        assert_int_equal(unlink_durable(path), 0);
        assert_int_equal(access(path, F_OK), -1);
        assert_int_equal(unlink_durable(path), 0); /* already gone: nothing to do */
}

static void test_fileio_fsync_parent_directory(void **state) {
        char path[128];

        (void) state;
        (void) snprintf(path, sizeof(path), "%s/any-name", dir);
        assert_int_equal(fsync_parent_directory(path), 0);
        assert_int_equal(fsync_parent_directory("/etc"), 0);
        assert_int_equal(fsync_parent_directory("relative-name"), 0);
        (void) snprintf(path, sizeof(path), "%s/missing/x", dir);
        assert_int_equal(fsync_parent_directory(path), -ENOENT);
        assert_int_equal(write_file_atomic(path, "x", 1, 0644), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fileio_write_then_unlink),
                cmocka_unit_test(test_fileio_fsync_parent_directory),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
