/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Judging: figures against thresholds. No I/O here, so the unit tests can
 * drive every OK/WARN/FAIL path (tests/unit/test-health-judge.c). */
#include "health-judge.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "timespan.h"

typedef struct Rows {
        HealthRow *row;
        unsigned n, max;
        uint64_t at;
} Rows;

static HealthRow *next_row(Rows *r) {
        return r->n < r->max ? &r->row[r->n++] : NULL;
}

#define ROW(rows, check, subject, state, value, unit, ...)                                              \
        do {                                                                                             \
                HealthRow *_r = next_row(rows);                                                          \
                if (_r)                                                                                  \
                        health_row_set(_r, check, subject, state, value, unit, (rows)->at, __VA_ARGS__); \
        } while (0)

static const char *when(uint64_t sec, char *buf, size_t size) {
        time_t t = (time_t) sec;
        struct tm tm;

        if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                (void) snprintf(buf, size, "%" PRIu64, sec);
        return buf;
}

/* Free space or inodes: at or below the fail limit FAIL, the warn limit WARN. */
static void judge_free(Rows *rows, const char *check, const char *subject, uint64_t free, uint64_t total,
                       HealthLimit warn, HealthLimit fail, const char *unit, const char *key) {
        uint64_t w = health_limit_resolve(warn, total), f = health_limit_resolve(fail, total);
        double pct = total ? 100.0 * (double) free / (double) total : 0.0;
        bool bytes = strcmp(unit, "bytes") == 0;
        double shown = bytes ? (double) free / 1048576.0 : (double) free;
        const char *u = bytes ? " MiB" : "";

        if (total == 0)
                ROW(rows, check, subject, HEALTH_OK, (double) free, unit, "no %s limit on this filesystem", unit);
        else if (free < f || (f > 0 && free == f))
                ROW(rows, check, subject, HEALTH_FAIL, (double) free, unit, "%.0f%s free (%.1f%%), at or below %sFail=",
                    shown, u, pct, key);
        else if (free < w || (w > 0 && free == w))
                ROW(rows, check, subject, HEALTH_WARN, (double) free, unit, "%.0f%s free (%.1f%%), at or below %sWarn=",
                    shown, u, pct, key);
        else
                ROW(rows, check, subject, HEALTH_OK, (double) free, unit, "%.0f%s free (%.1f%%)", shown, u, pct);
}

static void judge_writable(Rows *rows, const HealthFsSample *s) {
        if (s->super_readonly || s->mount_readonly)
                ROW(rows, "fs.writable", s->path, HEALTH_FAIL, 0, "",
                    "read-only (%s)%s", s->super_readonly ? "the filesystem's own state, not only this mount" : "mount",
                    s->fs_errors > 0 ? " after kernel-recorded errors" : "");
        else
                ROW(rows, "fs.writable", s->path, HEALTH_OK, 1, "", "writable (%s)", s->fstype);
}

static void judge_fs_errors(Rows *rows, const HealthFsSample *s) {
        char a[32], b[32];

        if (s->fs_errors < 0)
                return; /* only ext4 keeps a count the helper can read */
        if (s->fs_errors == 0)
                ROW(rows, "fs.errors", s->path, HEALTH_OK, 0, "errors", "no errors recorded on %s", s->device);
        else
                ROW(rows, "fs.errors", s->path, HEALTH_FAIL, (double) s->fs_errors, "errors",
                    "%s recorded %" PRId64 " error(s), first %s, last %s: the kernel stopped trusting it; fsck it",
                    s->device, s->fs_errors, when(s->first_error_time, a, sizeof(a)),
                    when(s->last_error_time, b, sizeof(b)));
}

static void judge_kernel(Rows *rows, const HealthSample *smp, const HealthFsSample *s) {
        unsigned total = s->kernel_io + s->kernel_fs + s->kernel_ro;

        if (!s->device[0] || smp->kernel_error < 0 || !smp->kernel_done)
                return;
        if (s->kernel_fs + s->kernel_ro > 0)
                ROW(rows, "kernel.log", s->path, HEALTH_FAIL, total, "lines",
                    "%u fs error(s), %u read-only remount(s), %u I/O error(s) on %s; last: %s", s->kernel_fs,
                    s->kernel_ro, s->kernel_io, s->device, s->kernel_last);
        else if (s->kernel_io > 0)
                ROW(rows, "kernel.log", s->path, HEALTH_WARN, total, "lines", "%u I/O error(s) on %s; last: %s",
                    s->kernel_io, s->device, s->kernel_last);
        else
                ROW(rows, "kernel.log", s->path, HEALTH_OK, 0, "lines", "no I/O or fs errors about %s", s->device);
}

