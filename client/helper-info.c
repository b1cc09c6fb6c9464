/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "helper-info.h"

#include <stdio.h>
#include <string.h>

#include "exit-codes.h"
#include "hubops-bus.h"
#include "macro.h"
#include "output.h"
#include "strv.h"

int helper_info_get(sd_bus *bus, HelperInfo *ret, sd_bus_error *error) {
        _cleanup_free_ char *version = NULL, *hostname = NULL;
        char **roles = NULL;
        int r;

        r = sd_bus_get_property_string(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "Version",
                                       error, &version);
        if (r >= 0)
                r = sd_bus_get_property_string(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER,
                                               "Hostname", error, &hostname);
        if (r >= 0)
                r = sd_bus_get_property_strv(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "Roles",
                                             error, &roles);
        if (r < 0)
                return r;
        (void) snprintf(ret->version, sizeof(ret->version), "%s", version);
        (void) snprintf(ret->hostname, sizeof(ret->hostname), "%s", hostname);
        ret->roles = roles;
        return 0;
}

void helper_info_done(HelperInfo *h) {
        strv_free(h->roles);
        h->roles = NULL;
}

int helper_error_is_not_offered(const sd_bus_error *e) {
        return e && sd_bus_error_has_names(e, SD_BUS_ERROR_UNKNOWN_METHOD, SD_BUS_ERROR_UNKNOWN_INTERFACE,
                                           SD_BUS_ERROR_UNKNOWN_PROPERTY, SD_BUS_ERROR_UNKNOWN_OBJECT);
}

int helper_role_error(sd_bus *bus, const sd_bus_error *e, int r, const char *what, const char *doing) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        HelperInfo h = { 0 };
        char roles[256] = "";
        size_t n = 0;

        if (!helper_error_is_not_offered(e) || helper_info_get(bus, &h, &error) < 0)
                return output_bus_error(e, r, doing);
        for (char **i = h.roles; i && *i && n < sizeof(roles); i++)
                n += (size_t) snprintf(roles + n, sizeof(roles) - n, "%s%s", n ? ", " : "", *i);
        r = output_error(EXIT_NOT_CONFIGURED, "%s has no %s (its roles: %s)", h.hostname, what,
                         roles[0] ? roles : "none");
        helper_info_done(&h);
        return r;
}
