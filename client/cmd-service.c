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
#include "strv.h"

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

/* The services this helper manages: ListOperations names each one. */
static int service_names(sd_bus *bus, sd_bus_error *error, char ***ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *op, *subject, *action;
        char **names = NULL;
        int r;

        r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "ListOperations",
                               error, &reply, NULL);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(sss)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(sss)", &op, &subject, &action)) > 0)
                if (strcmp(op, "service.start") == 0 && (r = strv_extend(&names, subject)) < 0)
                        break;
        if (r < 0) {
                strv_free(names);
                return r;
        }
        *ret = names;
        return 0;
}

int cmd_service_list(sd_bus *bus, const Invocation *inv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        json_object *a = json_object_new_array();
        char **names = NULL;
        int width = (int) strlen("SERVICE"), r;

        if (inv->n_args != 0)
                return json_object_put(a), output_error(EXIT_USAGE, "Usage: hubopsctl service list");
        r = service_names(bus, &error, &names);
        if (r < 0)
                return json_object_put(a), output_bus_error(&error, r, "Cannot list services");
        for (char **n = names; n && *n && r >= 0; n++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                const char *active = "unknown", *sub = "unknown";
                json_object *o = json_object_new_object();

                r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_SERVICE, "GetState",
                                       &error, &reply, "s", *n);
                if (r >= 0)
                        r = sd_bus_message_read(reply, "ss", &active, &sub);
                json_object_object_add(o, "service", json_object_new_string(*n));
                json_object_object_add(o, "active_state", json_object_new_string(active));
                json_object_object_add(o, "sub_state", json_object_new_string(sub));
                json_object_array_add(a, o);
                if ((int) strlen(*n) > width)
                        width = (int) strlen(*n);
        }
        strv_free(names);
        if (r < 0)
                return json_object_put(a), output_bus_error(&error, r, "Cannot read a service's state");
        if (output.json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "services", a);
                output_json(o);
                return EXIT_OK;
        }
        if (!output.no_legend)
                printf("%-*s %s\n", width, "SERVICE", "STATE");
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *o = json_object_array_get_idx(a, i), *v;
                const char *f[3];
                const char *keys[3] = { "service", "active_state", "sub_state" };
                for (int k = 0; k < 3; k++)
                        f[k] = json_object_object_get_ex(o, keys[k], &v) ? json_object_get_string(v) : "";
                printf("%-*s %s (%s)\n", width, f[0], f[1], f[2]);
        }
        json_object_put(a);
        return EXIT_OK;
}
