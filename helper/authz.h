/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "context.h"

/* polkit, asked asynchronously about the caller's *bus name* (never a PID).
 * Every path that is not an explicit "yes" from polkit is a denial. */

typedef enum AuthzVerdict {
        AUTHZ_YES,         /* polkit said yes */
        AUTHZ_ROOT,        /* uid 0: allowed without asking, as systemd's daemons do */
        AUTHZ_NO,          /* polkit said no */
        AUTHZ_CHALLENGE,   /* polkit would say yes after authentication we may not ask for */
        AUTHZ_ERROR,       /* polkit absent, failed, or answered nonsense */
        AUTHZ_CALLER_GONE, /* the caller left the bus while we were asking */
        AUTHZ_LIMITED,     /* not asked: the caller's user has too many checks in flight */
} AuthzVerdict;

/* polkitd answers one check at a time, and an interactive check holds a
 * bus match on the caller's name (the bus caps one connection's matches:
 * the system bus at 512). So one user may have at most
 * AUTHZ_PENDING_PER_USER checks in flight, and all users together
 * AUTHZ_PENDING_TOTAL: a flood of calls from one user is turned away at
 * once (TooManyRequests, audited) instead of queueing everyone else's
 * checks behind it. hubopsctl never has more than one. */
#define AUTHZ_PENDING_PER_USER 32U
#define AUTHZ_PENDING_TOTAL 256U

static inline bool authz_verdict_allows(AuthzVerdict v) {
        return v == AUTHZ_YES || v == AUTHZ_ROOT;
}

/* "yes", "root", "no", "challenge", "error", "caller-gone", "limited": the audit spelling. */
const char *authz_verdict_to_string(AuthzVerdict v);

typedef enum AuthzFlags {
        AUTHZ_NEVER_INTERACTIVE = 1 << 0, /* a question (CanRun), not a request: never prompt */
} AuthzFlags;

typedef struct AuthzCheck AuthzCheck;
typedef void (*authz_callback_t)(AuthzVerdict verdict, const char *reason, void *userdata);

/* Start a check; `callback` runs exactly once, later, from the event loop
 * (also for root and for every failure), unless authz_check_free() comes first.
 * details: key, value, ..., NULL. */
int authz_check_async(Context *c, sd_bus_message *call, uid_t caller_uid, const char *action,
                      const char *const *details, AuthzFlags flags, authz_callback_t callback, void *userdata,
                      AuthzCheck **ret);
void authz_check_free(AuthzCheck *a);

/* At shutdown, while the bus is still up: every check still waiting for a
 * verdict gets AUTHZ_ERROR ("hubopsd is stopping") now, so each caller is
 * answered (and audited) rather than left to time out. */
void authz_checks_abort_all(Context *c);
static inline void authz_check_freep(AuthzCheck **a) {
        authz_check_free(*a);
}

/* Decode a CheckAuthorization reply (or error reply) into a verdict: the
 * unit-tested core. reason is static text or points into the message. */
AuthzVerdict authz_verdict_from_reply(sd_bus_message *reply, const char **ret_reason);
