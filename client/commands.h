/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "runbook.h"
#include "transport.h"

typedef struct Invocation {
        Target target;
        bool no_wait;
        uint64_t timeout_usec; /* for waiting on jobs and gates; 0 = forever */
        double wait_idle;      /* load --wait-idle PERCENT, as a fraction; < 0: not given */
        uint64_t hold_usec;    /* load --for SPAN */
        const char *site;      /* --site FILE, or NULL */
        bool probe;            /* health, site health: run the disk probes first */
        RunOptions run;        /* rebuild-tables, runbook resume */
        const char *verb;      /* the command's second word (directory stop -> "stop") */
        char **args;           /* after the command words */
        int n_args;
} Invocation;

/* Each returns an exit code from exit-codes.h, having printed any error. */
int cmd_status(sd_bus *bus, const Invocation *inv);
int cmd_can_run(sd_bus *bus, const Invocation *inv);
int cmd_health(sd_bus *bus, const Invocation *inv);
int cmd_hooks_list(sd_bus *bus, const Invocation *inv);
int cmd_hooks_run(sd_bus *bus, const Invocation *inv);
int cmd_jobs(sd_bus *bus, const Invocation *inv);
int cmd_job_cancel(sd_bus *bus, const Invocation *inv);
int cmd_job_wait(sd_bus *bus, const Invocation *inv);
int cmd_job_show(sd_bus *bus, const Invocation *inv);
int cmd_directory_status(sd_bus *bus, const Invocation *inv);
int cmd_directory_verb(sd_bus *bus, const Invocation *inv);
int cmd_service_list(sd_bus *bus, const Invocation *inv);
int cmd_service_status(sd_bus *bus, const Invocation *inv);
int cmd_service_verb(sd_bus *bus, const Invocation *inv);
int cmd_load(sd_bus *bus, const Invocation *inv);
int cmd_rebuild(sd_bus *bus, const Invocation *inv);
/* These reach the hosts of the site config themselves: bus is NULL. */
int cmd_rebuild_tables(sd_bus *bus, const Invocation *inv);
int cmd_runbook(sd_bus *bus, const Invocation *inv);
int cmd_site_status(sd_bus *bus, const Invocation *inv);
int cmd_site_health(sd_bus *bus, const Invocation *inv);

/* Wait until the helper's CPU idle stays >= threshold (a fraction) for
 * hold_usec, sampling every half second; where prefixes the lines ("dirhost: ").
 * Returns EXIT_OK, EXIT_TIMEOUT after timeout_usec (0: never), or another
 * exit code (error printed). *ret_waited: how long it took. */
int load_gate(sd_bus *bus, const char *where, double threshold, uint64_t hold_usec, uint64_t timeout_usec,
              uint64_t *ret_waited);

/* Manager.ListJobs as a JSON array of {id, operation, subject, state, path}. */
int jobs_fetch(sd_bus *bus, sd_bus_error *error, json_object **ret);
void jobs_print_table(json_object *jobs);
