/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "request.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "hubops-bus.h"
#include "clock.h"
#include "job.h"
#include "log.h"
#include "macro.h"
#include "strv.h"

static void caller_from_creds(Caller *c, sd_bus_message *call) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        const char *sender = sd_bus_message_get_sender(call);

        if (sender)
                (void) snprintf(c->sender, sizeof(c->sender), "%s", sender);
        if (sd_bus_query_sender_creds(call, SD_BUS_CREDS_EUID | SD_BUS_CREDS_PID | SD_BUS_CREDS_AUDIT_LOGIN_UID,
                                      &creds) < 0)
                return;
        c->have_uid = sd_bus_creds_get_euid(creds, &c->uid) >= 0;
        c->have_pid = sd_bus_creds_get_pid(creds, &c->pid) >= 0;
        c->have_login_uid = sd_bus_creds_get_audit_login_uid(creds, &c->login_uid) >= 0;
}

int request_new(Context *c, sd_bus_message *call, const char *operation, const char *action,
                const char *const *details, Request **ret) {
        Request *req = calloc(1, sizeof(Request));

        if (!req)
                return -ENOMEM;
        req->context = c;
        req->call = sd_bus_message_ref(call);
        req->time_usec = now_usec(CLOCK_REALTIME);
        req->start_monotonic_usec = now_usec(CLOCK_MONOTONIC);
        req->operation = strdup(operation);
        req->action = action ? strdup(action) : NULL;
        req->details = strv_copy(details);
        if (!req->operation || (action && !req->action) || !req->details) {
                request_free(req);
                return -ENOMEM;
        }
        caller_from_creds(&req->caller, call);
        *ret = req;
        return 0;
}

void request_free(Request *req) {
        if (!req)
                return;
        authz_check_free(req->check);
        if (req->act_userdata_free)
                req->act_userdata_free(req->act_userdata);
        sd_bus_message_unref(req->call);
        free(req->operation);
        free(req->action);
        strv_free(req->details);
        free(req);
}

static int audit(Request *req, const char *result, const char *message, const char *job, const char *unit,
                 AuditSync sync, char *ret_id) {
        AuditRecord rec = {
                .event = AUDIT_EVENT_REQUEST,
                .operation = req->operation,
                .details = (const char *const *) req->details,
                .caller = &req->caller,
                .action = req->action,
                .verdict = req->verdict_known ? authz_verdict_to_string(req->verdict) : "not-checked",
                .result = result,
                .message = message,
                .job = job,
                .unit = unit,
                .time_usec = req->time_usec,
                .duration_usec = now_usec(CLOCK_MONOTONIC) - req->start_monotonic_usec,
                .sync = sync,
        };
        int r = audit_write(req->context->audit, &rec, ret_id);

        if (r < 0)
                log_error_errno(r, "Failed to write audit record for %s: %m", req->operation);
        return r;
}

int request_reply_error(Request *req, const char *error_name, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        bool denied = strcmp(error_name, SD_BUS_ERROR_ACCESS_DENIED) == 0 ||
                      strcmp(error_name, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED) == 0;
        bool turned_away = strcmp(error_name, HUBOPS_ERROR_TOO_MANY_REQUESTS) == 0;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);

        /* A refusal did nothing: its record may join the next batched fsync.
         * A failure after authorization may have done something: durable now. */
        (void) audit(req, denied ? "denied" : turned_away || !req->verdict_known ? "rejected" : "failed",
                     msg ? msg : error_name, NULL, NULL,
                     denied || turned_away || !req->verdict_known ? AUDIT_SYNC_SOON : AUDIT_SYNC_NOW, NULL);
        (void) sd_bus_reply_method_errorf(req->call, error_name, "%s", msg ? msg : error_name);
        request_free(req);
        return 1;
}

int request_reply_job(Request *req, Job *job) {
        if (audit(req, "started", NULL, job->path, job->unit, AUDIT_SYNC_NOW, job->audit_id) < 0) {
                /* The action has begun but cannot be recorded: say so loudly rather than pretend. */
                (void) sd_bus_reply_method_errorf(req->call, HUBOPS_ERROR_AUDIT_FAILED,
                                                  "Started %s but could not write its audit record", job->path);
                request_free(req);
                return 1;
        }
        (void) sd_bus_reply_method_return(req->call, "o", job->path);
        request_free(req);
        return 1;
}

