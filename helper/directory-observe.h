/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "context.h"
#include "directory-snapshot.h"
#include "proc-control.h"

/* The directory server as /proc shows it, and which processes are its: the
 * configured command line, run by the directory's owner (DESIGN.md section
 * 7), that is in its unit's cgroup (as systemd reports it) or wholly as its
 * User=. Anyone who can execute the binary can copy the command line. */

/* What a process running argv must also be to count as the directory's. */
ProcMatch directory_match(const Context *c, char *const *argv);

/* At start-up, before any caller can ask: learn the unit's cgroup from
 * systemd, waiting briefly. Without it (systemd did not answer) only User=
 * counts until a refresh succeeds. */
void directory_owner_learn(Context *c);

/* Ask systemd again (the unit may have started since), without waiting;
 * one question at a time. */
void directory_owner_refresh(Context *c);

void directory_owner_done(Context *c);

/* Can the directory's processes be told from copies? Not with Unit= alone
 * before systemd first answered. */
bool directory_owner_known(const Context *c);

/* Scan /proc now. */
void directory_observe(const Context *c, DirectorySnapshot *ret);

/* The last scan if it is recent (DIRECTORY_CACHE_USEC), else a new one: a
 * flood of Get and GetAll calls costs one /proc scan per period, not one
 * per call. directory_observe_invalidate() makes the next call scan. */
#define DIRECTORY_CACHE_USEC (250ULL * USEC_PER_MSEC)
const DirectorySnapshot *directory_observe_cached(Context *c);
void directory_observe_invalidate(Context *c);
