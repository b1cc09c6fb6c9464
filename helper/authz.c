/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "authz.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-sender.h"
#include "format.h"
#include "macro.h"

#define POLKIT_NAME "org.freedesktop.PolicyKit1"
#define POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_IFACE "org.freedesktop.PolicyKit1.Authority"
#define POLKIT_ALLOW_USER_INTERACTION 1U
/* An interactive check waits for a human at an agent; a non-interactive one should not. */
#define POLKIT_TIMEOUT_INTERACTIVE_USEC (300ULL * USEC_PER_SEC)

struct AuthzCheck {
        Context *context;
        AuthzCheck *prev, *next;      /* in Context.authz_checks */
        sd_bus_slot *polkit_slot;     /* CheckAuthorization, then NameHasOwner */
        sd_bus_slot *owner_slot;      /* interactive checks: the caller's NameOwnerChanged */
        char *sender;                 /* the caller's unique name */
        sd_event_source *defer;
        char *cancellation_id;
        uid_t uid;
        bool counted;                 /* holds a place in Context.authz_pending */
        AuthzVerdict pending_verdict; /* for the deferred (root, early failure) path */
        const char *pending_reason;
        authz_callback_t callback;
        void *userdata;
};

const char *authz_verdict_to_string(AuthzVerdict v) {
        static const char *const names[] = {
                [AUTHZ_YES] = "yes",     [AUTHZ_ROOT] = "root",   [AUTHZ_NO] = "no",
                [AUTHZ_CHALLENGE] = "challenge", [AUTHZ_ERROR] = "error", [AUTHZ_CALLER_GONE] = "caller-gone",
                [AUTHZ_LIMITED] = "limited",
        };
        return (unsigned) v < ELEMENTSOF(names) ? names[v] : "error";
}

AuthzVerdict authz_verdict_from_reply(sd_bus_message *reply, const char **ret_reason) {
        const sd_bus_error *e;
        int authorized, challenge, r;

        if (!reply) {
                *ret_reason = "no reply from polkit";
                return AUTHZ_ERROR;
        }
        e = sd_bus_message_get_error(reply);
        if (e) {
                if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        *ret_reason = "polkit is not running";
                else if (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY))
                        *ret_reason = "polkit did not answer in time";
                else
                        *ret_reason = e->message && e->message[0] ? e->message : "polkit returned an error";
                return AUTHZ_ERROR;
        }

        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r <= 0)
                goto malformed;
        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r <= 0)
                goto malformed;
        /* The details dict is polkit's business; skipping it also validates it. */
        r = sd_bus_message_skip(reply, "a{ss}");
        if (r < 0)
                goto malformed;
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                goto malformed;

        if (authorized) {
                *ret_reason = "authorized by polkit";
                return AUTHZ_YES;
        }
        if (challenge) {
                *ret_reason = "polkit requires interactive authentication";
                return AUTHZ_CHALLENGE;
        }
        *ret_reason = "polkit denied the request";
        return AUTHZ_NO;

malformed:
        *ret_reason = "malformed reply from polkit";
        return AUTHZ_ERROR;
}

static void pending_release(AuthzCheck *a) {
        if (!a->counted)
                return;
        a->counted = false;
        inflight_release(&a->context->authz_pending, a->uid);
}

static void finish(AuthzCheck *a, AuthzVerdict v, const char *reason) {
        authz_callback_t cb = a->callback;
        void *ud = a->userdata;

        /* Free first: the callback may free the request that owns us. */
        pending_release(a);
        a->callback = NULL;
        a->polkit_slot = sd_bus_slot_unref(a->polkit_slot);
        a->owner_slot = sd_bus_slot_unref(a->owner_slot);
        a->defer = sd_event_source_disable_unref(a->defer);
        if (cb)
                cb(v, reason, ud);
}

static int on_caller_confirmed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        AuthzCheck *a = userdata;
        int connected = 0;

        (void) ret_error;
        if (sd_bus_message_is_method_error(reply, NULL) || sd_bus_message_read(reply, "b", &connected) < 0)
                finish(a, AUTHZ_ERROR, "could not confirm that the caller is still connected");
        else if (!connected)
                finish(a, AUTHZ_CALLER_GONE, "the caller disconnected before authorization completed");
        else
                finish(a, AUTHZ_YES, "authorized by polkit");
        return 1;
}

