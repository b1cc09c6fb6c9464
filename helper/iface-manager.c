/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "iface-manager.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "audit-read.h"
#include "can-run.h"
#include "fs-stat.h"
#include "hubops-bus.h"
#include "job.h"
#include "load.h"
#include "macro.h"
#include "op-table.h"
#include "procfs.h"
#include "run-claim.h"

#define MOUNTINFO_MAX ((size_t) 256 * 1024)
/* A CheckPaths= entry whose statvfs has not answered by then is "not
 * responding": well below the watchdog (30 s) and sd-bus call timeouts (25 s). */
#define HEALTH_STAT_TIMEOUT_USEC (2ULL * USEC_PER_SEC)

#ifndef HUBOPS_VERSION
#define HUBOPS_VERSION "unknown"
#endif

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        (void) bus, (void) path, (void) interface, (void) property, (void) userdata, (void) error;
        return sd_bus_message_append(reply, "s", HUBOPS_VERSION);
}

static int property_get_hostname(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Context *c = userdata;

        (void) bus, (void) path, (void) interface, (void) property, (void) error;
        return sd_bus_message_append(reply, "s", c->config->hostname);
}

static int property_get_roles(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Context *c = userdata;

        (void) bus, (void) path, (void) interface, (void) property, (void) error;
        return sd_bus_message_append_strv(reply, c->config->roles);
}

static int append_operation(sd_bus_message *reply, const Context *c, const OpRow *row) {
        size_t n = row->n_subjects ? row->n_subjects(c) : 1;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < n; i++) {
                const char *subject = row->subject ? row->subject(c, i) : "";
                if (!row->missing || !row->missing(c, subject))
                        r = sd_bus_message_append(reply, "(sss)", row->name, subject, row->action);
        }
        return r;
}

static int method_list_operations(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Context *c = userdata;
        int r;

        (void) error;
        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        /* The names CanRun and hubopsctl can-run take, configured here (op-table.c). */
        r = sd_bus_message_open_container(reply, 'a', "(sss)");
        for (size_t i = 0; r >= 0 && i < n_op_rows; i++)
                r = append_operation(reply, c, &op_rows[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_load(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        Context *c = userdata;
        uid_t uid;
        uint32_t window_ms;
        int r;

        r = sd_bus_message_read(m, "u", &window_ms);
        if (r < 0)
                return r;
        if (window_ms < LOAD_WINDOW_MIN_MS || window_ms > LOAD_WINDOW_MAX_MS)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "window_ms must be between %u and %u",
                                         LOAD_WINDOW_MIN_MS, LOAD_WINDOW_MAX_MS);
        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "The caller's credentials are unavailable");
        return load_measure_async(c, m, uid, window_ms, error);
}

static int method_list_jobs(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Context *c = userdata;
        int r;

        (void) error;
        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(tssso)");
        for (Job *j = c->jobs; r >= 0 && j; j = j->next)
                r = sd_bus_message_append(reply, "(tssso)", j->id, j->operation,
                                          j->details[0] && j->details[1] ? j->details[1] : "",
                                          job_state_to_string(j->state), j->path);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* For each CheckPaths= entry: room and writability, as a preflight wants
 * them (the split gone wrong: a disk full, out of inodes, or remounted
 * read-only by the kernel). "writable" is the filesystem's own state, from
 * its super options, not our sandboxed view of it. */
static int append_health(sd_bus_message *reply, const FsStat *st, const char *mountinfo, size_t len) {
        char fstype[64] = "";
        bool ro = false;

        if (!st->answered || st->error)
                return sd_bus_message_append(reply, "(sttttbss)", st->path, (uint64_t) 0, (uint64_t) 0, (uint64_t) 0,
                                             (uint64_t) 0, 0, "",
                                             st->answered ? strerror(st->error)
                                                          : "not responding (statvfs hangs: a dead NFS server or disk?)");
        if (procfs_mountinfo_lookup(mountinfo, len, st->path, fstype, sizeof(fstype), &ro) < 0)
                ro = (st->sv.f_flag & ST_RDONLY) != 0;
        return sd_bus_message_append(reply, "(sttttbss)", st->path, (uint64_t) st->sv.f_bavail * st->sv.f_frsize,
                                     (uint64_t) st->sv.f_blocks * st->sv.f_frsize, (uint64_t) st->sv.f_favail,
                                     (uint64_t) st->sv.f_files, !ro, fstype, "");
}

static void on_health_stats(const FsStat *stats, size_t n, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = userdata, *reply = NULL;
        _cleanup_free_ char *mountinfo = malloc(MOUNTINFO_MAX);
        size_t len = 0;
        int r;

        if (!mountinfo || procfs_read_file("/proc/self/mountinfo", mountinfo, MOUNTINFO_MAX, &len) < 0)
                len = 0;
        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sttttbss)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = append_health(reply, &stats[i], mountinfo ? mountinfo : "", len);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0)
                (void) sd_bus_reply_method_errorf(call, HUBOPS_ERROR_FAILED, "Cannot answer GetHealth: %s", strerror(-r));
}

static int method_get_health(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        int r;

        r = fs_stat_async(c->event, c->config->check_paths, HEALTH_STAT_TIMEOUT_USEC, on_health_stats,
                          sd_bus_message_ref(m));
        if (r == -EBUSY) {
                sd_bus_message_unref(m);
                return sd_bus_error_setf(error, HUBOPS_ERROR_TOO_MANY_REQUESTS,
                                         "Earlier filesystem checks still hang (%u); try again later",
                                         FS_STAT_WORKERS_MAX);
        }
        if (r < 0) {
                sd_bus_message_unref(m);
                return r;
        }
        return 1;
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Hostname", "s", property_get_hostname, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Roles", "as", property_get_roles, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("CurrentRun", "(ssuts)", property_get_current_run, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("ListOperations", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(sss)", operations), method_list_operations,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetLoad", SD_BUS_ARGS("u", window_ms),
                                SD_BUS_RESULT("d", cpu_idle, "d", load1, "d", load5, "d", load15, "t",
                                              memory_available),
                                method_get_load, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListJobs", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(tssso)", jobs), method_list_jobs,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetHealth", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sttttbss)", filesystems),
                                method_get_health, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CanRun", SD_BUS_ARGS("s", operation, "s", subject),
                                SD_BUS_RESULT("s", answer, "s", reason), method_can_run, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ClaimRun", SD_BUS_ARGS("s", run_id, "s", description), SD_BUS_NO_RESULT,
                                method_claim_run, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ReleaseRun", SD_BUS_ARGS("s", run_id), SD_BUS_NO_RESULT, method_release_run,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetAuditRecords", SD_BUS_ARGS("as", ids), SD_BUS_RESULT("as", records),
                                method_get_audit_records, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int manager_register(Context *c) {
        return sd_bus_add_object_vtable(c->bus, NULL, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, manager_vtable, c);
}
