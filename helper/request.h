/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "audit.h"
#include "authz.h"
#include "context.h"
#include "macro.h"

/* One privileged call, from arrival to reply. Every privileged method goes
 * through the same order: read arguments, validate, request_authorize() (the
 * polkit verdict), act, then request_reply_*(), which writes the one audit
 * record for the call and sends the reply. Nothing is changed before the
 * verdict, and no reply leaves before its audit record is on disk (or, for
 * a refusal past its caller's budget, is counted: audit-budget.h). */

typedef struct Request Request;
typedef struct Job Job;
typedef void (*request_act_t)(Request *req, void *userdata);

struct Request {
        Context *context;
        sd_bus_message *call;
        Caller caller;
        char *operation;
        char *action;
        char **details; /* key, value, ..., NULL */
        uint64_t time_usec;
        uint64_t start_monotonic_usec;
        AuthzVerdict verdict;
        bool verdict_known;
        AuthzCheck *check;
        request_act_t act;
        void *act_userdata;              /* handed to act(); freed with the request if act() never runs */
        void (*act_userdata_free)(void *);
};

/* Reads the caller's credentials from the bus. details: key, value, ..., NULL. */
int request_new(Context *c, sd_bus_message *call, const char *operation, const char *action,
                const char *const *details, Request **ret);

/* Ask polkit; on "yes" (or root) call act(), otherwise reply with the
 * matching error. Returns 1 (the method is handled; the reply comes later).
 * userdata_free (may be NULL) frees userdata if act() is never called;
 * once called, act() owns it. */
int request_authorize(Request *req, request_act_t act, void *userdata, void (*userdata_free)(void *));

/* Audit, reply with a D-Bus error, free the request. Returns 1. */
_printf_(3, 4) int request_reply_error(Request *req, const char *error_name, const char *fmt, ...);

/* Audit "started" (the record's id goes to job->audit_id), reply with the
 * job's object path, free the request. */
int request_reply_job(Request *req, Job *job);

/* Before an allowed request asks systemd to start job's unit: a
 * "job-starting" record, fsync'd, so that no unit runs unaudited even if
 * hubopsd dies (or the disk fills) between that call and its answer. The
 * request's own record ("started", with the verdict) follows as before.
 * Returns 0 or -errno (then nothing may be started). */
int request_audit_starting(Request *req, const Job *job);

/* Audit "done", reply with an empty return, free the request. */
int request_reply_empty(Request *req, const char *job_path);

/* Audit "done" (job_path: what it concerned, or NULL), reply with one
 * string, free the request. */
int request_reply_string(Request *req, const char *job_path, const char *value);

/* Audit "done", reply with one boolean, free the request. */
int request_reply_bool(Request *req, bool value);
/* Audit "done", reply with an array of strings, free the request. */
int request_reply_strv(Request *req, char **values);

void request_free(Request *req);
