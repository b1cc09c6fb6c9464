/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "context.h"
#include "fuzz.h"

/* The helper config of the bus fuzzer; @DIR@ is its scratch directory.
 * Everything the helper registers is configured: two hooks as the lab has
 * them, two services, the directory and the rebuild. systemd is at an
 * address nobody listens on, so nothing is ever started. The directory's
 * processes are programs inside the scratch directory, which holds no
 * program: no PID on the machine can match them, so none is ever signalled.
 * A refusal budget of 4 records: a short input's refusals get past it. */
#define FUZZ_BUS_CONFIG \
        "[Helper]\n" \
        "Hostname=fuzzhost\n" \
        "Roles=directory mailhub\n" \
        "SystemdAddress=unix:path=@DIR@/no-systemd-here\n" \
        "AuditLog=@DIR@/audit.jsonl\n" \
        "StateDirectory=@DIR@/state\n" \
        "JobLogDirectory=@DIR@/jobs\n" \
        "CPUStatSource=@DIR@/cpu-stat\n" \
        "UnitPrefix=hubops-fuzz\n" \
        "CheckPaths=@DIR@ @DIR@/no-such-dir\n" \
        "AuditRefusalBurst=4\n" \
        "AuditRefusalIntervalSec=1h\n" \
        "AuditReserve=64K\n" \
        "\n" \
        "[Hook noop]\n" \
        "Description=Do nothing, successfully\n" \
        "ExecStart=/bin/true\n" \
        "User=nobody\n" \
        "\n" \
        "[Hook slow]\n" \
        "ExecStart=/bin/sleep 60\n" \
        "User=nobody\n" \
        "Group=nogroup\n" \
        "TimeoutSec=500ms\n" \
        "CapabilityBoundingSet=CAP_KILL\n" \
        "\n" \
        "[Service regclient]\n" \
        "Unit=regclient-fuzzhost.service\n" \
        "\n" \
        "[Service broken]\n" \
        "Unit=broken@fuzz.service\n" \
        "\n" \
        "[Directory]\n" \
        "Unit=eddy-fuzzhost.service\n" \
        "RootProcess=@DIR@/no-programs-here/isode.eddy -D @DIR@/dirtables/root\n" \
        "MainProcess=@DIR@/no-programs-here/isode.eddy -D @DIR@/dirtables/main\n" \
        "ReadySocket=@DIR@/dirtables/ready.sock\n" \
        "StopTimeoutSec=1s\n" \
        "KillTimeoutSec=100ms\n" \
        "StartTimeoutSec=1s\n" \
        "\n" \
        "[Rebuild]\n" \
        "ExecStart=@DIR@/no-programs-here/rebuild --all\n" \
        "User=nobody\n" \
        "Group=nogroup\n" \
        "WorkingDirectory=@DIR@\n" \
        "Nice=10\n" \
        "IOSchedulingClass=idle\n" \
        "ExpectedDurationSec=4h\n"

/* The unique name a caller's calls carry when they carry one: only then can
 * the helper ask polkit about the caller (see fuzz-bus.c). */
#define FUZZ_BUS_CALLER_NAME ":1.42"

/* A call's flags byte. */
enum {
        FUZZ_CALL_INTERACTIVE = 1 << 0,     /* allows interactive authorization */
        FUZZ_CALL_NO_REPLY = 1 << 1,        /* expects no reply */
        FUZZ_CALL_AS_ROOT = 1 << 2,         /* on the connection made as root, else as nobody */
        FUZZ_CALL_WITH_NAME = 1 << 3,       /* carries FUZZ_BUS_CALLER_NAME, so polkit can be asked */
        FUZZ_CALL_WRONG_SIGNATURE = 1 << 7, /* arguments of a signature from the input */
};

/* One method call for the helper, from the input: target, flags, argument
 * signature and values, on the caller's connection the flags choose (send it
 * with sd_bus_message_get_bus()). Fails (and the call is skipped) when the
 * input does not make a message sd-bus would send. */
int fuzz_bus_build_call(sd_bus *as_nobody, sd_bus *as_root, FuzzInput *in, sd_bus_message **ret);

/* A sealed reply, as sd-bus hands one to a callback: an error, or a return
 * with the given signature (or, as the input says, a wrong one). */
int fuzz_bus_build_reply(sd_bus *bus, FuzzInput *in, const char *signature, sd_bus_message **ret);

/* An unsealed reply to `call`, for sending: an error or a return, as
 * fuzz_bus_build_reply() makes them. */
