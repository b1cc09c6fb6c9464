/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Messages for fuzz-bus.c, built from the input: method calls for the
 * helper's vtables, the answers of the polkit behind the caller, and the
 * replies the helper decodes from polkit and systemd. Values come either
 * from the input's bytes or from dictionaries of what means something to
 * the helper (configured hook and service names, job paths, property and
 * operation names, run ids, the edges of the name, description and window
 * limits), so the fuzzer reaches the deep paths quickly and still tries
 * every byte. */

#include <string.h>

#include "fuzz-bus.h"
#include "hubops-bus.h"
#include "macro.h"

#define JOB_RUNNING_PATH HUBOPS_JOB_PATH_PREFIX "/1"
#define JOB_DONE_PATH HUBOPS_JOB_PATH_PREFIX "/2"
#define JOB_STUCK_PATH HUBOPS_JOB_PATH_PREFIX "/3"
#define IFACE_PROPERTIES "org.freedesktop.DBus.Properties"
#define RAW_STRING_MAX 96
#define ARRAY_MAX 4
#define DEPTH_MAX 4

/* 256 bytes: the longest run description. */
#define D16 "dddddddddddddddd"
#define D64 D16 D16 D16 D16
#define D256 D64 D64 D64 D64

typedef struct Target {
        const char *path;      /* NULL: from the input */
        const char *interface; /* NULL: from the input */
        const char *member;    /* NULL: from the input */
        const char *signature; /* what the method takes */
} Target;

