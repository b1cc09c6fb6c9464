/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "context.h"

/* org.hubops.Helper1.Service: start/stop/restart the units named by
 * [Service NAME] (e.g. regclient), and nothing else. polkit action
 * org.hubops.service.manage, details service and verb. */
int service_register(Context *c);
