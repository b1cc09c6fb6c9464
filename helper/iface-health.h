/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "context.h"

/* org.hubops.Helper1.Health: the checks of DESIGN.md 2a and the disk probe. */
int health_register(Context *c);
