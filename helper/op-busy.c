/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "op-busy.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubops-bus.h"
#include "job.h"
#include "op-table.h"
#include "strv.h"

/* The family: the name up to and with its dot ("directory."). */
static bool same_family(const char *a, const char *b) {
        const char *dot = strchr(a, '.');

        return dot && strncmp(a, b, (size_t) (dot - a) + 1) == 0;
}

static bool collides(const Context *c, const OpRow *row, const Job *j, const char *subject) {
        const char *details[OP_DETAILS_MAX] = { NULL }, *theirs;

        if (j->state != JOB_RUNNING || !same_family(row->name, j->operation))
                return false;
        if (row->busy == OP_BUSY_HOST)
                return true;
        /* OP_BUSY_SUBJECT: the subject is the details' first value. */
        row->details(c, row->name, subject, details);
        theirs = details[0] ? strv_pairs_get(j->details, details[0]) : NULL;
        return theirs && strcmp(theirs, subject) == 0;
}

Job *op_busy_job(Context *c, const char *operation, const char *subject) {
        const OpRow *row = op_row_find(operation);

        if (!row || row->busy == OP_BUSY_NONE)
                return NULL;
        for (Job *j = c->jobs; j; j = j->next)
                if (collides(c, row, j, subject ? subject : ""))
                        return j;
        return NULL;
}

bool op_reply_if_busy(Request *req, const char *subject) {
        const Job *j = op_busy_job(req->context, req->operation, subject);
        const OpRow *row;
        char what[128];

        if (!j)
                return false;
        row = op_row_find(req->operation);
        (void) snprintf(what, sizeof(what), "%s%s%s", row->busy_what ? row->busy_what : row->name,
                        row->busy == OP_BUSY_SUBJECT ? " for " : "", row->busy == OP_BUSY_SUBJECT ? subject : "");
        what[0] = (char) toupper((unsigned char) what[0]);
        (void) request_reply_error(req, HUBOPS_ERROR_BUSY,
                                   "%s is busy with job %" PRIu64 " (%s); wait for it (hubopsctl job wait %" PRIu64
                                   ")",
                                   what, j->id, j->operation, j->id);
        return true;
}

/* What op_authorize() hands request_authorize(): the act it wraps. */
typedef struct OpAsk {
        request_act_t act;
        void *userdata;
        void (*userdata_free)(void *);
        char subject[256];
} OpAsk;

static void op_ask_free(void *p) {
        OpAsk *a = p;

        if (a && a->userdata_free)
                a->userdata_free(a->userdata);
        free(a);
}

static void act_unless_busy(Request *req, void *userdata) {
        OpAsk *a = userdata;
        request_act_t act = a->act;
        void *u = a->userdata;

        if (op_reply_if_busy(req, a->subject)) {
                op_ask_free(a);
                return;
        }
        free(a);
        act(req, u);
}

int op_authorize(Request *req, const char *subject, request_act_t act, void *userdata,
                 void (*userdata_free)(void *)) {
        OpAsk *a;

        if (op_reply_if_busy(req, subject)) {
                if (userdata_free)
                        userdata_free(userdata);
                return 1;
        }
        a = calloc(1, sizeof(OpAsk));
        if (!a) {
                if (userdata_free)
                        userdata_free(userdata);
                return request_reply_error(req, HUBOPS_ERROR_FAILED, "Out of memory");
        }
        *a = (OpAsk) { .act = act, .userdata = userdata, .userdata_free = userdata_free };
        (void) snprintf(a->subject, sizeof(a->subject), "%s", subject ? subject : "");
        return request_authorize(req, act_unless_busy, a, op_ask_free);
}
