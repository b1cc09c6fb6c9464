/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

/* Believe no signal for its sender's well-known name (DESIGN.md section 7).
 * On a dbus-daemon bus any local user may send a unicast signal to any
 * connection, and sd-bus lets a match's well-known sender through for any
 * unique name: a match rule proves nothing. A signal counts only when its
 * sender, which the bus daemon sets and no client can forge, is the unique
 * name that owns the service now, or the bus daemon itself. */

#define BUS_DAEMON_NAME "org.freedesktop.DBus"
#define BUS_DAEMON_PATH "/org/freedesktop/DBus"

/* Whether the bus set m's sender to unique (a unique name, or BUS_DAEMON_NAME).
 * NULL or "" (no owner known) matches nothing. */
bool bus_message_sent_by(sd_bus_message *m, const char *unique);

/* A NameOwnerChanged about name, sent by the bus daemon itself: 1 and the
 * name's new owner ("" when it left) in *ret_new_owner; 0 for any other
 * message (forged, or about another name); negative if malformed. */
int bus_name_owner_changed(sd_bus_message *m, const char *name, const char **ret_new_owner);
