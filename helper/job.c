/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "job.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "fileio.h"
#include "format.h"
#include "hubops-bus.h"
#include "clock.h"
#include "job-output.h"
#include "job-record.h"
#include "log.h"
#include "macro.h"
#include "op-table.h"
#include "strv.h"
#include "request.h"
#include "systemd-client.h"
#include "unit-run.h"


const char *job_state_to_string(JobState s) {
        static const char *const names[] = {
                [JOB_RUNNING] = HUBOPS_JOB_RUNNING,
                [JOB_DONE] = HUBOPS_JOB_DONE,
                [JOB_FAILED] = HUBOPS_JOB_FAILED,
                [JOB_CANCELED] = HUBOPS_JOB_CANCELED,
        };
        return (unsigned) s < ELEMENTSOF(names) ? names[s] : "unknown";
}

static char *last_id_path(const Context *c) {
        return strdup_printf("%s/last-job-id", c->config->state_directory);
}

int jobs_load_last_id(Context *c) {
        _cleanup_free_ char *path = last_id_path(c);
        _cleanup_fclose_ FILE *f = NULL;
        unsigned long long v;
        char buf[32], *end;

        if (!path)
                return -ENOMEM;
        f = fopen(path, "re");
        if (!f)
                return errno == ENOENT ? 0 : -errno;
        /* Only what save_last_id() writes: %llu would take "-1" (wrapping the
         * next id to 0, a path no object answers) and saturate on overflow. */
        if (!fgets(buf, sizeof(buf), f) || buf[0] < '0' || buf[0] > '9')
                return -EBADMSG;
        errno = 0;
        v = strtoull(buf, &end, 10);
        if (errno != 0 || (*end != '\n' && *end != '\0') || v == ULLONG_MAX)
                return -EBADMSG;
        c->last_job_id = v;
        return 0;
}

static int save_last_id(const Context *c, uint64_t id) {
        _cleanup_free_ char *path = last_id_path(c);
        char buf[32];
        int n;

        if (!path)
                return -ENOMEM;
        n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", id);
        return write_file_atomic(path, buf, (size_t) n, 0644);
}

static void job_free(Job *j) {
        if (!j)
                return;
        free(j->path);
        free(j->operation);
        strv_free(j->details);
        free(j->unit);
        free(j->cancel_action);
        free(j->log_file);
        free(j->result);
        free(j->message);
        free(j->phase);
        free(j->estimate_basis);
        free(j->systemd_job);
        free(j);
}

static int replace_string(char **field, const char *value) {
        char *v = strdup(value ? value : "");

        if (!v)
                return -ENOMEM;
        free(*field);
        *field = v;
        return 0;
}

/* A job object with the given id and unit, linked in; no id is allocated. */
static int job_make(Context *c, uint64_t id, const char *operation, const char *const *details, const char *unit,
                    const char *cancel_action, uid_t started_by, uint64_t started_at, Job **ret) {
        Job *j = calloc(1, sizeof(Job));

        if (!j)
                return -ENOMEM;
        const OpRow *row = op_row_find(operation);

        j->context = c;
        j->id = id;
        j->progress_from_status = row && row->progress == OP_PROGRESS_UNIT_STATUS;
        j->state = JOB_RUNNING;
        j->started_at = started_at;
        j->started_by_uid = started_by;
        j->path = strdup_printf(HUBOPS_JOB_PATH_PREFIX "/%" PRIu64, j->id);
        j->unit = strdup(unit);
        j->operation = strdup(operation);
        j->cancel_action = strdup(cancel_action);
        j->result = strdup("");
        j->message = strdup("");
        j->phase = strdup("starting");
        j->estimate_basis = strdup("");
        j->systemd_job = strdup("");
        if (c->config->job_log_directory)
                /* By job id, not unit: a restored rebuild job (stable unit name) finds its log. */
                j->log_file = strdup_printf("%s/job-%" PRIu64 ".log", c->config->job_log_directory, j->id);
        if (!j->path || !j->unit || !j->operation || !j->cancel_action || !j->result || !j->message || !j->phase ||
            !j->estimate_basis || !j->systemd_job || (c->config->job_log_directory && !j->log_file) ||
            !(j->details = strv_copy(details))) {
                job_free(j);
                return -ENOMEM;
        }

        j->next = c->jobs;
        c->jobs = j;
        c->n_jobs++;
        *ret = j;
        return 0;
}

