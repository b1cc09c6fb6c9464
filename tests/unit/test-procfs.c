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

#include "macro.h"
#include "procfs.h"

static const char proc_stat[] =
        "cpu  10132153 290696 3084719 46828483 16683 0 25195 0 175628 0\n"
        "cpu0 1393280 32966 572056 13343292 6130 0 17875 0 23933 0\n"
        "cpu1 1335940 35086 586245 13370498 4010 0 3612 0 31263 0\n"
        "intr 1462898 0 0 0 0 0 0 0 0 1 0 0 0 0 0 0 0 0\n"
        "ctxt 115315\n"
        "btime 1262\n"
        "processes 86031\n"
        "procs_running 1\n"
        "procs_blocked 0\n";

static const char proc_meminfo[] =
        "MemTotal:       16318616 kB\n"
        "MemFree:         1220580 kB\n"
        "MemAvailable:    8974304 kB\n"
        "Buffers:          611312 kB\n";

/* A heap copy with no NUL after it, so an over-read shows up in valgrind/ASan. */
static char *exact_copy(const char *s, size_t len) {
        char *b = malloc(len ? len : 1);

        assert_non_null(b);
        memcpy(b, s, len);
        return b;
}

static int parse_stat(const char *s, size_t len, CpuTimes *ret) {
        char *b = exact_copy(s, len);
        int r = procfs_parse_stat_cpu(b, len, ret);

        free(b);
        return r;
}

static void assert_close(double a, double b) {
        if (a - b > 1e-9 || b - a > 1e-9)
                fail_msg("%.9f != %.9f", a, b);
}

static void test_procfs_stat_sums_aggregate_line(_unused_ void **state) {
        CpuTimes t = { 0 };

        assert_int_equal(parse_stat(proc_stat, strlen(proc_stat), &t), 0);
        /* user..steal (8 fields); guest is already part of user. */
        assert_int_equal(t.total, 10132153ULL + 290696 + 3084719 + 46828483 + 16683 + 0 + 25195 + 0);
        assert_int_equal(t.total, 60377929);
        assert_int_equal(t.idle, 46828483ULL + 16683);
}

static void test_procfs_stat_table(_unused_ void **state) {
        static const struct {
                const char *text;
                int error;
                uint64_t total, idle;
        } cases[] = {
                { "cpu  1 2 3 4\n", 0, 10, 4 },                       /* old kernels: 4 fields */
                { "cpu 1 2 3 4 5", 0, 15, 9 },                        /* single space, no newline */
                { "cpu  1 1 1 1 1 1 1 1 100 100\n", 0, 8, 2 },        /* guest excluded */
                { "cpu  1 1 1 1 1 1 1 1 1 1 999\n", 0, 8, 2 },        /* extra fields ignored */
                { "intr 5\ncpu0 9 9 9 9\ncpu  1 2 3 4\n", 0, 10, 4 }, /* aggregate need not be first */
                { "cpu  1 2 3\n", -EBADMSG, 0, 0 },
                { "cpu0 1 2 3 4\ncpu1 1 2 3 4\n", -EBADMSG, 0, 0 },
                { "", -EBADMSG, 0, 0 },
                { "garbage\n", -EBADMSG, 0, 0 },
                { "cpu  1 2 x 4\n", -EBADMSG, 0, 0 },
                { "cpu  1 2 3 4x\n", -EBADMSG, 0, 0 },
                { "cpu  -1 2 3 4\n", -EBADMSG, 0, 0 },
                { "cpu  a b c d\n", -EBADMSG, 0, 0 },
                { " cpu  1 2 3 4\n", -EBADMSG, 0, 0 },
                { "cpu  99999999999999999999 1 2 3\n", -EBADMSG, 0, 0 },   /* a field overflows */
                { "cpu  18446744073709551000 1000 0 0\n", -ERANGE, 0, 0 }, /* the sum overflows */
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                CpuTimes t = { 4711, 4711 };
                int r = parse_stat(cases[i].text, strlen(cases[i].text), &t);

                if (r != cases[i].error)
                        fail_msg("\"%s\": expected %d, got %d", cases[i].text, cases[i].error, r);
                if (r == 0) {
                        assert_int_equal(t.total, cases[i].total);
                        assert_int_equal(t.idle, cases[i].idle);
                } else
                        assert_int_equal(t.total, 4711); /* untouched on failure */
        }
}

