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

int cmd_hooks_list(sd_bus *bus, const Invocation *inv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *name, *description;
        json_object *a = NULL;
        int r;

        (void) inv;
        r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_HOOKS, "List", &error, &reply,
                               NULL);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(ss)");
        if (r < 0)
                return output_bus_error(&error, r, "Cannot list hooks");

        if (output.json)
                a = json_object_new_array();
        else if (!output.no_legend)
                printf("%-32s %s\n", "HOOK", "DESCRIPTION");
        while ((r = sd_bus_message_read(reply, "(ss)", &name, &description)) > 0) {
                if (!output.json) {
                        printf("%-32s %s\n", name, description);
                        continue;
                }
                json_object *h = json_object_new_object();
                json_object_object_add(h, "name", json_object_new_string(name));
                json_object_object_add(h, "description", json_object_new_string(description));
                json_object_array_add(a, h);
        }
        if (r < 0) {
                json_object_put(a);
                return output_bus_error(NULL, r, "Malformed hook list");
        }
        if (output.json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "hooks", a);
                output_json(o);
        }
        return EXIT_OK;
}

int cmd_hooks_run(sd_bus *bus, const Invocation *inv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *name;
        int r;

        if (inv->n_args != 1)
                return output_error(EXIT_USAGE, "Usage: hubopsctl hooks run NAME [--no-wait] [--timeout SPAN]");
        name = inv->args[0];
        if (!name_is_valid(name))
                return output_error(EXIT_USAGE, "Invalid hook name \"%s\"", name);

        r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_HOOKS, "Run", &error, &reply,
                               "s", name);
        if (r < 0)
                return output_bus_error(&error, r, "Cannot run hook");
        return job_follow(bus, inv, reply);
}