static const Target targets[] = {
        { HUBOPS_OBJECT_PATH, HUBOPS_IFACE_HOOKS, "Run", "s" },
        { HUBOPS_OBJECT_PATH, HUBOPS_IFACE_HOOKS, "List", "" },
        { HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "GetLoad", "u" },
        { HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "ListJobs", "" },
        { HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "ListOperations", "" },
        { JOB_RUNNING_PATH, HUBOPS_IFACE_JOB, "Cancel", "" },
        { JOB_DONE_PATH, HUBOPS_IFACE_JOB, "Cancel", "" },
        { NULL, HUBOPS_IFACE_JOB, "Cancel", "" },
        { HUBOPS_OBJECT_PATH, IFACE_PROPERTIES, "Get", "ss" },
        { NULL, IFACE_PROPERTIES, "GetAll", "s" },
        { NULL, IFACE_PROPERTIES, "Get", "ss" },
        { NULL, IFACE_PROPERTIES, "Set", "ssv" },
        { NULL, "org.freedesktop.DBus.Introspectable", "Introspect", "" },
        { HUBOPS_OBJECT_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", "" },
        { HUBOPS_OBJECT_PATH, "org.freedesktop.DBus.Peer", "Ping", "" },
        { NULL, NULL, NULL, "" },
        /* 16: what the directory and mailhub roles add, and the site lock. */
        { HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "GetHealth", "" },
        { HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "CanRun", "ss" },
        { HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "ClaimRun", "ss" },
        { HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "ReleaseRun", "s" },
        { HUBOPS_OBJECT_PATH, HUBOPS_IFACE_SERVICE, "Start", "s" },
        { HUBOPS_OBJECT_PATH, HUBOPS_IFACE_SERVICE, "Stop", "s" },
        { HUBOPS_OBJECT_PATH, HUBOPS_IFACE_SERVICE, "Restart", "s" },
        { HUBOPS_OBJECT_PATH, HUBOPS_IFACE_SERVICE, "GetState", "s" },
        { HUBOPS_OBJECT_PATH, HUBOPS_IFACE_DIRECTORY, "Stop", "" },
        { HUBOPS_OBJECT_PATH, HUBOPS_IFACE_DIRECTORY, "KillRoot", "" },
        { HUBOPS_OBJECT_PATH, HUBOPS_IFACE_DIRECTORY, "Start", "" },
        { HUBOPS_OBJECT_PATH, HUBOPS_IFACE_DIRECTORY, "Restart", "" },
        { HUBOPS_OBJECT_PATH, HUBOPS_IFACE_REBUILD, "Start", "" },
        { JOB_STUCK_PATH, HUBOPS_IFACE_JOB, "Cancel", "" },
        { HUBOPS_OBJECT_PATH, IFACE_PROPERTIES, "GetAll", "s" },
        { NULL, HUBOPS_IFACE_MANAGER, NULL, "s" },
        /* health.probe's row registers the Health interface here too. */
        { HUBOPS_OBJECT_PATH, HUBOPS_IFACE_HEALTH, "Probe", "" },
        { HUBOPS_OBJECT_PATH, HUBOPS_IFACE_HEALTH, "Check", "a{ss}" },
};

/* Wrong shapes: missing, extra and mistyped arguments, and the two reply shapes. */
static const char *const signatures[] = {
        "", "s", "u", "t", "i", "b", "d", "y", "o", "g", "as", "ay", "a{ss}", "v", "su", "us", "ss", "sss",
        "ssv", "(bba{ss})", "(bb)", "bba{ss}", "(bba{sv})", "a{sv}", "a{ss}", "(sv)", "a(sv)",
};

/* At most 128 entries: an even selector byte picks one. */
static const char *const strings[] = {
        "noop", "slow", "whoami", "nope", "", ".hidden", "-dash", "a b", "../../etc/passwd", "noop\n",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",  /* 64: the longest name */
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65: one too long */
        HUBOPS_IFACE_MANAGER, HUBOPS_IFACE_HOOKS, HUBOPS_IFACE_JOB, "Version", "Hostname", "Roles", "Id",
        "Operation", "Details", "Unit", "StartedAt", "StartedByUID", "State", "Result", "Message", "ExitStatus",
        "FinishedAt", "OutputTail", "ExecMainCode", "ExecMainStatus", "success", "exit-code", "timeout",
        "polkit.retains_authorization_after_challenge",
        /* 36 */
        HUBOPS_IFACE_SERVICE, HUBOPS_IFACE_DIRECTORY, HUBOPS_IFACE_REBUILD, "regclient", "broken",
        "regclient-fuzzhost.service", "MainPID", "RootPID", "MemoryBytes", "CurrentJob", "LastResult",
        "LastStartedAt", "LastDuration", "ExpectedDuration", "CurrentRun", "Phase", "Progress", "ProgressValid",
        "ExpectedEndAt", "EstimateBasis", "AuditId", "hook.run", "service.start", "service.stop",
        "service.restart", "service.reload", "directory.stop", "directory.kill-root", "directory.start",
        "directory.restart", "directory.", "run.claim", "rebuild.start", "rebuild.cancel", "rebuild.",
        "site-run-7", "site-run-8", "Runbook rebuild-tables mailhub2", "tab\there", D256, D256 "d",
        "GetLoad", "ClaimRun", "ReleaseRun", "CanRun", "GetHealth", "ListJobs", "Start", "Stop", "KillRoot",
};

static const char *const paths[] = {
        "/", HUBOPS_OBJECT_PATH, JOB_RUNNING_PATH, JOB_DONE_PATH,
        HUBOPS_JOB_PATH_PREFIX, HUBOPS_JOB_PATH_PREFIX "/0", HUBOPS_JOB_PATH_PREFIX "/01",
        JOB_STUCK_PATH, HUBOPS_JOB_PATH_PREFIX "/18446744073709551615",
        HUBOPS_JOB_PATH_PREFIX "/18446744073709551616", HUBOPS_JOB_PATH_PREFIX "/1/x", "/org/hubops",
        HUBOPS_JOB_PATH_PREFIX "/4",
};

static const char *const error_names[] = {
        SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER, SD_BUS_ERROR_NO_REPLY,
        SD_BUS_ERROR_ACCESS_DENIED, SD_BUS_ERROR_UNKNOWN_OBJECT, "org.freedesktop.PolicyKit1.Error.Failed",
        "org.freedesktop.PolicyKit1.Error.Cancelled", SD_BUS_ERROR_TIMEOUT,
};

_Static_assert(ELEMENTSOF(strings) <= 128, "an even selector byte reaches 128 strings");

/* Who a signal to the systemd connection may say it is from ("": no sender). */
static const char *const signal_senders[] = {
        FUZZ_SYSTEMD_OWNER, "org.freedesktop.DBus", FUZZ_BUS_CALLER_NAME, "org.freedesktop.systemd1", ":1.8", "",
};

/* NameOwnerChanged's names and JobRemoved's unit and result. */
static const char *const signal_strings[] = {
        "org.freedesktop.systemd1", FUZZ_SYSTEMD_OWNER, ":1.8", "", "hubops-fuzz-hook-slow-1.service", "done",
        "canceled", "failed", "timeout", FUZZ_BUS_CALLER_NAME, "org.hubops.Helper1",
};

/* A unit's StatusText: progress in the grammar (helper/unit-status.h) or not. */
static const char *const status_texts[] = {
        "files 1/4 bytes 1024/4096", "files 4/4", "files 5/4", "bytes 0/1", "", "Processing requests...",
        "files 1/4 files 2/4", "files 1/0",
};

/* PropertiesChanged's unit (the fixture's running hook's, another) and interface. */
static const char *const status_units[] = {
        FUZZ_STATUS_UNIT, "hubops-fuzz-hook-noop-2.service", "",
};
static const char *const status_interfaces[] = {
        "org.freedesktop.systemd1.Service", "org.freedesktop.systemd1.Unit", "",
};

static const char *const signal_paths[] = {
        FUZZ_SYSTEMD_JOB, "/org/freedesktop/systemd1/job/49", "/",
};

/* What a variant may hold. */
static const char variant_types[] = { 's', 'u', 'i', 'b', 't', 'o' };

/* GetLoad's window_ms around its limits (10..60000), and exit codes/signals. */
static const uint32_t numbers[] = { 0, 1, 9, 10, 11, 59999, 60000, 60001, 2, 3, 6, 9, 64, 65, UINT32_MAX };

static int append_type(sd_bus_message *m, FuzzInput *in, const char *sig, unsigned depth);

/* A string from the dictionary (even selector) or raw bytes (odd). */
static const char *take_string(FuzzInput *in, const char *const *dict, size_t n_dict, char buf[RAW_STRING_MAX + 1]) {
        uint8_t selector = fuzz_take_u8(in);
        const uint8_t *raw;
        size_t len;

        if (selector % 2 == 0)
                return dict[(selector / 2) % n_dict];
        len = fuzz_take_bytes(in, RAW_STRING_MAX, &raw);
        memcpy(buf, raw, len);
        buf[len] = '\0';
        return buf;
}

static uint64_t take_number(FuzzInput *in, unsigned bytes) {
        uint8_t selector = fuzz_take_u8(in);

        return selector < 128 ? numbers[selector % ELEMENTSOF(numbers)] : fuzz_take_uint(in, bytes);
}

static int append_basic(sd_bus_message *m, FuzzInput *in, char type) {
        char buf[RAW_STRING_MAX + 1];
        union {
                uint64_t u64;
                uint32_t u32;
                int32_t i32;
                int b;
                uint8_t u8;
                double d;
        } v;

        switch (type) {
        case 's':
        case 'g':
                return sd_bus_message_append_basic(m, type, take_string(in, strings, ELEMENTSOF(strings), buf));
        case 'o':
                return sd_bus_message_append_basic(m, type, take_string(in, paths, ELEMENTSOF(paths), buf));
        case 'u':
                v.u32 = (uint32_t) take_number(in, 4);
                break;
        case 'i':
                v.i32 = (int32_t) take_number(in, 4);
                break;
        case 't':
                v.u64 = take_number(in, 8);
                break;
        case 'b':
                v.b = fuzz_take_u8(in) & 1;
                break;
        case 'y':
                v.u8 = fuzz_take_u8(in);
                break;
        case 'd':
                v.u64 = fuzz_take_uint(in, 8);
                break;
        default:
                return -EINVAL;
        }
        return sd_bus_message_append_basic(m, type, &v);
}

/* Signatures nest, so the next three recurse; they only ever see this
 * file's own tables, and append_type() stops at DEPTH_MAX. */

/* Length of the complete type at sig ("a{sv}" in "a{sv}s" is 5). */
/* NOLINTNEXTLINE(misc-no-recursion): bounded, see above */
static size_t complete_type_length(const char *sig) {
        size_t l = 1;

        if (sig[0] == 'a')
                return 1 + complete_type_length(sig + 1);
        if (sig[0] != '(' && sig[0] != '{')
                return 1;
        while (sig[l] && sig[l] != (sig[0] == '(' ? ')' : '}'))
                l += complete_type_length(sig + l);
        return sig[l] ? l + 1 : l;
}

/* NOLINTNEXTLINE(misc-no-recursion): bounded, see complete_type_length() */
static int append_container(sd_bus_message *m, FuzzInput *in, char type, const char *contents, unsigned depth) {
        unsigned n = type == 'a' ? fuzz_take_u8(in) % (ARRAY_MAX + 1) : 1;
        int r;

        r = sd_bus_message_open_container(m, type, contents);
        for (unsigned i = 0; r >= 0 && i < n; i++)
                for (const char *p = contents; r >= 0 && *p; p += complete_type_length(p)) {
                        char one[32] = "";
                        (void) snprintf(one, sizeof(one), "%.*s", (int) complete_type_length(p), p);
                        r = append_type(m, in, one, depth + 1);
                        if (type == 'a')
                                break; /* an array's contents is one complete type */
                }
        return r < 0 ? r : sd_bus_message_close_container(m);
}

/* One complete type: basic, array, struct, dict entry or variant. */
/* NOLINTNEXTLINE(misc-no-recursion): bounded by DEPTH_MAX, see complete_type_length() */
static int append_type(sd_bus_message *m, FuzzInput *in, const char *sig, unsigned depth) {
        char contents[32];
        size_t l = complete_type_length(sig);

        if (depth > DEPTH_MAX || l >= sizeof(contents))
                return -E2BIG;
        switch (sig[0]) {
        case 'a':
                (void) snprintf(contents, sizeof(contents), "%.*s", (int) l - 1, sig + 1);
                return append_container(m, in, 'a', contents, depth);
        case '(':
        case '{':
                (void) snprintf(contents, sizeof(contents), "%.*s", (int) l - 2, sig + 1);
                return append_container(m, in, sig[0] == '(' ? 'r' : 'e', contents, depth);
        case 'v':
                contents[0] = variant_types[fuzz_take_u8(in) % ELEMENTSOF(variant_types)];
                contents[1] = '\0';
                return append_container(m, in, 'v', contents, depth);
        default:
                return append_basic(m, in, sig[0]);
        }
}

static int append_arguments(sd_bus_message *m, FuzzInput *in, const char *signature) {
        int r = 0;

        for (const char *p = signature; r >= 0 && *p; p += complete_type_length(p)) {
                char one[32];
                (void) snprintf(one, sizeof(one), "%.*s", (int) complete_type_length(p), p);
                r = append_type(m, in, one, 0);
        }
        return r;
}

int fuzz_bus_build_call(sd_bus *as_nobody, sd_bus *as_root, FuzzInput *in, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        const Target *t = &targets[fuzz_take_u8(in) % ELEMENTSOF(targets)];
        char path_buf[RAW_STRING_MAX + 1], iface_buf[RAW_STRING_MAX + 1], member_buf[RAW_STRING_MAX + 1];
        const char *path = t->path, *interface = t->interface, *member = t->member, *signature = t->signature;
        uint8_t flags = fuzz_take_u8(in);
        int r;

        if (!path)
                path = take_string(in, paths, ELEMENTSOF(paths), path_buf);
        if (!interface)
                interface = take_string(in, strings, ELEMENTSOF(strings), iface_buf);
        if (!member)
                member = take_string(in, strings, ELEMENTSOF(strings), member_buf);
        if (flags & FUZZ_CALL_WRONG_SIGNATURE)
                signature = signatures[fuzz_take_u8(in) % ELEMENTSOF(signatures)];

        /* No destination: a direct connection, as to systemd's private socket. */
        r = sd_bus_message_new_method_call(flags & FUZZ_CALL_AS_ROOT ? as_root : as_nobody, &m, NULL, path,
                                           interface, member);
        if (r < 0)
                return r;
        if (flags & FUZZ_CALL_WITH_NAME) {
                r = sd_bus_message_set_sender(m, FUZZ_BUS_CALLER_NAME);
                if (r < 0)
                        return r;
        }
        (void) sd_bus_message_set_allow_interactive_authorization(m, flags & FUZZ_CALL_INTERACTIVE);
        (void) sd_bus_message_set_expect_reply(m, !(flags & FUZZ_CALL_NO_REPLY));
        r = append_arguments(m, in, signature);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

int fuzz_bus_build_error_to(sd_bus_message *call, FuzzInput *in, sd_bus_message **ret) {
        uint8_t flags = fuzz_take_u8(in);
        char buf[RAW_STRING_MAX + 1];
        const char *message = flags & 1 ? take_string(in, strings, ELEMENTSOF(strings), buf) : NULL;
        sd_bus_error e = SD_BUS_ERROR_MAKE_CONST(error_names[(flags >> 1) % ELEMENTSOF(error_names)], message);

        return sd_bus_message_new_method_error(call, ret, &e);
}

int fuzz_bus_build_reply_to(sd_bus_message *call, FuzzInput *in, const char *signature, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        uint8_t flags = fuzz_take_u8(in);
        int r;

        if (flags & 1)
                return fuzz_bus_build_error_to(call, in, ret);
        if (flags & 0x80)
                signature = signatures[fuzz_take_u8(in) % ELEMENTSOF(signatures)];
        r = sd_bus_message_new_method_return(call, &m);
        if (r >= 0)
                r = append_arguments(m, in, signature);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

int fuzz_bus_build_reply(sd_bus *bus, FuzzInput *in, const char *signature, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *m = NULL;
        int r;

        /* A reply needs a sealed call to answer; sd-bus hands callbacks sealed,
         * rewound replies. Fixed cookies: nothing about one input leaks into the next. */
        r = sd_bus_message_new_method_call(bus, &call, NULL, "/", "org.example", "Call");
        if (r >= 0)
                r = sd_bus_message_seal(call, 1, 0);
        if (r >= 0)
                r = fuzz_bus_build_reply_to(call, in, signature, &m);
        if (r >= 0)
                r = sd_bus_message_seal(m, 2, 0);
        if (r >= 0)
                r = sd_bus_message_rewind(m, true);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

static int append_signal_arguments(sd_bus_message *m, FuzzInput *in, uint8_t kind) {
        char buf[3][RAW_STRING_MAX + 1];
        const char *a, *b, *c;
        uint32_t id;

        if (kind & FUZZ_SIGNAL_WRONG_SIGNATURE)
                return append_arguments(m, in, signatures[fuzz_take_u8(in) % ELEMENTSOF(signatures)]);
        /* One at a time: the order of a call's arguments is unspecified, the input's is not. */
        if (kind & FUZZ_SIGNAL_NAME_OWNER_CHANGED) {
                a = take_string(in, signal_strings, ELEMENTSOF(signal_strings), buf[0]);
                b = take_string(in, signal_strings, ELEMENTSOF(signal_strings), buf[1]);
                c = take_string(in, signal_strings, ELEMENTSOF(signal_strings), buf[2]);
                return sd_bus_message_append(m, "sss", a, b, c);
        }
        if (kind & FUZZ_SIGNAL_UNIT_STATUS) {
                a = take_string(in, status_interfaces, ELEMENTSOF(status_interfaces), buf[0]);
                b = take_string(in, signal_strings, ELEMENTSOF(signal_strings), buf[1]);
                c = take_string(in, status_texts, ELEMENTSOF(status_texts), buf[2]);
                /* Another property first, sometimes: StatusText is found among others. */
                return fuzz_take_u8(in) & 1
                               ? sd_bus_message_append(m, "sa{sv}as", a, 2, b, "s", "x", "StatusText", "s", c, 0)
                               : sd_bus_message_append(m, "sa{sv}as", a, 1, "StatusText", "s", c, 0);
        }
        id = (uint32_t) take_number(in, 4);
        a = take_string(in, signal_paths, ELEMENTSOF(signal_paths), buf[0]);
        b = take_string(in, signal_strings, ELEMENTSOF(signal_strings), buf[1]);
        c = take_string(in, signal_strings, ELEMENTSOF(signal_strings), buf[2]);
        return sd_bus_message_append(m, "uoss", id, a, b, c);
}

int fuzz_bus_build_signal(sd_bus *bus, FuzzInput *in, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        uint8_t kind = fuzz_take_u8(in);
        char buf[RAW_STRING_MAX + 1];
        const char *sender;
        int r;

        if (kind & FUZZ_SIGNAL_NAME_OWNER_CHANGED)
                r = sd_bus_message_new_signal(bus, &m, "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                              "NameOwnerChanged");
        else if (kind & FUZZ_SIGNAL_UNIT_STATUS) {
                _cleanup_free_ char *path = NULL;
                const char *unit = take_string(in, status_units, ELEMENTSOF(status_units), buf);

                r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &path);
                if (r >= 0)
                        r = sd_bus_message_new_signal(bus, &m, path, "org.freedesktop.DBus.Properties",
                                                      "PropertiesChanged");
        } else
                r = sd_bus_message_new_signal(bus, &m, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                              "JobRemoved");
        if (r < 0)
                return r;
        sender = take_string(in, signal_senders, ELEMENTSOF(signal_senders), buf);
        if (sender[0] != '\0' && (r = sd_bus_message_set_sender(m, sender)) < 0)
                return r;
        r = append_signal_arguments(m, in, kind);
        /* A fixed cookie: nothing about one input leaks into the next. */
        if (r >= 0)
                r = sd_bus_message_seal(m, 3, 0);
        if (r >= 0)
                r = sd_bus_message_rewind(m, true);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}