int job_new(Context *c, const char *operation, const char *const *details, const char *unit_stem,
            const char *cancel_action, uid_t started_by, Job **ret) {
        _cleanup_free_ char *unit = NULL;
        int r;

        r = save_last_id(c, c->last_job_id + 1);
        if (r < 0)
                return r;
        c->last_job_id++;
        unit = strdup_printf("%s-%s-%" PRIu64 ".service", c->config->unit_prefix, unit_stem, c->last_job_id);
        if (!unit)
                return -ENOMEM;
        return job_make(c, c->last_job_id, operation, details, unit, cancel_action, started_by, now_usec(CLOCK_REALTIME), ret);
}

int job_restore(Context *c, uint64_t id, const char *operation, const char *const *details, const char *unit,
                const char *cancel_action, uid_t started_by, uint64_t started_at, Job **ret) {
        if (id == 0 || id > c->last_job_id || job_find(c, id))
                return -EINVAL;
        return job_make(c, id, operation, details, unit, cancel_action, started_by, started_at, ret);
}

int job_restore_progress(Job *j, const char *phase, const char *message, const char *systemd_job) {
        int r = replace_string(&j->phase, phase);

        if (r >= 0)
                r = replace_string(&j->message, message);
        if (r >= 0)
                r = replace_string(&j->systemd_job, systemd_job);
        return r;
}

void job_set_estimate(Job *j, uint64_t expected_usec, const char *basis) {
        j->expected_usec = expected_usec;
        (void) replace_string(&j->estimate_basis, basis);
}

static void unlink_job(Context *c, Job *j) {
        for (Job **p = &c->jobs; *p; p = &(*p)->next)
                if (*p == j) {
                        *p = j->next;
                        c->n_jobs--;
                        return;
                }
}


int job_set_unit(Job *j, const char *unit) {
        return replace_string(&j->unit, unit);
}

void job_discard(Job *j) {
        if (!j)
                return;
        unlink_job(j->context, j);
        job_free(j);
}

/* Keep the newest finished jobs inspectable; drop the oldest beyond that. */
static void prune_finished(Context *c) {
        unsigned finished = 0;

        for (Job **p = &c->jobs; *p;) {
                Job *j = *p;
                if (j->state != JOB_RUNNING && ++finished > HUBOPS_JOBS_FINISHED_KEPT) {
                        *p = j->next;
                        c->n_jobs--;
                        job_free(j);
                        continue;
                }
                p = &j->next;
        }
}

static void audit_finished(Job *j) {
        Caller starter = { .uid = j->started_by_uid, .have_uid = true };
        AuditRecord rec = {
                .event = AUDIT_EVENT_JOB_FINISHED,
                .operation = j->operation,
                .details = (const char *const *) j->details,
                .caller = &starter,
                .result = j->result,
                .message = j->message,
                .job = j->path,
                .unit = j->unit,
                .time_usec = j->finished_at,
                .duration_usec = j->finished_at - j->started_at,
        };
        int r = audit_write(j->context->audit, &rec, NULL);

        if (r < 0)
                log_error_errno(r, "Failed to write audit record for the end of %s: %m", j->path);
}


static void job_finish_at(Job *j, JobState state, const char *result, int exit_status, const char *message,
                          uint64_t ended_at) {
        Context *c = j->context;
        uint64_t now = now_usec(CLOCK_REALTIME);

        if (j->state != JOB_RUNNING)
                return;
        j->state = state;
        j->exit_status = exit_status;
        /* Ended while no helper watched: the unit knows when; we only know when we looked. */
        j->finished_at = ended_at > j->started_at && ended_at < now ? ended_at : now;
        (void) replace_string(&j->result, result);
        (void) replace_string(&j->message, message);
        (void) replace_string(&j->phase, job_state_to_string(state));

        audit_finished(j);
        if (j->durable)
                job_records_save(c);
        (void) sd_bus_emit_properties_changed(c->bus, j->path, HUBOPS_IFACE_JOB, "State", "Phase", "Result",
                                              "Message", "ExitStatus", "FinishedAt", NULL);
        (void) sd_bus_emit_signal(c->bus, j->path, HUBOPS_IFACE_JOB, "Completed", "s", j->result);
        prune_finished(c);
}

