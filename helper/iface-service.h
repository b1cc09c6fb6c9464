/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "context.h"

/* org.hubops.Helper1.Service: start/stop/restart the units named by
 * [Service NAME] (e.g. regclient), and nothing else. polkit action
 * org.hubops.service.manage, details service and verb. */
int service_register(Context *c);

/* At start-up: service jobs a previous hubopsd left running (their records,
 * job-record.h). One whose systemd job still runs is followed to its end and
 * ends with systemd's result, as if nothing had happened; one whose systemd
 * job ended unseen ends "interrupted", with the unit's state now. */
void service_restore(Context *c);
