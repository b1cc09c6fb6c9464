/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "systemd-client.h"

#include <errno.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "bus-open.h"
#include "bus-sender.h"
#include "job.h"
#include "log.h"
#include "macro.h"
#include "transient-unit.h"
#include "unit-run.h"

#define SYSTEMD_NAME "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define SYSTEMD_UNIT_PATH "/org/freedesktop/systemd1/unit"
#define SYSTEMD_SERVICE "org.freedesktop.systemd1.Service"
#define PROPERTIES "org.freedesktop.DBus.Properties"
#define LOCAL_NAME "org.freedesktop.DBus.Local"
#define LOCAL_PATH "/org/freedesktop/DBus/Local"
#define RESYNC_RETRY_USEC (100 * 1000ULL)

/* On a private socket there is no bus daemon: messages carry no destination. */
static const char *destination(const Context *c) {
        return c->config->systemd_address ? NULL : SYSTEMD_NAME;
}

struct SystemdWatch {
        SystemdWatch *next;
        char *job;
        systemd_job_done_t callback;
        void *userdata;
};

static void remember_removed(Context *c, const char *job, const char *result) {
        SystemdRemoved *r = &c->recent[c->recent_next++ % SYSTEMD_RECENT_MAX];

        (void) snprintf(r->job, sizeof(r->job), "%s", job);
        (void) snprintf(r->result, sizeof(r->result), "%s", result);
}

/* Taken once: one watch per job, and a watch set again after its job was
 * found still running (helper/unit-run.c) must not hear the old word again. */
static bool take_recently_removed(Context *c, const char *job, char ret_result[static 16]) {
        for (unsigned i = 0; i < SYSTEMD_RECENT_MAX; i++)
                if (c->recent[i].job[0] != '\0' && strcmp(c->recent[i].job, job) == 0) {
                        memcpy(ret_result, c->recent[i].result, sizeof(c->recent[i].result));
                        c->recent[i].job[0] = '\0';
                        return true;
                }
        return false;
}

static void watch_free(SystemdWatch *w) {
        if (!w)
                return;
        free(w->job);
        free(w);
}

static void job_removed(Context *c, sd_bus_message *m) {
        const char *job, *unit, *result;
        uint32_t id;

        /* 0: no arguments at all, nothing read. */
        if (sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) <= 0)
                return;
        for (SystemdWatch **p = &c->watches; *p; p = &(*p)->next) {
                SystemdWatch *w = *p;
                if (strcmp(w->job, job) != 0)
                        continue;
                *p = w->next;
                w->callback(c, result, w->userdata);
                watch_free(w);
                return;
        }
        remember_removed(c, job, result); /* for a watch set after the fact */
}

/* On the private socket the peer is the manager itself: no bus daemon, no
 * sender. On a bus, only the unique name that owns systemd's name now. */
static bool from_manager(const Context *c, sd_bus_message *m) {
        return !c->systemd_via_bus || bus_message_sent_by(m, c->systemd_owner);
}

/* PropertiesChanged of a service unit: its StatusText, if it changed, to
 * the jobs that take progress from it. */
static void unit_properties_changed(Context *c, sd_bus_message *m) {
        _cleanup_free_ char *unit = NULL;
        const char *interface, *name, *text;

        if (sd_bus_path_decode(sd_bus_message_get_path(m), SYSTEMD_UNIT_PATH, &unit) <= 0 ||
            sd_bus_message_read(m, "s", &interface) < 0 || strcmp(interface, SYSTEMD_SERVICE) != 0 ||
            sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
                return;
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                if (sd_bus_message_read(m, "s", &name) < 0)
                        return;
                if (strcmp(name, "StatusText") == 0) {
                        if (sd_bus_message_read(m, "v", "s", &text) >= 0)
                                jobs_on_unit_status(c, unit, text);
                        return;
                }
                if (sd_bus_message_skip(m, "v") < 0 || sd_bus_message_exit_container(m) < 0)
                        return;
        }
}

