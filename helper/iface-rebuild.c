/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "iface-rebuild.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "format.h"
#include "hubops-bus.h"
#include "job.h"
#include "clock.h"
#include "log.h"
#include "macro.h"
#include "procfs.h"
#include "rebuild.h"
#include "request.h"
#include "systemd-client.h"
#include "unit-run.h"

#define STATE_FILE_MAX 8192

static char *state_path(const Context *c) {
        return strdup_printf("%s/rebuild.json", c->config->state_directory);
}

static char *unit_name(const Context *c) {
        /* Stable and host-unique: a restarted helper finds it by name. */
        return strdup_printf("%s-rebuild.service", c->config->unit_prefix);
}

static int state_load(Context *c) {
        _cleanup_free_ char *path = state_path(c), *buf = malloc(STATE_FILE_MAX);
        size_t len;
        int r;

        if (!path || !buf)
                return -ENOMEM;
        r = procfs_read_file(path, buf, STATE_FILE_MAX, &len);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        return rebuild_state_parse(buf, &c->rebuild);
}

static int state_save(const Context *c) {
        _cleanup_free_ char *path = state_path(c), *json = rebuild_state_format(&c->rebuild), *line = NULL;

        if (!path || !json || !(line = strdup_printf("%s\n", json)))
                return -ENOMEM;
        return write_file_atomic(path, line, strlen(line), 0644);
}

static void set_estimate(Context *c, Job *j) {
        char basis[64];
        uint64_t e = rebuild_estimate(&c->rebuild, c->config->rebuild.expected_usec, basis, sizeof(basis));

        job_set_estimate(j, e, basis);
}

static void emit_changed(Context *c) {
        (void) sd_bus_emit_properties_changed(c->bus, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_REBUILD, "State",
                                              "CurrentJob", "LastResult", "LastStartedAt", "LastDuration",
                                              "ExpectedDuration", NULL);
}

/* One rebuild followed: the request until systemd accepts the unit (none
 * when re-attached after a restart), then the job's id until it ends. */
typedef struct RebuildRun {
        Context *context;
        Request *request;
        uint64_t job_id;
} RebuildRun;

/* hubopsd stopped while the rebuild ran (it goes on; rebuild.json has it). */
static void rebuild_run_free(void *userdata) {
        RebuildRun *run = userdata;

        request_free(run->request);
        free(run);
}

/* The unit ended (seen live, or found ended after a helper restart). */
static void on_rebuild_done(Context *c, const UnitOutcome *o, void *userdata) {
        RebuildRun *run = userdata;
        Job *j = job_find(c, run->job_id);
        uint64_t now = o->ended_at > c->rebuild.started_at ? o->ended_at : now_usec(CLOCK_REALTIME),
                 started = c->rebuild.started_at;
        int r;

        free(run);
        if (j)
                job_finish_from_outcome(j, o);
        (void) snprintf(c->rebuild.last_result, sizeof(c->rebuild.last_result), "%s", o->result);
        c->rebuild.last_started_at = started;
        c->rebuild.last_duration = now > started ? now - started : 0;
        /* Only complete runs teach the estimate how long a rebuild takes. */
        if (o->ok && c->rebuild.last_duration > 0)
                rebuild_history_add(&c->rebuild, c->rebuild.last_duration);
        c->rebuild.job_id = 0;
        r = state_save(c);
        if (r < 0)
                log_error_errno(r, "hubopsd: cannot save the rebuild state: %m");
        emit_changed(c);
}

static void on_rebuild_started(Context *c, int error, const char *message, const char *systemd_job,
                               void *userdata) {
        RebuildRun *run = userdata;
        Request *req = TAKE_PTR(run->request);
        Job *j = job_find(c, run->job_id);
        int r;

        if (error >= 0) {
                /* On disk before the reply: a helper restarted now still finds it. */
                c->rebuild.job_id = j->id;
                c->rebuild.started_at = j->started_at;
                c->rebuild.started_by = j->started_by_uid;
                r = state_save(c);
                if (r < 0)
                        log_error_errno(r, "hubopsd: cannot save the rebuild state: %m");
                emit_changed(c);
        }
        if (!job_reply_started(j, req, error, "the rebuild", message))
                free(run);
}

