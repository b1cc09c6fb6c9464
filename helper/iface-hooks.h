/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "context.h"

/* org.hubops.Helper1.Hooks: named site commands from [Hook NAME], run as
 * transient units. Run() is polkit action org.hubops.hook.run, detail hook. */
int hooks_register(Context *c);

/* Start-up: a hook the previous helper started (jobs.json) is followed to
 * its end under its old job, or its outcome read if it ended meanwhile. */
void hooks_restore(Context *c);
