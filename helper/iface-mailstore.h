/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "context.h"

/* org.hubops.Helper1.Mailstore: the mailbox move's operations on this host's
 * mail store (DESIGN.md 2b; dbus/org.hubops.Helper1.xml). */
int mailstore_register(Context *c);
void mailstore_restore(Context *c);
