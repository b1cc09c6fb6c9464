/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "transient-unit.h"

#include <stdarg.h>

static int append_property(sd_bus_message *m, const char *name, const char *type, ...) {
        va_list ap;
        int r;

        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", name);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'v', type);
        if (r < 0)
                return r;
        va_start(ap, type);
        r = sd_bus_message_appendv(m, type, ap);
        va_end(ap);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

static int append_exec_start(sd_bus_message *m, char *const *argv) {
        int r;

        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "ExecStart");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "a(sasb)");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sasb)");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'r', "sasb");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", argv[0]);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char **) argv);
        if (r >= 0)
                r = sd_bus_message_append(m, "b", 0);
        for (int i = 0; r >= 0 && i < 4; i++)
                r = sd_bus_message_close_container(m);
        return r;
}

int transient_unit_append_properties(sd_bus_message *m, const TransientUnit *u) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        if ((r = append_property(m, "Description", "s", u->description)) < 0 ||
            (r = append_property(m, "Type", "s", "oneshot")) < 0 ||
            (r = append_property(m, "RemainAfterExit", "b", 1)) < 0 ||
            (r = append_property(m, "User", "s", u->user)) < 0 ||
            (r = append_property(m, "NoNewPrivileges", "b", 1)) < 0 ||
            (r = append_property(m, "CapabilityBoundingSet", "t", u->capability_mask)) < 0 ||
            (r = append_property(m, "AmbientCapabilities", "t", (uint64_t) 0)) < 0 ||
            (r = append_property(m, "TimeoutStartUSec", "t", u->timeout_usec)) < 0 ||
            (r = append_exec_start(m, u->argv)) < 0)
                return r;
        if (u->group && (r = append_property(m, "Group", "s", u->group)) < 0)
                return r;
        if (u->keep_processes && (r = append_property(m, "KillMode", "s", "process")) < 0)
                return r;
        if (u->notify_access_all && (r = append_property(m, "NotifyAccess", "s", "all")) < 0)
                return r;
        if (u->working_directory && (r = append_property(m, "WorkingDirectory", "s", u->working_directory)) < 0)
                return r;
        if (u->set_nice && (r = append_property(m, "Nice", "i", u->nice)) < 0)
                return r;
        if (u->io_class > 0 && (r = append_property(m, "IOSchedulingClass", "i", u->io_class)) < 0)
                return r;
        if (u->output_file && ((r = append_property(m, "StandardOutputFileToAppend", "s", u->output_file)) < 0 ||
                               (r = append_property(m, "StandardErrorFileToAppend", "s", u->output_file)) < 0))
                return r;
        return sd_bus_message_close_container(m);
}
