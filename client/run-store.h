/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "run.h"

/* The run store: each run is ~/.local/state/hubops/runs/ID.json (or under
 * $XDG_STATE_HOME), private to its owner. The file carries a "version";
 * a file without one was written by hubopsctl before the engine existed
 * (state version 1, rebuild-tables only) and is read as the same run in
 * today's terms, so an interrupted run of the old client still resumes. A
 * version newer than this client's is refused, never guessed at.
 *
 * Next to it, ID.lock: the hubopsctl that executes the run holds an flock
 * on it (and wrote its pid there), so a run left "running" by a client
 * that died is told apart from one that runs now. */

#define RUN_STATE_VERSION 2

/* 0, -EBADMSG (anything malformed or out of range), or -EPROTONOSUPPORT (a
 * newer state version). *ret is untouched on failure. */
int run_parse(const char *json, Run *ret);
char *run_format(const Run *r);

/* The directory, created 0700 if asked. */
int run_dir(char *buf, size_t size, bool create);
int run_save(const Run *r);
/* Remove ID.json (a run that never claimed the site) and its lock file. */
int run_delete(const char *id);
/* 0, or a negative errno with a sentence in err. */
int run_load(const char *id, Run *ret, char *err, size_t err_size);

/* Take the run's lock for this process (kept until exit): 0 with *ret_fd,
 * -EBUSY with *ret_holder the pid that holds it, or another -errno. */
int run_lock(const char *id, int *ret_fd, pid_t *ret_holder);
/* 1 with *ret_pid if a live process holds the run's lock, 0 if none does. */
int run_lock_holder(const char *id, pid_t *ret_pid);
/* "interrupted" for a run left running by a client that is gone; else its status. */
const char *run_status_display(const Run *r, pid_t *ret_pid);
