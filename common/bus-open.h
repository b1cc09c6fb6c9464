/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

/* Connect to an sd-bus address. bus_client: the far end is a bus daemon
 * (send Hello, get a unique name, receive broadcast signals); false for a
 * direct peer such as systemd's private socket. */
int bus_open_address(const char *address, bool bus_client, sd_bus **ret);