int systemd_on_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Context *c = userdata;
        const char *owner;
        bool job_signal, unit_signal;

        (void) ret_error;
        if (bus_name_owner_changed(m, SYSTEMD_NAME, &owner) > 0) {
                /* A new manager knows nothing of our subscription, and some
                 * of our jobs' ends may have gone unsaid. */
                bool renewed = owner[0] != '\0' && c->systemd_owner_seen;
                (void) snprintf(c->systemd_owner, sizeof(c->systemd_owner), "%s", owner);
                c->systemd_owner_seen = c->systemd_owner_seen || owner[0] != '\0';
                if (renewed)
                        systemd_schedule_resync(c);
                return 0;
        }
        job_signal = sd_bus_message_is_signal(m, SYSTEMD_MANAGER, "JobRemoved") > 0;
        unit_signal = sd_bus_message_is_signal(m, PROPERTIES, "PropertiesChanged") > 0;
        if (!job_signal && !unit_signal)
                return 0;
        if (!from_manager(c, m)) {
                /* Once: any local user can send these, the log is no place for all of them. */
                if (c->systemd_signals_ignored++ == 0)
                        log_warning("hubopsd: ignoring a %s from %s, which is not systemd (%s); "
                                    "further ones are ignored silently",
                                    sd_bus_message_get_member(m),
                                    sd_bus_message_get_sender(m) ? sd_bus_message_get_sender(m) : "no sender",
                                    c->systemd_owner[0] ? c->systemd_owner : "systemd's name has no owner");
                return 0;
        }
        if (job_signal)
                job_removed(c, m);
        else
                unit_properties_changed(c, m);
        return 0;
}

int systemd_watch_job(Context *c, const char *job_path, systemd_job_done_t callback, void *userdata) {
        char done[16];
        SystemdWatch *w;

        if (take_recently_removed(c, job_path, done)) {
                callback(c, done, userdata);
                return 0;
        }
        w = calloc(1, sizeof(SystemdWatch));
        if (!w || !(w->job = strdup(job_path))) {
                free(w);
                return -ENOMEM;
        }
        w->callback = callback;
        w->userdata = userdata;
        w->next = c->watches;
        c->watches = w;
        return 0;
}

void systemd_watches_free(Context *c) {
        while (c->watches) {
                SystemdWatch *w = c->watches;
                c->watches = w->next;
                watch_free(w);
        }
}

static int on_systemd_owner(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Context *c = userdata;
        const char *owner = "";

        (void) ret_error;
        /* An error: nobody owns the name yet; NameOwnerChanged will say who does. */
        if (!sd_bus_message_is_method_error(reply, NULL) && sd_bus_message_read(reply, "s", &owner) < 0)
                owner = "";
        (void) snprintf(c->systemd_owner, sizeof(c->systemd_owner), "%s", owner);
        c->systemd_owner_seen = c->systemd_owner_seen || owner[0] != '\0';
        return 0;
}

/* Who owns systemd's name, as the bus daemon says: asked once, then each
 * change it announces. The match comes first, so no change is missed
 * between the two; the answer, sent after any change so far, is the newer. */
static int follow_owner(Context *c, sd_bus *bus) {
        int r;

        r = sd_bus_add_match_async(bus, &c->systemd_owner_slot,
                                   "type='signal',sender='" BUS_DAEMON_NAME "',path='" BUS_DAEMON_PATH "',"
                                   "interface='" BUS_DAEMON_NAME "',member='NameOwnerChanged',arg0='" SYSTEMD_NAME "'",
                                   systemd_on_signal, NULL, c);
        if (r < 0)
                return r;
        return sd_bus_call_method_async(bus, NULL, BUS_DAEMON_NAME, BUS_DAEMON_PATH, BUS_DAEMON_NAME, "GetNameOwner",
                                        on_systemd_owner, c, "s", SYSTEMD_NAME);
}

/* Without Subscribe() the manager emits no job signals to us. */
static int subscribe(Context *c, sd_bus *bus) {
        return sd_bus_call_method_async(bus, NULL, destination(c), SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe", NULL,
                                        NULL, NULL);
}

