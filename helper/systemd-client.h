/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "context.h"

/* hubopsd is the gate; systemd is the executor. This module is the one place
 * that talks to the manager: on the system bus (production) or on a private
 * socket (SystemdAddress=, the lab). */

typedef struct TransientUnit {
        const char *name;
        const char *description;
        char *const *argv;
        const char *user;
        const char *group;          /* NULL: the user's primary group */
        uint64_t timeout_usec;
        uint64_t capability_mask;
        const char *output_file;    /* NULL: the journal */
        bool keep_processes;        /* KillMode=process: what the command starts outlives the unit */
        bool notify_access_all;     /* NotifyAccess=all: its scripts' systemd-notify --status= is heard */
        const char *working_directory; /* NULL: the user's home, as systemd decides */
        bool set_nice;
        int nice;
        int io_class;               /* 0: unchanged; 1 realtime, 2 best-effort, 3 idle */
        /* The mailbox move's units run mail-handling programs as the mail user: */
        const char *result_file;    /* stdout alone to this file (truncated); stderr to output_file */
        const void *input_data;     /* stdin: these bytes (StandardInputData=), or NULL */
        size_t input_size;
        bool sandbox;               /* ProtectSystem=strict, PrivateTmp=, PrivateDevices=, ... */
        const char *writable_path;  /* with sandbox: the one tree it may write (ReadWritePaths=) */
        bool private_network;       /* with sandbox: no network at all */
        const char *runtime_directory; /* RuntimeDirectory= (mode 0700; units of one name share
                                        * it, $RUNTIME_DIRECTORY in each), or NULL */
        bool runtime_directory_kept;   /* ...and it outlives this unit (Preserve=yes) */
} TransientUnit;

/* What a finished service unit reports. */
typedef struct ServiceOutcome {
        char result[32];   /* systemd's Result: success, exit-code, signal, timeout, ... */
        int exit_code;     /* CLD_EXITED, CLD_KILLED, CLD_DUMPED, or 0 */
        int exit_status;   /* exit status, or signal number */
        uint64_t exited_at; /* ExecMainExitTimestamp (CLOCK_REALTIME usec), 0 if unknown */
} ServiceOutcome;

/* Called once when the systemd job at job_path is removed, with systemd's
 * result word: done, canceled, timeout, failed, dependency, skipped. */
typedef void (*systemd_job_done_t)(Context *c, const char *result, void *userdata);

/* Watch a systemd job (a path returned by StartUnit & co.). A job that ended
 * before the watch was set is still reported, from a short history. */
int systemd_watch_job(Context *c, const char *job_path, systemd_job_done_t callback, void *userdata);
void systemd_watches_free(Context *c);

/* The manager's signals: JobRemoved for the watches and a service unit's
 * PropertiesChanged for its StatusText (jobs_on_unit_status()), believed
 * only from the manager (DESIGN.md section 7), and on a bus the NameOwnerChanged that says
 * who that is. The match callback; the fuzz harness calls it too. */
int systemd_on_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

/* Connect (once, lazily) and subscribe to JobRemoved. -ENOTCONN etc. when unreachable. */
int systemd_ensure_connected(Context *c);
void systemd_disconnect(Context *c);
/* The manager's connection dropped or it changed: soon, reconnect (retrying
 * until it answers), subscribe again, and re-read every job followed
 * (unit_ops_resync()), since their JobRemoved may have been lost. */
void systemd_schedule_resync(Context *c);

/* StartTransientUnit as systemd-run would: argv array, the given user, a clean
 * environment, NoNewPrivileges, only the listed capabilities. The unit is
 * Type=oneshot with RemainAfterExit=yes, so its result stays readable until
 * systemd_collect_unit(), even if hubopsd restarts meanwhile. */
int systemd_start_transient(Context *c, const TransientUnit *u, sd_bus_message_handler_t callback, void *userdata);

/* StartUnit/StopUnit/RestartUnit (verb "Start", "Stop", "Restart") with mode "replace". */
int systemd_unit_verb(Context *c, const char *verb, const char *unit, sd_bus_message_handler_t callback,
                      void *userdata);
int systemd_stop_unit(Context *c, const char *unit, sd_bus_message_handler_t callback, void *userdata);

/* What GetAll(org.freedesktop.systemd1.Unit) says of a unit. */
typedef struct UnitState {
        char active[32];   /* ActiveState: active, activating, deactivating, inactive, failed, ... */
        char sub[32];      /* SubState */
        uint32_t job_id;   /* the job systemd runs or queues for it; 0: none */
        char job[96];      /* that job's object path, "" when none */
} UnitState;

/* GetAll(org.freedesktop.systemd1.Unit); decode with systemd_decode_unit_state(). */
int systemd_get_unit_state(Context *c, const char *unit, sd_bus_message_handler_t callback, void *userdata);
int systemd_decode_unit_state(sd_bus_message *reply, UnitState *ret);

/* GetAll(org.freedesktop.systemd1.Service) on the unit; decode with systemd_decode_outcome(). */
int systemd_get_outcome(Context *c, const char *unit, sd_bus_message_handler_t callback, void *userdata);
int systemd_decode_outcome(sd_bus_message *reply, ServiceOutcome *ret);

/* Get(org.freedesktop.systemd1.Service, StatusText) of a unit; decode
 * with systemd_decode_status_text() (the text stays the reply's). */
int systemd_get_status_text(Context *c, const char *unit, sd_bus_message_handler_t callback, void *userdata);
int systemd_decode_status_text(sd_bus_message *reply, const char **ret);

/* A unit's ControlGroup (the path of its cgroup, "" when it has none now),
 * asked of systemd asynchronously (*ret_slot: the pending call) or, at
 * start-up, waiting at most timeout_usec. Units of a type without cgroups
 * are -EINVAL. */
int systemd_get_control_group(Context *c, const char *unit, sd_bus_message_handler_t callback, void *userdata,
                              sd_bus_slot **ret_slot);
int systemd_get_control_group_now(Context *c, const char *unit, uint64_t timeout_usec, char **ret);
int systemd_decode_control_group(sd_bus_message *reply, char **ret);

/* Let systemd forget a finished transient unit (stop if active, reset if failed). */
void systemd_collect_unit(Context *c, const char *unit, bool failed);