static void test_procfs_stat_respects_length(_unused_ void **state) {
        static const char text[] = "cpu  1 2 3 4 5 6 7 8\ncpu0 1 2 3 4\n";
        CpuTimes t;

        /* Cut after "cpu  1 2 3": only three fields are in the buffer. */
        assert_int_equal(parse_stat(text, strlen("cpu  1 2 3"), &t), -EBADMSG);
        /* Cut after "cpu  1 2 3 4": four fields. */
        assert_int_equal(parse_stat(text, strlen("cpu  1 2 3 4"), &t), 0);
        assert_int_equal(t.total, 10);
        assert_int_equal(t.idle, 4);
        /* Cut inside a number: "cpu  1 2 3 4 5 6 7 8" -> "... 7 " drops the 8. */
        assert_int_equal(parse_stat(text, strlen("cpu  1 2 3 4 5 6 7 "), &t), 0);
        assert_int_equal(t.total, 28);
        assert_int_equal(parse_stat(text, 0, &t), -EBADMSG);
}

/* The aggregate line is copied into a 512-byte buffer: 511 bytes fit, 512 do not. */
static void test_procfs_stat_line_length_bound(_unused_ void **state) {
        char text[600];
        CpuTimes t;

        for (size_t l = 505; l <= 520; l++) {
                memset(text, ' ', l);
                memcpy(text, "cpu  1 2 3 4 5 6 7 8 9 10", strlen("cpu  1 2 3 4 5 6 7 8 9 10"));
                text[l] = '\n';
                if (l <= 511) {
                        assert_int_equal(parse_stat(text, l + 1, &t), 0);
                        assert_int_equal(t.total, 36);
                } else
                        assert_int_equal(parse_stat(text, l + 1, &t), -EBADMSG);
        }
}

