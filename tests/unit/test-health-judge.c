/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "health-judge.h"
#include "health.h"
#include "macro.h"

#define NOW (2000000000ULL * USEC_PER_SEC)
#define HOUR (3600ULL * USEC_PER_SEC)

static HealthSample sample;
static HealthRow rows[HEALTH_ROWS_MAX];
static HealthThresholds th;
static HealthProbeResult probe;

static int setup(void **state) {
        (void) state;
        health_thresholds_default(&th);
        sample = (HealthSample) { .n_fs = 1, .kernel_done = true, .backup_done = true, .backup_newest_usec = NOW - HOUR };
        sample.fs[0] = (HealthFsSample) { .path = "/srv", .done = true, .bytes_free = 50, .bytes_total = 100,
                                          .inodes_free = 50, .inodes_total = 100, .fs_errors = 0, .fstype = "ext4",
                                          .device = "loop0" };
        probe = (HealthProbeResult) { .at = NOW - HOUR, .ok = true, .write_mbps = 400, .sync_p50_usec = 300,
                                      .sync_p99_usec = 3000 };
        return 0;
}

/* The state of check on subject after judging. */
static HealthState judged(const char *check, const char *subject) {
        HealthInputs in = { .sample = &sample, .thresholds = &th, .now = NOW, .probe_directory = "/srv/p",
                            .probe = &probe, .backup_path = "/srv/b" };
        unsigned n = health_judge(&in, rows, HEALTH_ROWS_MAX);

        for (unsigned i = 0; i < n; i++)
                if (strcmp(rows[i].check, check) == 0 && strcmp(rows[i].subject, subject) == 0)
                        return rows[i].state;
        fail_msg("no row %s %s", check, subject);
        return HEALTH_UNKNOWN;
}

static void test_free_space_ok_warn_fail(_unused_ void **state) {
        assert_int_equal(judged("fs.space", "/srv"), HEALTH_OK);
        sample.fs[0].bytes_free = 9;
        assert_int_equal(judged("fs.space", "/srv"), HEALTH_WARN);
        sample.fs[0].bytes_free = 4;
        assert_int_equal(judged("fs.space", "/srv"), HEALTH_FAIL);
        sample.fs[0].inodes_free = 0;
        assert_int_equal(judged("fs.inodes", "/srv"), HEALTH_FAIL);
}

static void test_read_only_and_recorded_errors_fail_whatever_the_mount_says(_unused_ void **state) {
        assert_int_equal(judged("fs.writable", "/srv"), HEALTH_OK);
        sample.fs[0].super_readonly = true; /* emergency_ro: the mount flags still say rw */
        assert_int_equal(judged("fs.writable", "/srv"), HEALTH_FAIL);
        sample.fs[0].fs_errors = 1;
        assert_int_equal(judged("fs.errors", "/srv"), HEALTH_FAIL);
        sample.fs[0].kernel_io = 2;
        assert_int_equal(judged("kernel.log", "/srv"), HEALTH_WARN);
        sample.fs[0].kernel_ro = 1;
        assert_int_equal(judged("kernel.log", "/srv"), HEALTH_FAIL);
}

static void test_a_hung_path_fails(_unused_ void **state) {
        sample.fs[0].done = false;
        assert_int_equal(judged("fs.space", "/srv"), HEALTH_FAIL);
        assert_non_null(strstr(rows[0].reason, "hung"));
}

static void test_the_stories_slow_disk_fails_at_the_default(_unused_ void **state) {
        assert_int_equal(judged("disk.throughput", "/srv/p"), HEALTH_OK);
        probe.write_mbps = 30;
        assert_int_equal(judged("disk.throughput", "/srv/p"), HEALTH_WARN);
        probe.write_mbps = 15; /* the new POP server's disk */
        assert_int_equal(judged("disk.throughput", "/srv/p"), HEALTH_FAIL);
        probe.sync_p99_usec = 250000;
        assert_int_equal(judged("disk.sync", "/srv/p"), HEALTH_FAIL);
        probe = (HealthProbeResult) { 0 };
        assert_int_equal(judged("disk.throughput", "/srv/p"), HEALTH_UNKNOWN);
}

static void test_backup_age(_unused_ void **state) {
        assert_int_equal(judged("backup.age", "/srv/b"), HEALTH_OK);
        sample.backup_newest_usec = NOW - 30 * HOUR;
        assert_int_equal(judged("backup.age", "/srv/b"), HEALTH_WARN);
        sample.backup_newest_usec = NOW - 72 * HOUR;
        assert_int_equal(judged("backup.age", "/srv/b"), HEALTH_FAIL);
        sample.backup_newest_usec = 0;
        assert_int_equal(judged("backup.age", "/srv/b"), HEALTH_FAIL);
}

static void test_thresholds_parse_and_refuse(_unused_ void **state) {
        const char *why = NULL;

        assert_int_equal(health_thresholds_set(&th, "FreeSpaceWarn", "2G", &why), 0);
        assert_false(th.free_space_warn.percent);
        assert_int_equal(th.free_space_warn.amount, 2ULL << 30);
        assert_int_equal(health_thresholds_set(&th, "ThroughputFail", "12.5", &why), 0);
        assert_true(th.throughput_fail == 12.5);
        assert_int_equal(health_thresholds_set(&th, "BackupAgeWarnSec", "2d", &why), 0);
        assert_int_equal(health_thresholds_set(&th, "FreeSpaceWarn", "101%", &why), -EINVAL);
        assert_non_null(why);
        assert_int_equal(health_thresholds_set(&th, "ThroughputFail", "-1", &why), -EINVAL);
        assert_int_equal(health_thresholds_set(&th, "ThroughputFail", "1e3", &why), -EINVAL);
        assert_int_equal(health_thresholds_set(&th, "Bogus", "1", &why), -ENOENT);
        health_thresholds_default(&th);
        assert_null(health_thresholds_check(&th));
        th.throughput_warn = 10;
        assert_non_null(health_thresholds_check(&th));
        assert_int_equal(health_state_worst(HEALTH_WARN, HEALTH_UNKNOWN), HEALTH_WARN);
        assert_int_equal(health_state_worst(HEALTH_FAIL, HEALTH_WARN), HEALTH_FAIL);
        assert_int_equal(health_state_worst(HEALTH_OK, HEALTH_UNKNOWN), HEALTH_UNKNOWN);
}

static void test_a_sample_answers_only_while_recent(void **state) {
        const uint64_t min = 60ULL * USEC_PER_SEC;

        (void) state;
        assert_true(health_sample_recent(NOW, NOW - 30 * USEC_PER_SEC, UINT64_MAX, min));
        assert_false(health_sample_recent(NOW, NOW - min, UINT64_MAX, min)); /* as old as the period: resample */
        assert_false(health_sample_recent(NOW, NOW - 30 * USEC_PER_SEC, 10 * USEC_PER_SEC, min));
        assert_false(health_sample_recent(NOW, NOW, 0, min));                /* 0: always fresh */
        assert_false(health_sample_recent(NOW, NOW + 1, UINT64_MAX, min));   /* never from the future */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_free_space_ok_warn_fail, setup),
                cmocka_unit_test_setup(test_read_only_and_recorded_errors_fail_whatever_the_mount_says, setup),
                cmocka_unit_test_setup(test_a_hung_path_fails, setup),
                cmocka_unit_test_setup(test_the_stories_slow_disk_fails_at_the_default, setup),
                cmocka_unit_test_setup(test_backup_age, setup),
                cmocka_unit_test_setup(test_thresholds_parse_and_refuse, setup),
                cmocka_unit_test(test_a_sample_answers_only_while_recent),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
