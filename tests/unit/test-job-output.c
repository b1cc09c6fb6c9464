/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "job-output.h"
#include "macro.h"

/* job_output_read_tail() reads a job's log from a property getter, on the
 * event loop: whatever sits at the log's path, it must neither block (a
 * FIFO) nor show what is not the job's output (a symlink, a device). */

typedef struct Fixture {
        char dir[64];
        char path[96];
} Fixture;

static int fixture_setup(void **state) {
        Fixture *f = calloc(1, sizeof(Fixture));

        if (!f)
                return -1;
        (void) snprintf(f->dir, sizeof(f->dir), "/tmp/hubops-test-job-output.XXXXXX");
        if (!mkdtemp(f->dir))
                return -1;
        (void) snprintf(f->path, sizeof(f->path), "%s/job-1.log", f->dir);
        *state = f;
        return 0;
}

static int fixture_teardown(void **state) {
        Fixture *f = *state;
        char other[128];

        (void) unlink(f->path);
        (void) snprintf(other, sizeof(other), "%s/secret", f->dir);
        (void) unlink(other);
        (void) rmdir(f->dir);
        free(f);
        return 0;
}

static void write_text(const char *path, const char *text) {
        FILE *o = fopen(path, "we");

        assert_non_null(o);
        assert_int_equal(fputs(text, o) >= 0, 1);
        assert_int_equal(fclose(o), 0);
}

/* Read the tail in a child, so that a read that blocks fails the test
 * (after 5 s) instead of hanging it. The child's answer comes back by pipe. */
static void read_tail_bounded(const char *path, char *buf) {
        int fds[2], status = 0;
        pid_t pid;
        ssize_t n;

        assert_int_equal(pipe(fds), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char tail[JOB_OUTPUT_TAIL_MAX + 1];
                job_output_read_tail(path, tail);
                _exit(write(fds[1], tail, strlen(tail) + 1) < 0 ? 1 : 0);
        }
        close(fds[1]);
        for (int i = 0; i < 500 && waitpid(pid, &status, WNOHANG) == 0; i++)
                (void) nanosleep(&(struct timespec) { .tv_nsec = 10 * 1000 * 1000 }, NULL);
        if (waitpid(pid, &status, WNOHANG) == 0) {
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                close(fds[0]);
                fail_msg("reading the tail of %s blocked for 5 s", path);
        }
        n = read(fds[0], buf, JOB_OUTPUT_TAIL_MAX + 1);
        close(fds[0]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_true(n > 0);
}

static void test_job_output_reads_a_regular_file(void **state) {
        Fixture *f = *state;
        char buf[JOB_OUTPUT_TAIL_MAX + 1];

        write_text(f->path, "hello\n\033[31mred\n");
        read_tail_bounded(f->path, buf);
        assert_string_equal(buf, "hello\n?[31mred\n");
}

static void test_job_output_missing_is_empty(void **state) {
        Fixture *f = *state;
        char buf[JOB_OUTPUT_TAIL_MAX + 1];

        read_tail_bounded(f->path, buf);
        assert_string_equal(buf, "");
}

static void test_job_output_does_not_follow_a_symlink(void **state) {
        Fixture *f = *state;
        char secret[128], buf[JOB_OUTPUT_TAIL_MAX + 1];

        (void) snprintf(secret, sizeof(secret), "%s/secret", f->dir);
        write_text(secret, "not the job's output\n");
        assert_int_equal(symlink(secret, f->path), 0);
        read_tail_bounded(f->path, buf);
        assert_string_equal(buf, "");
}

static void test_job_output_does_not_block_on_a_fifo(void **state) {
        Fixture *f = *state;
        char buf[JOB_OUTPUT_TAIL_MAX + 1];

        assert_int_equal(mkfifo(f->path, 0600), 0);
        read_tail_bounded(f->path, buf);
        assert_string_equal(buf, "");
}

static void test_job_output_reads_only_the_tail(void **state) {
        Fixture *f = *state;
        char *big = malloc(3 * JOB_OUTPUT_TAIL_MAX + 1), buf[JOB_OUTPUT_TAIL_MAX + 1];

        assert_non_null(big);
        memset(big, 'a', 2 * JOB_OUTPUT_TAIL_MAX);
        memset(big + 2 * JOB_OUTPUT_TAIL_MAX, 'b', JOB_OUTPUT_TAIL_MAX);
        big[3 * JOB_OUTPUT_TAIL_MAX] = '\0';
        write_text(f->path, big);
        free(big);
        read_tail_bounded(f->path, buf);
        assert_int_equal(strlen(buf), JOB_OUTPUT_TAIL_MAX);
        assert_int_equal(strspn(buf, "b"), JOB_OUTPUT_TAIL_MAX);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_job_output_reads_a_regular_file, fixture_setup, fixture_teardown),
                cmocka_unit_test_setup_teardown(test_job_output_missing_is_empty, fixture_setup, fixture_teardown),
                cmocka_unit_test_setup_teardown(test_job_output_does_not_follow_a_symlink, fixture_setup,
                                                fixture_teardown),
                cmocka_unit_test_setup_teardown(test_job_output_does_not_block_on_a_fifo, fixture_setup,
                                                fixture_teardown),
                cmocka_unit_test_setup_teardown(test_job_output_reads_only_the_tail, fixture_setup, fixture_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
