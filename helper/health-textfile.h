/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "context.h"
#include "health.h"

/* node_exporter's textfile collector format (TextfileDirectory=/hubops_health.prom):
 *   hubops_health_check_state{host,check,subject} 0 ok, 1 warn, 2 fail, 3 unknown
 *   hubops_health_check_value{host,check,subject,unit} the figure judged
 *   hubops_health_last_sample_timestamp_seconds{host}, hubops_health_samples_total{host}
 * Written whole to a temporary file and renamed, so the collector never
 * reads half of it. */
#define HEALTH_TEXTFILE_NAME "hubops_health.prom"

/* The text, for rows; NULL when out of memory. */
char *health_textfile_format(const char *host, const HealthRow *rows, size_t n, uint64_t sampled_at,
                             uint64_t samples);
int health_textfile_write(Context *c, const HealthRow *rows, size_t n);
