/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "context.h"
#include "request.h"

/* What the health checks run through systemd: the disk probe (fio, a Job
 * that Health.Probe() returns), smartctl (every SmartIntervalSec=) and a
 * read of BackupCheckUnit='s last run. The probe's last result is kept in
 * StateDirectory/health-probe.json across helper restarts. */

#define HEALTH_FIO_PATH "/usr/bin/fio"
#define HEALTH_SMARTCTL_PATH "/usr/sbin/smartctl"

/* Read StateDirectory/health-probe.json, if any, into c->health->probe. */
void health_probe_load(Context *c);

/* Health.Probe()'s act step (after polkit): start the probe unit, reply with its job. */
void health_probe_act(Request *req, void *userdata);

/* health.probe's restore handler (op-table.h): a probe a dead helper left
 * running is followed to its end, and its result becomes the last one. */
void health_probe_restore(Context *c);

/* At each sample: smartctl when due, and BackupCheckUnit='s last run. */
void health_side_checks_start(Context *c);
