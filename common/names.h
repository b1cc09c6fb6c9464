/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* A hook, service or role name: 1..HUBOPS_NAME_MAX of [A-Za-z0-9_.-], not
 * starting with '.' or '-'. Narrow on purpose: the names end up in unit
 * names, audit records and polkit details, and must need no escaping. */
bool name_is_valid(const char *s);

/* An absolute, normalized path without control characters or "..". */
bool path_is_safe_absolute(const char *s);

/* Printable UTF-8-agnostic text without control characters, at most max bytes. */
bool text_is_printable(const char *s, unsigned max);

/* A systemd unit name we are willing to pass on: [A-Za-z0-9:_.@-], a known
 * suffix (.service, .target, .socket, .timer, .mount, .path), at most 255 bytes. */
bool unit_name_is_valid(const char *s);
