/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "can-run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "authz.h"
#include "hubops-bus.h"
#include "macro.h"
#include "names.h"
#include "op-table.h"

typedef struct CanRunQuery {
        sd_bus_message *call;
        AuthzCheck *check;
} CanRunQuery;

static void query_free(CanRunQuery *q) {
        authz_check_free(q->check);
        sd_bus_message_unref(q->call);
        free(q);
}

static void on_verdict(AuthzVerdict v, const char *reason, void *userdata) {
        CanRunQuery *q = userdata;
        const char *answer = authz_verdict_allows(v) ? "yes" : v == AUTHZ_CHALLENGE ? "challenge" : "no";

        (void) sd_bus_reply_method_return(q->call, "ss", answer, reason ? reason : "");
        query_free(q);
}

/* The polkit action and details the real call would use; NULL if unknown. */
static const char *resolve(const Context *c, const char *op, const char *subject, const char *details[OP_DETAILS_MAX],
                           const char **ret_missing) {
        const OpRow *row = op_row_find(op);

        *ret_missing = NULL;
        if (!row)
                return NULL;
        if (row->missing)
                *ret_missing = row->missing(c, subject);
        if (row->details)
                row->details(c, row->name, subject, details);
        return row->action;
}

int method_can_run(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        Context *c = userdata;
        const char *op, *subject, *action, *missing;
        const char *details[OP_DETAILS_MAX] = { 0 };
        CanRunQuery *q;
        uid_t uid;
        int r;

        r = sd_bus_message_read(m, "ss", &op, &subject);
        if (r < 0)
                return r;
        if (subject[0] && !name_is_valid(subject))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid subject");
        action = resolve(c, op, subject, details, &missing);
        if (!action)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Unknown operation \"%.64s\"", op);
        if (missing)
                return sd_bus_error_setf(error, HUBOPS_ERROR_NOT_CONFIGURED, "%s %s: %s", op, subject, missing);
        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return sd_bus_reply_method_return(m, "ss", "no", "the caller's credentials are unavailable");

        q = calloc(1, sizeof(CanRunQuery));
        if (!q)
                return -ENOMEM;
        q->call = sd_bus_message_ref(m);
        r = authz_check_async(c, m, uid, action, details, AUTHZ_NEVER_INTERACTIVE, on_verdict, q, &q->check);
        if (r < 0) {
                query_free(q);
                return r;
        }
        return 1;
}
