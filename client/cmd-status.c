/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exit-codes.h"
#include "helper-api.h"
#include "helper-info.h"
#include "hubops-bus.h"
#include "macro.h"
#include "operations.h"
#include "output.h"

#define STATUS_LOAD_WINDOW_MS 250U

static json_object *roles_json(char **roles) {
        json_object *a = json_object_new_array();

        for (char **i = roles; i && *i; i++)
                json_object_array_add(a, json_object_new_string(*i));
        return a;
}

static void print_text(const HelperInfo *m, double idle, const double avg[3], uint64_t mem, json_object *jobs) {
        printf("Host:     %s\nVersion:  %s\nRoles:   ", m->hostname, m->version);
        for (char **i = m->roles; i && *i; i++)
                printf(" %s", *i);
        printf("%s\nCPU idle: %.1f%% (over %ums)\nLoad:     %.2f %.2f %.2f\nMemory:   %.1f MiB available\n",
               m->roles && m->roles[0] ? "" : " -", idle * 100.0, STATUS_LOAD_WINDOW_MS, avg[0], avg[1], avg[2],
               (double) mem / (1024.0 * 1024.0));
        printf("Jobs:\n");
        if (json_object_array_length(jobs) == 0)
                printf("  (none)\n");
        else
                jobs_print_table(jobs);
}

static void print_json(const HelperInfo *m, double idle, const double avg[3], uint64_t mem, json_object *jobs) {
        json_object *o = json_object_new_object(), *lo = json_object_new_object();

        json_object_object_add(o, "hostname", json_object_new_string(m->hostname));
        json_object_object_add(o, "version", json_object_new_string(m->version));
        json_object_object_add(o, "roles", roles_json(m->roles));
        json_object_object_add(lo, "cpu_idle", json_object_new_double(idle));
        json_object_object_add(lo, "window_ms", json_object_new_int(STATUS_LOAD_WINDOW_MS));
        json_object_object_add(lo, "load1", json_object_new_double(avg[0]));
        json_object_object_add(lo, "load5", json_object_new_double(avg[1]));
        json_object_object_add(lo, "load15", json_object_new_double(avg[2]));
        json_object_object_add(lo, "memory_available", json_object_new_int64((int64_t) mem));
        json_object_object_add(o, "load", lo);
        json_object_object_add(o, "jobs", json_object_get(jobs));
        output_json(o);
}

int cmd_status(sd_bus *bus, const Invocation *inv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        HelperInfo m = { 0 };
        json_object *jobs = NULL;
        LoadSample load = { 0 };
        int r;

        (void) inv;
        r = helper_info_get(bus, &m, &error);
        if (r >= 0)
                r = helper_load_sample(bus, STATUS_LOAD_WINDOW_MS, &load, &error);
        if (r >= 0)
                r = helper_list_jobs(bus, &error, &jobs);
        if (r < 0) {
                helper_info_done(&m);
                return output_bus_error(&error, r, "Cannot read the helper's status");
        }

        if (output.json)
                print_json(&m, load.idle, load.avg, load.memory, jobs);
        else
                print_text(&m, load.idle, load.avg, load.memory, jobs);
        json_object_put(jobs);
        helper_info_done(&m);
        return EXIT_OK;
}

/* Refused here, before the helper is asked: an operation it would not know,
 * or a subject missing or extra. The names are those of ListOperations. */
static int can_run_args(const Invocation *inv) {
        const OperationName *op;
        char names[512] = "";
        size_t n = 0;

        if (inv->n_args < 1 || inv->n_args > 2)
                return output_error(EXIT_USAGE, "Usage: hubopsctl can-run OPERATION [SUBJECT]");
        op = operation_name_find(inv->args[0]);
        if (!op) {
                for (size_t i = 0; i < n_operation_names && n < sizeof(names); i++)
                        n += (size_t) snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "",
                                               operation_names[i].name);
                return output_error(EXIT_USAGE, "Unknown operation \"%s\"; operations: %s", inv->args[0], names);
        }
        if (op->subject && !op->subject_optional && inv->n_args != 2)
                return output_error(EXIT_USAGE, "Usage: hubopsctl can-run %s %s (which %s?)", op->name, op->subject,
                                    op->subject);
        if (!op->subject && inv->n_args != 1)
                return output_error(EXIT_USAGE, "Usage: hubopsctl can-run %s (it takes no subject)", op->name);
        return EXIT_OK;
}

int cmd_can_run(sd_bus *bus, const Invocation *inv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *answer, *reason;
        int r;

        r = can_run_args(inv);
        if (r != EXIT_OK)
                return r;
        r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "CanRun", &error,
                               &reply, "ss", inv->args[0], inv->n_args > 1 ? inv->args[1] : "");
        if (r >= 0)
                r = sd_bus_message_read(reply, "ss", &answer, &reason);
        if (r < 0)
                return output_bus_error(&error, r, "Cannot ask");
        if (output.json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "operation", json_object_new_string(inv->args[0]));
                json_object_object_add(o, "answer", json_object_new_string(answer));
                json_object_object_add(o, "reason", json_object_new_string(reason));
                output_json(o);
        } else
                printf("%s (%s)\n", answer, reason);
        return strcmp(answer, "yes") == 0 ? EXIT_OK : EXIT_NOT_AUTHORIZED;
}
