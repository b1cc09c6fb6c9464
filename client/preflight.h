/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "engine.h"
#include "macro.h"

/* Preflight: everything the run needs, checked before its first change,
 * every problem listed (not just the first). The engine's checks hold for
 * every runbook (every host reachable and itself, authorized for every
 * operation and the site claim, the site free, inside the allowed window);
 * the definition adds its own through the same notebook. */

/* Returns an exit code, having printed the checks and their verdict. */
int preflight_run(Exec *x);

/* For a definition's checks: one check made, a problem (its exit code), a passed check's note. */
void preflight_checked(Preflight *p);
_printf_(3, 4) void preflight_problem(Preflight *p, int code, const char *fmt, ...);
_printf_(2, 3) void preflight_ok(Preflight *p, const char *fmt, ...);
/* How many problems so far. */
unsigned preflight_problems(const Preflight *p);
/* The host answered as itself: worth asking more. */
bool preflight_reachable(const Preflight *p, const char *host);

/* Claim or release the site on the run's claim host. Exit codes. */
int site_claim(Exec *x);
int site_release(Exec *x);
