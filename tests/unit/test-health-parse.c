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

#include "health-parse.h"
#include "macro.h"

#define FIO_JOB(name, extra)                                                                                    \
        "{\"jobname\":\"" name "\",\"error\":0,\"write\":{\"io_bytes\":33554432,\"runtime\":2000,\"bw_bytes\":1}" \
        extra "}"
#define FIO_SYNC ",\"sync\":{\"lat_ns\":{\"N\":100,\"percentile\":{\"50.000000\":250000,\"99.000000\":2800000}}}"

static void test_fio_reads_throughput_and_sync_percentiles(_unused_ void **state) {
        static const char json[] = "fio-3.33 note\n{\"jobs\":[" FIO_JOB("seq", "") "," FIO_JOB("sync", FIO_SYNC) "]}";
        FioResult r;

        assert_int_equal(fio_parse_json(json, sizeof(json) - 1, &r, NULL), 0);
        assert_true(r.write_mbps > 16.77 && r.write_mbps < 16.78); /* 32 MiB in 2 s */
        assert_int_equal(r.sync_p50_usec, 250);
        assert_int_equal(r.sync_p99_usec, 2800);
        assert_int_equal(r.sync_count, 100);
}

static void test_fio_refuses_missing_jobs_and_reports_job_errors(_unused_ void **state) {
        static const char only_seq[] = "{\"jobs\":[" FIO_JOB("seq", "") "]}";
        static const char failed[] = "{\"jobs\":[{\"jobname\":\"seq\",\"error\":30}," FIO_JOB("sync", FIO_SYNC) "]}";
        FioResult r;
        int e = 0;

        assert_int_equal(fio_parse_json(only_seq, sizeof(only_seq) - 1, &r, NULL), -EINVAL);
        assert_int_equal(fio_parse_json("", 0, &r, NULL), -EINVAL);
        assert_int_equal(fio_parse_json("{\"jobs\":[", 9, &r, NULL), -EINVAL);
        assert_int_equal(fio_parse_json(failed, sizeof(failed) - 1, &r, &e), -EIO);
        assert_int_equal(e, 30); /* EROFS: the probe on a read-only filesystem */
}

static void test_smart_statuses(_unused_ void **state) {
        static const char na[] = "{\"smartctl\":{\"messages\":[{\"string\":\"/dev/loop0: Unable to detect device "
                                 "type\",\"severity\":\"error\"}],\"exit_status\":1}}";
        static const char ata[] = "{\"smartctl\":{},\"smart_status\":{\"passed\":true},\"ata_smart_attributes\":{"
                                  "\"table\":[{\"id\":5,\"raw\":{\"value\":8}},{\"id\":197,\"raw\":{\"value\":2}}]}}";
        static const char nvme[] = "{\"smartctl\":{},\"smart_status\":{\"passed\":false},"
                                   "\"nvme_smart_health_information_log\":{\"media_errors\":3}}";
        SmartResult r;

        assert_int_equal(smart_parse_json(na, sizeof(na) - 1, &r), 0);
        assert_int_equal(r.status, SMART_NOT_AVAILABLE);
        assert_string_equal(r.why, "/dev/loop0: Unable to detect device type");
        assert_int_equal(smart_parse_json(ata, sizeof(ata) - 1, &r), 0);
        assert_int_equal(r.status, SMART_PASSED);
        assert_int_equal(r.reallocated, 8);
        assert_int_equal(r.pending, 2);
        assert_int_equal(r.uncorrectable, -1);
        assert_int_equal(smart_parse_json(nvme, sizeof(nvme) - 1, &r), 0);
        assert_int_equal(r.status, SMART_FAILED);
        assert_int_equal(r.uncorrectable, 3);
        assert_int_equal(smart_parse_json("[]", 2, &r), -EINVAL);
}

static void test_kernel_lines_classified_with_their_device(_unused_ void **state) {
        static const struct {
                const char *line;
                KernelLineKind kind;
                const char *dev;
        } cases[] = {
                { "EXT4-fs error (device loop0): trigger_test_error:129: comm bash: boom", KERNEL_LINE_FS_ERROR, "loop0" },
                { "EXT4-fs (loop0): Remounting filesystem read-only", KERNEL_LINE_REMOUNT_RO, "loop0" },
                { "I/O error, dev sda, sector 2048 op 0x1:(WRITE) flags 0x0", KERNEL_LINE_IO_ERROR, "sda" },
                { "Buffer I/O error on dev sda1, logical block 0, lost async page write", KERNEL_LINE_IO_ERROR, "sda1" },
                { "XFS (nvme0n1p2): Corruption detected. Unmount and run xfs_repair", KERNEL_LINE_FS_ERROR, "nvme0n1p2" },
                { "BTRFS error (device sdb1): bdev /dev/sdb1 errs: wr 1", KERNEL_LINE_FS_ERROR, "sdb1" },
                { "EXT4-fs (vda1): mounted filesystem 8abe r/w with ordered data mode.", KERNEL_LINE_MOUNTED, "vda1" },
                { "Aborting journal on device loop0-8.", KERNEL_LINE_OTHER, "" },
                { "I/O error somewhere", KERNEL_LINE_OTHER, "" },
        };
        char dev[64];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                assert_int_equal(kernel_line_classify(cases[i].line, strlen(cases[i].line), dev, sizeof(dev)),
                                 cases[i].kind);
                assert_string_equal(dev, cases[i].dev);
        }
}

static void test_kernel_device_matches_disk_and_partition_only(_unused_ void **state) {
        assert_true(kernel_device_matches("sda", "sda1"));
        assert_true(kernel_device_matches("sda1", "sda1"));
        assert_true(kernel_device_matches("nvme0n1", "nvme0n1p2"));
        assert_false(kernel_device_matches("loop1", "loop10"));
        assert_false(kernel_device_matches("sda", "sdab"));
        assert_false(kernel_device_matches("sdb", "sda1"));
        assert_false(kernel_device_matches("", "sda"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fio_reads_throughput_and_sync_percentiles),
                cmocka_unit_test(test_fio_refuses_missing_jobs_and_reports_job_errors),
                cmocka_unit_test(test_smart_statuses),
                cmocka_unit_test(test_kernel_lines_classified_with_their_device),
                cmocka_unit_test(test_kernel_device_matches_disk_and_partition_only),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
