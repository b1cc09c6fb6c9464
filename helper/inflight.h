/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Calls in flight per caller uid, with a cap per uid and one for all: a
 * flood from one user is turned away at once (TooManyRequests) instead of
 * queueing everyone else's calls behind it, or growing without bound.
 * Used for polkit checks (helper/authz.c) and GetLoad windows (load.c). */

#define INFLIGHT_USERS_MAX 64

typedef struct InflightUser {
        uid_t uid;
        unsigned n; /* 0: a free slot */
} InflightUser;

typedef struct Inflight {
        InflightUser users[INFLIGHT_USERS_MAX];
        unsigned total;
} Inflight;

/* Take a place for uid: false when uid has per_user already, all have
 * total, or INFLIGHT_USERS_MAX other users hold places. */
bool inflight_take(Inflight *f, uid_t uid, unsigned per_user, unsigned total);
void inflight_release(Inflight *f, uid_t uid);
