/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* The polkit text agent, as systemctl runs it: only on a terminal, only for
 * a local, non-root caller, and never with --json or --no-ask-password.
 * Returns true when an agent is up (so the call may be interactive). */
bool agent_open(void);
void agent_close(void);