static int on_resync(sd_event_source *s, uint64_t usec, void *userdata) {
        Context *c = userdata;
        bool was_open = c->systemd && sd_bus_is_open(c->systemd) > 0;
        int r;

        (void) usec;
        r = systemd_ensure_connected(c);
        if (r >= 0 && was_open)
                r = subscribe(c, c->systemd); /* the same connection, a new manager */
        if (r < 0) {
                /* A re-executing manager takes a moment to listen again. */
                if (c->systemd_resync_failures++ == 0)
                        log_warning_errno(r, "hubopsd: cannot reconnect to the systemd manager (%m); retrying");
                (void) sd_event_source_set_time_relative(s, RESYNC_RETRY_USEC);
                return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        log_info("hubopsd: connected to the systemd manager again; re-reading the jobs followed");
        c->systemd_resync_failures = 0;
        c->systemd_resync = sd_event_source_unref(c->systemd_resync);
        unit_ops_resync(c);
        return 0;
}

void systemd_schedule_resync(Context *c) {
        if (c->systemd_resync || !c->event)
                return;
        if (sd_event_add_time_relative(c->event, &c->systemd_resync, CLOCK_MONOTONIC, 0, 0, on_resync, c) < 0)
                log_error("hubopsd: cannot schedule a reconnection to the systemd manager");
}

/* sd-bus says so itself (a local message: no peer can send it); by then it
 * has failed every call still waiting for a reply. The jobs followed are
 * re-read from a new connection, outside this connection's dispatch. */
static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Context *c = userdata;

        (void) ret_error;
        /* (A call failed by the closing may have connected afresh already:
         * the watches still belong to the old connection.) */
        if (sd_bus_is_open(sd_bus_message_get_bus(m)) > 0)
                return 0;
        log_warning("hubopsd: lost the connection to the systemd manager; reconnecting");
        systemd_schedule_resync(c);
        return 0;
}

/* One match for every service unit rather than one per job: it lives with
 * the connection, so a reconnection renews it with the rest. Subscribe()
 * makes the manager send them; jobs_on_unit_status() picks its units. */
static int match_unit_status(Context *c, sd_bus *bus) {
        char match[512];

        (void) snprintf(match, sizeof(match),
                        "type='signal',%s%s%sinterface='" PROPERTIES "',member='PropertiesChanged',"
                        "path_namespace='" SYSTEMD_UNIT_PATH "',arg0='" SYSTEMD_SERVICE "'",
                        destination(c) ? "sender='" : "", destination(c) ? destination(c) : "",
                        destination(c) ? "'," : "");
        return sd_bus_add_match_async(bus, &c->unit_status_slot, match, systemd_on_signal, NULL, c);
}

int systemd_ensure_connected(Context *c) {
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        int r;

        if (c->systemd && sd_bus_is_open(c->systemd) > 0)
                return 0;
        systemd_disconnect(c);

        r = c->config->systemd_address ? bus_open_address(c->config->systemd_address, false, &bus)
                                       : sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(bus, c->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        r = sd_bus_match_signal_async(bus, &c->job_removed_slot, destination(c), SYSTEMD_PATH, SYSTEMD_MANAGER,
                                      "JobRemoved", systemd_on_signal, NULL, c);
        if (r < 0)
                return r;
        r = sd_bus_match_signal_async(bus, NULL, LOCAL_NAME, LOCAL_PATH, LOCAL_NAME, "Disconnected", on_disconnected,
                                      NULL, c);
        if (r < 0)
                return r;
        r = match_unit_status(c, bus);
        if (r < 0)
                return r;
        c->systemd_via_bus = destination(c) != NULL;
        if (c->systemd_via_bus) {
                r = follow_owner(c, bus);
                if (r < 0)
                        return r;
        }
        r = subscribe(c, bus);
        if (r < 0)
                return r;
        c->systemd = TAKE_PTR(bus);
        return 0;
}

void systemd_disconnect(Context *c) {
        c->job_removed_slot = sd_bus_slot_unref(c->job_removed_slot);
        c->unit_status_slot = sd_bus_slot_unref(c->unit_status_slot);
        c->systemd_owner_slot = sd_bus_slot_unref(c->systemd_owner_slot);
        c->systemd_owner[0] = '\0';
        if (c->systemd) {
                (void) sd_bus_detach_event(c->systemd);
                c->systemd = sd_bus_flush_close_unref(c->systemd);
        }
}

int systemd_start_transient(Context *c, const TransientUnit *u, sd_bus_message_handler_t callback, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = systemd_ensure_connected(c);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_call(c->systemd, &m, destination(c), SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           "StartTransientUnit");
        if (r < 0)
                return r;
        /* "fail": never silently replace a job some other client queued for this unit. */
        r = sd_bus_message_append(m, "ss", u->name, "fail");
        if (r < 0)
                return r;
        r = transient_unit_append_properties(m, u);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "a(sa(sv))", 0); /* no auxiliary units */
        if (r < 0)
                return r;
        return sd_bus_call_async(c->systemd, NULL, m, callback, userdata, 0);
}

