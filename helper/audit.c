/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-id128.h>
#include <systemd/sd-journal.h>

#include "clock.h"
#include "log.h"
#include "macro.h"

/* One MESSAGE_ID per event kind, so `journalctl MESSAGE_ID=…` finds them. */
static const char *const message_ids[] = {
        [AUDIT_EVENT_REQUEST] = "6d1c4f0a3b8e4e2f9a7b5c3d1e0f2a4b",
        [AUDIT_EVENT_JOB_FINISHED] = "b2e94d7c61a84f03a5d8c7e6f1b30a29",
        [AUDIT_EVENT_SUPPRESSED] = "4f7a2c9e1d6b48a3b05e8d1c7f2a9e63",
        [AUDIT_EVENT_JOB_STARTING] = "4f7a2c9e0d6b4c18b3e5a1f8d2c7e960",
};
static const char *const event_names[] = {
        [AUDIT_EVENT_REQUEST] = "request",
        [AUDIT_EVENT_JOB_FINISHED] = "job-finished",
        [AUDIT_EVENT_SUPPRESSED] = "suppressed",
        [AUDIT_EVENT_JOB_STARTING] = "job-starting",
};

struct Audit {
        int fd;
        char *path;
        char *hostname;
        sd_event *event;              /* times the AUDIT_SYNC_SOON batches; NULL: sync every record */
        sd_event_source *sync_timer;
        bool unsynced;                /* records written since the last fsync */
        AuditBudget *budget;          /* refusal records per caller uid (audit-budget.h) */
        uint64_t reserve_bytes;       /* free space refusals leave to authorized operations */
        sd_event_source *report_timer; /* writes the suppressed counts when due */
};

static const char *event_name(AuditEvent e) {
        return (unsigned) e < ELEMENTSOF(event_names) ? event_names[e] : "request";
}

static void put_string(json_object *o, const char *key, const char *value) {
        if (value)
                json_object_object_add(o, key, json_object_new_string(value));
}

static json_object *caller_to_json(const Caller *c) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        if (c->have_uid)
                json_object_object_add(o, "uid", json_object_new_int64(c->uid));
        if (c->have_pid)
                json_object_object_add(o, "pid", json_object_new_int64(c->pid));
        /* (uid_t) -1 is the kernel's "unset"; report it as null, not 4294967295. */
        if (c->have_login_uid && c->login_uid != (uid_t) -1)
                json_object_object_add(o, "login_uid", json_object_new_int64(c->login_uid));
        else
                json_object_object_add(o, "login_uid", NULL);
        put_string(o, "bus_name", c->sender[0] ? c->sender : NULL);
        return o;
}

static void format_time(uint64_t usec, char *buf, size_t size) {
        time_t t = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;

        if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
                (void) snprintf(buf, size, "invalid");
                return;
        }
        (void) snprintf(buf + strlen(buf), size - strlen(buf), ".%06lluZ",
                        (unsigned long long) (usec % USEC_PER_SEC));
}

static json_object *suppressed_to_json(const AuditSuppressed *s) {
        json_object *o = json_object_new_object();
        char when[64];

        if (!o)
                return NULL;
        json_object_object_add(o, "count", json_object_new_int64((int64_t) s->count));
        format_time(s->first_usec, when, sizeof(when));
        put_string(o, "first", when);
        json_object_object_add(o, "first_usec", json_object_new_int64((int64_t) s->first_usec));
        format_time(s->last_usec, when, sizeof(when));
        put_string(o, "last", when);
        json_object_object_add(o, "last_usec", json_object_new_int64((int64_t) s->last_usec));
        return o;
}

