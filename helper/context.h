/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "config.h"

typedef struct Audit Audit;
typedef struct Job Job;

/* All of hubopsd's state, owned by run() in main.c. */
typedef struct Context {
        sd_event *event;
        sd_bus *bus;            /* the system bus, where org.hubops.Helper1 lives */
        sd_bus *systemd;        /* connection to the systemd manager; NULL until needed */
        sd_bus_slot *job_removed_slot;
        HelperConfig *config;
        Audit *audit;
        Job *jobs;              /* newest first */
        unsigned n_jobs;
        uint64_t last_job_id;   /* persisted in StateDirectory, so paths are never reused */
        uint64_t authz_serial;  /* for polkit cancellation ids */
} Context;
