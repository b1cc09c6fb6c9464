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

static int append_input_data(sd_bus_message *m, const void *data, size_t size) {
        int r = append_property(m, "StandardInput", "s", "data");

        if (r >= 0)
                r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "StandardInputData");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "ay");
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', data, size);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

/* A program that handles other people's data (mail) sees the system
 * read-only, writes only its one tree, and has no devices or /tmp of ours.
 * It runs as an unprivileged user, who cannot write kernel tunables or
 * cgroups anyway; ProtectKernelTunables= and ProtectControlGroups= would add
 * nothing, and some container managers refuse them beside ReadWritePaths=. */
static int append_sandbox(sd_bus_message *m, const TransientUnit *u) {
        int r;

        if ((r = append_property(m, "ProtectSystem", "s", "strict")) < 0 ||
            (r = append_property(m, "PrivateTmp", "b", 1)) < 0 ||
            (r = append_property(m, "PrivateDevices", "b", 1)) < 0 ||
            (r = append_property(m, "RestrictSUIDSGID", "b", 1)) < 0 ||
            (r = append_property(m, "UMask", "u", (uint32_t) 0077)) < 0)
                return r;
        if (u->private_network && (r = append_property(m, "PrivateNetwork", "b", 1)) < 0)
                return r;
        if (u->writable_path)
                return sd_bus_message_append(m, "(sv)", "ReadWritePaths", "as", 1, u->writable_path);
        return 0;
}

/* Kept when the unit stops, the next unit of the same directory finds
 * what this one left there (the mailbox move's ssh connection socket); not
 * kept, the manager removes it with whatever is in it. The manager makes it
 * writable under ProtectSystem=. */
static int append_runtime_directory(sd_bus_message *m, const TransientUnit *u) {
        int r = sd_bus_message_append(m, "(sv)", "RuntimeDirectory", "as", 1, u->runtime_directory);

        if (r >= 0)
                r = append_property(m, "RuntimeDirectoryMode", "u", (uint32_t) 0700);
        if (r >= 0)
                r = append_property(m, "RuntimeDirectoryPreserve", "s", u->runtime_directory_kept ? "yes" : "no");
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
        if (u->result_file && (r = append_property(m, "StandardOutputFile", "s", u->result_file)) < 0)
                return r;
        if (u->output_file && ((!u->result_file &&
                                (r = append_property(m, "StandardOutputFileToAppend", "s", u->output_file)) < 0) ||
                               (r = append_property(m, "StandardErrorFileToAppend", "s", u->output_file)) < 0))
                return r;
        if (u->input_data && (r = append_input_data(m, u->input_data, u->input_size)) < 0)
                return r;
        if (u->sandbox && (r = append_sandbox(m, u)) < 0)
                return r;
        if (u->runtime_directory && (r = append_runtime_directory(m, u)) < 0)
                return r;
        return sd_bus_message_close_container(m);
}
