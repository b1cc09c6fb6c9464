/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mailstore-route.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "unit-run.h"

typedef struct RouteAsk {
        Request *req;
        route_answer_t answer;
        void *userdata;
        void (*userdata_free)(void *);
        char unit[300];
} RouteAsk;

static void route_ask_free(void *p) {
        RouteAsk *a = p;

        if (!a)
                return;
        if (a->userdata_free)
                a->userdata_free(a->userdata);
        request_free(a->req);
        free(a);
}

static void answer(RouteAsk *a, int here, const char *why) {
        a->answer(a->req, here, why, a->userdata);
        free(a);
}

static void on_started(Context *c, int error, const char *message, const char *systemd_job, void *userdata) {
        RouteAsk *a = userdata;
        char why[512];

        (void) c, (void) systemd_job;
        if (error == 0)
                return; /* on_done follows */
        (void) snprintf(why, sizeof(why), "cannot start %s: %s", a->unit, message);
        answer(a, -EIO, why);
}

/* The site's own answer is its exit status; a unit that could not run
 * (a timeout, a signal, a missing script) answers nothing. */
static void on_done(Context *c, const UnitOutcome *o, void *userdata) {
        RouteAsk *a = userdata;
        char why[640];

        (void) c;
        if (o->ok)
                answer(a, 1, NULL);
        else if (o->exit_status == 1)
                answer(a, 0, NULL);
        else {
                (void) snprintf(why, sizeof(why), "%s cannot tell (not exit 0 or 1): %s", a->unit, o->message);
                answer(a, -EIO, why);
        }
}

void mailstore_ask_route(Request *req, const char *domain, route_answer_t ans, void *userdata,
                         void (*userdata_free)(void *)) {
        const char *template_unit = req->context->config->mailstore.routed_unit;
        _cleanup_free_ char *unit = NULL;
        RouteAsk *a;
        char why[128];
        int r;

        if (!template_unit) {
                (void) snprintf(why, sizeof(why), "[Mailstore] on %s has no RoutedUnit=",
                                req->context->config->hostname);
                ans(req, -ENOENT, why, userdata);
                return;
        }
        unit = unit_template_instance(template_unit, domain);
        a = calloc(1, sizeof(RouteAsk));
        if (!unit || !a) {
                free(a);
                ans(req, -ENOMEM, "out of memory", userdata);
                return;
        }
        *a = (RouteAsk) { .req = req, .answer = ans, .userdata = userdata, .userdata_free = userdata_free };
        (void) snprintf(a->unit, sizeof(a->unit), "%s", unit);
        r = unit_run_verb(req->context, "Start", a->unit, on_started, on_done, a, route_ask_free);
        if (r < 0) {
                (void) snprintf(why, sizeof(why), "cannot ask systemd to start %.60s: %s", a->unit, strerror(-r));
                answer(a, -EIO, why);
        }
}
