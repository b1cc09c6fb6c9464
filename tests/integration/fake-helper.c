/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A stand-in for a hubopsd that cannot be trusted (an old one, or a host
 * taken over): it owns org.hubops.Helper1 on $DBUS_SYSTEM_BUS_ADDRESS and
 * answers every call with an error whose message carries terminal control
 * sequences (a title change, a screen clear, a C1 CSI). Prints "ready" once
 * it owns the name; runs until killed. For test-client-escapes.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-bus.h>

#define HOSTILE "\033]0;pwned\007\033[2J\302\233" "31m"

static int on_message(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        (void) userdata, (void) ret_error;
        if (!sd_bus_message_is_method_call(m, NULL, NULL))
                return 0;
        (void) sd_bus_reply_method_errorf(m, "org.hubops.Helper1.Error.Failed", "hostile %s text", HOSTILE);
        return 1;
}

int main(void) {
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_add_filter(bus, NULL, on_message, NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, "org.hubops.Helper1", 0);
        if (r < 0) {
                fprintf(stderr, "fake-helper: %d\n", r);
                return 1;
        }
        puts("ready");
        (void) fflush(stdout);
        for (;;) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return 1;
                if (r == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
                        return 1;
        }
}
