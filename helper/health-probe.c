/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "health-probe.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

#include <json-c/json.h>

#include "clock.h"
#include "fileio.h"
#include "format.h"
#include "health-sampler.h"
#include "hubops-bus.h"
#include "job.h"
#include "json-read.h"
#include "log.h"
#include "macro.h"
#include "op-start.h"
#include "strv.h"
#include "systemd-client.h"
#include "unit-run.h"

#define PROBE_STATE_FILE "health-probe.json"
#define PROBE_OUTPUT_FILE "hubops-probe.json"
#define OUTPUT_MAX ((size_t) 4 * 1024 * 1024)
/* fio's own start-up and the unlinking of its files, beyond ProbeTimeoutSec=. */
#define PROBE_SLACK_USEC (10 * USEC_PER_SEC)

static char *read_output(const char *path, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        ssize_t n;

        if (fd < 0 || !(buf = malloc(OUTPUT_MAX + 1)))
                return NULL;
        while (len < OUTPUT_MAX && (n = read(fd, buf + len, OUTPUT_MAX - len)) > 0)
                len += (size_t) n;
        buf[len] = '\0';
        *ret_len = len;
        return TAKE_PTR(buf);
}

static void probe_save(Context *c) {
        const HealthProbeResult *p = &c->health->probe;
        _cleanup_free_ char *path = strdup_printf("%s/" PROBE_STATE_FILE, c->config->state_directory);
        json_object *o = json_object_new_object();
        const char *text;
        int r;

        json_object_object_add(o, "at", json_object_new_int64((int64_t) p->at));
        json_object_object_add(o, "ok", json_object_new_boolean(p->ok));
        json_object_object_add(o, "error", json_object_new_string(p->error));
        json_object_object_add(o, "write_mbps", json_object_new_double(p->write_mbps));
        json_object_object_add(o, "sync_p50_usec", json_object_new_int64((int64_t) p->sync_p50_usec));
        json_object_object_add(o, "sync_p99_usec", json_object_new_int64((int64_t) p->sync_p99_usec));
        json_object_object_add(o, "size", json_object_new_int64((int64_t) p->size));
        json_object_object_add(o, "duration_usec", json_object_new_int64((int64_t) p->duration_usec));
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        r = path ? write_file_atomic(path, text, strlen(text), 0600) : -ENOMEM;
        if (r < 0)
                log_warning_errno(r, "hubopsd: cannot save the probe's result, ignoring: %m");
        json_object_put(o);
}

/* Only a cache of the last figure: one that does not parse is dropped with a
 * word, not a refusal to start (nothing half-done hides behind it). */
void health_probe_load(Context *c) {
        _cleanup_free_ char *path = strdup_printf("%s/" PROBE_STATE_FILE, c->config->state_directory), *buf = NULL;
        HealthProbeResult p = { 0 };
        json_object *o, *v;
        size_t len = 0;

        if (!path || !(buf = read_output(path, &len)))
                return;
        o = json_tokener_parse(buf);
        if (json_read_u64(o, "at", &p.at) < 0 || json_read_u64(o, "sync_p50_usec", &p.sync_p50_usec) < 0 ||
            json_read_u64(o, "sync_p99_usec", &p.sync_p99_usec) < 0 || json_read_u64(o, "size", &p.size) < 0 ||
            json_read_u64(o, "duration_usec", &p.duration_usec) < 0 || !json_object_object_get_ex(o, "ok", &v) ||
            !json_object_is_type(v, json_type_boolean)) {
                log_warning("hubopsd: %s does not parse, ignoring it", path);
                json_object_put(o);
                return;
        }
        p.ok = json_object_get_boolean(v);
        if (json_object_object_get_ex(o, "write_mbps", &v) && json_object_is_type(v, json_type_double))
                p.write_mbps = json_object_get_double(v);
        if (json_object_object_get_ex(o, "error", &v) && json_object_is_type(v, json_type_string))
                (void) snprintf(p.error, sizeof(p.error), "%s", json_object_get_string(v));
        json_object_put(o);
        c->health->probe = p;
}

