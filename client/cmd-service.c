/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exit-codes.h"
#include "hubops-bus.h"
#include "job-wait.h"
#include "macro.h"
#include "names.h"
#include "output.h"

static int service_name_arg(const Invocation *inv, const char *usage) {
        if (inv->n_args != 1)
                return output_error(EXIT_USAGE, "Usage: %s", usage);
        if (!name_is_valid(inv->args[0]))
                return output_error(EXIT_USAGE, "Invalid service name \"%s\"", inv->args[0]);
        return EXIT_OK;
}

int cmd_service_status(sd_bus *bus, const Invocation *inv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *active, *sub;
        int r;

        r = service_name_arg(inv, "hubopsctl service status NAME");
        if (r != EXIT_OK)
                return r;
        r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_SERVICE, "GetState", &error,
                               &reply, "s", inv->args[0]);
        if (r >= 0)
                r = sd_bus_message_read(reply, "ss", &active, &sub);
        if (r < 0)
                return output_bus_error(&error, r, "Cannot read the service's state");
        if (output.json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "service", json_object_new_string(inv->args[0]));
                json_object_object_add(o, "active_state", json_object_new_string(active));
                json_object_object_add(o, "sub_state", json_object_new_string(sub));
                output_json(o);
        } else
                printf("%s: %s (%s)\n", inv->args[0], active, sub);
        return EXIT_OK;
}

int cmd_service_verb(sd_bus *bus, const Invocation *inv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *member = strcmp(inv->verb, "start") == 0  ? "Start"
                             : strcmp(inv->verb, "stop") == 0 ? "Stop"
                                                              : "Restart";
        int r;

        r = service_name_arg(inv, "hubopsctl service start|stop|restart NAME");
        if (r != EXIT_OK)
                return r;
        r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_SERVICE, member, &error, &reply,
                               "s", inv->args[0]);
        if (r < 0)
                return output_bus_error(&error, r, "Cannot manage the service");
        return job_follow(bus, inv, reply);
}
