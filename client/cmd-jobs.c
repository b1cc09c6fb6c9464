/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exit-codes.h"
#include "helper-api.h"
#include "helper-info.h"
#include "hubops-bus.h"
#include "job-wait.h"
#include "macro.h"
#include "output.h"

static const char *field(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

/* Columns as wide as their widest cell, as systemctl sizes its tables. */
void jobs_print_table(json_object *jobs) {
        static const char *const keys[] = { "id", "operation", "subject", "state" };
        static const char *const heads[] = { "ID", "OPERATION", "SUBJECT", "STATE" };
        size_t n = json_object_array_length(jobs);
        int w[ELEMENTSOF(keys)];

        for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
                w[k] = (int) strlen(heads[k]);
                for (size_t i = 0; i < n; i++) {
                        int len = (int) strlen(field(json_object_array_get_idx(jobs, i), keys[k]));
                        if (len > w[k])
                                w[k] = len;
                }
        }
        if (!output.no_legend)
                printf("%*s  %-*s %-*s %-*s %s\n", w[0], "ID", w[1], "OPERATION", w[2], "SUBJECT", w[3], "STATE",
                       "PATH");
        for (size_t i = 0; i < n; i++) {
                json_object *j = json_object_array_get_idx(jobs, i);
                printf("%*s  %-*s %-*s %-*s %s\n", w[0], field(j, "id"), w[1], field(j, "operation"), w[2],
                       field(j, "subject"), w[3], field(j, "state"), field(j, "path"));
        }
}

int cmd_jobs(sd_bus *bus, const Invocation *inv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        json_object *jobs;
        int r;

        (void) inv;
        r = helper_list_jobs(bus, &error, &jobs);
        if (r < 0)
                return output_bus_error(&error, r, "Cannot list jobs");
        if (output.json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "jobs", jobs);
                output_json(o);
        } else {
                jobs_print_table(jobs);
                json_object_put(jobs);
        }
        return EXIT_OK;
}

static int job_path_arg(const Invocation *inv, const char *usage, char *buf, size_t size) {
        if (inv->n_args != 1)
                return output_error(EXIT_USAGE, "Usage: %s", usage);
        if (job_path_from_id(inv->args[0], buf, size) < 0)
                return output_error(EXIT_USAGE, "Invalid job id \"%s\" (a positive number)", inv->args[0]);
        return EXIT_OK;
}

int cmd_job_cancel(sd_bus *bus, const Invocation *inv) {
        char path[128];
        int r;

        r = job_path_arg(inv, "hubopsctl job cancel ID", path, sizeof(path));
        return r != EXIT_OK ? r : job_cancel(bus, path);
}

int cmd_job_wait(sd_bus *bus, const Invocation *inv) {
        char path[128];
        int r;

        r = job_path_arg(inv, "hubopsctl job wait ID [--timeout SPAN]", path, sizeof(path));
        return r != EXIT_OK ? r : job_wait_and_report(bus, path, inv->timeout_usec);
}

int cmd_job_show(sd_bus *bus, const Invocation *inv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        char path[128];
        JobInfo j = { 0 };
        int r;

        r = job_path_arg(inv, "hubopsctl job show ID", path, sizeof(path));
        if (r != EXIT_OK)
                return r;
        r = job_info_get(bus, path, &j, &error);
        if (r < 0 && helper_error_is_not_offered(&error))
                return output_error(EXIT_NOT_CONFIGURED,
                                    "No job %s on this host: it never existed, or it ended and was dropped "
                                    "(the helper keeps the last %d finished jobs; see hubopsctl jobs)",
                                    inv->args[0], HUBOPS_JOBS_FINISHED_KEPT);
        if (r < 0)
                return output_bus_error(&error, r, "Cannot read job");
        if (strcmp(j.state, HUBOPS_JOB_RUNNING) == 0 && !output.json) {
                printf("Job %" PRIu64 " (%s %s) running as %s\n", j.id, j.operation, j.subject, j.unit);
                r = EXIT_OK;
        } else
                r = job_report(&j);
        job_info_done(&j);
        /* show reports; it does not fail because the job did. */
        return r == EXIT_FAILED ? EXIT_OK : r;
}