int audit_format_json(const AuditRecord *rec, const char *hostname, const char *id, char **ret) {
        json_object *o = json_object_new_object(), *details;
        char when[64];
        const char *s;
        char *line;

        if (!o)
                return -ENOMEM;
        format_time(rec->time_usec, when, sizeof(when));
        put_string(o, "id", id);
        put_string(o, "time", when);
        json_object_object_add(o, "time_usec", json_object_new_int64((int64_t) rec->time_usec));
        put_string(o, "host", hostname);
        put_string(o, "event", event_name(rec->event));
        put_string(o, "operation", rec->operation);

        details = json_object_new_object();
        for (const char *const *d = rec->details; d && d[0] && d[1]; d += 2)
                json_object_object_add(details, d[0], json_object_new_string(d[1]));
        json_object_object_add(o, "details", details);

        if (rec->caller)
                json_object_object_add(o, "caller", caller_to_json(rec->caller));
        put_string(o, "action", rec->action);
        put_string(o, "verdict", rec->verdict);
        put_string(o, "result", rec->result);
        put_string(o, "message", rec->message);
        put_string(o, "job", rec->job);
        put_string(o, "unit", rec->unit);
        json_object_object_add(o, "duration_usec", json_object_new_int64((int64_t) rec->duration_usec));
        if (rec->suppressed)
                json_object_object_add(o, "suppressed", suppressed_to_json(rec->suppressed));

        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        line = s ? strdup(s) : NULL;
        json_object_put(o);
        if (!line)
                return -ENOMEM;
        *ret = line;
        return 0;
}

int audit_open(const char *path, const char *hostname, Audit **ret) {
        _cleanup_free_ Audit *a = calloc(1, sizeof(Audit));
        const AuditLimits limits = AUDIT_LIMITS_DEFAULT;

        if (!a)
                return -ENOMEM;
        a->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0640);
        if (a->fd < 0)
                return -errno;
        a->path = strdup(path);
        a->hostname = strdup(hostname);
        a->reserve_bytes = limits.reserve_bytes;
        if (!a->path || !a->hostname ||
            audit_budget_new(limits.refusal_burst, limits.refusal_interval_usec, &a->budget) < 0) {
                close(a->fd);
                free(a->path);
                free(a->hostname);
                return -ENOMEM;
        }
        *ret = TAKE_PTR(a);
        return 0;
}

/* fsync, and say so once if it fails: the records are in the file (the
 * page cache) but their durability is not what was promised. */
static int audit_sync(Audit *a) {
        if (fsync(a->fd) < 0) {
                int r = -errno;
                return log_error_errno(r, "hubopsd: cannot fsync audit log %s: %m", a->path);
        }
        a->unsynced = false;
        return 0;
}

static int on_sync_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Audit *a = userdata;

        (void) s, (void) usec;
        if (a->unsynced)
                (void) audit_sync(a);
        return 0;
}

/* Arm the one-shot timer unless it is already running. */
static int sync_soon(Audit *a) {
        int enabled = SD_EVENT_OFF, r;

        a->unsynced = true;
        if (!a->sync_timer)
                return sd_event_add_time_relative(a->event, &a->sync_timer, CLOCK_MONOTONIC, AUDIT_SYNC_DELAY_USEC, 0,
                                                  on_sync_timer, a);
        r = sd_event_source_get_enabled(a->sync_timer, &enabled);
        if (r < 0 || enabled != SD_EVENT_OFF)
                return r;
        r = sd_event_source_set_time_relative(a->sync_timer, AUDIT_SYNC_DELAY_USEC);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(a->sync_timer, SD_EVENT_ONESHOT);
}

int audit_attach_event(Audit *a, sd_event *e) {
        if (!a || a->event)
                return -EINVAL;
        a->event = sd_event_ref(e);
        return 0;
}

bool audit_sync_pending(const Audit *a) {
        return a && a->unsynced;
}

int audit_check_writable(Audit *a) {
        struct statvfs sv;
        struct stat st;

        if (!a || a->fd < 0)
                return -EBADF;
        if (fstat(a->fd, &st) < 0 || fstatvfs(a->fd, &sv) < 0)
                return -errno;
        if (sv.f_flag & ST_RDONLY)
                return -EROFS;
        /* Keep room for the record and its completion: refuse below one block. */
        if (sv.f_bavail < 1)
                return -ENOSPC;
        return 0;
}

