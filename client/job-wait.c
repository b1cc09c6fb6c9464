/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "job-wait.h"

#include "commands.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus-sender.h"
#include "exit-codes.h"
#include "hubops-bus.h"
#include "clock.h"
#include "macro.h"
#include "output.h"
#include "timespan.h"

void job_info_done(JobInfo *j) {
        free(j->output_tail);
        j->output_tail = NULL;
}

static void copy(char *dst, size_t size, const char *src) {
        (void) snprintf(dst, size, "%s", src ? src : "");
}

/* Counters a(stt), as the unit reports them: the first JOB_COUNTERS_MAX. */
static int read_counters(sd_bus_message *m, JobInfo *j) {
        const char *k;
        uint64_t done, total;
        int r = sd_bus_message_enter_container(m, 'v', "a(stt)");

        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "(stt)");
        while (r >= 0 && (r = sd_bus_message_read(m, "(stt)", &k, &done, &total)) > 0) {
                if (j->n_counters == JOB_COUNTERS_MAX)
                        continue;
                JobCounter *c = &j->counters[j->n_counters++];
                copy(c->name, sizeof(c->name), k);
                c->done = done, c->total = total;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

/* Details a{ss}: the first value is the job's subject (the hook's name). */
static int read_subject(sd_bus_message *m, JobInfo *j) {
        const char *k, *v;
        int r = sd_bus_message_enter_container(m, 'v', "a{ss}");

        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "{ss}");
        while (r >= 0 && (r = sd_bus_message_read(m, "{ss}", &k, &v)) > 0)
                if (j->subject[0] == '\0')
                        copy(j->subject, sizeof(j->subject), v);
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int read_property(sd_bus_message *m, const char *name, JobInfo *j) {
        const char *s;
        int r;

        if (strcmp(name, "Id") == 0)
                return sd_bus_message_read(m, "v", "t", &j->id);
        if (strcmp(name, "ExitStatus") == 0)
                return sd_bus_message_read(m, "v", "i", &j->exit_status);
        if (strcmp(name, "StartedAt") == 0)
                return sd_bus_message_read(m, "v", "t", &j->started_at);
        if (strcmp(name, "FinishedAt") == 0)
                return sd_bus_message_read(m, "v", "t", &j->finished_at);
        if (strcmp(name, "ExpectedEndAt") == 0)
                return sd_bus_message_read(m, "v", "t", &j->expected_end_at);
        if (strcmp(name, "Progress") == 0)
                return sd_bus_message_read(m, "v", "d", &j->progress);
        if (strcmp(name, "ProgressValid") == 0) {
                int b = 0;
                r = sd_bus_message_read(m, "v", "b", &b);
                j->progress_valid = b;
                return r;
        }
        if (strcmp(name, "Counters") == 0)
                return read_counters(m, j);
        if (strcmp(name, "Details") == 0)
                return read_subject(m, j);

        struct {
                const char *name;
                char *dst;
                size_t size;
        } strings[] = {
                { "Operation", j->operation, sizeof(j->operation) }, { "State", j->state, sizeof(j->state) },
                { "Result", j->result, sizeof(j->result) },          { "Message", j->message, sizeof(j->message) },
                { "Unit", j->unit, sizeof(j->unit) },        { "Phase", j->phase, sizeof(j->phase) },
                { "EstimateBasis", j->estimate_basis, sizeof(j->estimate_basis) },
                { "AuditId", j->audit_id, sizeof(j->audit_id) },
        };
        for (size_t i = 0; i < ELEMENTSOF(strings); i++)
                if (strcmp(name, strings[i].name) == 0) {
                        r = sd_bus_message_read(m, "v", "s", &s);
                        if (r >= 0)
                                copy(strings[i].dst, strings[i].size, s);
                        return r;
                }
        if (strcmp(name, "OutputTail") == 0) {
                r = sd_bus_message_read(m, "v", "s", &s);
                if (r >= 0 && !(j->output_tail = strdup(s)))
                        return -ENOMEM;
                return r;
        }
        return sd_bus_message_skip(m, "v");
}

int job_info_get(sd_bus *bus, const char *path, JobInfo *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        JobInfo j = { 0 };
        int r;

        copy(j.path, sizeof(j.path), path);
        r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll", error,
                               &reply, "s", HUBOPS_IFACE_JOB);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *name;
                r = sd_bus_message_read(reply, "s", &name);
                if (r >= 0)
                        r = read_property(reply, name, &j);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0) {
                job_info_done(&j);
                return r;
        }
        *ret = j;
        return 0;
}

