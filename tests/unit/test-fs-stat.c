/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GetHealth's statvfs runs off the loop: a path that hangs is reported as
 * not responding at the deadline, the loop keeps turning meanwhile, and hung
 * workers are capped. A stub statvfs stands in for a dead NFS server. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fs-stat.h"
#include "macro.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t released_cond = PTHREAD_COND_INITIALIZER;
static bool released;

static int stub_statvfs(const char *path, struct statvfs *buf) {
        if (strcmp(path, "/hang") == 0) {
                (void) pthread_mutex_lock(&lock);
                while (!released)
                        (void) pthread_cond_wait(&released_cond, &lock);
                (void) pthread_mutex_unlock(&lock);
        }
        if (strcmp(path, "/missing") == 0) {
                errno = ENOENT;
                return -1;
        }
        memset(buf, 0, sizeof(*buf));
        buf->f_frsize = 4096;
        buf->f_blocks = 100;
        buf->f_bavail = 42;
        return 0;
}

static void release_hung(void) {
        (void) pthread_mutex_lock(&lock);
        released = true;
        (void) pthread_cond_broadcast(&released_cond);
        (void) pthread_mutex_unlock(&lock);
        /* Poll with a deadline for the workers to end (they hold memory). */
        struct timespec start, now;
        (void) clock_gettime(CLOCK_MONOTONIC, &start);
        while (fs_stat_workers_alive() > 0) {
                (void) clock_gettime(CLOCK_MONOTONIC, &now);
                assert_true(now.tv_sec - start.tv_sec < 10);
                (void) sched_yield();
        }
}

static void hang_again(void) {
        (void) pthread_mutex_lock(&lock);
        released = false;
        (void) pthread_mutex_unlock(&lock);
}

typedef struct Seen {
        bool done;
        bool tick_before_done;
        bool ticked;
        FsStat stats[4];
        char paths[4][16];
        size_t n;
} Seen;

static void on_done(const FsStat *stats, size_t n, void *userdata) {
        Seen *s = userdata;

        s->done = true;
        s->tick_before_done = s->ticked;
        s->n = n;
        for (size_t i = 0; i < n && i < 4; i++) {
                s->stats[i] = stats[i];
                (void) snprintf(s->paths[i], sizeof(s->paths[i]), "%s", stats[i].path);
        }
}

static int on_tick(sd_event_source *src, uint64_t usec, void *userdata) {
        (void) src, (void) usec;
        ((Seen *) userdata)->ticked = true;
        return 0;
}

static void run_until_done(sd_event *e, Seen *s) {
        for (int i = 0; i < 1000 && !s->done; i++)
                assert_true(sd_event_run(e, 5 * USEC_PER_SEC) >= 0);
        assert_true(s->done);
}

static void test_hung_path_reported_at_deadline_loop_not_blocked(void **state) {
        char *paths[] = { (char *) "/ok", (char *) "/hang", (char *) "/missing", NULL };
        sd_event *e = NULL;
        Seen s = { 0 };

        (void) state;
        hang_again();
        fs_stat_statvfs = stub_statvfs;
        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(sd_event_add_time_relative(e, NULL, CLOCK_MONOTONIC, 10 * USEC_PER_MSEC, 0, on_tick, &s), 0);
        assert_int_equal(fs_stat_async(e, paths, 200 * USEC_PER_MSEC, on_done, &s), 0);
        run_until_done(e, &s);
        assert_true(s.tick_before_done); /* the loop turned while statvfs hung */
        assert_int_equal(s.n, 3);
        assert_string_equal(s.paths[0], "/ok");
        assert_true(s.stats[0].answered);
        assert_int_equal(s.stats[0].error, 0);
        assert_int_equal(s.stats[0].sv.f_bavail, 42);
        assert_string_equal(s.paths[1], "/hang");
        assert_false(s.stats[1].answered);
        /* The worker goes in order: behind the hung path, /missing is not answered either. */
        assert_false(s.stats[2].answered);
        release_hung();
        sd_event_unref(e);
}

static void test_all_answered_before_deadline(void **state) {
        char *paths[] = { (char *) "/ok", (char *) "/missing", NULL };
        sd_event *e = NULL;
        Seen s = { 0 };

        (void) state;
        hang_again();
        fs_stat_statvfs = stub_statvfs;
        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(fs_stat_async(e, paths, 60 * USEC_PER_SEC, on_done, &s), 0);
        run_until_done(e, &s);
        assert_int_equal(s.n, 2);
        assert_true(s.stats[0].answered && s.stats[1].answered);
        assert_int_equal(s.stats[1].error, ENOENT);
        release_hung(); /* waits for the worker to end */
        sd_event_unref(e);
}

static void test_hung_workers_capped(void **state) {
        char *paths[] = { (char *) "/hang", NULL };
        Seen s[FS_STAT_WORKERS_MAX + 1];
        sd_event *e = NULL;

        (void) state;
        hang_again();
        memset(s, 0, sizeof(s));
        fs_stat_statvfs = stub_statvfs;
        assert_int_equal(sd_event_new(&e), 0);
        for (unsigned i = 0; i < FS_STAT_WORKERS_MAX; i++) {
                assert_int_equal(fs_stat_async(e, paths, 10 * USEC_PER_MSEC, on_done, &s[i]), 0);
                run_until_done(e, &s[i]);
                assert_false(s[i].stats[0].answered);
        }
        assert_int_equal(fs_stat_workers_alive(), FS_STAT_WORKERS_MAX);
        assert_int_equal(fs_stat_async(e, paths, 10 * USEC_PER_MSEC, on_done, &s[FS_STAT_WORKERS_MAX]), -EBUSY);
        release_hung();
        assert_int_equal(fs_stat_async(e, paths, 60 * USEC_PER_SEC, on_done, &s[FS_STAT_WORKERS_MAX]), 0);
        run_until_done(e, &s[FS_STAT_WORKERS_MAX]);
        assert_true(s[FS_STAT_WORKERS_MAX].stats[0].answered);
        release_hung();
        sd_event_unref(e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hung_path_reported_at_deadline_loop_not_blocked),
                cmocka_unit_test(test_all_answered_before_deadline),
                cmocka_unit_test(test_hung_workers_capped),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
