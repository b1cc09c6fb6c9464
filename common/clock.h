/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <time.h>

/* The clock in microseconds: CLOCK_REALTIME for what is recorded (StartedAt,
 * audit times), CLOCK_MONOTONIC for what is measured (durations, deadlines). */
uint64_t now_usec(clockid_t clock);
