/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "context.h"

/* org.hubops.Helper1.Directory (when [Directory] is configured): the
 * directory server's state, and Stop/KillRoot/Start/Restart as jobs.
 * polkit action org.hubops.directory.manage, detail verb. */
int directory_register(Context *c);
void directory_unregister(Context *c);
