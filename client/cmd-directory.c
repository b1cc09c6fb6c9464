/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exit-codes.h"
#include "helper-info.h"
#include "hubops-bus.h"
#include "job-wait.h"
#include "macro.h"
#include "output.h"

int cmd_directory_status(sd_bus *bus, const Invocation *inv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *state = NULL;
        uint32_t main_pid = 0, root_pid = 0;
        uint64_t memory = 0;
        int exe_deleted = 0, r;

        (void) inv;
        r = sd_bus_get_property_string(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_DIRECTORY, "State",
                                       &error, &state);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_DIRECTORY,
                                                "MainPID", &error, 'u', &main_pid);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_DIRECTORY,
                                                "RootPID", &error, 'u', &root_pid);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_DIRECTORY,
                                                "MemoryBytes", &error, 't', &memory);
        if (r < 0)
                return helper_role_error(bus, &error, r, "directory", "Cannot read the directory's state");
        /* A helper older than the property: nothing known, nothing said. */
        if (sd_bus_get_property_trivial(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_DIRECTORY,
                                        "ExecutableDeleted", NULL, 'b', &exe_deleted) < 0)
                exe_deleted = 0;

        if (output.json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "state", json_object_new_string(state));
                json_object_object_add(o, "main_pid", json_object_new_int64(main_pid));
                json_object_object_add(o, "root_pid", json_object_new_int64(root_pid));
                json_object_object_add(o, "memory_bytes", json_object_new_int64((int64_t) memory));
                json_object_object_add(o, "executable_deleted", json_object_new_boolean(exe_deleted));
                output_json(o);
                return EXIT_OK;
        }
        printf("Directory: %s\nMain PID:  %u\nRoot PID:  %u\nMemory:    %.1f MiB\n", state, main_pid, root_pid,
               (double) memory / (1024.0 * 1024.0));
        if (exe_deleted)
                printf("Note:      running a deleted (upgraded) binary; a restart runs the new one\n");
        return EXIT_OK;
}

int cmd_directory_verb(sd_bus *bus, const Invocation *inv) {
        static const struct {
                const char *verb, *member;
        } map[] = {
                { "stop", "Stop" },
                { "kill-root", "KillRoot" },
                { "start", "Start" },
                { "restart", "Restart" },
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *member = NULL;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (strcmp(inv->verb, map[i].verb) == 0)
                        member = map[i].member;
        if (!member || inv->n_args != 0)
                return output_error(EXIT_USAGE, "Usage: hubopsctl directory status|stop|kill-root|start|restart");
        r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_DIRECTORY, member, &error,
                               &reply, NULL);
        if (r < 0)
                return helper_role_error(bus, &error, r, "directory", "Cannot manage the directory");
        return job_follow(bus, inv, reply);
}