/* polkit said yes: is the caller still there? A non-interactive check
 * holds no match on the caller's name; an interactive one does, but the
 * bus installs it asynchronously, and a caller gone before that is never
 * announced. Unique names are never reused, so one that has gone cannot
 * come back, and nothing is run for it. */
static int confirm_caller(AuthzCheck *a) {
        a->polkit_slot = sd_bus_slot_unref(a->polkit_slot);
        return sd_bus_call_method_async(a->context->bus, &a->polkit_slot, "org.freedesktop.DBus",
                                        "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner",
                                        on_caller_confirmed, a, "s", a->sender);
}

static int on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        AuthzCheck *a = userdata;
        const char *reason = NULL;
        AuthzVerdict v;

        (void) ret_error;
        v = authz_verdict_from_reply(reply, &reason);
        if (v == AUTHZ_YES) {
                if (confirm_caller(a) < 0)
                        finish(a, AUTHZ_ERROR, "could not confirm that the caller is still connected");
                return 1;
        }
        finish(a, v, reason);
        return 1;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        AuthzCheck *a = userdata;
        const char *new_owner;

        (void) ret_error;
        /* Only the bus daemon's word: any caller could send this about another one's name. */
        if (bus_name_owner_changed(m, a->sender, &new_owner) <= 0 || new_owner[0] != '\0')
                return 0;

        /* Tell polkit to drop any authentication dialog it is showing for this check. */
        (void) sd_bus_call_method_async(a->context->bus, NULL, POLKIT_NAME, POLKIT_PATH, POLKIT_IFACE,
                                        "CancelCheckAuthorization", NULL, NULL, "s", a->cancellation_id);
        finish(a, AUTHZ_CALLER_GONE, "the caller disconnected before authorization completed");
        return 0; /* not 1: that would stop sd-bus here, and the caller's other checks would never hear it */
}

/* The bus caps the matches one connection may hold (the system bus: 512 by
 * default) and every pending check holds one. With no install callback,
 * sd-bus closes the connection when AddMatch fails: one unprivileged caller
 * with enough calls in flight would take the helper off the bus. Instead
 * this check fails closed, since without the match a caller that leaves
 * would go unnoticed. */
static int on_owner_match_installed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        AuthzCheck *a = userdata;

        (void) ret_error;
        if (!sd_bus_message_is_method_error(m, NULL))
                return 0;
        (void) sd_bus_call_method_async(a->context->bus, NULL, POLKIT_NAME, POLKIT_PATH, POLKIT_IFACE,
                                        "CancelCheckAuthorization", NULL, NULL, "s", a->cancellation_id);
        finish(a, AUTHZ_ERROR, "too many authorization checks in flight, try again later");
        return 0;
}

static int on_defer(sd_event_source *s, void *userdata) {
        AuthzCheck *a = userdata;

        (void) s;
        finish(a, a->pending_verdict, a->pending_reason);
        return 0;
}

static int defer_verdict(AuthzCheck *a, AuthzVerdict v, const char *reason) {
        a->pending_verdict = v;
        a->pending_reason = reason;
        return sd_event_add_defer(a->context->event, &a->defer, on_defer, a);
}

