/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "context.h"

/* Finding and signalling one specific program. No PID is ever signalled
 * bare: we open a pidfd, then check through it that the process is still
 * the program we looked for (exe and whole command line), so a PID reused
 * in between is never hit (the CVE class of "kill by stale PID"). */

#define PROC_FIND_MAX 16

/* PIDs whose /proc/PID/exe is argv[0] and whose cmdline is exactly argv. */
int proc_find(char *const *argv, pid_t ret_pids[PROC_FIND_MAX], unsigned *ret_n);

/* A pidfd for pid, verified to be argv after it was opened. -ESRCH if the
 * process is gone or is no longer that program. */
int proc_open_verified(pid_t pid, char *const *argv, int *ret_pidfd);

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