int fuzz_bus_build_reply_to(sd_bus_message *call, FuzzInput *in, const char *signature, sd_bus_message **ret);

/* An error reply to `call`: one of the names polkit's callers meet, with a
 * message from the input or none. */
int fuzz_bus_build_error_to(sd_bus_message *call, FuzzInput *in, sd_bus_message **ret);

/* The manager's unique name on the bus, and the systemd job the harness
 * watches while it delivers signals (fuzz-bus.c). */
#define FUZZ_SYSTEMD_OWNER ":1.7"
#define FUZZ_SYSTEMD_JOB "/org/freedesktop/systemd1/job/48"

/* A signal's kind byte. */
enum {
        FUZZ_SIGNAL_NAME_OWNER_CHANGED = 1 << 0, /* the bus daemon's NameOwnerChanged, else systemd's JobRemoved */
        FUZZ_SIGNAL_WRONG_SIGNATURE = 1 << 1,    /* arguments of a signature from the input */
        FUZZ_SIGNAL_UNIT_STATUS = 1 << 2,        /* else: a unit's PropertiesChanged (its StatusText) */
};

/* The fixture's running hook job's unit: a unit whose StatusText is its progress. */
#define FUZZ_STATUS_UNIT "hubops-fuzz-hook-noop-1.service"

/* A signal for hubopsd's connection to systemd, from the input: kind, then
 * the sender (the manager's unique name, the bus daemon's, a caller's,
 * systemd's well-known name, none, or bytes from the input), then the
 * arguments. Sealed, as sd-bus hands a signal to a match callback. Fails
 * (and the signal is skipped) when sd-bus would not make it. */
int fuzz_bus_build_signal(sd_bus *bus, FuzzInput *in, sd_bus_message **ret);

/* ---- the fixture (fuzz-bus-fixture.c): one helper for the whole process ---- */

/* One connection: the helper's end, served by the real vtables, and the
 * fuzzer's end. The caller's uid is the socket's peer credential, fixed when
 * the socket pair is made. */
typedef struct FuzzBusPeer {
        sd_bus *helper;
        sd_bus *caller;
} FuzzBusPeer;

/* The state an input starts from: its second byte. */
enum {
        FUZZ_STATE_CLAIM_MASK = 3,           /* run claim: free, another operator's, nobody's, root's */
        FUZZ_STATE_REBUILD_RUNNING = 1 << 2, /* a rebuild is running, as job 4 */
        FUZZ_STATE_DIRECTORY_BUSY = 1 << 3,  /* a directory operation is running, as job 3 */
        FUZZ_STATE_HISTORY_SHIFT = 4,        /* bits 4-5: how many rebuilds the estimate knows */
};

typedef struct FuzzBusFixture {
        Context context; /* context.bus is nobody.helper: the "system bus", where polkit is asked */
        FuzzBusPeer nobody, root;
        bool verbose; /* FUZZ_BUS_VERBOSE=1: say what happens, for writing seeds */
} FuzzBusFixture;

/* fuzz-bus-namespace.c. Under libFuzzer, as root, unless FUZZ_BUS_HOST_PROC
 * is set: continue in a PID namespace of our own, with its own /proc, so
 * that each look at the directory (a scan of /proc, a few times per
 * Directory call and per read of its properties) reads one process instead
 * of the whole machine's. The process that called this stays outside, only
 * to pass signals in and the exit status out. */
void fuzz_bus_enter_own_pid_namespace(void);
int LLVMFuzzerInitialize(int *argc, char ***argv); /* fuzz-bus.c: calls the above */

/* Set up on first use: scratch directory, config, helper, connections, the
 * fixed jobs (1 running and cancelable, 2 done, 3 running and not cancelable). */
FuzzBusFixture *fuzz_bus_fixture(void);

/* Start an input from the state its state byte names. */
void fuzz_bus_fixture_begin(FuzzBusFixture *f, uint8_t state);

/* Timers the helper armed during this input (GetLoad's window) and has not
 * seen fire: make them due now, as if their time had passed. Before that,
 * `cpu` says what the CPU did meanwhile (CPUStatSource= is a file of ours).
 * Returns whether any was pending. */
bool fuzz_bus_fixture_timers_pending(const FuzzBusFixture *f);
void fuzz_bus_fixture_fire_timers(FuzzBusFixture *f, uint8_t cpu);

/* Back to the state the input began from, and check that nothing else
 * changed: anything that leaked from one input into the next would make a
 * crash depend on what ran before it. Traps if the helper is not as it was. */
void fuzz_bus_fixture_end(FuzzBusFixture *f);
