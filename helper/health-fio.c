/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fio's JSON report of the disk probe (helper/health-probe.c starts fio
 * with two jobs: "seq", direct sequential writes, and "sync", small writes
 * with fdatasync after each, as mail delivery does). */
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "health-parse.h"
#include "json-read.h"
#include "macro.h"

#define FIO_JSON_MAX ((size_t) 4 * 1024 * 1024)
#define FIO_JSON_DEPTH 16

static int64_t get_int(json_object *o, const char *key) {
        json_object *v = json_member(o, key, json_type_int);

        return v ? json_object_get_int64(v) : -1;
}

static json_object *find_job(json_object *jobs, const char *name) {
        for (size_t i = 0; i < json_object_array_length(jobs); i++) {
                json_object *j = json_object_array_get_idx(jobs, i), *n = json_member(j, "jobname", json_type_string);
                if (n && strcmp(json_object_get_string(n), name) == 0)
                        return j;
        }
        return NULL;
}

/* fio keys its percentiles "50.000000"; values are nanoseconds. */
static int64_t percentile_usec(json_object *lat, const char *key) {
        int64_t ns = get_int(json_member(lat, "percentile", json_type_object), key);

        return ns < 0 ? -1 : ns / 1000;
}

static int read_seq(json_object *job, FioResult *r) {
        json_object *w = json_member(job, "write", json_type_object);
        int64_t bytes = get_int(w, "io_bytes"), runtime = get_int(w, "runtime"), bw = get_int(w, "bw_bytes");

        if (bytes <= 0 || runtime < 0 || bw < 0)
                return -EINVAL;
        r->write_bytes = (uint64_t) bytes;
        r->write_runtime_ms = (uint64_t) runtime;
        /* io_bytes over runtime is what was done; bw_bytes rounds a sub-ms run to zero time. */
        r->write_mbps = runtime > 0 ? (double) bytes / ((double) runtime / 1000.0) / 1e6 : (double) bw / 1e6;
        return 0;
}

static int read_sync(json_object *job, FioResult *r) {
        json_object *lat = json_member(json_member(job, "sync", json_type_object), "lat_ns", json_type_object);
        int64_t n = get_int(lat, "N"), p50 = percentile_usec(lat, "50.000000"), p99 = percentile_usec(lat, "99.000000");

        if (n <= 0 || p50 < 0 || p99 < 0 || p50 > p99)
                return -EINVAL;
        *r = (FioResult) { .write_mbps = r->write_mbps, .write_bytes = r->write_bytes,
                           .write_runtime_ms = r->write_runtime_ms, .sync_count = (uint64_t) n,
                           .sync_p50_usec = (uint64_t) p50, .sync_p99_usec = (uint64_t) p99 };
        return 0;
}

int fio_parse_json(const char *buf, size_t len, FioResult *ret, int *ret_job_error) {
        json_tokener *tok;
        json_object *root, *jobs, *seq, *sync;
        const char *start = memchr(buf, '{', len);
        FioResult r = { 0 };
        int k;

        /* fio may print a notice before its report; the report is the first object. */
        if (!start || len > FIO_JSON_MAX)
                return -EINVAL;
        tok = json_tokener_new_ex(FIO_JSON_DEPTH);
        if (!tok)
                return -ENOMEM;
        root = json_tokener_parse_ex(tok, start, (int) (len - (size_t) (start - buf)));
        json_tokener_free(tok);
        jobs = json_member(root, "jobs", json_type_array);
        seq = jobs ? find_job(jobs, "seq") : NULL;
        sync = jobs ? find_job(jobs, "sync") : NULL;
        if (!seq || !sync) {
                json_object_put(root);
                return -EINVAL;
        }
        for (json_object **j = (json_object *[]) { seq, sync, NULL }; *j; j++)
                if (get_int(*j, "error") != 0) {
                        if (ret_job_error)
                                *ret_job_error = (int) get_int(*j, "error");
                        json_object_put(root);
                        return -EIO;
                }
        k = read_seq(seq, &r);
        if (k >= 0)
                k = read_sync(sync, &r);
        json_object_put(root);
        if (k < 0)
                return k;
        *ret = r;
        return 0;
}