/* Off a terminal (a log) a progress line is written when the job crosses a
 * tenth of its estimate, changes phase, or every LOG_EVERY_USEC: a 12 s lab
 * rebuild shows its way to 100%, a 4 h one does not write 30 000 lines. */
#define LOG_EVERY_USEC (5ULL * 60ULL * USEC_PER_SEC)

static bool progress_worth_logging(const JobInfo *j, uint64_t now) {
        static char last_key[512];
        static uint64_t last_at;
        char key[512];

        (void) snprintf(key, sizeof(key), "%s|%s|%s|%d", j->path, j->phase, j->message,
                        j->progress_valid ? (int) (j->progress * 10.0) : -1);
        if (strcmp(key, last_key) == 0 && now - last_at < LOG_EVERY_USEC)
                return false;
        (void) snprintf(last_key, sizeof(last_key), "%s", key);
        last_at = now;
        return true;
}

/* The unit's own counts with their rates ("files 1200/5000 at 310/s"), or
 * else what the estimate rests on. */
static const char *describe_counters(const JobInfo *j, uint64_t now, char *buf, size_t size) {
        uint64_t elapsed = now > j->started_at ? now - j->started_at : 0;
        size_t n = 0;

        if (j->n_counters == 0) {
                (void) snprintf(buf, size, "estimate: %s", j->estimate_basis);
                return buf;
        }
        buf[0] = '\0';
        for (size_t i = 0; i < j->n_counters && n < size; i++) {
                const JobCounter *c = &j->counters[i];
                double rate = job_counter_per_sec(c, elapsed);
                int k;

                if (strcmp(c->name, "bytes") == 0)
                        k = snprintf(buf + n, size - n, "%s%.1f/%.1f MiB at %.1f MiB/s", i ? ", " : "",
                                     (double) c->done / 1048576.0, (double) c->total / 1048576.0, rate / 1048576.0);
                else
                        k = snprintf(buf + n, size - n, "%s%s %" PRIu64 "/%" PRIu64 " at %.0f/s", i ? ", " : "",
                                     c->name, c->done, c->total, rate);
                if (k < 0)
                        break;
                n += (size_t) k;
        }
        return buf;
}

static void print_progress(const char *path, const JobInfo *j) {
        const char *id = path + strlen(HUBOPS_JOB_PATH_PREFIX "/");
        char elapsed[32] = "", eta[32] = "", basis[160];
        uint64_t now = now_usec(CLOCK_REALTIME);

        if (!output.tty && !progress_worth_logging(j, now))
                return;
        (void) timespan_format(elapsed, sizeof(elapsed), now > j->started_at ? now - j->started_at : 0);
        if (!j->progress_valid) {
                output_status("Job %s: %s%s%s, %s%s%s, elapsed %s", id, j->operation, j->subject[0] ? " " : "",
                              j->subject, j->phase, j->message[0] ? ": " : "", j->message, elapsed);
                return;
        }
        if (j->expected_end_at > now)
                (void) timespan_format(eta, sizeof(eta), j->expected_end_at - now);
        else
                (void) snprintf(eta, sizeof(eta), "any moment (over the estimate)");
        char bar[21];
        int filled = (int) (j->progress * 20.0);
        for (int i = 0; i < 20; i++)
                bar[i] = i < filled ? '#' : '.';
        bar[20] = '\0';
        output_status("Job %s: %s %s%s%s%3.0f%%, elapsed %s, ETA %s (%s)", id, j->operation,
                      output.tty ? "[" : "", output.tty ? bar : "", output.tty ? "] " : "", j->progress * 100.0,
                      elapsed, eta, describe_counters(j, now, basis, sizeof(basis)));
}

/* Signals are believed only from hubopsd as it was when the wait began
 * (helper: its unique name) and from the bus daemon (DESIGN.md section 7):
 * any local user may send this connection a signal. */
typedef struct WaitState {
        char *helper;
        bool completed;
        bool changed;
        bool helper_gone;
} WaitState;

static int on_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        WaitState *w = userdata;

        if (bus_message_sent_by(m, w->helper))
                w->changed = true;
        return 0;
}

