/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The forger of tests/integration/test-forged-signals.sh. On a system bus
 * any local user may send a unicast signal to any connection (DESIGN.md
 * section 7): this sends one that looks like systemd's, the bus daemon's or
 * hubopsd's to one connection (DEST, a unique name), then makes one round
 * trip to hubopsd on the same connection. The bus passes on one sender's
 * messages in order, so once the answer is here the signal was delivered
 * before the call, and hubopsd has taken in what came to it before.
 *
 *   hubops-forge DEST job-removed ID JOB UNIT RESULT   systemd's JobRemoved
 *   hubops-forge DEST name-owner-changed NAME OLD NEW  the bus daemon's NameOwnerChanged
 *   hubops-forge DEST completed JOB RESULT             hubopsd's Job.Completed
 *   hubops-forge DEST status-text UNIT TEXT            systemd's PropertiesChanged of
 *                                                      the unit's StatusText
 *
 * The round trip is Service.GetState("broken"): hubopsd asks systemd, on
 * its connection to systemd, so anything the signal made hubopsd send
 * there is answered first. Prints the answer. Exit status: 0 sent and
 * answered, 1 a failure, 2 usage. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "hubops-bus.h"
#include "macro.h"

static int status_text(sd_bus *bus, const char *unit, const char *text, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &path);
        if (r >= 0)
                r = sd_bus_message_new_signal(bus, &m, path, "org.freedesktop.DBus.Properties", "PropertiesChanged");
        if (r >= 0)
                r = sd_bus_message_append(m, "sa{sv}as", "org.freedesktop.systemd1.Service", 1, "StatusText", "s",
                                          text, 0);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

static int build(sd_bus *bus, int argc, char **argv, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        const char *kind = argv[2];
        int r;

        if (strcmp(kind, "job-removed") == 0 && argc == 7) {
                r = sd_bus_message_new_signal(bus, &m, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                              "JobRemoved");
                if (r >= 0)
                        r = sd_bus_message_append(m, "uoss", (uint32_t) strtoul(argv[3], NULL, 10), argv[4], argv[5],
                                                  argv[6]);
        } else if (strcmp(kind, "name-owner-changed") == 0 && argc == 6) {
                r = sd_bus_message_new_signal(bus, &m, "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                              "NameOwnerChanged");
                if (r >= 0)
                        r = sd_bus_message_append(m, "sss", argv[3], argv[4], argv[5]);
        } else if (strcmp(kind, "completed") == 0 && argc == 5) {
                r = sd_bus_message_new_signal(bus, &m, argv[3], HUBOPS_IFACE_JOB, "Completed");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", argv[4]);
        } else if (strcmp(kind, "status-text") == 0 && argc == 5)
                r = status_text(bus, argv[3], argv[4], &m);
        else
                return -EINVAL;
        if (r >= 0)
                r = sd_bus_message_set_destination(m, argv[1]);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

int main(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *active, *sub;
        int r;

        if (argc < 3) {
                fprintf(stderr, "usage: hubops-forge DEST job-removed|name-owner-changed|completed|status-text ARGS...\n");
                return 2;
        }
        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "hubops-forge: cannot connect to the system bus: %s\n", strerror(-r));
                return 1;
        }
        r = build(bus, argc, argv, &m);
        if (r == -EINVAL) {
                fprintf(stderr, "hubops-forge: unknown signal or wrong number of arguments\n");
                return 2;
        }
        if (r >= 0)
                r = sd_bus_send(bus, m, NULL);
        if (r < 0) {
                fprintf(stderr, "hubops-forge: cannot send the signal: %s\n", strerror(-r));
                return 1;
        }
        r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_SERVICE, "GetState", &error,
                               &reply, "s", "broken");
        if (r >= 0)
                r = sd_bus_message_read(reply, "ss", &active, &sub);
        if (r < 0) {
                fprintf(stderr, "hubops-forge: no round trip to hubopsd: %s\n",
                        error.message ? error.message : strerror(-r));
                return 1;
        }
        printf("%s %s\n", active, sub);
        return 0;
}
