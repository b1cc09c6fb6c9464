/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "transport.h"

#include <stdio.h>

#include "bus-open.h"
#include "macro.h"

const char *target_describe(const Target *t) {
        static char buf[512];

        if (t->host)
                (void) snprintf(buf, sizeof(buf), "%s (ssh)", t->host);
        else if (t->address)
                (void) snprintf(buf, sizeof(buf), "%s", t->address);
        else
                (void) snprintf(buf, sizeof(buf), "the local system bus");
        return buf;
}

int transport_open(const Target *t, bool interactive, sd_bus **ret) {
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        int r;

        if (t->host)
                r = sd_bus_open_system_remote(&bus, t->host);
        else if (t->address)
                r = bus_open_address(t->address, true, &bus);
        else
                r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;

        r = sd_bus_set_allow_interactive_authorization(bus, interactive);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}