static void test_cpu_idle_fraction_table(_unused_ void **state) {
        static const struct {
                CpuTimes before, after;
                int error;
                double fraction;
        } cases[] = {
                { { 100, 50 }, { 200, 100 }, 0, 0.5 },
                { { 100, 50 }, { 200, 150 }, 0, 1.0 },
                { { 100, 50 }, { 200, 50 }, 0, 0.0 },
                { { 0, 0 }, { 400, 100 }, 0, 0.25 },
                { { 100, 50 }, { 110, 80 }, 0, 1.0 }, /* idle grew more than total: clamped */
                { { 100, 50 }, { 100, 50 }, -EAGAIN, 0 },
                { { 200, 50 }, { 100, 50 }, -ERANGE, 0 },
                { { 100, 60 }, { 200, 50 }, -ERANGE, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                double f = -1;
                int r = cpu_idle_fraction(&cases[i].before, &cases[i].after, &f);

                if (r != cases[i].error)
                        fail_msg("case %zu: expected %d, got %d", i, cases[i].error, r);
                if (r == 0)
                        assert_close(f, cases[i].fraction);
                else
                        assert_close(f, -1);
        }
}

static void test_procfs_loadavg_table(_unused_ void **state) {
        static const struct {
                const char *text;
                int error;
                double v[3];
        } cases[] = {
                { "0.52 0.58 0.59 1/467 12345\n", 0, { 0.52, 0.58, 0.59 } },
                { "12.00 3.50 0.00 2/100 1\n", 0, { 12.0, 3.5, 0.0 } },
                { "1 2 3", 0, { 1.0, 2.0, 3.0 } },
                { "0.1234567 0.5 0.5\n", 0, { 0.123456, 0.5, 0.5 } }, /* six decimals kept */
                { "", -EBADMSG, { 0 } },
                { "0.52 0.58\n", -EBADMSG, { 0 } },
                { "0.52,0.58,0.59\n", -EBADMSG, { 0 } },
                { "abc def ghi\n", -EBADMSG, { 0 } },
                { "-1.0 0.5 0.5\n", -EBADMSG, { 0 } },
                { "0.5x 0.5 0.5\n", -EBADMSG, { 0 } },
                { "1.2.3 0.5 0.5\n", -EBADMSG, { 0 } },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                size_t len = strlen(cases[i].text);
                char *b = exact_copy(cases[i].text, len);
                double v[3] = { -1, -1, -1 };
                int r = procfs_parse_loadavg(b, len, v);

                free(b);
                if (r != cases[i].error)
                        fail_msg("\"%s\": expected %d, got %d", cases[i].text, cases[i].error, r);
                for (unsigned k = 0; k < 3; k++)
                        assert_close(v[k], r == 0 ? cases[i].v[k] : -1);
        }
}

static void test_procfs_loadavg_respects_length(_unused_ void **state) {
        static const char text[] = "0.52 0.58 0.59 1/467 12345\n";
        char big[300];
        double v[3];

        assert_int_equal(procfs_parse_loadavg(text, strlen("0.52 0.58 0.5"), v), 0);
        assert_close(v[2], 0.5);
        assert_int_equal(procfs_parse_loadavg(text, strlen("0.52 0.58 "), v), -EBADMSG);

        memset(big, ' ', sizeof(big));
        memcpy(big, text, strlen(text));
        assert_int_equal(procfs_parse_loadavg(big, 255, v), 0);
        assert_int_equal(procfs_parse_loadavg(big, 256, v), -EBADMSG);
}

static void test_procfs_meminfo_available_table(_unused_ void **state) {
        static const struct {
                const char *text;
                int error;
                uint64_t bytes;
        } cases[] = {
                { proc_meminfo, 0, 8974304ULL * 1024 },
                { "MemAvailable: 0 kB", 0, 0 },
                { "MemAvailable: 18014398509481983 kB\n", 0, 18014398509481983ULL * 1024 },
                { "MemAvailable: 18014398509481984 kB\n", -EBADMSG, 0 }, /* 2^54 KiB overflows */
                { "MemTotal: 100 kB\nMemFree: 50 kB\n", -EBADMSG, 0 },
                { "MemAvailable: 123 MB\n", -EBADMSG, 0 },
                { "MemAvailable: 123\n", -EBADMSG, 0 },
                { "MemAvailable: abc kB\n", -EBADMSG, 0 },
                { "MemAvailable: 123 kB extra\n", -EBADMSG, 0 },
                { "XMemAvailable: 123 kB\n", -EBADMSG, 0 },
                { "", -EBADMSG, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                size_t len = strlen(cases[i].text);
                char *b = exact_copy(cases[i].text, len);
                uint64_t bytes = 4711;
                int r = procfs_parse_meminfo_available(b, len, &bytes);

                free(b);
                if (r != cases[i].error)
                        fail_msg("\"%s\": expected %d, got %d", cases[i].text, cases[i].error, r);
                assert_int_equal(bytes, r == 0 ? cases[i].bytes : 4711);
        }
}

static void test_procfs_meminfo_respects_length(_unused_ void **state) {
        uint64_t bytes;
        const char *line = strstr(proc_meminfo, "MemAvailable:");
        size_t upto = (size_t) (line - proc_meminfo);

        /* The buffer ends before the MemAvailable: line. */
        assert_int_equal(procfs_parse_meminfo_available(proc_meminfo, upto, &bytes), -EBADMSG);
        /* The buffer ends after "MemAvailable:    8974304", before the unit. */
        assert_int_equal(procfs_parse_meminfo_available(proc_meminfo, upto + strlen("MemAvailable:    8974304"),
                                                        &bytes),
                         -EBADMSG);
}

static void test_procfs_read_file_truncates_and_terminates(_unused_ void **state) {
        char path[] = "/tmp/hubops-test-procfs.XXXXXX", buf[8];
        int fd = mkstemp(path);
        size_t len = 0;

        assert_true(fd >= 0);
        assert_int_equal(write(fd, "0123456789", 10), 10);
        close(fd);

        memset(buf, 'x', sizeof(buf));
        assert_int_equal(procfs_read_file(path, buf, sizeof(buf), &len), 0);
        assert_int_equal(len, 7);
        assert_string_equal(buf, "0123456");
        assert_int_equal(unlink(path), 0);
        assert_int_equal(procfs_read_file(path, buf, sizeof(buf), &len), -ENOENT);
}

static void test_procfs_cmdline_equals_exact_words_only(void **state) {
        static const char cmd[] = "/opt/isode/sbin/isode.eddy\0-D\0/dirtables/root\0";
        char *argv[] = { "/opt/isode/sbin/isode.eddy", "-D", "/dirtables/root", NULL };
        char *shorter[] = { "/opt/isode/sbin/isode.eddy", "-D", NULL };
        char *joined[] = { "/opt/isode/sbin/isode.eddy", "-D /dirtables/root", NULL };
        char *other[] = { "/opt/isode/sbin/isode.eddy", "-D", "/dirtables/rootx", NULL };

        (void) state;
        assert_true(procfs_cmdline_equals(cmd, sizeof(cmd) - 1, argv));
        assert_true(procfs_cmdline_equals(cmd, sizeof(cmd) - 2, argv)); /* no trailing NUL */
        assert_false(procfs_cmdline_equals(cmd, sizeof(cmd) - 1, shorter));
        assert_false(procfs_cmdline_equals(cmd, sizeof(cmd) - 1, joined));
        assert_false(procfs_cmdline_equals(cmd, sizeof(cmd) - 1, other));
        assert_false(procfs_cmdline_equals(cmd, 10, argv)); /* truncated */
        assert_false(procfs_cmdline_equals("", 0, argv));
}

static void test_procfs_status_rss(void **state) {
        static const char status[] = "Name:\teddy\nVmPeak:\t  9000 kB\nVmRSS:\t    5120 kB\nThreads:\t1\n";
        uint64_t rss = 0;

        (void) state;
        assert_int_equal(procfs_parse_status_rss(status, sizeof(status) - 1, &rss), 0);
        assert_int_equal(rss, 5120 * 1024);
        assert_int_equal(procfs_parse_status_rss("Name:\tkthreadd\n", 15, &rss), -ENODATA);
        assert_int_equal(procfs_parse_status_rss("VmRSS:\t12 MB\n", 13, &rss), -EBADMSG);
}

/* An upgrade replaces the binary under a running process: still that program. */
static void test_procfs_exe_is_path_or_deleted_path(_unused_ void **state) {
        static const char path[] = "/opt/isode/sbin/isode.eddy";
        bool deleted = true;

        assert_true(procfs_exe_is("/opt/isode/sbin/isode.eddy", path, &deleted));
        assert_false(deleted);
        assert_true(procfs_exe_is("/opt/isode/sbin/isode.eddy (deleted)", path, &deleted));
        assert_true(deleted);
        deleted = false;
        assert_false(procfs_exe_is("/opt/isode/sbin/isode.eddy2", path, &deleted));
        assert_false(procfs_exe_is("/opt/isode/sbin/isode.edd", path, &deleted));
        assert_false(procfs_exe_is("/opt/isode/sbin/isode.eddy (deleted)x", path, &deleted));
        assert_false(procfs_exe_is("/opt/isode/sbin/isode.eddy (deleted) (deleted)", path, &deleted));
        assert_false(procfs_exe_is("/tmp/isode.eddy (deleted)", path, &deleted));
        assert_false(procfs_exe_is("", path, &deleted));
        assert_false(deleted); /* untouched when it is not the program */
}

static int parse_uids_len(const char *s, size_t len, uid_t ret[4]) {
        char *b = exact_copy(s, len);
        int r = procfs_parse_status_uids(b, len, ret);

        free(b);
        return r;
}

static int parse_uids(const char *s, uid_t ret[4]) {
        return parse_uids_len(s, strlen(s), ret);
}

static void test_procfs_status_uids_table(_unused_ void **state) {
        static const struct {
                const char *text;
                int error;
                uid_t uids[4];
        } cases[] = {
                { "Name:\teddy\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n", 0, { 0, 0, 0, 0 } },
                { "Uid:\t1001\t0\t0\t1001\n", 0, { 1001, 0, 0, 1001 } }, /* a set-uid program */
                { "Uid:\t4294967294\t1\t2\t3", 0, { 4294967294U, 1, 2, 3 } }, /* no newline at the end */
                { "Uid:\t4294967295\t0\t0\t0\n", -EBADMSG, { 0 } },          /* (uid_t) -1 */
                { "Uid:\t99999999999\t0\t0\t0\n", -EBADMSG, { 0 } },
                { "Uid:\t0\t0\t0\n", -EBADMSG, { 0 } },
                { "Uid:\t0\t0\t0\t0\t0\n", -EBADMSG, { 0 } },
                { "Uid:\t0\t0\t0\t0x\n", -EBADMSG, { 0 } },
                { "Uid:0\t0\t0\t0\n", -EBADMSG, { 0 } },
                { "Uid:\t-1\t0\t0\t0\n", -EBADMSG, { 0 } },
                { "Name:\teddy\nGid:\t0\t0\t0\t0\n", -EBADMSG, { 0 } },
                { "", -EBADMSG, { 0 } },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uid_t u[4] = { 7, 7, 7, 7 };

                if (parse_uids(cases[i].text, u) != cases[i].error)
                        fail_msg("case %zu: %s", i, cases[i].text);
                for (unsigned k = 0; k < 4; k++)
                        if (u[k] != (cases[i].error == 0 ? cases[i].uids[k] : 7)) /* untouched on failure */
                                fail_msg("case %zu: uid %u is %u", i, k, (unsigned) u[k]);
        }
}

static void test_procfs_status_uids_respects_length(_unused_ void **state) {
        static const char status[] = "Name:\teddy\nUid:\t1001\t1001\t1001\t1001\n";
        uid_t u[4];

        /* The buffer ends before the fourth uid. */
        assert_int_equal(parse_uids_len(status, sizeof(status) - 1 - strlen("1001\n"), u), -EBADMSG);
        assert_int_equal(parse_uids_len(status, strlen("Name:\teddy\n"), u), -EBADMSG);
        assert_int_equal(parse_uids_len(status, sizeof(status) - 1, u), 0);
        assert_int_equal(u[3], 1001);
}

static int parse_cgroup(const char *s, size_t len, char *ret, size_t size) {
        char *b = exact_copy(s, len);
        int r = procfs_parse_cgroup(b, len, ret, size);

        free(b);
        return r;
}

static void test_procfs_cgroup_table(_unused_ void **state) {
        static const struct {
                const char *text;
                int error;
                const char *path;
        } cases[] = {
                /* cgroup v2 */
                { "0::/system.slice/eddy.service\n", 0, "/system.slice/eddy.service" },
                /* hybrid: systemd's own v1 hierarchy is the one it reports */
                { "9:name=systemd:/lab/app.slice/eddy-dirhost.service\n8:pids:/lab\n0::/other\n", 0,
                  "/lab/app.slice/eddy-dirhost.service" },
                { "0::/other\n1:name=systemd:/system.slice/eddy.service", 0, "/system.slice/eddy.service" },
                { "3:cpu,name=systemd:/a\n", 0, "/a" },
                { "0::/a:b\n", 0, "/a:b" }, /* the path is the rest of the line */
                { "0::/\n", 0, "/" },
                { "1:name=systemdx:/a\n", -ENODATA, NULL },
                { "1:xname=systemd:/a\n", -ENODATA, NULL },
                { "4:memory:/a\n", -ENODATA, NULL },
                { "00::/a\n", -ENODATA, NULL },
                { "0:x:/a\n", -ENODATA, NULL },
                { "garbage\n", -ENODATA, NULL },
                { "", -ENODATA, NULL },
                { "0::\n", -EBADMSG, NULL },
                { "0::relative\n", -EBADMSG, NULL },
                { "0::/x\0y\n", -EBADMSG, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                /* Lengths by hand: one case holds a NUL. */
                size_t len = i == ELEMENTSOF(cases) - 1 ? 9 : strlen(cases[i].text);
                char path[64] = "untouched";

                if (parse_cgroup(cases[i].text, len, path, sizeof(path)) != cases[i].error)
                        fail_msg("case %zu: %s", i, cases[i].text);
                assert_string_equal(path, cases[i].error == 0 ? cases[i].path : "untouched");
        }
}

static void test_procfs_cgroup_bounds(_unused_ void **state) {
        static const char text[] = "1:name=systemd:/system.slice/eddy.service\n0::/system.slice/eddy.service\n";
        char path[32];

        /* The buffer ends inside the name=systemd line's controllers. */
        assert_int_equal(parse_cgroup(text, 10, path, sizeof(path)), -ENODATA);
        /* The path would not fit. */
        assert_int_equal(parse_cgroup(text, sizeof(text) - 1, path, 26), -ENAMETOOLONG);
        assert_int_equal(parse_cgroup(text, sizeof(text) - 1, path, 27), 0);
        assert_string_equal(path, "/system.slice/eddy.service");
}

static void test_procfs_mountinfo_deepest_mount_and_super_options(void **state) {
        static const char mi[] =
                "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
                "30 22 8:2 / /var rw,relatime shared:2 - ext4 /dev/sda2 rw\n"
                "31 30 8:3 / /var/spool rw,relatime shared:3 - xfs /dev/sdb1 ro,attr2\n"
                "32 22 0:5 / /mnt/with\\040space ro,nosuid - tmpfs tmpfs rw,size=1024k\n"
                "33 22 0:6 / /varx rw - ext4 /dev/sdc1 ro\n"
                "garbage line without separator\n";
        char type[32];
        bool ro = true;

        (void) state;
        assert_int_equal(procfs_mountinfo_lookup(mi, sizeof(mi) - 1, "/var/spool/exim", type, sizeof(type), &ro), 0);
        assert_string_equal(type, "xfs");
        assert_true(ro); /* the filesystem itself is read-only (super options) */
        assert_int_equal(procfs_mountinfo_lookup(mi, sizeof(mi) - 1, "/var/lib", type, sizeof(type), &ro), 0);
        assert_string_equal(type, "ext4");
        assert_false(ro);
        assert_int_equal(procfs_mountinfo_lookup(mi, sizeof(mi) - 1, "/varnish", type, sizeof(type), &ro), 0);
        assert_false(ro); /* "/varx" does not hold "/varnish"; "/" does */
        /* A read-only view (mount options) of a writable filesystem is still writable. */
        assert_int_equal(procfs_mountinfo_lookup(mi, sizeof(mi) - 1, "/mnt/with space/x", type, sizeof(type), &ro), 0);
        assert_string_equal(type, "tmpfs");
        assert_false(ro);
        assert_int_equal(procfs_mountinfo_lookup("", 0, "/", type, sizeof(type), &ro), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_procfs_mountinfo_deepest_mount_and_super_options),
                cmocka_unit_test(test_procfs_cmdline_equals_exact_words_only),
                cmocka_unit_test(test_procfs_status_rss),
                cmocka_unit_test(test_procfs_exe_is_path_or_deleted_path),
                cmocka_unit_test(test_procfs_status_uids_table),
                cmocka_unit_test(test_procfs_status_uids_respects_length),
                cmocka_unit_test(test_procfs_cgroup_table),
                cmocka_unit_test(test_procfs_cgroup_bounds),
                cmocka_unit_test(test_procfs_stat_sums_aggregate_line),
                cmocka_unit_test(test_procfs_stat_table),
                cmocka_unit_test(test_procfs_stat_respects_length),
                cmocka_unit_test(test_procfs_stat_line_length_bound),
                cmocka_unit_test(test_cpu_idle_fraction_table),
                cmocka_unit_test(test_procfs_loadavg_table),
                cmocka_unit_test(test_procfs_loadavg_respects_length),
                cmocka_unit_test(test_procfs_meminfo_available_table),
                cmocka_unit_test(test_procfs_meminfo_respects_length),
                cmocka_unit_test(test_procfs_read_file_truncates_and_terminates),
        };

        return cmocka_run_group_tests_name("procfs", tests, NULL, NULL);
}