static void judge_fs(Rows *rows, const HealthSample *smp, const HealthFsSample *s, const HealthThresholds *t) {
        if (!s->done) {
                ROW(rows, "fs.space", s->path, HEALTH_FAIL, 0, "bytes",
                    "did not answer within the sample's time limit (a hung filesystem?)");
                return;
        }
        if (s->error) {
                ROW(rows, "fs.space", s->path, HEALTH_FAIL, 0, "bytes", "cannot check: %s", strerror(s->error));
                return;
        }
        judge_free(rows, "fs.space", s->path, s->bytes_free, s->bytes_total, t->free_space_warn, t->free_space_fail,
                   "bytes", "FreeSpace");
        judge_free(rows, "fs.inodes", s->path, s->inodes_free, s->inodes_total, t->free_inodes_warn,
                   t->free_inodes_fail, "inodes", "FreeInodes");
        judge_writable(rows, s);
        judge_fs_errors(rows, s);
        judge_kernel(rows, smp, s);
}


static HealthState age_state(uint64_t age, uint64_t warn, uint64_t fail) {
        return age >= fail ? HEALTH_FAIL : age >= warn ? HEALTH_WARN : HEALTH_OK;
}

static void judge_throughput(Rows *rows, const HealthInputs *in, const char *age) {
        const HealthProbeResult *p = in->probe;
        const HealthThresholds *t = in->thresholds;
        HealthState s = p->write_mbps < t->throughput_fail   ? HEALTH_FAIL
                        : p->write_mbps < t->throughput_warn ? HEALTH_WARN
                                                             : HEALTH_OK;
        const char *why = s == HEALTH_FAIL ? ", below ThroughputFail=" : s == HEALTH_WARN ? ", below ThroughputWarn=" : "";

        if (s == HEALTH_OK && in->now - p->at > t->probe_age_warn_usec) {
                s = HEALTH_WARN;
                why = ", older than ProbeAgeWarnSec=";
        }
        ROW(rows, "disk.throughput", in->probe_directory, s, p->write_mbps, "MB/s",
            "%.1f MB/s direct sequential writes%s, %s ago", p->write_mbps, why, age);
}

static void judge_sync(Rows *rows, const HealthInputs *in) {
        const HealthProbeResult *p = in->probe;
        HealthState s = age_state(p->sync_p99_usec, in->thresholds->sync_warn_usec, in->thresholds->sync_fail_usec);

        ROW(rows, "disk.sync", in->probe_directory, s, (double) p->sync_p99_usec / 1000.0, "ms",
            "fdatasync p50 %.2f ms, p99 %.2f ms%s", (double) p->sync_p50_usec / 1000.0,
            (double) p->sync_p99_usec / 1000.0,
            s == HEALTH_FAIL ? ", above SyncLatencyFailSec=" : s == HEALTH_WARN ? ", above SyncLatencyWarnSec=" : "");
}

static void judge_probe(Rows *rows, const HealthInputs *in) {
        const HealthProbeResult *p = in->probe;
        char age[64];

        if (!in->probe_directory)
                return;
        if (!p || p->at == 0) {
                ROW(rows, "disk.throughput", in->probe_directory, HEALTH_UNKNOWN, 0, "MB/s",
                    "never probed (hubopsctl health --probe)");
                return;
        }
        rows->at = p->at;
        (void) timespan_format(age, sizeof(age), in->now > p->at ? in->now - p->at : 0);
        if (!p->ok)
                ROW(rows, "disk.throughput", in->probe_directory, HEALTH_FAIL, 0, "MB/s", "the probe %s ago failed: %s",
                    age, p->error);
        else {
                judge_throughput(rows, in, age);
                judge_sync(rows, in);
        }
        rows->at = in->now;
}

static void judge_backup_age(Rows *rows, const char *subject, uint64_t newest, const HealthInputs *in,
                             const char *extra) {
        const HealthThresholds *t = in->thresholds;
        uint64_t age = in->now > newest ? in->now - newest : 0;
        HealthState s = age_state(age, t->backup_warn_usec, t->backup_fail_usec);
        char a[64];

        ROW(rows, "backup.age", subject, s, (double) age / 1e6, "s", "newest backup %s old%s%s",
            timespan_format(a, sizeof(a), age),
            s == HEALTH_FAIL ? ", past BackupAgeFailSec=" : s == HEALTH_WARN ? ", past BackupAgeWarnSec=" : "", extra);
}

