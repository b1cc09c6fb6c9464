/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "context.h"

/* org.hubops.Helper1.Manager: read-only facts about this host; no polkit. */
int manager_register(Context *c);