static int io_class_number(const char *name) {
        if (!name)
                return 0;
        return strcmp(name, "realtime") == 0 ? 1 : strcmp(name, "best-effort") == 0 ? 2 : 3;
}

/* One rebuild per host: asked before polkit, and again after. */
static int reply_busy(Request *req) {
        uint64_t id = req->context->rebuild.job_id;

        return request_reply_error(req, HUBOPS_ERROR_BUSY,
                                   "A rebuild is already running as job %" PRIu64
                                   " (hubopsctl rebuild wait, or job wait %" PRIu64 ")",
                                   id, id);
}

static void act_start(Request *req, void *userdata) {
        Context *c = req->context;
        const RebuildConfig *b = &c->config->rebuild;
        _cleanup_free_ char *unit = unit_name(c);
        RebuildRun *run;
        Job *j;
        int r;

        if (c->rebuild.job_id != 0) {
                (void) reply_busy(req);
                return;
        }
        r = unit ? job_new(c, "rebuild.start", NULL, "rebuild", HUBOPS_ACTION_REBUILD_CANCEL, req->caller.uid, &j)
                 : -ENOMEM;
        if (r >= 0)
                r = job_set_unit(j, unit);
        if (r < 0) {
                (void) request_reply_error(req, HUBOPS_ERROR_FAILED, "Cannot create a job: %s", strerror(-r));
                return;
        }
        j->cancel = job_cancel_by_stopping_unit;
        set_estimate(c, j);

        TransientUnit u = {
                .name = j->unit,
                .description = "hubops mailhub table rebuild",
                .argv = b->argv,
                .user = b->user,
                .group = b->group,
                .timeout_usec = b->runtime_max_usec, /* for a oneshot, the start timeout is the run's ceiling */
                .output_file = j->log_file,
                .working_directory = b->working_directory,
                .set_nice = b->nice != 0,
                .nice = b->nice,
                .io_class = io_class_number(b->io_scheduling_class),
        };
        if (!job_record_starting(j, req))
                return;
        run = calloc(1, sizeof(RebuildRun));
        if (!run) {
                job_discard(j);
                (void) request_reply_error(req, HUBOPS_ERROR_FAILED, "Out of memory");
                return;
        }
        *run = (RebuildRun) { .context = c, .request = req, .job_id = j->id };
        /* A canceled run leaves the stable unit "failed"; forget it first (queued
         * before the start on the same connection, so systemd sees it first). */
        systemd_collect_unit(c, j->unit, true);
        r = unit_run_transient(c, &u, on_rebuild_started, on_rebuild_done, run, rebuild_run_free);
        if (r < 0) {
                free(run);
                job_discard(j);
                (void) request_reply_error(req, HUBOPS_ERROR_SYSTEMD_UNAVAILABLE,
                                           "Cannot reach the systemd manager to start the rebuild: %s", strerror(-r));
        }
}

static int method_start(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        Request *req = NULL;
        int r;

        r = request_new(c, m, "rebuild.start", HUBOPS_ACTION_REBUILD_START, NULL, &req);
        if (r < 0)
                return r;
        if (c->rebuild.job_id != 0)
                return reply_busy(req);
        return request_authorize(req, act_start, NULL, NULL);
}

/* ---- after a restart: find the unit, re-expose the job, follow it to its end ---- */

