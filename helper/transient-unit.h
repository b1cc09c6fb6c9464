/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "systemd-client.h"

/* StartTransientUnit's properties, a(sv), for u: as systemd-run would set
 * them (systemd_start_transient()). */
int transient_unit_append_properties(sd_bus_message *m, const TransientUnit *u);