static int append_details(sd_bus_message *m, const char *const *details) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "{ss}");
        if (r < 0)
                return r;
        for (const char *const *d = details; d && d[0] && d[1]; d += 2) {
                r = sd_bus_message_append(m, "{ss}", d[0], d[1]);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

/* Is the caller still there when the verdict comes? Every check asks the
 * bus once polkit has said yes (confirm_caller()): one round trip, on the
 * path that acts anyway. An interactive one may keep an authentication
 * dialog open for minutes, so it also watches the caller's name and cancels
 * the dialog the moment the caller leaves. Each match counts against the
 * bus's per-connection limit: hence interactive checks only, and the
 * per-user cap. */
static int watch_caller(AuthzCheck *a) {
        _cleanup_free_ char *match = strdup_printf(
                "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'",
                a->sender);

        if (!match)
                return -ENOMEM;
        return sd_bus_add_match_async(a->context->bus, &a->owner_slot, match, on_owner_changed,
                                      on_owner_match_installed, a);
}

static int send_check(AuthzCheck *a, sd_bus_message *call, const char *action, const char *const *details,
                      AuthzFlags flags) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        const char *sender = sd_bus_message_get_sender(call);
        bool interactive = !(flags & AUTHZ_NEVER_INTERACTIVE) &&
                           sd_bus_message_get_allow_interactive_authorization(call) > 0;
        sd_bus *bus = a->context->bus;
        int r;

        if (!sender)
                return -EINVAL;
        a->sender = strdup(sender);
        if (!a->sender)
                return -ENOMEM;
        if (interactive) {
                r = watch_caller(a);
                if (r < 0)
                        return r;
        }

        r = sd_bus_message_new_method_call(bus, &m, POLKIT_NAME, POLKIT_PATH, POLKIT_IFACE, "CheckAuthorization");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "(sa{sv})s", "system-bus-name", 1, "name", "s", sender, action);
        if (r < 0)
                return r;
        r = append_details(m, details);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "us", interactive ? POLKIT_ALLOW_USER_INTERACTION : 0U, a->cancellation_id);
        if (r < 0)
                return r;
        return sd_bus_call_async(bus, &a->polkit_slot, m, on_polkit_reply, a,
                                 interactive ? POLKIT_TIMEOUT_INTERACTIVE_USEC : 0);
}

int authz_check_async(Context *c, sd_bus_message *call, uid_t caller_uid, const char *action,
                      const char *const *details, AuthzFlags flags, authz_callback_t callback, void *userdata,
                      AuthzCheck **ret) {
        _cleanup_(authz_check_freep) AuthzCheck *a = calloc(1, sizeof(AuthzCheck));
        int r;

        if (!a)
                return -ENOMEM;
        a->context = c;
        a->next = c->authz_checks;
        if (a->next)
                a->next->prev = a;
        c->authz_checks = a;
        a->callback = callback;
        a->userdata = userdata;
        a->cancellation_id = strdup_printf("hubops-%d-%llu", (int) getpid(), (unsigned long long) ++c->authz_serial);
        if (!a->cancellation_id)
                return -ENOMEM;

        /* Root may do anything here anyway; asking polkit would only add a
         * failure mode. Root calls are audited like all others. */
        if (caller_uid == 0)
                r = defer_verdict(a, AUTHZ_ROOT, "caller is root");
        else if (!inflight_take(&c->authz_pending, caller_uid, AUTHZ_PENDING_PER_USER, AUTHZ_PENDING_TOTAL))
                r = defer_verdict(a, AUTHZ_LIMITED, "too many authorization checks in flight for this user");
        else {
                a->uid = caller_uid;
                a->counted = true;
                r = send_check(a, call, action, details, flags);
                if (r < 0) {
                        a->owner_slot = sd_bus_slot_unref(a->owner_slot);
                        a->polkit_slot = sd_bus_slot_unref(a->polkit_slot);
                        r = defer_verdict(a, AUTHZ_ERROR, "could not ask polkit");
                }
        }
        if (r < 0)
                return r;

        *ret = TAKE_PTR(a);
        return 0;
}

void authz_check_free(AuthzCheck *a) {
        if (!a)
                return;
        if (a->prev)
                a->prev->next = a->next;
        else
                a->context->authz_checks = a->next;
        if (a->next)
                a->next->prev = a->prev;
        pending_release(a);
        sd_bus_slot_unref(a->polkit_slot);
        sd_bus_slot_unref(a->owner_slot);
        sd_event_source_disable_unref(a->defer);
        free(a->sender);
        free(a->cancellation_id);
        free(a);
}

void authz_checks_abort_all(Context *c) {
        for (;;) {
                AuthzCheck *a = c->authz_checks;
                while (a && !a->callback)
                        a = a->next;
                if (!a)
                        return;
                /* The callback answers the caller and frees the request (and a). */
                finish(a, AUTHZ_ERROR, "hubopsd is stopping");
        }
}
