/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "fuzz.h"

/* The helper config of the bus fuzzer; %s is its scratch directory (4 times).
 * Two hooks as the lab has them; systemd at an address nobody listens on. */
#define FUZZ_BUS_CONFIG                                 \
        "[Helper]\n"                                    \
        "Hostname=fuzzhost\n"                           \
        "Roles=directory mailhub\n"                     \
        "SystemdAddress=unix:path=%s/no-systemd-here\n" \
        "AuditLog=%s/audit.jsonl\n"                     \
        "StateDirectory=%s/state\n"                     \
        "JobLogDirectory=%s/jobs\n"                     \
        "CPUStatSource=/proc/stat\n"                    \
        "UnitPrefix=hubops-fuzz\n"                      \
        "\n"                                            \
        "[Hook noop]\n"                                 \
        "Description=Do nothing, successfully\n"        \
        "ExecStart=/bin/true\n"                         \
        "User=nobody\n"                                 \
        "\n"                                            \
        "[Hook slow]\n"                                 \
        "ExecStart=/bin/sleep 60\n"                     \
        "User=nobody\n"                                 \
        "Group=nogroup\n"                               \
        "TimeoutSec=500ms\n"                            \
        "CapabilityBoundingSet=CAP_KILL\n"

/* One method call for the helper, from the input: target, flags, argument
 * signature and values. Fails (and the call is skipped) when the input does
 * not make a message sd-bus would send. */
int fuzz_bus_build_call(sd_bus *bus, FuzzInput *in, sd_bus_message **ret);

/* A sealed reply, as sd-bus hands one to a callback: an error, or a return
 * with the given signature (or, as the input says, a wrong one). */
int fuzz_bus_build_reply(sd_bus *bus, FuzzInput *in, const char *signature, sd_bus_message **ret);