static int on_unit_found(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        RebuildRun *run = userdata;
        Context *c = run->context;
        Job *j = job_find(c, run->job_id);
        UnitState u;
        int r;

        if (!j) {
                free(run);
                return 0;
        }
        r = systemd_decode_unit_state(reply, &u);
        if (r >= 0 && strcmp(u.active, "activating") == 0 && u.job_id != 0) {
                job_set_phase(j, "running", "re-attached after a helper restart");
                r = unit_follow(c, NULL, j->unit, u.job, on_rebuild_done, run, rebuild_run_free);
        } else if (r >= 0 && (strcmp(u.active, "active") == 0 || strcmp(u.active, "failed") == 0))
                /* It ended while no helper watched: its real result is still on the unit. */
                r = unit_read_transient_outcome(c, j->unit, on_rebuild_done, run, rebuild_run_free);
        else {
                UnitOutcome o = { .exit_status = -1 };
                (void) snprintf(o.result, sizeof(o.result), "unknown");
                (void) snprintf(o.message, sizeof(o.message),
                                "the rebuild's unit was gone when hubopsd restarted; its result is unknown");
                on_rebuild_done(c, &o, run);
                return 0;
        }
        if (r < 0) {
                free(run);
                job_set_phase(j, "lost", "cannot follow the rebuild's unit after a restart");
        }
        return 0;
}

void rebuild_restore(Context *c) {
        _cleanup_free_ char *unit = unit_name(c);
        RebuildRun *run;
        Job *j;
        int r;

        if (!c->config->rebuild.present || c->rebuild.job_id == 0 || !unit)
                return;
        /* The same job, under its old id and path, as the client knew it. */
        r = job_restore(c, c->rebuild.job_id, "rebuild.start", NULL, unit, HUBOPS_ACTION_REBUILD_CANCEL,
                        c->rebuild.started_by, c->rebuild.started_at, &j);
        if (r < 0) {
                log_error_errno(r, "hubopsd: cannot re-expose rebuild job %" PRIu64 ": %m", c->rebuild.job_id);
                return;
        }
        j->cancel = job_cancel_by_stopping_unit;
        set_estimate(c, j);
        run = calloc(1, sizeof(RebuildRun));
        if (!run)
                return;
        *run = (RebuildRun) { .context = c, .job_id = j->id };
        r = systemd_get_unit_state(c, unit, on_unit_found, run);
        if (r < 0) {
                free(run);
                job_set_phase(j, "lost", "the systemd manager is unreachable; restart hubopsd to re-attach");
        }
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        return sd_bus_message_append(reply, "s", c->rebuild.job_id ? "running" : "idle");
}

static int property_get_current_job(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        char p[64] = "/";

        if (c->rebuild.job_id)
                (void) snprintf(p, sizeof(p), HUBOPS_JOB_PATH_PREFIX "/%" PRIu64, c->rebuild.job_id);
        return sd_bus_message_append(reply, "o", p);
}

static int property_get_last_result(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        return sd_bus_message_append(reply, "s", c->rebuild.last_result);
}

static int property_get_u64(sd_bus_message *reply, uint64_t v) {
        return sd_bus_message_append(reply, "t", v);
}

static int property_get_last_started(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return property_get_u64(reply, ((Context *) userdata)->rebuild.last_started_at);
}

static int property_get_last_duration(sd_bus *bus, const char *path, const char *interface, const char *property,
                                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return property_get_u64(reply, ((Context *) userdata)->rebuild.last_duration);
}

static int property_get_expected(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        char basis[64];
        return property_get_u64(reply,
                                rebuild_estimate(&c->rebuild, c->config->rebuild.expected_usec, basis, sizeof(basis)));
}

static const sd_bus_vtable rebuild_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("CurrentJob", "o", property_get_current_job, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastResult", "s", property_get_last_result, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastStartedAt", "t", property_get_last_started, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastDuration", "t", property_get_last_duration, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ExpectedDuration", "t", property_get_expected, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("Start", SD_BUS_NO_ARGS, SD_BUS_RESULT("o", job), method_start,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int rebuild_register(Context *c) {
        int r;

        if (!c->config->rebuild.present)
                return 0;
        r = state_load(c);
        if (r < 0) {
                return log_error_errno(r, "hubopsd: cannot read %s/rebuild.json: %m", c->config->state_directory);
        }
        return sd_bus_add_object_vtable(c->bus, NULL, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_REBUILD, rebuild_vtable, c);
}