static void journal_send(const Audit *a, const AuditRecord *rec, const char *id, const char *json) {
        const Caller *c = rec->caller;
        int r;

        r = sd_journal_send(
                "MESSAGE=hubops %s %s: %s%s%s (verdict %s)", event_name(rec->event), rec->operation,
                rec->result ? rec->result : "-", rec->message ? ": " : "", rec->message ? rec->message : "",
                rec->verdict ? rec->verdict : "-",
                "MESSAGE_ID=%s", message_ids[(unsigned) rec->event < ELEMENTSOF(message_ids) ? rec->event : 0],
                "PRIORITY=%d", LOG_NOTICE, "HUBOPS_AUDIT_ID=%s", id, "HUBOPS_HOST=%s", a->hostname,
                "HUBOPS_OPERATION=%s", rec->operation, "HUBOPS_VERDICT=%s", rec->verdict ? rec->verdict : "",
                "HUBOPS_RESULT=%s", rec->result ? rec->result : "", "HUBOPS_ACTION=%s",
                rec->action ? rec->action : "", "HUBOPS_JOB=%s", rec->job ? rec->job : "",
                "HUBOPS_CALLER_UID=%ld", c && c->have_uid ? (long) c->uid : -1L, "HUBOPS_CALLER_PID=%ld",
                c && c->have_pid ? (long) c->pid : -1L, "HUBOPS_RECORD=%s", json, NULL);
        /* No journald (the lab, containers) is not an error: the file is the record of truth. */
        (void) r;
}

static int write_record(Audit *a, const AuditRecord *rec, char *ret_id) {
        _cleanup_free_ char *json = NULL, *line = NULL;
        sd_id128_t rid;
        char id[SD_ID128_STRING_MAX];
        size_t len, done = 0;
        int r;

        r = sd_id128_randomize(&rid);
        if (r < 0)
                return r;
        (void) sd_id128_to_string(rid, id);

        r = audit_format_json(rec, a->hostname, id, &json);
        if (r < 0)
                return r;
        len = strlen(json) + 1;
        line = malloc(len + 1);
        if (!line)
                return -ENOMEM;
        memcpy(line, json, len - 1);
        line[len - 1] = '\n';
        line[len] = '\0';

        /* One write() per record on an O_APPEND fd: records never interleave. */
        while (done < len) {
                ssize_t n = write(a->fd, line + done, len - done);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                done += (size_t) n;
        }
        /* A refusal's record waits for a batched fsync (or, if no timer can
         * be armed, gets its own); any other is durable before its action
         * goes ahead, and takes the batch with it. */
        if (!(rec->sync == AUDIT_SYNC_SOON && a->event && sync_soon(a) >= 0)) {
                if (fsync(a->fd) < 0)
                        return -errno;
                a->unsynced = false;
        }

        journal_send(a, rec, id, json);
        if (ret_id)
                memcpy(ret_id, id, SD_ID128_STRING_MAX);
        return 0;
}

/* Room for a refusal's record above the reserve? A statvfs that fails says
 * yes: the write will fail as well, and say why. */
static bool refusal_has_room(const Audit *a) {
        struct statvfs sv;

        if (a->reserve_bytes == 0 || fstatvfs(a->fd, &sv) < 0)
                return true;
        return sv.f_bavail > audit_reserve_blocks(a->reserve_bytes, sv.f_frsize, sv.f_blocks);
}

static int write_suppressed(Audit *a, const AuditSuppressed *s) {
        const Caller who = { .uid = s->uid, .have_uid = s->uid != AUDIT_BUDGET_UID_UNKNOWN };
        char message[256], from[48];
        const AuditRecord rec = {
                .event = AUDIT_EVENT_SUPPRESSED,
                .operation = "refusals",
                .caller = &who,
                .result = "suppressed",
                .message = message,
                .time_usec = now_usec(CLOCK_REALTIME),
                .sync = AUDIT_SYNC_SOON,
                .suppressed = s,
        };

        if (who.have_uid)
                (void) snprintf(from, sizeof(from), "uid %u", (unsigned) s->uid);
        else
                (void) snprintf(from, sizeof(from), "callers of unknown uid");
        (void) snprintf(message, sizeof(message),
                        "suppressed %" PRIu64 " refusals from %s (over the budget of refusal records, "
                        "or within the space reserved for authorized operations)", s->count, from);
        return write_record(a, &rec, NULL);
}

static int report_if_room(const AuditSuppressed *s, void *userdata) {
        Audit *a = userdata;

        if (!refusal_has_room(a))
                return -ENOSPC;
        return write_suppressed(a, s);
}