static void judge_backup(Rows *rows, const HealthInputs *in) {
        const HealthSample *smp = in->sample;
        const HealthBackupUnit *u = in->backup_unit_state;

        if (in->backup_path) {
                if (!smp->backup_done)
                        ROW(rows, "backup.age", in->backup_path, HEALTH_FAIL, 0, "s",
                            "the walk did not finish within the sample's time limit");
                else if (smp->backup_error)
                        ROW(rows, "backup.age", in->backup_path, HEALTH_FAIL, 0, "s", "cannot read: %s",
                            strerror(-smp->backup_error));
                else if (smp->backup_newest_usec == 0)
                        ROW(rows, "backup.age", in->backup_path, HEALTH_FAIL, 0, "s", "no backup files there");
                else
                        judge_backup_age(rows, in->backup_path, smp->backup_newest_usec, in,
                                         smp->backup_truncated ? " (walk bounded: newer files may lie deeper)" : "");
        }
        if (!in->backup_unit)
                return;
        if (!u || u->at == 0)
                ROW(rows, "backup.age", in->backup_unit, HEALTH_UNKNOWN, 0, "s", "not read yet");
        else if (u->exited_at == 0)
                ROW(rows, "backup.age", in->backup_unit, HEALTH_FAIL, 0, "s", "the check unit has not run");
        else if (strcmp(u->result, "success") != 0)
                ROW(rows, "backup.age", in->backup_unit, HEALTH_FAIL, 0, "s", "the check unit's last run failed (%s, status %d)",
                    u->result, u->exit_status);
        else
                judge_backup_age(rows, in->backup_unit, u->exited_at, in, " (the check unit's last success)");
}

static void judge_smart(Rows *rows, const HealthSmartResult *s) {
        const SmartResult *r = &s->smart;

        if (s->at == 0)
                ROW(rows, "smart", s->device, HEALTH_UNKNOWN, 0, "", "not read yet");
        else if (s->error < 0)
                ROW(rows, "smart", s->device, HEALTH_UNKNOWN, 0, "", "not available: %s", s->error_text);
        else if (r->status == SMART_NOT_AVAILABLE)
                ROW(rows, "smart", s->device, HEALTH_UNKNOWN, 0, "", "not available: %s", r->why);
        else if (r->status == SMART_FAILED || r->pending > 0 || r->uncorrectable > 0)
                ROW(rows, "smart", s->device, HEALTH_FAIL, (double) MAX(r->pending, r->uncorrectable), "sectors",
                    "overall %s, pending %" PRId64 ", uncorrectable %" PRId64 ", reallocated %" PRId64,
                    r->status == SMART_FAILED ? "FAILED" : "passed", r->pending, r->uncorrectable, r->reallocated);
        else if (r->reallocated > 0)
                ROW(rows, "smart", s->device, HEALTH_WARN, (double) r->reallocated, "sectors",
                    "passed, but %" PRId64 " sectors reallocated", r->reallocated);
        else
                ROW(rows, "smart", s->device, HEALTH_OK, 0, "sectors", "passed, no reallocated or pending sectors");
}

unsigned health_judge(const HealthInputs *in, HealthRow *rows, unsigned max) {
        const HealthSample *smp = in->sample;
        Rows r = { .row = rows, .max = max, .at = smp->started_at ? smp->started_at : in->now };

        for (unsigned i = 0; i < smp->n_fs; i++)
                judge_fs(&r, smp, &smp->fs[i], in->thresholds);
        if (smp->kernel_error < 0)
                ROW(&r, "kernel.log", "journal", HEALTH_UNKNOWN, 0, "lines", "the journal cannot be read: %s",
                    strerror(-smp->kernel_error));
        else if (!smp->kernel_done && smp->n_fs > 0)
                ROW(&r, "kernel.log", "journal", HEALTH_WARN, 0, "lines",
                    "the journal was not read within the sample's time limit");
        r.at = in->now;
        judge_probe(&r, in);
        judge_backup(&r, in);
        for (unsigned i = 0; i < in->n_smart; i++)
                judge_smart(&r, &in->smart[i]);
        return r.n;
}

bool health_sample_recent(uint64_t now, uint64_t started, uint64_t max_age, uint64_t interval) {
        uint64_t limit = MIN(max_age, interval);

        return started <= now && now - started < limit;
}
