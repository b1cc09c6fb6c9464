/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "health.h"
#include "site-config.h"

/* Health of many hosts at once: every host's calls in flight together on
 * one event loop (as site status does), so N hosts cost about one host's
 * time. With probe, each host first runs its disk probe (Health.Probe(), a
 * job followed to its end), all hosts in parallel, then answers Check().
 * max_age_usec: how old a helper's last periodic sample may be to answer
 * (Health.CheckRecent()); HEALTH_FETCH_FRESH asks each for a new sample. */

#define HEALTH_FETCH_FRESH UINT64_C(0)
#define HEALTH_FETCH_RECENT UINT64_MAX /* whatever the helper's SampleIntervalSec= allows */

#define HEALTH_FETCH_ROWS_MAX 128

typedef struct HealthHost {
        const char *name;
        sd_bus *bus;                  /* borrowed */
        const SiteHealthSetting *settings[SITE_HEALTH_SETTINGS_MAX]; /* the thresholds sent with Check() */
        size_t n_settings;
        int error;                    /* < 0: the host could not be asked */
        char problem[256];
        HealthRow rows[HEALTH_FETCH_ROWS_MAX];
        unsigned n_rows;
        HealthState worst;
        char probe_job[128];
        char probe_result[300];       /* the probe job's outcome, or why it did not run */
        bool probe_failed;
        uint64_t sampled_at;          /* the oldest filesystem or kernel row's time; 0: none */
        /* Internal. */
        struct HealthFetch *fetch;
        unsigned polls;
        bool plain_check;             /* the helper knows no CheckRecent(): asked Check() */
} HealthHost;

/* Ask every host (bus set, or error already < 0). Returns 0 once all answered. */
int health_fetch(HealthHost *hosts, unsigned n, bool probe, uint64_t max_age_usec);

/* The host's settings from the site config. */
void health_host_settings(HealthHost *h, const SiteConfig *site, const SiteHost *host);