int request_audit_starting(Request *req, const Job *job) {
        /* No verdict: the request's record carries it, once per request. */
        AuditRecord rec = {
                .event = AUDIT_EVENT_JOB_STARTING,
                .operation = req->operation,
                .details = (const char *const *) req->details,
                .caller = &req->caller,
                .action = req->action,
                .result = "starting",
                .job = job->path,
                .unit = job->unit,
                .time_usec = req->time_usec,
                .duration_usec = now_usec(CLOCK_MONOTONIC) - req->start_monotonic_usec,
                .sync = AUDIT_SYNC_NOW,
        };

        return audit_write(req->context->audit, &rec, NULL);
}

int request_reply_empty(Request *req, const char *job_path) {
        (void) audit(req, "done", NULL, job_path, NULL, AUDIT_SYNC_NOW, NULL);
        (void) sd_bus_reply_method_return(req->call, NULL);
        request_free(req);
        return 1;
}

int request_reply_string(Request *req, const char *job_path, const char *value) {
        (void) audit(req, "done", NULL, job_path, NULL, AUDIT_SYNC_NOW, NULL);
        (void) sd_bus_reply_method_return(req->call, "s", value);
        request_free(req);
        return 1;
}

int request_reply_bool(Request *req, bool value) {
        (void) audit(req, "done", NULL, NULL, NULL, AUDIT_SYNC_NOW, NULL);
        (void) sd_bus_reply_method_return(req->call, "b", value);
        request_free(req);
        return 1;
}

int request_reply_strv(Request *req, char **values) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        (void) audit(req, "done", NULL, NULL, NULL, AUDIT_SYNC_NOW, NULL);
        r = sd_bus_message_new_method_return(req->call, &reply);
        if (r >= 0)
                r = sd_bus_message_append_strv(reply, values);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0)
                (void) sd_bus_reply_method_errorf(req->call, HUBOPS_ERROR_FAILED, "Cannot reply: %s", strerror(-r));
        request_free(req);
        return 1;
}

static const char *describe(const Request *req, char *buf, size_t size) {
        (void) snprintf(buf, size, "%s", req->operation);
        for (char **d = req->details; d && d[0] && d[1]; d += 2)
                (void) snprintf(buf + strlen(buf), size - strlen(buf), " %s=%s", d[0], d[1]);
        return buf;
}

static void on_verdict(AuthzVerdict verdict, const char *reason, void *userdata) {
        Request *req = userdata;
        char what[256];

        req->verdict = verdict;
        req->verdict_known = true;
        (void) describe(req, what, sizeof(what));

        switch (verdict) {
        case AUTHZ_YES:
        case AUTHZ_ROOT:
                if (audit_check_writable(req->context->audit) < 0) {
                        (void) request_reply_error(req, HUBOPS_ERROR_AUDIT_FAILED,
                                                   "Refusing %s: the audit log cannot be written", what);
                        return;
                }
                req->act_userdata_free = NULL; /* act() owns it now */
                req->act(req, req->act_userdata);
                return;
        case AUTHZ_CHALLENGE:
                (void) request_reply_error(req, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                           "Authentication is required for %s (polkit action %s); "
                                           "run hubopsctl on a terminal or have a rule grant it",
                                           what, req->action);
                return;
        case AUTHZ_NO:
                (void) request_reply_error(req, SD_BUS_ERROR_ACCESS_DENIED,
                                           "Not authorized for %s (polkit action %s denied)", what, req->action);
                return;
        case AUTHZ_LIMITED:
                (void) request_reply_error(req, HUBOPS_ERROR_TOO_MANY_REQUESTS,
                                           "Refusing %s: %s; try again once your earlier calls are answered", what,
                                           reason ? reason : "too many requests in flight");
                return;
        case AUTHZ_CALLER_GONE:
        case AUTHZ_ERROR:
        default:
                (void) request_reply_error(req, SD_BUS_ERROR_ACCESS_DENIED,
                                           "Not authorized for %s (polkit action %s): %s", what, req->action,
                                           reason ? reason : "authorization failed");
                return;
        }
}

int request_authorize(Request *req, request_act_t act, void *userdata, void (*userdata_free)(void *)) {
        int r;

        req->act = act;
        req->act_userdata = userdata;
        req->act_userdata_free = userdata_free;

        if (!req->caller.have_uid) {
                req->verdict = AUTHZ_CALLER_GONE;
                req->verdict_known = true;
                return request_reply_error(req, SD_BUS_ERROR_ACCESS_DENIED,
                                           "Not authorized for %s: the caller's credentials are unavailable",
                                           req->operation);
        }

        r = authz_check_async(req->context, req->call, req->caller.uid, req->action,
                              (const char *const *) req->details, 0, on_verdict, req, &req->check);
        if (r < 0) {
                req->verdict = AUTHZ_ERROR;
                req->verdict_known = true;
                return request_reply_error(req, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized for %s: %s",
                                           req->operation, strerror(-r));
        }
        return 1;
}
