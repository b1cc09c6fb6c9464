/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "engine.h"
#include "preflight.h"

/* The health checks (DESIGN.md 2a) of the hosts a runbook loads, asked in
 * parallel under the site's [Health] thresholds: each FAIL (or a host that
 * cannot answer) is a preflight problem, each WARN is shown and recorded in
 * the run (Run.preflight_warnings). A definition calls it from its own
 * checks with its hosts (rebuild-tables: the target hub and the directory
 * host). Hosts the reachability check already reported are left out. */
void preflight_health(Exec *x, Preflight *p, const char *const *names, size_t n_names);
/* The same, with each host's disk probe run first (Health.Probe(), in
 * parallel): the disk.throughput and disk.sync checks judge a fresh figure. */
void preflight_health_probed(Exec *x, Preflight *p, const char *const *names, size_t n_names);
