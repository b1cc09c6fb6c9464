/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "context.h"

#define LOAD_WINDOW_MIN_MS 10U
#define LOAD_WINDOW_MAX_MS 60000U

/* Answer GetLoad(window_ms): sample CPU times now and again after the window
 * (on a timer, never sleeping), then reply with idle fraction, load averages
 * and available memory. The CPU source is CPUStatSource= (the lab points it
 * at a file its fake regclient drives). */
int load_measure_async(Context *c, sd_bus_message *call, uint32_t window_ms);