void job_finish(Job *j, JobState state, const char *result, int exit_status, const char *message) {
        job_finish_at(j, state, result, exit_status, message, 0);
}

Job *job_find(Context *c, uint64_t id) {
        for (Job *j = c->jobs; j; j = j->next)
                if (j->id == id)
                        return j;
        return NULL;
}

void job_set_phase(Job *j, const char *phase, const char *message) {
        if (j->state != JOB_RUNNING || (!message && strcmp(j->phase, phase) == 0))
                return;
        (void) replace_string(&j->phase, phase);
        if (message)
                (void) replace_string(&j->message, message);
        if (j->durable)
                job_records_save(j->context);
        (void) sd_bus_emit_properties_changed(j->context->bus, j->path, HUBOPS_IFACE_JOB, "Phase", "Message", NULL);
}

void job_make_durable(Job *j) {
        j->durable = true;
        job_records_save(j->context);
}

void job_set_systemd_job(Job *j, const char *path) {
        (void) replace_string(&j->systemd_job, path);
        if (j->durable)
                job_records_save(j->context);
}

bool job_reply_started(Job *j, Request *req, int error, const char *what, const char *message) {
        if (error < 0) {
                job_discard(j);
                (void) request_reply_error(req, HUBOPS_ERROR_FAILED, "systemd refused to start %s: %s", what,
                                           message ? message : strerror(-error));
                return false;
        }
        job_set_phase(j, "running", NULL);
        (void) request_reply_job(req, j);
        if (j->durable)
                job_records_save(j->context); /* now with the request's audit id */
        return true;
}

bool job_record_starting(Job *j, Request *req) {
        int r = request_audit_starting(req, j);

        if (r >= 0)
                return true;
        log_error_errno(r, "Failed to write the audit record before starting %s: %m", j->unit);
        job_discard(j);
        (void) request_reply_error(req, HUBOPS_ERROR_AUDIT_FAILED,
                                   "Refusing to start %s: the audit log cannot be written (%s)",
                                   req->operation, strerror(-r));
        return false;
}

void job_finish_from_outcome(Job *j, const UnitOutcome *o) {
        job_finish_at(j, o->canceled ? JOB_CANCELED : o->ok ? JOB_DONE : JOB_FAILED, o->result, o->exit_status,
                      o->message, o->ended_at);
}

/* ---- the org.hubops.Helper1.Job interface ---- */

static int on_stop_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Request *req = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        (void) ret_error;
        if (e)
                return request_reply_error(req, HUBOPS_ERROR_FAILED, "systemd could not stop the job's unit: %s",
                                           e->message ? e->message : e->name);
        return request_reply_empty(req, NULL);
}

/* Work that runs in one transient unit is canceled by stopping that unit;
 * its start job then ends "canceled" and the job with it. */
int job_cancel_by_stopping_unit(Job *j, Request *req) {
        return systemd_stop_unit(j->context, j->unit, on_stop_reply, req);
}

static void act_cancel(Request *req, void *userdata) {
        uint64_t id = (uint64_t) (uintptr_t) userdata;
        Job *j = job_find(req->context, id);
        int r;

        /* Re-check: the job may have ended while polkit was deciding. */
        if (!j || j->state != JOB_RUNNING) {
                (void) request_reply_error(req, HUBOPS_ERROR_NOT_RUNNING, "Job %" PRIu64 " is not running", id);
                return;
        }
        r = j->cancel(j, req);
        if (r < 0)
                (void) request_reply_error(req, HUBOPS_ERROR_SYSTEMD_UNAVAILABLE,
                                           "Cannot reach the systemd manager to cancel job %" PRIu64 ": %s", id,
                                           strerror(-r));
}