int systemd_unit_verb(Context *c, const char *verb, const char *unit, sd_bus_message_handler_t callback,
                      void *userdata) {
        char member[32];
        int r = systemd_ensure_connected(c);

        if (r < 0)
                return r;
        (void) snprintf(member, sizeof(member), "%sUnit", verb);
        return sd_bus_call_method_async(c->systemd, NULL, destination(c), SYSTEMD_PATH, SYSTEMD_MANAGER, member,
                                        callback, userdata, "ss", unit, "replace");
}

int systemd_stop_unit(Context *c, const char *unit, sd_bus_message_handler_t callback, void *userdata) {
        return systemd_unit_verb(c, "Stop", unit, callback, userdata);
}

static int get_all(Context *c, const char *unit, const char *interface, sd_bus_message_handler_t callback,
                   void *userdata) {
        _cleanup_free_ char *path = NULL;
        int r = systemd_ensure_connected(c);

        if (r < 0)
                return r;
        r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &path);
        if (r < 0)
                return r;
        return sd_bus_call_method_async(c->systemd, NULL, destination(c), path, "org.freedesktop.DBus.Properties",
                                        "GetAll", callback, userdata, "s", interface);
}

int systemd_get_unit_state(Context *c, const char *unit, sd_bus_message_handler_t callback, void *userdata) {
        return get_all(c, unit, "org.freedesktop.systemd1.Unit", callback, userdata);
}

static int read_unit_property(sd_bus_message *reply, const char *name, void *userdata) {
        UnitState *u = userdata;
        char *dst = strcmp(name, "ActiveState") == 0 ? u->active : strcmp(name, "SubState") == 0 ? u->sub : NULL;
        const char *s;
        int r;

        if (dst) {
                r = sd_bus_message_read(reply, "v", "s", &s);
                if (r >= 0)
                        (void) snprintf(dst, sizeof(u->active), "%s", s); /* active and sub: the same size */
                return r;
        }
        if (strcmp(name, "Job") == 0) {
                r = sd_bus_message_read(reply, "v", "(uo)", &u->job_id, &s);
                if (r >= 0 && (size_t) snprintf(u->job, sizeof(u->job), "%s", s) >= sizeof(u->job))
                        return -ENAMETOOLONG;
                return r;
        }
        return sd_bus_message_skip(reply, "v");
}

/* An error reply as a negative errno (-EIO when it names none). */
static int reply_errno(sd_bus_message *reply) {
        int r = sd_bus_message_get_errno(reply);

        return r > 0 ? -r : -EIO;
}

/* A GetAll reply (or error reply): each property to read_property(reply,
 * name, userdata), which reads or skips its variant. */
static int decode_properties(sd_bus_message *reply, int (*read_property)(sd_bus_message *, const char *, void *),
                             void *userdata) {
        int r;

        if (!reply)
                return -EINVAL;
        if (sd_bus_message_is_method_error(reply, NULL))
                return reply_errno(reply);
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *name;

                r = sd_bus_message_read(reply, "s", &name);
                if (r >= 0)
                        r = read_property(reply, name, userdata);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        return r;
}

int systemd_decode_unit_state(sd_bus_message *reply, UnitState *ret) {
        UnitState u = { .active = "" };
        int r;

        r = decode_properties(reply, read_unit_property, &u);
        if (r < 0)
                return r;
        if (u.active[0] == '\0' || u.sub[0] == '\0')
                return -EBADMSG;
        if (u.job_id == 0)
                u.job[0] = '\0';
        *ret = u;
        return 0;
}

int systemd_get_outcome(Context *c, const char *unit, sd_bus_message_handler_t callback, void *userdata) {
        return get_all(c, unit, "org.freedesktop.systemd1.Service", callback, userdata);
}

static int read_outcome_property(sd_bus_message *reply, const char *name, void *userdata) {
        ServiceOutcome *o = userdata;
        const char *s;
        int r;

        if (strcmp(name, "Result") == 0) {
                r = sd_bus_message_read(reply, "v", "s", &s);
                if (r >= 0)
                        (void) snprintf(o->result, sizeof(o->result), "%s", s);
                return r;
        }
        if (strcmp(name, "ExecMainCode") == 0)
                return sd_bus_message_read(reply, "v", "i", &o->exit_code);
        if (strcmp(name, "ExecMainExitTimestamp") == 0)
                return sd_bus_message_read(reply, "v", "t", &o->exited_at);
        if (strcmp(name, "ExecMainStatus") == 0)
                return sd_bus_message_read(reply, "v", "i", &o->exit_status);
        return sd_bus_message_skip(reply, "v");
}