static int on_completed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        WaitState *w = userdata;

        if (bus_message_sent_by(m, w->helper))
                w->completed = true;
        return 0;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *new_owner;

        if (bus_name_owner_changed(m, HUBOPS_BUS_NAME, &new_owner) > 0 && new_owner[0] == '\0')
                ((WaitState *) userdata)->helper_gone = true;
        return 0;
}

/* hubopsd's unique name. Asked after the owner watch is set, so a later
 * change is not missed, and after a first read of the job, which starts an
 * activatable hubopsd that is not running. */
static int get_helper(sd_bus *bus, sd_bus_error *error, char **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *owner;
        char *s;
        int r;

        r = sd_bus_call_method(bus, BUS_DAEMON_NAME, BUS_DAEMON_PATH, BUS_DAEMON_NAME, "GetNameOwner", error, &reply,
                               "s", HUBOPS_BUS_NAME);
        if (r >= 0)
                r = sd_bus_message_read(reply, "s", &owner);
        if (r < 0)
                return r;
        s = strdup(owner);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* Until the job completes or changes, or a refresh is due. Returns EXIT_OK
 * to look again, or an exit code (the error printed). */
static int wait_for_news(sd_bus *bus, WaitState *w, const char *path, uint64_t deadline) {
        const char *id = path + strlen(HUBOPS_JOB_PATH_PREFIX "/");
        int r;

        w->completed = w->changed = false;
        while (!w->completed && !w->changed) {
                uint64_t now = now_usec(CLOCK_MONOTONIC);
                if (w->helper_gone)
                        return output_error(EXIT_UNREACHABLE,
                                            "hubopsd went away while waiting; the job goes on. "
                                            "Re-attach with: hubopsctl job wait %s",
                                            id);
                if (now >= deadline)
                        return output_error(EXIT_TIMEOUT,
                                            "Timed out waiting for the job; it goes on. "
                                            "Re-attach with: hubopsctl job wait %s",
                                            id);
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return output_bus_error(NULL, r, "Lost the connection to the helper");
                if (r > 0)
                        continue;
                /* Wake up every second to move the progress on (print_progress
                 * decides what a log gets). */
                uint64_t refresh = USEC_PER_SEC;
                uint64_t left = deadline == UINT64_MAX ? UINT64_MAX : deadline - now;
                r = sd_bus_wait(bus, left < refresh ? left : refresh);
                if (r < 0 && r != -EINTR)
                        return output_bus_error(NULL, r, "Lost the connection to the helper");
                if (r == 0)
                        w->changed = true; /* time passed: show it */
        }
        return EXIT_OK;
}

int job_wait(sd_bus *bus, const char *path, uint64_t timeout_usec, JobInfo *ret) {
        return job_wait_watched(bus, path, timeout_usec, NULL, ret);
}

int job_wait_watched(sd_bus *bus, const char *path, uint64_t timeout_usec, const JobWatch *watch, JobInfo *ret) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *completed = NULL, *owner = NULL, *changed = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        uint64_t deadline = timeout_usec ? now_usec(CLOCK_MONOTONIC) + timeout_usec : UINT64_MAX;
        _cleanup_free_ char *helper = NULL;
        WaitState w = { 0 };
        int r;

        /* Subscribe before looking, so a job ending in between is not missed. */
        r = sd_bus_match_signal(bus, &completed, HUBOPS_BUS_NAME, path, HUBOPS_IFACE_JOB, "Completed", on_completed,
                                &w);
        if (r >= 0)
                r = sd_bus_match_signal(bus, &changed, HUBOPS_BUS_NAME, path, "org.freedesktop.DBus.Properties",
                                        "PropertiesChanged", on_changed, &w);
        if (r >= 0)
                r = sd_bus_add_match(bus, &owner,
                                     "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
                                     "member='NameOwnerChanged',arg0='" HUBOPS_BUS_NAME "'",
                                     on_owner_changed, &w);
        if (r < 0)
                return output_bus_error(NULL, r, "Cannot watch the job");

        for (;;) {
                r = job_info_get(bus, path, ret, &error);
                if (r < 0)
                        return output_bus_error(&error, r, "Cannot read the job");
                if (strcmp(ret->state, HUBOPS_JOB_RUNNING) != 0)
                        return EXIT_OK;
                if (!helper) {
                        r = get_helper(bus, &error, &helper);
                        if (r < 0) {
                                job_info_done(ret);
                                return output_bus_error(&error, r, "Cannot watch the job");
                        }
                        w.helper = helper;
                }
                if (watch && watch->refine)
                        watch->refine(watch->userdata, ret);
                print_progress(path, ret);
                if (watch && watch->progress)
                        watch->progress(watch->userdata, ret);
                job_info_done(ret);

                r = wait_for_news(bus, &w, path, deadline);
                if (r != EXIT_OK)
                        return r;
        }
}

