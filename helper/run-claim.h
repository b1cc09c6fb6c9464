/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

/* The site lock for runbook runs. One run at a time per site: hubopsctl
 * claims it on the directory host's helper before its first change and
 * releases it when the run ends. It outlives clients and helper restarts
 * (StateDirectory/run-claim.json), because an interrupted run is resumed
 * hours later; its owner resumes (the same run id and uid claim again,
 * successfully) or abandons it. */

#define RUN_ID_MAX 64
#define RUN_DESCRIPTION_MAX 256

typedef struct RunClaim {
        bool held;
        char run_id[RUN_ID_MAX + 1];
        char owner[64]; /* the user name at claim time, for messages */
        uint32_t uid;
        uint64_t since; /* CLOCK_REALTIME usec */
        char description[RUN_DESCRIPTION_MAX + 1];
} RunClaim;

/* The state file's JSON, both ways. parse: 0, or -EBADMSG for anything malformed. */
int run_claim_parse(const char *json, RunClaim *ret);
char *run_claim_format(const RunClaim *c);

typedef struct Context Context;
int run_claim_load(Context *c);

int method_claim_run(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_release_run(sd_bus_message *m, void *userdata, sd_bus_error *error);
int property_get_current_run(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error);