static void probe_record(Context *c, const UnitOutcome *o, uint64_t started_at) {
        HealthProbeResult *p = &c->health->probe;
        _cleanup_free_ char *path = strdup_printf("%s/" PROBE_OUTPUT_FILE, c->config->health.probe_directory);
        _cleanup_free_ char *buf = NULL;
        FioResult fio;
        size_t len = 0;
        int job_error = 0, r = -ENOENT;

        uint64_t now = now_usec(CLOCK_REALTIME);

        /* The job's start (wall clock): a restarted helper knows no other. */
        *p = (HealthProbeResult) { .at = now, .size = c->config->health.probe_size,
                                   .duration_usec = now > started_at ? now - started_at : 0 };
        if (path && (buf = read_output(path, &len)))
                r = fio_parse_json(buf, len, &fio, &job_error);
        if (path)
                (void) unlink(path);
        if (r >= 0) {
                p->ok = true;
                p->write_mbps = fio.write_mbps;
                p->sync_p50_usec = fio.sync_p50_usec;
                p->sync_p99_usec = fio.sync_p99_usec;
        } else if (r == -EIO)
                (void) snprintf(p->error, sizeof(p->error), "fio's writes failed: %s", strerror(job_error));
        else
                (void) snprintf(p->error, sizeof(p->error), "fio %.120s and left no report", o->message);
        probe_save(c);
}

/* The probe's end, live or after a restart (op_finished_t): fio's report
 * is the last result, the job's message its figures. */
static void probe_finished(Job *j, const UnitOutcome *o) {
        Context *c = j->context;
        const HealthProbeResult *p = &c->health->probe;
        char msg[256];

        probe_record(c, o, j->started_at);
        if (o->canceled || !p->ok) {
                job_finish_from_outcome(j, o);
                return;
        }
        (void) snprintf(msg, sizeof(msg), "%.1f MB/s direct sequential writes; fdatasync p50 %.2f ms, p99 %.2f ms",
                        p->write_mbps, (double) p->sync_p50_usec / 1000.0, (double) p->sync_p99_usec / 1000.0);
        job_finish(j, JOB_DONE, "success", 0, msg);
}

/* fio: one job of direct sequential 1 MiB writes, then (stonewall) one of
 * 4 KiB writes each followed by fdatasync; each bounded by size and by half
 * of ProbeTimeoutSec=; both files unlinked at the end. */
static char **probe_argv(const HealthConfig *h) {
        uint64_t half_ms = h->probe_timeout_usec / USEC_PER_MSEC / 2, sync_size = h->probe_size / 4 < (16ULL << 20) ? h->probe_size / 4 : 16ULL << 20;
        char *argv[] = {
                strdup(HEALTH_FIO_PATH), strdup("--output-format=json"),
                strdup_printf("--output=%s/" PROBE_OUTPUT_FILE, h->probe_directory),
                strdup_printf("--directory=%s", h->probe_directory), strdup("--ioengine=psync"),
                strdup("--unlink=1"), strdup("--name=seq"), strdup("--filename=hubops-probe.seq"),
                strdup("--rw=write"), strdup("--bs=1M"), strdup("--direct=1"),
                strdup_printf("--size=%" PRIu64, h->probe_size), strdup_printf("--runtime=%" PRIu64 "ms", half_ms),
                strdup("--name=sync"), strdup("--stonewall"), strdup("--filename=hubops-probe.sync"),
                strdup("--rw=write"), strdup("--bs=4k"), strdup("--fdatasync=1"),
                strdup_printf("--size=%" PRIu64, sync_size), strdup_printf("--runtime=%" PRIu64 "ms", half_ms), NULL,
        };
        char **copy = calloc(ELEMENTSOF(argv), sizeof(char *));
        bool ok = copy != NULL;

        for (size_t i = 0; i + 1 < ELEMENTSOF(argv); i++)
                ok = ok && argv[i];
        if (ok)
                memcpy(copy, argv, sizeof(argv));
        for (size_t i = 0; !ok && i + 1 < ELEMENTSOF(argv); i++)
                free(argv[i]);
        if (!ok) {
                free(copy);
                return NULL;
        }
        return copy;
}

void health_probe_act(Request *req, void *userdata) {
        Context *c = req->context;
        const HealthConfig *h = &c->config->health;
        _cleanup_(strv_freep) char **argv = probe_argv(h);
        Job *job;

        (void) userdata;
        if (!argv) {
                (void) request_reply_error(req, HUBOPS_ERROR_FAILED, "Cannot create a job: %s", strerror(ENOMEM));
                return;
        }
        if (op_job_new(req, "", &job) < 0)
                return;
        TransientUnit u = {
                .name = job->unit,
                .description = "hubops disk probe (fio)",
                .argv = argv,
                .user = h->probe_user,
                .timeout_usec = h->probe_timeout_usec + PROBE_SLACK_USEC,
                .output_file = job->log_file,
                .working_directory = h->probe_directory,
        };
        op_start_unit(req, job,
                      &(OpUnit) { .transient = &u, .what = "the disk probe", .doing = "to run the probe",
                                  .finished = probe_finished });
}

void health_probe_restore(Context *c) {
        op_restore_transient(c, "health.probe", "probe", NULL, probe_finished);
}
