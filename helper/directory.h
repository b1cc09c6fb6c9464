/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "context.h"

/* The directory server (runbook steps 1 and 6): run its stop / kill-root /
 * start / restart procedures as jobs, phase by phase (what it looks like
 * now: directory-observe.h). */

typedef enum DirectoryVerb {
        DIRECTORY_STOP,
        DIRECTORY_KILL_ROOT,
        DIRECTORY_START,
        DIRECTORY_RESTART,
} DirectoryVerb;

const char *directory_verb_to_string(DirectoryVerb v); /* stop, kill-root, start, restart */

/* Run the procedure as job j (already created and replied to); the job
 * records each phase and ends with what happened. */
int directory_run(Context *c, Job *j, DirectoryVerb verb);

/* At start-up: the directory jobs a previous hubopsd left running (their
 * records, job-record.h) end "interrupted", once any systemd job the dead
 * helper had begun for them (a stop or start) has been followed to its end;
 * until then the directory is Busy with them. */
void directory_restore(Context *c);

/* Called after each phase so Directory's properties can be signalled. */
void directory_properties_changed(Context *c);

/* At shutdown, once no callback can come any more: free the operation in
 * progress and the restored jobs being followed (their systemd jobs go on;
 * jobs.json has them for the next hubopsd). */
void directory_ops_free(Context *c);
