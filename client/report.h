/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "engine.h"

/* A run's plan (with the step statuses once it has run) and its summary,
 * as text or JSON. x needs its run and definition only. */
void report_plan(const Exec *x, bool with_status);
void report_summary(const Exec *x);
