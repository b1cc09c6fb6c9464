/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "context.h"

/* Manager.CanRun(s operation, s subject) -> (s answer, s reason), like
 * logind's CanReboot: would this caller be allowed, without acting and
 * without prompting? answer: yes, no or challenge (allowed after
 * authentication). A runbook's preflight asks it for every step it plans.
 * Operations: hook.run NAME, service.start|stop|restart NAME,
 * directory.stop|kill-root|start|restart, rebuild.start, rebuild.cancel. */
int method_can_run(sd_bus_message *m, void *userdata, sd_bus_error *error);
