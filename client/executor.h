/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "engine.h"

/* Run x's plan from its first unfinished step: each step observe -> gate ->
 * act -> follow its job, the state file saved at every transition, a
 * failed step stopping the run (or tidied up after), the site released and
 * a summary at the end. The site must be claimed. Returns an exit code,
 * having printed what happened. */
int executor_run(Exec *x);