static int method_cancel(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        Request *req = NULL;
        int r;

        (void) error;
        r = request_new(j->context, m, "job.cancel", j->cancel_action, (const char *const *) j->details, &req);
        if (r < 0)
                return r;
        if (j->state != JOB_RUNNING)
                return request_reply_error(req, HUBOPS_ERROR_NOT_RUNNING, "Job %" PRIu64 " already %s", j->id,
                                           job_state_to_string(j->state));
        if (!j->cancel)
                return request_reply_error(req, HUBOPS_ERROR_FAILED,
                                           "Job %" PRIu64 " (%s) cannot be canceled: stopping it halfway would "
                                           "leave things worse; it ends by its own timeouts",
                                           j->id, j->operation);
        return request_authorize(req, act_cancel, (void *) (uintptr_t) j->id, NULL);
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;

        (void) bus, (void) path, (void) interface, (void) property, (void) error;
        return sd_bus_message_append(reply, "s", job_state_to_string(j->state));
}

static int property_get_details(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        int r;

        (void) bus, (void) path, (void) interface, (void) property, (void) error;
        r = sd_bus_message_open_container(reply, 'a', "{ss}");
        for (char **d = j->details; r >= 0 && d[0] && d[1]; d += 2)
                r = sd_bus_message_append(reply, "{ss}", d[0], d[1]);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static uint64_t elapsed_usec(const Job *j) {
        uint64_t end = j->state == JOB_RUNNING ? now_usec(CLOCK_REALTIME) : j->finished_at;
        return end > j->started_at ? end - j->started_at : 0;
}

/* udisks-style progress: elapsed time against the estimate, never 1.0 before the end. */
static int property_get_progress(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        double p = 0.0;

        if (j->state != JOB_RUNNING)
                p = 1.0;
        else if (j->status.n_counters > 0)
                p = MIN(unit_status_fraction(&j->status), 0.99);
        else if (j->expected_usec > 0) {
                p = (double) elapsed_usec(j) / (double) j->expected_usec;
                if (p > 0.99)
                        p = 0.99;
        }
        return sd_bus_message_append(reply, "d", p);
}

static int property_get_progress_valid(sd_bus *bus, const char *path, const char *interface, const char *property,
                                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        return sd_bus_message_append(reply, "b",
                                     j->expected_usec > 0 || j->status.n_counters > 0 || j->state != JOB_RUNNING);
}

static int property_get_expected_end(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        double f = unit_status_fraction(&j->status);

        /* From the unit's own counters: at the rate so far. */
        if (j->status.n_counters > 0)
                return sd_bus_message_append(reply, "t",
                                             f > 0.0 ? j->started_at + (uint64_t) ((double) elapsed_usec(j) / f) : 0);
        return sd_bus_message_append(reply, "t", j->expected_usec > 0 ? j->started_at + j->expected_usec : 0);
}

/* From the unit's counters, as it reported them (the grammar of unit-status.h). */
static int property_get_estimate_basis(sd_bus *bus, const char *path, const char *interface, const char *property,
                                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        char basis[64 + UNIT_STATUS_TEXT_MAX] = "the unit's status:";
        size_t n = strlen(basis);

        (void) bus, (void) path, (void) interface, (void) property, (void) error;
        if (j->status.n_counters == 0)
                return sd_bus_message_append(reply, "s", j->estimate_basis);
        for (size_t i = 0; i < j->status.n_counters && n < sizeof(basis); i++)
                n += (size_t) snprintf(basis + n, sizeof(basis) - n, " %s %" PRIu64 "/%" PRIu64,
                                       j->status.counters[i].name, j->status.counters[i].done,
                                       j->status.counters[i].total);
        return sd_bus_message_append(reply, "s", basis);
}

static int property_get_counters(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        int r;

        (void) bus, (void) path, (void) interface, (void) property, (void) error;
        r = sd_bus_message_open_container(reply, 'a', "(stt)");
        for (size_t i = 0; r >= 0 && i < j->status.n_counters; i++)
                r = sd_bus_message_append(reply, "(stt)", j->status.counters[i].name, j->status.counters[i].done,
                                          j->status.counters[i].total);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int property_get_audit_id(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", ((Job *) userdata)->audit_id);
}

static const sd_bus_vtable job_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "t", NULL, offsetof(Job, id), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Operation", "s", NULL, offsetof(Job, operation), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Details", "a{ss}", property_get_details, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Unit", "s", NULL, offsetof(Job, unit), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("StartedAt", "t", NULL, offsetof(Job, started_at), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("StartedByUID", "u", NULL, offsetof(Job, started_by_uid), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Phase", "s", NULL, offsetof(Job, phase), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Result", "s", NULL, offsetof(Job, result), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Message", "s", NULL, offsetof(Job, message), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ExitStatus", "i", NULL, offsetof(Job, exit_status), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("FinishedAt", "t", NULL, offsetof(Job, finished_at), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("OutputTail", "s", job_output_property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        /* Progress moves with the clock: read it, no signal. */
        SD_BUS_PROPERTY("Progress", "d", property_get_progress, 0, 0),
        SD_BUS_PROPERTY("ProgressValid", "b", property_get_progress_valid, 0, 0),
        SD_BUS_PROPERTY("ExpectedEndAt", "t", property_get_expected_end, 0, 0),
        SD_BUS_PROPERTY("EstimateBasis", "s", property_get_estimate_basis, 0, 0),
        SD_BUS_PROPERTY("AuditId", "s", property_get_audit_id, 0, 0),
        /* The unit's own counters (name, done, total), when its operation takes progress from them. */
        SD_BUS_PROPERTY("Counters", "a(stt)", property_get_counters, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD("Cancel", "", "", method_cancel, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetOutput", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", output), job_output_method_get,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("Completed", "s", SD_BUS_PARAM(result), 0),
        SD_BUS_VTABLE_END,
};

static int job_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **ret_found,
                           sd_bus_error *error) {
        Context *c = userdata;
        const char *suffix;
        char *end;
        unsigned long long id;

        (void) bus, (void) interface, (void) error;
        if (strncmp(path, HUBOPS_JOB_PATH_PREFIX "/", strlen(HUBOPS_JOB_PATH_PREFIX) + 1) != 0)
                return 0;
        suffix = path + strlen(HUBOPS_JOB_PATH_PREFIX) + 1;
        if (*suffix < '1' || *suffix > '9')
                return 0;
        errno = 0;
        id = strtoull(suffix, &end, 10);
        if (errno || *end)
                return 0;
        Job *j = job_find(c, id);
        if (!j)
                return 0;
        *ret_found = j;
        return 1;
}

static int job_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***ret_nodes,
                               sd_bus_error *error) {
        Context *c = userdata;
        char **nodes = calloc(c->n_jobs + 1, sizeof(char *));
        unsigned i = 0;

        (void) bus, (void) path, (void) error;
        if (!nodes)
                return -ENOMEM;
        for (Job *j = c->jobs; j; j = j->next)
                if (!(nodes[i++] = strdup(j->path))) {
                        for (unsigned k = 0; k < i; k++)
                                free(nodes[k]);
                        free(nodes);
                        return -ENOMEM;
                }
        *ret_nodes = nodes;
        return 0;
}

int jobs_register(Context *c) {
        int r;

        r = sd_bus_add_fallback_vtable(c->bus, NULL, HUBOPS_JOB_PATH_PREFIX, HUBOPS_IFACE_JOB, job_vtable,
                                       job_object_find, c);
        if (r < 0)
                return r;
        return sd_bus_add_node_enumerator(c->bus, NULL, HUBOPS_JOB_PATH_PREFIX, job_node_enumerator, c);
}

void jobs_free_all(Context *c) {
        while (c->jobs) {
                Job *j = c->jobs;
                c->jobs = j->next;
                job_free(j);
        }
        c->n_jobs = 0;
}