int systemd_decode_outcome(sd_bus_message *reply, ServiceOutcome *ret) {
        ServiceOutcome o = { .result = "" };
        int r;

        r = decode_properties(reply, read_outcome_property, &o);
        if (r < 0)
                return r;
        if (o.result[0] == '\0')
                return -EBADMSG;
        *ret = o;
        return 0;
}

int systemd_get_status_text(Context *c, const char *unit, sd_bus_message_handler_t callback, void *userdata) {
        _cleanup_free_ char *path = NULL;
        int r = systemd_ensure_connected(c);

        if (r >= 0)
                r = sd_bus_path_encode(SYSTEMD_UNIT_PATH, unit, &path);
        if (r < 0)
                return r;
        return sd_bus_call_method_async(c->systemd, NULL, destination(c), path, PROPERTIES, "Get", callback,
                                        userdata, "ss", SYSTEMD_SERVICE, "StatusText");
}

int systemd_decode_status_text(sd_bus_message *reply, const char **ret) {
        if (!reply)
                return -EINVAL;
        if (sd_bus_message_is_method_error(reply, NULL))
                return reply_errno(reply);
        return sd_bus_message_read(reply, "v", "s", ret);
}

/* ControlGroup lives on the interface of the unit's type. */
static const char *cgroup_interface(const char *unit) {
        static const char *const types[][2] = {
                { ".service", "org.freedesktop.systemd1.Service" }, { ".scope", "org.freedesktop.systemd1.Scope" },
                { ".socket", "org.freedesktop.systemd1.Socket" },   { ".mount", "org.freedesktop.systemd1.Mount" },
                { ".swap", "org.freedesktop.systemd1.Swap" },       { ".slice", "org.freedesktop.systemd1.Slice" },
        };
        const char *dot = strrchr(unit, '.');

        for (size_t i = 0; dot && i < ELEMENTSOF(types); i++)
                if (strcmp(dot, types[i][0]) == 0)
                        return types[i][1];
        return NULL;
}

static int new_get_control_group(Context *c, const char *unit, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *path = NULL;
        const char *interface = cgroup_interface(unit);
        int r;

        if (!interface)
                return -EINVAL;
        r = systemd_ensure_connected(c);
        if (r >= 0)
                r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &path);
        if (r >= 0)
                r = sd_bus_message_new_method_call(c->systemd, &m, destination(c), path,
                                                   "org.freedesktop.DBus.Properties", "Get");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", interface, "ControlGroup");
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

int systemd_get_control_group(Context *c, const char *unit, sd_bus_message_handler_t callback, void *userdata,
                              sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r = new_get_control_group(c, unit, &m);

        if (r < 0)
                return r;
        return sd_bus_call_async(c->systemd, ret_slot, m, callback, userdata, 0);
}

int systemd_get_control_group_now(Context *c, const char *unit, uint64_t timeout_usec, char **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int r = new_get_control_group(c, unit, &m);

        if (r < 0)
                return r;
        r = sd_bus_call(c->systemd, m, timeout_usec, NULL, &reply);
        if (r < 0)
                return r;
        return systemd_decode_control_group(reply, ret);
}

int systemd_decode_control_group(sd_bus_message *reply, char **ret) {
        const char *s;
        char *copy;
        int r;

        if (!reply)
                return -EINVAL;
        if (sd_bus_message_is_method_error(reply, NULL))
                return reply_errno(reply);
        r = sd_bus_message_read(reply, "v", "s", &s);
        if (r < 0)
                return r;
        /* A path, or nothing: anything else is not what systemd says. */
        if (s[0] != '\0' && s[0] != '/')
                return -EBADMSG;
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

void systemd_collect_unit(Context *c, const char *unit, bool failed) {
        if (systemd_ensure_connected(c) < 0)
                return;
        (void) sd_bus_call_method_async(c->systemd, NULL, destination(c), SYSTEMD_PATH, SYSTEMD_MANAGER,
                                        failed ? "ResetFailedUnit" : "StopUnit", NULL, NULL,
                                        failed ? "s" : "ss", unit, "replace");
}
