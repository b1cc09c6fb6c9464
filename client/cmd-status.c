/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exit-codes.h"
#include "hubops-bus.h"
#include "macro.h"
#include "output.h"
#include "strv.h"

#define STATUS_LOAD_WINDOW_MS 250U

typedef struct ManagerInfo {
        char version[64];
        char hostname[128];
        char **roles;
} ManagerInfo;

static int get_manager(sd_bus *bus, ManagerInfo *m, sd_bus_error *error) {
        _cleanup_free_ char *version = NULL, *hostname = NULL;
        int r;

        r = sd_bus_get_property_string(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "Version",
                                       error, &version);
        if (r >= 0)
                r = sd_bus_get_property_string(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER,
                                               "Hostname", error, &hostname);
        if (r >= 0)
                r = sd_bus_get_property_strv(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "Roles",
                                             error, &m->roles);
        if (r < 0)
                return r;
        (void) snprintf(m->version, sizeof(m->version), "%s", version);
        (void) snprintf(m->hostname, sizeof(m->hostname), "%s", hostname);
        return 0;
}

static json_object *roles_json(char **roles) {
        json_object *a = json_object_new_array();

        for (char **i = roles; i && *i; i++)
                json_object_array_add(a, json_object_new_string(*i));
        return a;
}

int cmd_status(sd_bus *bus, const Invocation *inv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *load = NULL, *jobs = NULL;
        ManagerInfo m = { 0 };
        double idle, l1, l5, l15;
        uint64_t mem;
        int r, code = EXIT_OK;

        (void) inv;
        r = get_manager(bus, &m, &error);
        if (r < 0)
                return output_bus_error(&error, r, "Cannot read the helper's status");
        r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "GetLoad", &error,
                               &load, "u", STATUS_LOAD_WINDOW_MS);
        if (r >= 0)
                r = sd_bus_message_read(load, "ddddt", &idle, &l1, &l5, &l15, &mem);
        if (r >= 0)
                r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "ListJobs",
                                       &error, &jobs, NULL);
        if (r >= 0)
                r = sd_bus_message_enter_container(jobs, 'a', "(tssso)");
        if (r < 0) {
                code = output_bus_error(&error, r, "Cannot read the helper's load and jobs");
                strv_free(m.roles);
                return code;
        }

        json_object *o = json_object_new_object(), *ja = json_object_new_array();
        if (!output.json) {
                printf("Host:     %s\nVersion:  %s\nRoles:   ", m.hostname, m.version);
                for (char **i = m.roles; i && *i; i++)
                        printf(" %s", *i);
                printf("%s\nCPU idle: %.1f%% (over %ums)\nLoad:     %.2f %.2f %.2f\nMemory:   %.1f MiB available\n",
                       m.roles && m.roles[0] ? "" : " -", idle * 100.0, STATUS_LOAD_WINDOW_MS, l1, l5, l15,
                       (double) mem / (1024.0 * 1024.0));
                printf("Jobs:\n");
        }
        uint64_t id;
        const char *op, *subject, *state, *path;
        unsigned n = 0;
        while ((r = sd_bus_message_read(jobs, "(tssso)", &id, &op, &subject, &state, &path)) > 0) {
                n++;
                if (!output.json) {
                        printf("  %6" PRIu64 "  %-10s %-24s %s\n", id, op, subject, state);
                        continue;
                }
                json_object *j = json_object_new_object();
                json_object_object_add(j, "id", json_object_new_int64((int64_t) id));
                json_object_object_add(j, "operation", json_object_new_string(op));
                json_object_object_add(j, "subject", json_object_new_string(subject));
                json_object_object_add(j, "state", json_object_new_string(state));
                json_object_object_add(j, "path", json_object_new_string(path));
                json_object_array_add(ja, j);
        }
        if (!output.json && n == 0)
                printf("  (none)\n");

        if (output.json) {
                json_object *lo = json_object_new_object();
                json_object_object_add(o, "hostname", json_object_new_string(m.hostname));
                json_object_object_add(o, "version", json_object_new_string(m.version));
                json_object_object_add(o, "roles", roles_json(m.roles));
                json_object_object_add(lo, "cpu_idle", json_object_new_double(idle));
                json_object_object_add(lo, "window_ms", json_object_new_int(STATUS_LOAD_WINDOW_MS));
                json_object_object_add(lo, "load1", json_object_new_double(l1));
                json_object_object_add(lo, "load5", json_object_new_double(l5));
                json_object_object_add(lo, "load15", json_object_new_double(l15));
                json_object_object_add(lo, "memory_available", json_object_new_int64((int64_t) mem));
                json_object_object_add(o, "load", lo);
                json_object_object_add(o, "jobs", ja);
                output_json(o);
        } else {
                json_object_put(o);
                json_object_put(ja);
        }
        strv_free(m.roles);
        return r < 0 ? output_bus_error(NULL, r, "Malformed job list") : EXIT_OK;
}
