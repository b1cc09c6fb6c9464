/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "context.h"

/* org.hubops.Helper1.Rebuild (when [Rebuild] is configured): Start() the
 * table rebuild (polkit org.hubops.rebuild.start; its job's Cancel() is
 * org.hubops.rebuild.cancel), and what the last run did. Reads the state
 * file; rebuild_restore() (rebuild.h) re-attaches after a restart. */
int rebuild_register(Context *c);
