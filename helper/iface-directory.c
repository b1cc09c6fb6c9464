/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "iface-directory.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "directory-observe.h"
#include "directory.h"
#include "hubops-bus.h"
#include "job.h"
#include "log.h"
#include "macro.h"
#include "op-busy.h"
#include "op-start.h"
#include "request.h"

#define DIRECTORY_WATCH_USEC (2ULL * USEC_PER_SEC)

typedef enum SnapshotField { FIELD_STATE, FIELD_MAIN, FIELD_ROOT, FIELD_MEMORY, FIELD_EXE_DELETED } SnapshotField;

static int property_get(sd_bus_message *reply, Context *c, SnapshotField f) {
        const DirectorySnapshot *s = directory_observe_cached(c);

        switch (f) {
        case FIELD_STATE:
                return sd_bus_message_append(reply, "s", s->state);
        case FIELD_MAIN:
                return sd_bus_message_append(reply, "u", (uint32_t) s->main_pid);
        case FIELD_ROOT:
                return sd_bus_message_append(reply, "u", (uint32_t) s->root_pid);
        case FIELD_EXE_DELETED:
                return sd_bus_message_append(reply, "b", (int) s->exe_deleted);
        default:
                return sd_bus_message_append(reply, "t", s->memory_bytes);
        }
}

#define DEFINE_GETTER(fn, field)                                                                              \
        static int fn(sd_bus *bus, const char *path, const char *interface, const char *property,           \
                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {                         \
                return property_get(reply, userdata, field);                                                  \
        }
DEFINE_GETTER(property_get_state, FIELD_STATE)
DEFINE_GETTER(property_get_main_pid, FIELD_MAIN)
DEFINE_GETTER(property_get_root_pid, FIELD_ROOT)
DEFINE_GETTER(property_get_memory, FIELD_MEMORY)
DEFINE_GETTER(property_get_exe_deleted, FIELD_EXE_DELETED)

/* Said once each time it starts: the operator may not know an upgrade
 * replaced the binary, and only a restart runs the new one. */
static void log_exe_deleted(const Context *c, const DirectorySnapshot *s) {
        bool before = strstr(c->directory_seen, " deleted") != NULL;

        if (s->exe_deleted && !before)
                log_warning("hubopsd: the directory (main process %d, root process %d) is running a deleted (upgraded) "
                            "binary; a restart runs the new one",
                            (int) s->main_pid, (int) s->root_pid);
}

void directory_properties_changed(Context *c) {
        const DirectorySnapshot *s;
        char seen[sizeof(c->directory_seen)];

        /* The unit may have started (anew) since: its cgroup, for the next look. */
        directory_owner_refresh(c);
        directory_observe_invalidate(c); /* something may just have changed: look again */
        s = directory_observe_cached(c);
        (void) snprintf(seen, sizeof(seen), "%s %d %d%s", s->state, (int) s->main_pid, (int) s->root_pid,
                        s->exe_deleted ? " deleted" : "");
        if (strcmp(seen, c->directory_seen) == 0)
                return;
        log_exe_deleted(c, s);
        memcpy(c->directory_seen, seen, sizeof(seen));
        (void) sd_bus_emit_properties_changed(c->bus, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_DIRECTORY, "State", "MainPID",
                                              "RootPID", "ExecutableDeleted", NULL);
}

/* The directory also changes without us (it crashes, someone runs the init
 * script by hand): look every few seconds, so PropertiesChanged tells the truth. */
static int on_watch(sd_event_source *s, uint64_t usec, void *userdata) {
        directory_properties_changed(userdata);
        (void) sd_event_source_set_time_relative(s, DIRECTORY_WATCH_USEC);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int run_procedure(Context *c, Job *j, void *userdata) {
        return directory_run(c, j, (DirectoryVerb) (uintptr_t) userdata);
}

static void act_directory(Request *req, void *userdata) {
        Job *job;

        if (op_job_new(req, "", &job) >= 0)
                op_start_procedure(req, job, run_procedure, userdata);
}

static int method_verb(sd_bus_message *m, Context *c, DirectoryVerb verb) {
        const char *details[] = { "verb", directory_verb_to_string(verb), NULL };
        char operation[32];
        Request *req = NULL;
        int r;

        /* The row's name (op-table.c): the same in the audit record, the job and CanRun. */
        (void) snprintf(operation, sizeof(operation), "directory.%s", directory_verb_to_string(verb));
        r = request_new(c, m, operation, HUBOPS_ACTION_DIRECTORY_MANAGE, details, &req);
        if (r < 0)
                return r;
        /* One directory operation at a time (its row's busy key). */
        return op_authorize(req, "", act_directory, (void *) (uintptr_t) verb, NULL);
}

static int method_stop(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return method_verb(m, userdata, DIRECTORY_STOP);
}
static int method_kill_root(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return method_verb(m, userdata, DIRECTORY_KILL_ROOT);
}
static int method_start(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return method_verb(m, userdata, DIRECTORY_START);
}
static int method_restart(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return method_verb(m, userdata, DIRECTORY_RESTART);
}

static const sd_bus_vtable directory_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("MainPID", "u", property_get_main_pid, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RootPID", "u", property_get_root_pid, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        /* It grows all the time (the leak is why the runbook exists): read it, no signal. */
        SD_BUS_PROPERTY("MemoryBytes", "t", property_get_memory, 0, 0),
        SD_BUS_PROPERTY("ExecutableDeleted", "b", property_get_exe_deleted, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("Stop", SD_BUS_NO_ARGS, SD_BUS_RESULT("o", job), method_stop,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("KillRoot", SD_BUS_NO_ARGS, SD_BUS_RESULT("o", job), method_kill_root,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Start", SD_BUS_NO_ARGS, SD_BUS_RESULT("o", job), method_start,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Restart", SD_BUS_NO_ARGS, SD_BUS_RESULT("o", job), method_restart,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int directory_register(Context *c) {
        int r;

        if (!c->config->directory.present)
                return 0;
        /* Before any caller can ask whose processes are the directory's. */
        directory_owner_learn(c);
        r = sd_bus_add_object_vtable(c->bus, NULL, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_DIRECTORY, directory_vtable, c);
        if (r < 0)
                return r;
        return sd_event_add_time_relative(c->event, &c->directory_watch, CLOCK_MONOTONIC, DIRECTORY_WATCH_USEC, 0,
                                          on_watch, c);
}

void directory_unregister(Context *c) {
        c->directory_watch = sd_event_source_disable_unref(c->directory_watch);
        directory_owner_done(c);
}
