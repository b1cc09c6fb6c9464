/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "context.h"

#define LOAD_WINDOW_MIN_MS 10U
#define LOAD_WINDOW_MAX_MS 60000U

/* Answer GetLoad(window_ms): sample CPU times now and again after the window
 * (on a timer, never sleeping), then reply with idle fraction, load averages
 * and available memory. The CPU source is CPUStatSource= (the lab points it
 * at a file its fake regclient drives). */
int load_measure_async(Context *c, sd_bus_message *call, uid_t uid, uint32_t window_ms, sd_bus_error *error);

/* Each GetLoad waits out its window holding a timer and the call: a user
 * may have LOAD_PENDING_PER_USER waiting, all users LOAD_PENDING_TOTAL
 * (root is not counted); past that, TooManyRequests at once. hubopsctl has
 * one at a time; a site status of many hosts has one per host. */
#define LOAD_PENDING_PER_USER 16U
#define LOAD_PENDING_TOTAL 128U
