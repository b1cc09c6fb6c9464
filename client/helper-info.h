/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* What a helper says of itself (Manager's Version, Hostname, Roles), and the
 * one place that turns "this helper has no such interface or object" into a
 * sentence an operator can act on. */

typedef struct HelperInfo {
        char version[64];
        char hostname[128];
        char **roles;
} HelperInfo;

int helper_info_get(sd_bus *bus, HelperInfo *ret, sd_bus_error *error);
void helper_info_done(HelperInfo *h);

/* The error says the helper offers no such method, interface, property or
 * object: the host has no such role, or no such (finished) job. */
int helper_error_is_not_offered(const sd_bus_error *e);

/* For a call to a role's interface that failed: when the helper does not
 * offer it, "HOST has no WHAT (its roles: ...)" with exit 6; otherwise as
 * output_bus_error(). Returns the exit code. */
int helper_role_error(sd_bus *bus, const sd_bus_error *e, int r, const char *what, const char *doing);
