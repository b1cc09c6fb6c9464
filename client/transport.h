/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

/* Where the helper is: the local system bus (default, honours
 * DBUS_SYSTEM_BUS_ADDRESS), any sd-bus address, or a host over ssh with
 * systemd-stdio-bridge (sd_bus_open_system_remote, as systemctl -H does). */
typedef struct Target {
        const char *address; /* --address */
        const char *host;    /* -H [USER@]HOST[:PORT] */
} Target;

static inline bool target_is_local(const Target *t) {
        return !t->address && !t->host;
}

/* "local system bus", "ADDRESS", "ssh HOST": for messages. */
const char *target_describe(const Target *t);

int transport_open(const Target *t, bool interactive, sd_bus **ret);
