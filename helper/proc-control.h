/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "context.h"

/* Finding and signalling one specific program. No PID is ever signalled
 * bare: we open a pidfd, then check through it that the process is still
 * the program we looked for, so a PID reused in between is never hit (the
 * CVE class of "kill by stale PID").
 *
 * The program is its exe and whole command line, and whose it is: anyone
 * who can execute a binary can give it the same command line (DESIGN.md
 * section 7), so a process counts only if it is also in the owner's cgroup
 * or runs wholly as the owner's user. */

#define PROC_FIND_MAX 16

typedef struct ProcMatch {
        char *const *argv;  /* argv[0]: the executable's path */
        const char *cgroup; /* in systemd's hierarchy (procfs_parse_cgroup()); NULL: no cgroup counts */
        uid_t uid;          /* real, effective, saved and fs uid all this; (uid_t) -1: no user counts */
} ProcMatch;

typedef struct ProcFound {
        pid_t pid;
        bool exe_deleted; /* runs a binary since deleted or replaced (an upgrade) */
} ProcFound;

/* The processes that match m. */
int proc_find(const ProcMatch *m, ProcFound ret[PROC_FIND_MAX], unsigned *ret_n);

/* A pidfd for pid, verified to match m after it was opened. -ESRCH if the
 * process is gone or does not match (any more). */
int proc_open_verified(pid_t pid, const ProcMatch *m, int *ret_pidfd);

/* Resident memory of a process in bytes (0 if unknown or gone). */
uint64_t proc_rss_bytes(pid_t pid);

typedef enum ProcEnd {
        PROC_EXITED,        /* it went (on its own, or after SIGTERM) */
        PROC_KILLED,        /* SIGKILL was needed */
        PROC_STILL_RUNNING, /* the wait timed out (proc_wait_exit only) */
        PROC_ERROR,
} ProcEnd;

typedef void (*proc_end_t)(Context *c, ProcEnd how, void *userdata);

/* Wait (on the pidfd, not by polling) up to timeout_usec for it to exit. Takes the pidfd. */
int proc_wait_exit(Context *c, int pidfd, uint64_t timeout_usec, proc_end_t callback, void *userdata);

/* SIGTERM through the pidfd; after timeout_usec SIGKILL; report which it took. Takes the pidfd. */
int proc_terminate(Context *c, int pidfd, uint64_t timeout_usec, proc_end_t callback, void *userdata);
