/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hubopsctl rebuild: start the table rebuild, watch it, re-attach to it. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exit-codes.h"
#include "helper-info.h"
#include "hubops-bus.h"
#include "job-wait.h"
#include "macro.h"
#include "output.h"
#include "timespan.h"

typedef struct RebuildInfo {
        char state[16];
        char current_job[128];
        char last_result[32];
        uint64_t last_started_at, last_duration, expected;
} RebuildInfo;

static int get_object_path(sd_bus *bus, const char *property, sd_bus_error *error, char **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        int r;

        r = sd_bus_get_property(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_REBUILD, property, error,
                                &reply, "o");
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        *ret = strdup(path);
        return *ret ? 0 : -ENOMEM;
}

static int get_info(sd_bus *bus, RebuildInfo *ret, sd_bus_error *error) {
        _cleanup_free_ char *state = NULL, *job = NULL, *last = NULL;
        int r;

        r = sd_bus_get_property_string(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_REBUILD, "State", error,
                                       &state);
        if (r >= 0)
                r = get_object_path(bus, "CurrentJob", error, &job);
        if (r >= 0)
                r = sd_bus_get_property_string(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_REBUILD,
                                               "LastResult", error, &last);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_REBUILD,
                                                "LastStartedAt", error, 't', &ret->last_started_at);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_REBUILD,
                                                "LastDuration", error, 't', &ret->last_duration);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_REBUILD,
                                                "ExpectedDuration", error, 't', &ret->expected);
        if (r < 0)
                return r;
        (void) snprintf(ret->state, sizeof(ret->state), "%s", state);
        (void) snprintf(ret->current_job, sizeof(ret->current_job), "%s", job);
        (void) snprintf(ret->last_result, sizeof(ret->last_result), "%s", last);
        return 0;
}

static int cmd_start(sd_bus *bus, const Invocation *inv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_REBUILD, "Start", &error, &reply,
                               NULL);
        if (r < 0)
                return helper_role_error(bus, &error, r, "rebuild", "Cannot start the rebuild");
        return job_follow(bus, inv, reply);
}

/* status, wait and cancel all start here: wait and cancel act on the running
 * rebuild, whatever its job id. */
static int read_info(sd_bus *bus, RebuildInfo *b) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = get_info(bus, b, &error);

        return r < 0 ? helper_role_error(bus, &error, r, "rebuild", "Cannot read the rebuild's state") : EXIT_OK;
}

static int cmd_status_rebuild(sd_bus *bus) {
        RebuildInfo b = { 0 };
        char took[32] = "-", expected[32] = "none";
        int r;

        r = read_info(bus, &b);
        if (r != EXIT_OK)
                return r;
        if (output.json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "state", json_object_new_string(b.state));
                json_object_object_add(o, "current_job",
                                       strcmp(b.current_job, "/") ? json_object_new_string(b.current_job) : NULL);
                json_object_object_add(o, "last_result", json_object_new_string(b.last_result));
                json_object_object_add(o, "last_started_at", json_object_new_int64((int64_t) b.last_started_at));
                json_object_object_add(o, "last_duration_usec", json_object_new_int64((int64_t) b.last_duration));
                json_object_object_add(o, "expected_duration_usec", json_object_new_int64((int64_t) b.expected));
                output_json(o);
                return EXIT_OK;
        }
        if (b.last_duration)
                (void) timespan_format(took, sizeof(took), b.last_duration);
        if (b.expected)
                (void) timespan_format(expected, sizeof(expected), b.expected);
        printf("Rebuild:  %s%s%s\nLast run: %s (took %s)\nExpected: %s\n", b.state,
               strcmp(b.current_job, "/") ? " as job " : "",
               strcmp(b.current_job, "/") ? b.current_job + strlen(HUBOPS_JOB_PATH_PREFIX "/") : "",
               b.last_result[0] ? b.last_result : "never", took, expected);
        return EXIT_OK;
}

static int cmd_wait(sd_bus *bus, const Invocation *inv) {
        RebuildInfo b = { 0 };
        int r = read_info(bus, &b);

        if (r != EXIT_OK)
                return r;
        if (strcmp(b.current_job, "/") == 0)
                return output_error(b.last_result[0] && strcmp(b.last_result, "success") != 0 ? EXIT_FAILED : EXIT_OK,
                                    "No rebuild is running; the last one ended: %s",
                                    b.last_result[0] ? b.last_result : "never ran");
        return job_wait_and_report(bus, b.current_job, inv->timeout_usec);
}

static int cmd_cancel(sd_bus *bus) {
        RebuildInfo b = { 0 };
        int r = read_info(bus, &b);

        if (r != EXIT_OK)
                return r;
        if (strcmp(b.current_job, "/") == 0)
                return output_error(EXIT_NOT_CONFIGURED, "No rebuild is running");
        return job_cancel(bus, b.current_job);
}

int cmd_rebuild(sd_bus *bus, const Invocation *inv) {
        if (inv->n_args != 0)
                return output_error(EXIT_USAGE, "Usage: hubopsctl rebuild start|status|wait|cancel");
        if (strcmp(inv->verb, "start") == 0)
                return cmd_start(bus, inv);
        if (strcmp(inv->verb, "status") == 0)
                return cmd_status_rebuild(bus);
        if (strcmp(inv->verb, "wait") == 0)
                return cmd_wait(bus, inv);
        return cmd_cancel(bus);
}
