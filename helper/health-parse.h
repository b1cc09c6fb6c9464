/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The parsers of what the health checks read from other programs: fio's
 * and smartctl's JSON and the kernel's log lines. Each takes untrusted
 * bytes with a length, never reads past them, and is fuzzed
 * (tests/fuzz/fuzz-health-*.c). */

/* fio --output-format=json of the probe: the job named "seq" (sequential
 * direct writes) and the job named "sync" (small writes, fdatasync each). */
typedef struct FioResult {
        double write_mbps;       /* seq: bytes written / its runtime, in MB/s (10^6) */
        uint64_t write_bytes;
        uint64_t write_runtime_ms;
        uint64_t sync_p50_usec;  /* sync: fdatasync latency percentiles */
        uint64_t sync_p99_usec;
        uint64_t sync_count;
} FioResult;

/* 0; -EINVAL for what is not fio's JSON or lacks either job; -EIO when a job
 * reports an error (its errno in *ret_job_error). */
int fio_parse_json(const char *buf, size_t len, FioResult *ret, int *ret_job_error);

typedef enum SmartStatus { SMART_NOT_AVAILABLE, SMART_PASSED, SMART_FAILED } SmartStatus;

/* smartctl -j -H -A DEV. */
typedef struct SmartResult {
        SmartStatus status;
        int64_t reallocated;   /* ATA attribute 5, or -1 */
        int64_t pending;       /* 197 */
        int64_t uncorrectable; /* 198; NVMe: media_errors */
        char why[128];         /* when not available: smartctl's own message */
} SmartResult;

/* 0 (also for "not available", which is a state, not an error); -EINVAL for
 * what is not smartctl's JSON. */
int smart_parse_json(const char *buf, size_t len, SmartResult *ret);

typedef enum KernelLineKind {
        KERNEL_LINE_OTHER,
        KERNEL_LINE_IO_ERROR,    /* "I/O error, dev sda, sector ...", "Buffer I/O error on dev sda1, ..." */
        KERNEL_LINE_FS_ERROR,    /* "EXT4-fs error (device loop0): ...", XFS/Btrfs corruption */
        KERNEL_LINE_REMOUNT_RO,  /* "EXT4-fs (loop0): Remounting filesystem read-only" */
        KERNEL_LINE_MOUNTED,     /* "EXT4-fs (loop0): mounted filesystem ...": what came before is another life */
} KernelLineKind;

/* Classify one kernel message and name the device it is about (ret_device,
 * e.g. "loop0", "" when none is named). */
KernelLineKind kernel_line_classify(const char *msg, size_t len, char *ret_device, size_t device_size);

/* Does a kernel message about device dev concern the filesystem on fs_dev?
 * The same device, or its disk (sda for sda1, nvme0n1 for nvme0n1p2). */
bool kernel_device_matches(const char *dev, const char *fs_dev);
