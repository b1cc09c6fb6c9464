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
#include "job-record.h"
#include "macro.h"
#include "op-busy.h"
#include "op-start.h"
#include "procfs.h"
#include "rebuild.h"
#include "request.h"
#include "systemd-client.h"
#include "unit-run.h"

#define STATE_FILE_MAX 8192

/* The last run and the durations of past ones, for the estimate (a cache
 * like health-probe.json: the running job is in jobs.json, job-record.h). */
static char *history_path(const Context *c) {
        return strdup_printf("%s/rebuild-history.json", c->config->state_directory);
}

/* Where a hubopsd before jobs.json knew the rebuild kept it, running job and all. */
static char *old_state_path(const Context *c) {
        return strdup_printf("%s/rebuild.json", c->config->state_directory);
}

static int state_read(const char *path, RebuildState *ret) {
        _cleanup_free_ char *buf = malloc(STATE_FILE_MAX);
        size_t len;
        int r;

        if (!path || !buf)
                return -ENOMEM;
        r = procfs_read_file(path, buf, STATE_FILE_MAX, &len);
        if (r < 0)
                return r;
        return rebuild_state_parse(buf, ret);
}

static int history_save(const Context *c) {
        RebuildState h = c->rebuild;
        _cleanup_free_ char *path = history_path(c), *json = NULL, *line = NULL;

        h.job_id = 0, h.started_at = 0, h.started_by = 0; /* jobs.json's */
        json = rebuild_state_format(&h);
        if (!path || !json || !(line = strdup_printf("%s\n", json)))
                return -ENOMEM;
        return write_file_atomic(path, line, strlen(line), 0644);
}

static Job *running_job(Context *c) {
        return op_busy_job(c, "rebuild.start", "");
}

static void emit_changed(Context *c) {
        (void) sd_bus_emit_properties_changed(c->bus, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_REBUILD, "State",
                                              "CurrentJob", "LastResult", "LastStartedAt", "LastDuration",
                                              "ExpectedDuration", NULL);
}

static void rebuild_started(Job *j) {
        emit_changed(j->context);
}

/* The unit ended (seen live, or found ended after a helper restart): the
 * job's end, then the last run and the estimate's history. */
static void rebuild_finished(Job *j, const UnitOutcome *o) {
        Context *c = j->context;
        uint64_t started = j->started_at, now = o->ended_at > started ? o->ended_at : now_usec(CLOCK_REALTIME);
        int r;

        job_finish_from_outcome(j, o);
        (void) snprintf(c->rebuild.last_result, sizeof(c->rebuild.last_result), "%s", o->result);
        c->rebuild.last_started_at = started;
        c->rebuild.last_duration = now > started ? now - started : 0;
        /* Only complete runs teach the estimate how long a rebuild takes. */
        if (o->ok && c->rebuild.last_duration > 0)
                rebuild_history_add(&c->rebuild, c->rebuild.last_duration);
        r = history_save(c);
        if (r < 0)
                log_error_errno(r, "hubopsd: cannot save the rebuild's history: %m");
        emit_changed(c);
}

static int io_class_number(const char *name) {
        if (!name)
                return 0;
        return strcmp(name, "realtime") == 0 ? 1 : strcmp(name, "best-effort") == 0 ? 2 : 3;
}

static void act_start(Request *req, void *userdata) {
        const RebuildConfig *b = &req->context->config->rebuild;
        Job *j;

        (void) userdata;
        if (op_job_new(req, "", &j) < 0)
                return;
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
        op_start_unit(req, j,
                      &(OpUnit) { .transient = &u, .what = "the rebuild", .doing = "to start the rebuild",
                                  .finished = rebuild_finished, .started = rebuild_started });
}

static int method_start(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        Request *req = NULL;
        int r;

        r = request_new(c, m, "rebuild.start", HUBOPS_ACTION_REBUILD_START, NULL, &req);
        if (r < 0)
                return r;
        /* One rebuild per host (its row's busy key). */
        return op_authorize(req, "", act_start, NULL, NULL);
}

/* ---- after a restart, or an upgrade ---- */

/* A rebuild that was running when a hubopsd that kept it in rebuild.json
 * was replaced: the same job, under its old id, handed to the restore
 * below as if jobs.json had it. */
static void migrate_job(Context *c, const RebuildState *s) {
        _cleanup_free_ char *unit = strdup_printf("%s-rebuild.service", c->config->unit_prefix);
        Job *j;
        int r;

        if (s->job_id == 0 || job_find(c, s->job_id))
                return; /* none, or jobs.json has it already (a migration cut short) */
        r = unit ? job_restore(c, s->job_id, "rebuild.start", NULL, unit, HUBOPS_ACTION_REBUILD_CANCEL, s->started_by,
                               s->started_at, &j)
                 : -ENOMEM;
        if (r >= 0)
                r = job_restore_progress(j, "running", "", "");
        if (r < 0) {
                log_error_errno(r, "hubopsd: cannot re-expose rebuild job %" PRIu64 " from rebuild.json: %m",
                                s->job_id);
                return;
        }
        j->durable = true;
        j->restored = true;
}

/* rebuild.json, once: its running job into jobs.json, its history into
 * rebuild-history.json, then it is removed (in that order: a crash
 * half-way repeats it). */
static int migrate(Context *c) {
        _cleanup_free_ char *path = old_state_path(c);
        RebuildState s;
        int r = state_read(path, &s);

        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_error_errno(r, "hubopsd: cannot read %s: %m", path);
        migrate_job(c, &s);
        c->rebuild = s;
        c->rebuild.job_id = 0, c->rebuild.started_at = 0, c->rebuild.started_by = 0;
        r = history_save(c);
        if (r >= 0) {
                job_records_save(c);
                r = unlink_durable(path);
        }
        if (r < 0)
                return log_error_errno(r, "hubopsd: cannot take over %s: %m", path);
        log_info("hubopsd: took over %s (job %" PRIu64 "); the rebuild's jobs are in jobs.json from now on", path,
                 s.job_id);
        return 0;
}

void rebuild_restore(Context *c) {
        if (c->config->rebuild.present)
                op_restore_transient(c, "rebuild.start", "rebuild", NULL, rebuild_finished);
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", running_job(userdata) ? "running" : "idle");
}

static int property_get_current_job(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Job *j = running_job(userdata);

        return sd_bus_message_append(reply, "o", j ? j->path : "/");
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

/* Before the restore loop (op_table_restore_all()): a rebuild.json that
 * does not parse refuses start-up, as it always has. */
int rebuild_register(Context *c) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (!c->config->rebuild.present)
                return 0;
        path = history_path(c);
        r = state_read(path, &c->rebuild);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "hubopsd: cannot read %s: %m", path);
        r = migrate(c);
        if (r < 0)
                return r;
        return sd_bus_add_object_vtable(c->bus, NULL, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_REBUILD, rebuild_vtable, c);
}