int job_report(const JobInfo *j) {
        bool ok = strcmp(j->state, HUBOPS_JOB_DONE) == 0;

        output_status_done();
        if (output.json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "job", json_object_new_string(j->path));
                json_object_object_add(o, "id", json_object_new_int64((int64_t) j->id));
                json_object_object_add(o, "operation", json_object_new_string(j->operation));
                json_object_object_add(o, "subject", json_object_new_string(j->subject));
                json_object_object_add(o, "state", json_object_new_string(j->state));
                json_object_object_add(o, "result", json_object_new_string(j->result));
                json_object_object_add(o, "exit_status", json_object_new_int(j->exit_status));
                json_object_object_add(o, "message", json_object_new_string(j->message));
                json_object_object_add(o, "unit", json_object_new_string(j->unit));
                json_object_object_add(o, "started_at", json_object_new_int64((int64_t) j->started_at));
                json_object_object_add(o, "finished_at", json_object_new_int64((int64_t) j->finished_at));
                if (j->progress_valid)
                        json_object_object_add(o, "progress", json_object_new_double(j->progress));
                json_object_object_add(o, "output_tail",
                                       json_object_new_string(j->output_tail ? j->output_tail : ""));
                output_json(o);
        } else {
                char took[32] = "-";
                if (j->finished_at > j->started_at)
                        (void) timespan_format(took, sizeof(took), j->finished_at - j->started_at);
                printf("Job %" PRIu64 " (%s%s%s) %s: %s%s%s, after %s\n", j->id, j->operation, j->subject[0] ? " " : "",
                       j->subject, j->state, j->result, j->message[0] ? ", " : "", j->message, took);
                if (j->output_tail && j->output_tail[0]) {
                        printf("Output (tail):\n%s", j->output_tail);
                        if (j->output_tail[strlen(j->output_tail) - 1] != '\n')
                                putchar('\n');
                }
        }
        return ok ? EXIT_OK : EXIT_FAILED;
}

int job_follow(sd_bus *bus, const Invocation *inv, sd_bus_message *reply) {
        const char *path;
        int r;

        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return output_bus_error(NULL, r, "Malformed reply");
        if (inv->no_wait) {
                if (output.json) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "job", json_object_new_string(path));
                        json_object_object_add(o, "state", json_object_new_string(HUBOPS_JOB_RUNNING));
                        output_json(o);
                } else
                        printf("Started job %s\n", path + strlen(HUBOPS_JOB_PATH_PREFIX "/"));
                return EXIT_OK;
        }
        return job_wait_and_report(bus, path, inv->timeout_usec);
}

int job_wait_and_report(sd_bus *bus, const char *path, uint64_t timeout_usec) {
        JobInfo j = { 0 };
        int r;

        r = job_wait(bus, path, timeout_usec, &j);
        if (r != EXIT_OK)
                return r;
        r = job_report(&j);
        job_info_done(&j);
        return r;
}

int job_cancel(sd_bus *bus, const char *path) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, path, HUBOPS_IFACE_JOB, "Cancel", &error, NULL, NULL);
        if (r < 0)
                return output_bus_error(&error, r, "Cannot cancel the job");
        if (output.json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "job", json_object_new_string(path));
                json_object_object_add(o, "cancel", json_object_new_string("requested"));
                output_json(o);
        } else
                printf("Cancel requested for job %s\n", path + strlen(HUBOPS_JOB_PATH_PREFIX "/"));
        return EXIT_OK;
}

int job_path_from_id(const char *id, char *buf, size_t size) {
        char *end;
        unsigned long long v;

        if (!id || *id < '1' || *id > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(id, &end, 10);
        if (errno || *end)
                return -EINVAL;
        (void) snprintf(buf, size, HUBOPS_JOB_PATH_PREFIX "/%llu", v);
        return 0;
}
