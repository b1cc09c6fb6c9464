/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "directory-observe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "directory.h"
#include "log.h"
#include "macro.h"
#include "systemd-client.h"

/* Start-up waits this long for systemd: long enough for a busy manager,
 * short enough not to hold the helper back when it is gone. */
#define LEARN_TIMEOUT_USEC (5ULL * USEC_PER_SEC)

ProcMatch directory_match(const Context *c, char *const *argv) {
        const DirectoryConfig *d = &c->config->directory;

        return (ProcMatch) { .argv = argv, .cgroup = d->unit ? c->directory_cgroup : NULL, .uid = d->uid };
}

/* systemd reports no ControlGroup for a unit with no process left in it: the
 * last path it reported stays the unit's (slice and unit name), and only
 * the manager can put processes there, so it is kept. */
static bool cgroup_set(Context *c, char *cgroup) {
        if (cgroup[0] == '\0' || (c->directory_cgroup && strcmp(c->directory_cgroup, cgroup) == 0)) {
                free(cgroup);
                return false;
        }
        free(c->directory_cgroup);
        c->directory_cgroup = cgroup;
        return true;
}

void directory_owner_learn(Context *c) {
        const DirectoryConfig *d = &c->config->directory;
        char *cgroup = NULL;
        int r;

        if (!d->unit)
                return;
        r = systemd_get_control_group_now(c, d->unit, LEARN_TIMEOUT_USEC, &cgroup);
        if (r < 0) {
                log_warning_errno(r, "hubopsd: cannot ask systemd for the cgroup of %s: %m; asking again later",
                                  d->unit);
                return;
        }
        c->directory_cgroup_known = true;
        (void) cgroup_set(c, cgroup);
}

static int on_control_group(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Context *c = userdata;
        char *cgroup = NULL;
        int r;

        (void) ret_error;
        c->directory_cgroup_slot = sd_bus_slot_unref(c->directory_cgroup_slot);
        r = systemd_decode_control_group(reply, &cgroup);
        if (r < 0) {
                /* Once per spell of failures: the watch asks every few seconds. */
                if (!c->directory_cgroup_failing)
                        log_error_errno(r, "hubopsd: cannot ask systemd for the cgroup of %s: %m",
                                        c->config->directory.unit);
                c->directory_cgroup_failing = true;
                return 0;
        }
        c->directory_cgroup_failing = false;
        c->directory_cgroup_known = true;
        if (cgroup_set(c, cgroup))
                directory_properties_changed(c);
        return 0;
}

/* A question asked on a connection since closed (systemd went away, the
 * connection was replaced) is never answered: it is not in flight. */
static bool question_in_flight(const Context *c) {
        return c->directory_cgroup_slot && c->systemd && sd_bus_slot_get_bus(c->directory_cgroup_slot) == c->systemd &&
                sd_bus_is_open(c->systemd) > 0;
}

void directory_owner_refresh(Context *c) {
        const DirectoryConfig *d = &c->config->directory;

        if (!d->unit || question_in_flight(c))
                return;
        c->directory_cgroup_slot = sd_bus_slot_unref(c->directory_cgroup_slot);
        if (systemd_get_control_group(c, d->unit, on_control_group, c, &c->directory_cgroup_slot) < 0)
                c->directory_cgroup_slot = NULL;
}

bool directory_owner_known(const Context *c) {
        const DirectoryConfig *d = &c->config->directory;

        return !d->unit || d->uid != (uid_t) -1 || c->directory_cgroup_known;
}

void directory_owner_done(Context *c) {
        c->directory_cgroup_slot = sd_bus_slot_unref(c->directory_cgroup_slot);
        free(c->directory_cgroup);
        c->directory_cgroup = NULL;
}

/* The first process found for argv, 0 if none. */
static pid_t find_first(const Context *c, char *const *argv, bool *exe_deleted) {
        ProcMatch m = directory_match(c, argv);
        ProcFound found[PROC_FIND_MAX];
        unsigned n = 0;

        if (proc_find(&m, found, &n) < 0 || n == 0)
                return 0;
        *exe_deleted = *exe_deleted || found[0].exe_deleted;
        return found[0].pid;
}

void directory_observe(const Context *c, DirectorySnapshot *ret) {
        const DirectoryConfig *d = &c->config->directory;
        DirectorySnapshot s = { 0 };

        s.main_pid = find_first(c, d->main_process, &s.exe_deleted);
        s.root_pid = find_first(c, d->root_process, &s.exe_deleted);
        s.memory_bytes = (s.main_pid ? proc_rss_bytes(s.main_pid) : 0) + (s.root_pid ? proc_rss_bytes(s.root_pid) : 0);
        s.state = s.main_pid && s.root_pid ? "running"
                  : s.root_pid             ? "root-only"
                  : s.main_pid             ? "degraded"
                                           : "stopped";
        *ret = s;
}

const DirectorySnapshot *directory_observe_cached(Context *c) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        /* By the clock, not per event-loop iteration: each Get of a flood is
         * dispatched in an iteration of its own. */
        if (c->directory_cache_at == 0 || now - c->directory_cache_at >= DIRECTORY_CACHE_USEC) {
                directory_observe(c, &c->directory_cache);
                c->directory_cache_at = now;
                c->directory_scans++;
        }
        return &c->directory_cache;
}

void directory_observe_invalidate(Context *c) {
        c->directory_cache_at = 0;
}
