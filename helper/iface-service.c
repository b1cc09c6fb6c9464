/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "iface-service.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hubops-bus.h"
#include "job-record.h"
#include "job.h"
#include "macro.h"
#include "names.h"
#include "op-busy.h"
#include "op-start.h"
#include "request.h"
#include "unit-run.h"

/* One service operation: the request until systemd takes the job, then
 * the hubops job's id until systemd's job is removed. */
/* What was asked, from the method until authorized; after a restart, a
 * restored job while systemd is asked about its unit. */
typedef struct ServiceRun {
        Context *context;
        uint64_t job_id;
        const ServiceConfig *service;
        char verb[8]; /* Start, Stop, Restart */
} ServiceRun;

static void act_service(Request *req, void *userdata) {
        ServiceRun *run = userdata;
        Job *job;

        if (op_job_new(req, run->service->name, &job) >= 0)
                op_start_unit(req, job, &(OpUnit) { .verb = run->verb, .what = run->service->unit, .doing = "" });
        free(run); /* ours since authorized (request.c) */
}

static int method_verb(sd_bus_message *m, Context *c, const char *verb) {
        const ServiceConfig *sv;
        const char *name;
        char lverb[8], operation[32];
        Request *req = NULL;
        ServiceRun *run;
        int r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        (void) snprintf(lverb, sizeof(lverb), "%c%s", tolower((unsigned char) verb[0]), verb + 1);
        const char *details[] = { "service", name_is_valid(name) ? name : "(invalid)", "verb", lverb, NULL };
        /* The row's name (op-table.c): the same in the audit record, the job and CanRun. */
        (void) snprintf(operation, sizeof(operation), "service.%s", lverb);
        r = request_new(c, m, operation, HUBOPS_ACTION_SERVICE_MANAGE, details, &req);
        if (r < 0)
                return r;
        if (!name_is_valid(name))
                return request_reply_error(req, SD_BUS_ERROR_INVALID_ARGS, "Invalid service name");
        sv = config_find_service(c->config, name);
        if (!sv)
                return request_reply_error(req, HUBOPS_ERROR_NOT_CONFIGURED, "No service \"%s\" is configured on %s",
                                           name, c->config->hostname);
        run = calloc(1, sizeof(ServiceRun));
        if (!run)
                return request_reply_error(req, HUBOPS_ERROR_FAILED, "Out of memory");
        run->context = c;
        run->service = sv;
        (void) snprintf(run->verb, sizeof(run->verb), "%s", verb);
        return op_authorize(req, name, act_service, run, free);
}

static int method_start(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return method_verb(m, userdata, "Start");
}
static int method_stop(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return method_verb(m, userdata, "Stop");
}
static int method_restart(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return method_verb(m, userdata, "Restart");
}

static int on_unit_state(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        sd_bus_message *call = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        UnitState u;
        int r;

        if (e)
                r = sd_bus_reply_method_errorf(call, HUBOPS_ERROR_FAILED, "systemd: %s",
                                               e->message ? e->message : e->name);
        else if (systemd_decode_unit_state(reply, &u) < 0)
                r = sd_bus_reply_method_errorf(call, HUBOPS_ERROR_FAILED, "Malformed unit state from systemd");
        else
                r = sd_bus_reply_method_return(call, "ss", u.active, u.sub);
        sd_bus_message_unref(call);
        return r;
}

static int method_get_state(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        const ServiceConfig *sv;
        const char *name;
        int r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        if (!name_is_valid(name))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid service name");
        sv = config_find_service(c->config, name);
        if (!sv)
                return sd_bus_error_setf(error, HUBOPS_ERROR_NOT_CONFIGURED, "No service \"%s\" is configured on %s",
                                         name, c->config->hostname);
        r = systemd_get_unit_state(c, sv->unit, on_unit_state, sd_bus_message_ref(m));
        if (r < 0) {
                sd_bus_message_unref(m);
                return sd_bus_error_setf(error, HUBOPS_ERROR_SYSTEMD_UNAVAILABLE,
                                         "Cannot reach the systemd manager: %s", strerror(-r));
        }
        return 1;
}

/* ---- after a restart: service jobs the previous hubopsd left running ---- */

static void end_interrupted(Job *j, const UnitState *u, int error) {
        const char *verb = j->operation + strlen("service.");
        char message[768];

        if (error < 0)
                (void) snprintf(message, sizeof(message),
                                "hubopsd restarted while systemd ran this %s of %s, and cannot follow it: %s", verb,
                                j->unit, strerror(-error));
        else
                (void) snprintf(message, sizeof(message),
                                "hubopsd restarted while systemd ran this %s of %s; that job ended while no helper "
                                "watched, so its result was not seen; %s is %s (%s)",
                                verb, j->unit, j->unit, u->active, u->sub);
        job_finish(j, JOB_FAILED, JOB_RESULT_INTERRUPTED, -1, message);
}

static int on_restored_unit_state(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        ServiceRun *run = userdata;
        Context *c = run->context;
        Job *j = job_find(c, run->job_id);
        UnitState u = { .active = "" };
        int r;

        r = systemd_decode_unit_state(reply, &u);
        if (j && r >= 0 && u.job_id != 0 && strcmp(u.job, j->systemd_job) == 0) {
                /* systemd's job still runs: follow it, its result is the job's. */
                job_set_phase(j, "running", "re-attached after a helper restart");
                r = op_follow(c, j, run->verb, u.job, NULL);
                if (r >= 0) {
                        free(run);
                        return 0;
                }
        }
        free(run);
        if (j)
                end_interrupted(j, &u, r);
        return 0;
}

static void restore_one(Context *c, Job *j) {
        ServiceRun *run = calloc(1, sizeof(ServiceRun));
        int r = -ENOMEM;

        if (run) {
                *run = (ServiceRun) { .context = c, .job_id = j->id };
                (void) snprintf(run->verb, sizeof(run->verb), "%c%s",
                                toupper((unsigned char) j->operation[strlen("service.")]),
                                j->operation + strlen("service.") + 1);
                r = systemd_get_unit_state(c, j->unit, on_restored_unit_state, run);
        }
        if (r < 0) {
                free(run);
                end_interrupted(j, NULL, r);
        }
}

static bool is_restored_service_job(const Context *c, const Job *j) {
        return j->restored && strncmp(j->operation, "service.", strlen("service.")) == 0 &&
               j->operation[strlen("service.")] != '\0' && j->details[0] && j->details[1] &&
               strcmp(j->details[0], "service") == 0 && config_find_service(c->config, j->details[1]);
}

void service_restore(Context *c) {
        Job *j;

        /* One at a time: ending a job may prune others from the list. */
        for (;;) {
                for (j = c->jobs; j && !is_restored_service_job(c, j); j = j->next)
                        ;
                if (!j)
                        return;
                j->restored = false;
                restore_one(c, j);
        }
}

static const sd_bus_vtable service_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Start", SD_BUS_ARGS("s", name), SD_BUS_RESULT("o", job), method_start,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Stop", SD_BUS_ARGS("s", name), SD_BUS_RESULT("o", job), method_stop,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Restart", SD_BUS_ARGS("s", name), SD_BUS_RESULT("o", job), method_restart,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetState", SD_BUS_ARGS("s", name),
                                SD_BUS_RESULT("s", active_state, "s", sub_state), method_get_state,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int service_register(Context *c) {
        return sd_bus_add_object_vtable(c->bus, NULL, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_SERVICE, service_vtable, c);
}