/* At the end: into the reserve if need be; a count that cannot be written
 * is said on stderr (the journal), never dropped unsaid. */
static int report_anyway(const AuditSuppressed *s, void *userdata) {
        Audit *a = userdata;
        int r = write_suppressed(a, s);

        if (r < 0)
                log_error_errno(
                        r, "hubopsd: cannot write to %s that %" PRIu64 " refusals from uid %ld were suppressed: %m",
                        a->path, s->count, s->uid == AUDIT_BUDGET_UID_UNKNOWN ? -1L : (long) s->uid);
        return 0;
}

static void report_due(Audit *a, uint64_t now) {
        if (audit_budget_due(a->budget) <= now)
                (void) audit_budget_report(a->budget, true, now, report_if_room, a);
}

static int on_report_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* Arm the one-shot timer for the next count due, not before earliest, unless it is armed. */
static void arm_report_timer(Audit *a, uint64_t earliest) {
        uint64_t due = audit_budget_due(a->budget);
        int enabled = SD_EVENT_OFF;

        if (!a->event || due == UINT64_MAX)
                return;
        if (due < earliest)
                due = earliest;
        if (!a->report_timer) {
                (void) sd_event_add_time(a->event, &a->report_timer, CLOCK_MONOTONIC, due, 0, on_report_timer, a);
                return;
        }
        if (sd_event_source_get_enabled(a->report_timer, &enabled) < 0 || enabled != SD_EVENT_OFF)
                return;
        if (sd_event_source_set_time(a->report_timer, due) >= 0)
                (void) sd_event_source_set_enabled(a->report_timer, SD_EVENT_ONESHOT);
}

static int on_report_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Audit *a = userdata;
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        (void) s, (void) usec;
        report_due(a, now);
        /* What is still due found no room: try again later, not in a loop. */
        arm_report_timer(a, audit_budget_due(a->budget) <= now ? now + AUDIT_SUPPRESSED_REPORT_USEC : now);
        return 0;
}

/* A refusal's record is written if its caller's budget allows and the
 * reserve is not reached; otherwise it is counted. */
static bool refusal_admitted(Audit *a, const AuditRecord *rec) {
        uid_t uid = rec->caller && rec->caller->have_uid ? rec->caller->uid : AUDIT_BUDGET_UID_UNKNOWN;
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        report_due(a, now); /* first, so that the log reads in time order */
        if (audit_budget_take(a->budget, uid, now) && refusal_has_room(a))
                return true;
        audit_budget_suppress(a->budget, uid, rec->time_usec, now);
        arm_report_timer(a, now);
        return false;
}

int audit_write(Audit *a, const AuditRecord *rec, char *ret_id) {
        if (rec->event == AUDIT_EVENT_REQUEST && rec->sync == AUDIT_SYNC_SOON && !refusal_admitted(a, rec))
                return 1;
        return write_record(a, rec, ret_id);
}

int audit_set_limits(Audit *a, const AuditLimits *l) {
        _cleanup_(audit_budget_freep) AuditBudget *b = NULL;
        int r;

        if (!a || !l)
                return -EINVAL;
        r = audit_budget_new(l->refusal_burst, l->refusal_interval_usec, &b);
        if (r < 0)
                return r;
        (void) audit_budget_report(a->budget, false, 0, report_anyway, a);
        audit_budget_free(a->budget);
        a->budget = TAKE_PTR(b);
        a->reserve_bytes = l->reserve_bytes;
        return 0;
}

void audit_close(Audit *a) {
        if (!a)
                return;
        a->report_timer = sd_event_source_disable_unref(a->report_timer);
        a->sync_timer = sd_event_source_disable_unref(a->sync_timer);
        a->event = sd_event_unref(a->event); /* from here on every record is synced at once */
        if (a->fd >= 0)
                (void) audit_budget_report(a->budget, false, 0, report_anyway, a);
        if (a->fd >= 0 && a->unsynced)
                (void) audit_sync(a);
        if (a->fd >= 0)
                close(a->fd);
        audit_budget_free(a->budget);
        free(a->path);
        free(a->hostname);
        free(a);
}
