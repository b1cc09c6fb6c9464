/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "runbook.h"

#define PREFLIGHT_HEALTH_PROBLEMS_MAX 16
#define PREFLIGHT_HEALTH_TEXT_MAX 384

/* The health checks of the hosts a runbook loads (rebuild-tables: the
 * target hub and the directory host), asked in parallel under the site's
 * [Health] thresholds. Each FAIL (or a host that cannot answer) becomes a
 * problem in ret_text; each WARN is shown as a preflight event and recorded
 * in the run (Run.preflight_warnings). Hosts not in reachable[] are left to
 * the reachability check that already reported them. */
void preflight_health(Exec *x, const bool reachable[],
                      char ret_text[PREFLIGHT_HEALTH_PROBLEMS_MAX][PREFLIGHT_HEALTH_TEXT_MAX], unsigned *ret_n);
