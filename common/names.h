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

/* A mail domain as a caller may name it: lowercase letters, digits and '-'
 * in dot-separated labels of 1..63 (no label starting or ending with '-'),
 * 1..253 bytes, no trailing dot. Lowercase only, so one domain has one
 * spelling: it becomes a directory name, a unit instance and an audit field. */
bool domain_name_is_valid(const char *s);

/* A template service unit, "NAME@.service", with a valid NAME. */
bool unit_template_is_valid(const char *s);

/* "NAME@.service" + "INSTANCE" -> "NAME@INSTANCE.service" (malloc'd), or
 * NULL if the template or the result is not a valid unit name, or on OOM.
 * The instance must need no escaping (a valid domain name does not). */
char *unit_template_instance(const char *template_unit, const char *instance);
