/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "engine.h"
#include "transport.h"

typedef struct Invocation {
        Target target;
        bool no_wait;
        uint64_t timeout_usec; /* for waiting on jobs and gates; 0 = forever */
        double wait_idle;      /* load --wait-idle PERCENT, as a fraction; < 0: not given */
        uint64_t hold_usec;    /* load --for SPAN */
        const char *site;      /* --site FILE, or NULL */
        const char *audit_run; /* audit list --run RUN, or NULL */
        bool probe;            /* health, site health: run the disk probes first */
        bool fresh;            /* site health: a new sample from every host, not each one's last */
        RunOptions run;        /* runbook start, rebuild-tables, runbook resume */
        struct {
                const char *from, *to;   /* mailbox move --from, --to */
                bool presync_only, checksum;
        } move;
        const char *verb;      /* the command's second word (directory stop -> "stop") */
        char **args;           /* after the command words */
        int n_args;
} Invocation;

/* Each returns an exit code from exit-codes.h, having printed any error. */
int cmd_status(sd_bus *bus, const Invocation *inv);
int cmd_can_run(sd_bus *bus, const Invocation *inv);
int cmd_health(sd_bus *bus, const Invocation *inv);
int cmd_mailbox_survey(sd_bus *bus, const Invocation *inv);
int cmd_mailbox_move(sd_bus *bus, const Invocation *inv);
int cmd_mailbox_retire(sd_bus *bus, const Invocation *inv);
int cmd_hooks_list(sd_bus *bus, const Invocation *inv);
int cmd_hooks_run(sd_bus *bus, const Invocation *inv);
int cmd_jobs(sd_bus *bus, const Invocation *inv);
int cmd_audit_show(sd_bus *bus, const Invocation *inv);
/* audit list --run RUN: bus is NULL, the run names its hosts. */
int cmd_audit_list(sd_bus *bus, const Invocation *inv);
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

/* Manager.ListJobs (helper_list_jobs()) as a table. */
void jobs_print_table(json_object *jobs);
