/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "context.h"
#include "health-judge.h"

/* The health sampler: every SampleIntervalSec= (and on demand, for
 * Health.Check()) the cheap checks run in a worker process with a time
 * limit, so a hung filesystem never blocks the event loop. When a check
 * changes state the helper says so three ways: a journal record
 * (MESSAGE_ID below), the Health.StateChanged signal, and the Prometheus
 * textfile (rewritten after every sample, so its timestamp shows it lives). */

#define HEALTH_MESSAGE_ID "3a8f5c2e9b1d4f60a7c4e2b8d1f09c35"
#define HEALTH_STRAY_WORKERS_MAX 8
#define HEALTH_SMART_MAX 8

typedef struct HealthWaiter HealthWaiter;

struct Health {
        Context *context;
        sd_event_source *timer;
        pid_t worker;                 /* 0: none running */
        int worker_fd;
        sd_event_source *worker_io, *worker_timeout;
        HealthSample building;        /* what the running worker has sent so far */
        HealthSample last;            /* the last complete sample */
        bool have_last;
        uint64_t last_done_at;        /* CLOCK_MONOTONIC usec */
        uint64_t last_started_at;     /* CLOCK_MONOTONIC usec: how old the last sample's figures are */
        uint64_t building_started_at; /* CLOCK_MONOTONIC usec of the running worker's start */
        HealthRow rows[HEALTH_ROWS_MAX]; /* the last sample judged by the helper's thresholds */
        unsigned n_rows;
        HealthWaiter *waiters;        /* Check() calls waiting for the running sample */
        pid_t strays[HEALTH_STRAY_WORKERS_MAX]; /* workers stopped or ended, not yet reaped */
        HealthProbeResult probe;      /* the last probe, kept in StateDirectory/health-probe.json */
        HealthSmartResult smart[HEALTH_SMART_MAX];
        unsigned n_smart;
        uint64_t smart_started_at;    /* CLOCK_MONOTONIC usec of the last smartctl round */
        HealthBackupUnit backup_unit;
        uint64_t samples;             /* how many, for the textfile */
};

int health_start(Context *c);
void health_stop(Context *c);

/* Reply to call with the last sample judged under thresholds t if it began
 * less than max_age_usec ago (never older than SampleIntervalSec=); else
 * once a sample newer than now is judged. max_age_usec 0: always fresh. */
int health_check_async(Context *c, sd_bus_message *call, const HealthThresholds *t, uint64_t max_age_usec);

/* The inputs for health_judge() from the last sample and results. */
void health_inputs(const Health *h, const HealthThresholds *t, HealthInputs *ret);

/* Append rows as a(sssdsst) to m. */
int health_append_rows(sd_bus_message *m, const HealthRow *rows, unsigned n);
