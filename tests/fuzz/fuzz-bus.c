/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hubopsd's D-Bus surface under fuzzed calls. The real vtables (Manager,
 * Hooks, Service, Directory, Rebuild, Job, plus sd-bus's Properties,
 * Introspectable, ObjectManager) serve two connections, one made as root
 * and one as nobody (fuzz-bus-fixture.c); the fuzzer is the caller at the
 * other ends, and the polkit behind them.
 *
 * A root caller is allowed without polkit. A call from nobody that carries
 * a bus name (FUZZ_BUS_CALLER_NAME) makes the helper ask polkit about that
 * name, on the same connection: the fuzzer answers each CheckAuthorization
 * from the input (yes, no, challenge, an error, any reply at all, or the
 * caller leaving first: NameOwnerChanged, and NameHasOwner says so from
 * then on), so the act step after a "yes" is fuzzed for an unprivileged
 * caller too. A call from nobody without a name cannot be asked about and
 * is denied. No systemd is reachable: every act that needs one must end in
 * an error reply. Every call that expects a reply must get exactly one,
 * never a crash, a leak or a hang.
 *
 * Then the replies the helper decodes from the other side: polkit's
 * CheckAuthorization result and systemd's GetAll(Service) outcome, as
 * errors, well-typed returns with fuzzed values, or mistyped returns.
 *
 * Then signals for the helper's connection to systemd, which any local
 * user may send on a bus (DESIGN.md section 7): JobRemoved and
 * NameOwnerChanged with any sender, handed to the match callback, with the
 * connection on a bus (systemd's name owned by FUZZ_SYSTEMD_OWNER at first)
 * or on the private socket, and one job watched. The watch must hear a
 * JobRemoved for its job exactly when it comes from the manager: on a bus,
 * the name's owner as the bus daemon last said, never anyone else.
 *
 * libsystemd 252 exports no function that parses a raw message from bytes
 * (bus_message_from_malloc() is internal), so calls are built with
 * sd_bus_message_append*() from the input: target (path, interface, member)
 * from a table or from the input, argument signature from a table of right
 * and wrong ones, values from the input or from a dictionary of the names
 * that mean something here.
 *
 * The input, in order:
 *   byte 0   bits 0-2: calls - 1 (calls stop early where the input ends);
 *            bits 3-4: replies to decode; bits 5-6: signals to deliver
 *   byte 1   the state the helper starts from (FUZZ_STATE_* in fuzz-bus.h)
 *   calls    each: target, flags (FUZZ_CALL_*), arguments
 *   answers  consumed as the helper asks, whenever it has nothing else to do:
 *            one byte per polkit check, oldest first (ANSWER_*, plus what
 *            an error or free-form reply takes), and one byte for the CPU
 *            counters when pending GetLoad windows are made to end
 *   replies  to decode
 *   signals  if any: a byte (bit 0: systemd on a bus, else its private
 *            socket), then each signal (fuzz_bus_build_signal)
 * Past its end the input reads as zeros: polkit says yes, no CPU time passes.
 * The seeds (corpus/bus) are written by make-bus-seeds, which spells them out
 * in these terms. */

#include <stdio.h>
#include <string.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "authz.h"
#include "fuzz-bus.h"
#include "fuzz.h"
#include "job.h"
#include "macro.h"
#include "systemd-client.h"

#define CALLS_MAX 8
#define CHECKS_MAX 16
#define POSTPONES_MAX 16
#define ROUNDS_MAX 256
#define POLKIT_IFACE "org.freedesktop.PolicyKit1.Authority"
#define DBUS_NAME "org.freedesktop.DBus"

/* What polkit does with a check: the low 3 bits of its byte. */
enum {
        ANSWER_YES,
        ANSWER_NO,
        ANSWER_CHALLENGE,
        ANSWER_DISMISSED,   /* no, after the user dismissed the dialog */
        ANSWER_ERROR,       /* an error reply (fuzz_bus_build_error_to) */
        ANSWER_ANY,         /* any reply, well-typed or not (fuzz_bus_build_reply_to) */
        ANSWER_CALLER_LEFT, /* NameOwnerChanged first (bit 3: the name only moved), then a late yes */
        ANSWER_POSTPONE,    /* answer the others first */
        ANSWER_NAME_MOVED = 8,
        ANSWER_FORGED = 16, /* with ANSWER_CALLER_LEFT: the caller itself sent it, not the bus daemon */
};

typedef struct Harness {
        FuzzBusFixture *f;
        FuzzInput in;
        unsigned replies_pending;
        sd_bus_message *checks[CHECKS_MAX]; /* CheckAuthorization calls not answered yet, oldest first */
        unsigned n_checks;
        unsigned postponed;
        bool caller_left; /* FUZZ_BUS_CALLER_NAME has left the bus */
        /* While signals are delivered: what the helper must believe. */
        bool via_bus;
        char systemd_owner[sizeof(((Context *) NULL)->systemd_owner)];
        bool watching, heard;
} Harness;

static void run_until_idle(sd_event *e) {
        while (sd_event_run(e, 0) > 0)
                ;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Harness *h = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        (void) error;
        h->replies_pending--;
        if (h->f->verbose)
                fprintf(stderr, "fuzz-bus: reply %s%s%s\n", e ? e->name : "return ",
                        e ? ": " : sd_bus_message_get_signature(m, true), e && e->message ? e->message : "");
        return 0;
}

static int keep_check(Harness *h, sd_bus_message *m) {
        const char *action = "?";
        uint32_t flags = 0;

        if (h->n_checks >= CHECKS_MAX) {
                fprintf(stderr, "fuzz-bus: more than %d polkit checks at once\n", CHECKS_MAX);
                abort(); /* a limit of the harness, not a finding */
        }
        h->checks[h->n_checks++] = sd_bus_message_ref(m);
        if (h->f->verbose && sd_bus_message_skip(m, "(sa{sv})") >= 0 && sd_bus_message_read(m, "s", &action) >= 0 &&
            sd_bus_message_skip(m, "a{ss}") >= 0 && sd_bus_message_read(m, "u", &flags) >= 0)
                fprintf(stderr, "fuzz-bus: polkit asked about %s%s\n", action, flags & 1 ? " (interactive)" : "");
        return 1;
}

/* The bus daemon knows who is connected: the caller, until it leaves. */
static void answer_name_has_owner(Harness *h, sd_bus_message *m) {
        const char *name = NULL;
        bool connected;

        if (sd_bus_message_read(m, "s", &name) < 0) {
                (void) sd_bus_reply_method_errorf(m, SD_BUS_ERROR_INVALID_ARGS, "Invalid arguments");
                return;
        }
        connected = strcmp(name, FUZZ_BUS_CALLER_NAME) == 0 && !h->caller_left;
        if (h->f->verbose)
                fprintf(stderr, "fuzz-bus: the bus says %s is %s\n", name, connected ? "there" : "gone");
        (void) sd_bus_reply_method_return(m, "b", connected);
}

/* The callers' side of both connections, which is also the bus daemon and
 * polkit: polkit's checks are kept to be answered from the input, the bus
 * daemon answers NameHasOwner, and any other call gets what a peer that
 * does not know it says (CancelCheckAuthorization expects no reply at all).
 * Signals and replies go on to the reply callbacks. */
static int on_caller_message(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Harness *h = userdata;

        (void) error;
        if (sd_bus_message_is_method_call(m, POLKIT_IFACE, "CheckAuthorization") > 0)
                return keep_check(h, m);
        if (sd_bus_message_is_method_call(m, DBUS_NAME, "NameHasOwner") > 0) {
                answer_name_has_owner(h, m);
                return 1;
        }
        if (sd_bus_message_is_method_call(m, NULL, NULL) <= 0)
                return 0;
        (void) sd_bus_reply_method_errorf(m, SD_BUS_ERROR_UNKNOWN_METHOD, "Unknown method %s.%s",
                                          sd_bus_message_get_interface(m), sd_bus_message_get_member(m));
        return 1;
}

static void send_calls(Harness *h, unsigned n) {
        FuzzBusFixture *f = h->f;

        /* Only while the input lasts: zeros would only repeat the first target. */
        for (unsigned i = 0; i < n && (i == 0 || h->in.size > 0); i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                sd_bus *bus;

                if (fuzz_bus_build_call(f->nobody.caller, f->root.caller, &h->in, &m) < 0)
                        continue; /* not a message sd-bus would send: nothing to test */
                bus = sd_bus_message_get_bus(m);
                if (f->verbose)
                        fprintf(stderr, "fuzz-bus: call %s %s.%s(%s) as %s%s\n", sd_bus_message_get_path(m),
                                sd_bus_message_get_interface(m), sd_bus_message_get_member(m),
                                sd_bus_message_get_signature(m, true), bus == f->root.caller ? "root" : "nobody",
                                sd_bus_message_get_sender(m) ? " with a bus name" : "");
                if (!sd_bus_message_get_expect_reply(m)) {
                        (void) sd_bus_send(bus, m, NULL);
                        continue;
                }
                if (sd_bus_call_async(bus, NULL, m, on_reply, h, 0) >= 0)
                        h->replies_pending++;
        }
}

static int make_verdict(sd_bus_message *call, int authorized, int challenge, const char *detail, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_return(call, &m);
        if (r >= 0)
                r = detail ? sd_bus_message_append(m, "(bba{ss})", authorized, challenge, 1, detail, "true")
                           : sd_bus_message_append(m, "(bba{ss})", authorized, challenge, 0);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

/* What the bus daemon says when the caller's name goes away (or moves);
 * forged: what the caller itself may send, to look like it. */
static int send_owner_changed(sd_bus *bus, bool gone, bool forged) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_signal(bus, &m, "/org/freedesktop/DBus", DBUS_NAME, "NameOwnerChanged");
        if (r >= 0)
                r = sd_bus_message_set_sender(m, forged ? FUZZ_BUS_CALLER_NAME : DBUS_NAME);
        if (r >= 0)
                r = sd_bus_message_append(m, "sss", FUZZ_BUS_CALLER_NAME, FUZZ_BUS_CALLER_NAME, gone ? "" : ":1.43");
        if (r >= 0)
                r = sd_bus_send(bus, m, NULL);
        return r;
}

static int make_answer(Harness *h, sd_bus_message *call, uint8_t a, sd_bus_message **ret) {
        switch (a % 8) {
        case ANSWER_NO:
                return make_verdict(call, 0, 0, NULL, ret);
        case ANSWER_CHALLENGE:
                return make_verdict(call, 0, 1, NULL, ret);
        case ANSWER_DISMISSED:
                return make_verdict(call, 0, 0, "polkit.dismissed", ret);
        case ANSWER_ERROR:
                return fuzz_bus_build_error_to(call, &h->in, ret);
        case ANSWER_ANY:
                return fuzz_bus_build_reply_to(call, &h->in, "(bba{ss})", ret);
        case ANSWER_CALLER_LEFT:
                /* Sent first, so the helper has seen it when the yes arrives. */
                h->caller_left = h->caller_left || !(a & (ANSWER_NAME_MOVED | ANSWER_FORGED));
                (void) send_owner_changed(sd_bus_message_get_bus(call), !(a & ANSWER_NAME_MOVED), a & ANSWER_FORGED);
                return make_verdict(call, 1, 0, NULL, ret);
        default:
                return make_verdict(call, 1, 0, NULL, ret);
        }
}

static void answer_check(Harness *h) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = h->checks[0], *reply = NULL;
        uint8_t a = fuzz_take_u8(&h->in);

        h->n_checks--;
        for (unsigned i = 0; i < h->n_checks; i++)
                h->checks[i] = h->checks[i + 1];
        if (a % 8 == ANSWER_POSTPONE && h->n_checks > 0 && h->postponed < POSTPONES_MAX) {
                h->postponed++;
                h->checks[h->n_checks++] = TAKE_PTR(call);
                return;
        }
        if (h->f->verbose)
                fprintf(stderr, "fuzz-bus: polkit answers %u\n", (unsigned) a % 8);
        if (make_answer(h, call, a, &reply) >= 0)
                (void) sd_bus_send(NULL, reply, NULL);
        else {
                /* No reply could be made from the input: polkit's silence, as the timeout ends it. */
                sd_bus_error e = SD_BUS_ERROR_MAKE_CONST(SD_BUS_ERROR_NO_REPLY, "Connection timed out");
                (void) sd_bus_reply_method_error(call, &e);
        }
}

/* Until the helper has nothing left to do: each time it is idle, polkit
 * answers the oldest check, else the pending GetLoad windows end. */
static void settle(Harness *h) {
        FuzzBusFixture *f = h->f;

        for (unsigned round = 0;; round++) {
                if (round >= ROUNDS_MAX) {
                        fprintf(stderr, "fuzz-bus: the helper keeps finding more to do\n");
                        __builtin_trap();
                }
                run_until_idle(f->context.event);
                if (h->n_checks > 0)
                        answer_check(h);
                else if (fuzz_bus_fixture_timers_pending(f))
                        fuzz_bus_fixture_fire_timers(f, fuzz_take_u8(&h->in));
                else
                        return;
        }
}

/* Decode what polkit and systemd might answer. */
static void decode_replies(Harness *h, unsigned n) {
        for (unsigned i = 0; i < n; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                bool from_polkit = fuzz_take_u8(&h->in) % 2 == 0;
                const char *reason = NULL;
                ServiceOutcome o;
                int r;

                if (fuzz_bus_build_reply(h->f->nobody.caller, &h->in, from_polkit ? "(bba{ss})" : "a{sv}", &m) < 0)
                        continue;
                if (from_polkit) {
                        AuthzVerdict v = authz_verdict_from_reply(m, &reason);
                        if (h->f->verbose)
                                fprintf(stderr, "fuzz-bus: polkit verdict %s (%s)\n", authz_verdict_to_string(v),
                                        reason ? reason : "?");
                        /* The reason goes into the audit record and the caller's error message. */
                        if (!reason || strlen(reason) == 0 || (unsigned) v > AUTHZ_CALLER_GONE)
                                __builtin_trap();
                        continue;
                }
                r = systemd_decode_outcome(m, &o);
                if (h->f->verbose)
                        fprintf(stderr, "fuzz-bus: systemd outcome %d: %s %d %d\n", r, r == 0 ? o.result : "-",
                                r == 0 ? o.exit_code : 0, r == 0 ? o.exit_status : 0);
                if (r == 0 && (o.result[0] == '\0' || !memchr(o.result, '\0', sizeof(o.result))))
                        __builtin_trap(); /* the Result word goes into audit records and messages */
        }
}

static void on_watched_job_removed(Context *c, const char *result, void *userdata) {
        (void) c, (void) result;
        ((Harness *) userdata)->heard = true;
}

/* Whether the watch must hear m, as the bus daemon's word on who owns
 * systemd's name (kept up to date here) says. */
static bool expect_heard(Harness *h, sd_bus_message *m) {
        const char *sender = sd_bus_message_get_sender(m), *a, *b, *c;
        bool heard = false;
        uint32_t id;

        if (sd_bus_message_is_signal(m, DBUS_NAME, "NameOwnerChanged") > 0) {
                if (sender && strcmp(sender, DBUS_NAME) == 0 && sd_bus_message_read(m, "sss", &a, &b, &c) > 0 &&
                    strcmp(a, "org.freedesktop.systemd1") == 0)
                        (void) snprintf(h->systemd_owner, sizeof(h->systemd_owner), "%s", c);
        } else if (sd_bus_message_read(m, "uoss", &id, &a, &b, &c) > 0)
                heard = h->watching && strcmp(a, FUZZ_SYSTEMD_JOB) == 0 &&
                        (!h->via_bus || (sender && h->systemd_owner[0] && strcmp(sender, h->systemd_owner) == 0));
        (void) sd_bus_message_rewind(m, true);
        return heard;
}

/* The job whose progress is its unit's StatusText (FUZZ_STATUS_UNIT). */
static Job *status_job(Context *c) {
        for (Job *j = c->jobs; j; j = j->next)
                if (j->state == JOB_RUNNING && j->progress_from_status && strcmp(j->unit, FUZZ_STATUS_UNIT) == 0)
                        return j;
        return NULL;
}

static bool same_status(const UnitStatus *a, const UnitStatus *b) {
        if (a->n_counters != b->n_counters)
                return false;
        for (size_t i = 0; i < a->n_counters; i++)
                if (strcmp(a->counters[i].name, b->counters[i].name) != 0 ||
                    a->counters[i].done != b->counters[i].done || a->counters[i].total != b->counters[i].total)
                        return false;
        return true;
}

/* A unit's status moves its job's progress only when the manager says so. */
static void check_status_believed(Harness *h, sd_bus_message *m, const UnitStatus *before) {
        Job *j = status_job(&h->f->context);
        const char *sender = sd_bus_message_get_sender(m);
        bool from_manager = !h->via_bus || (sender && strcmp(sender, FUZZ_SYSTEMD_OWNER) == 0);

        if (!j || same_status(before, &j->status))
                return;
        if (!from_manager || j->status.n_counters == 0 || unit_status_fraction(&j->status) > 1.0) {
                fprintf(stderr, "fuzz-bus: a StatusText from %s moved the job's progress\n",
                        sender ? sender : "no sender");
                __builtin_trap();
        }
}

/* The systemd connection as the mode byte says, one job watched, then the
 * signals; then back as the fixture has it: no systemd, nothing watched. */
static void deliver_signals(Harness *h, unsigned n) {
        Context *c = &h->f->context;

        if (n == 0)
                return;
        h->via_bus = c->systemd_via_bus = fuzz_take_u8(&h->in) & 1;
        (void) snprintf(c->systemd_owner, sizeof(c->systemd_owner), "%s", FUZZ_SYSTEMD_OWNER);
        (void) snprintf(h->systemd_owner, sizeof(h->systemd_owner), "%s", FUZZ_SYSTEMD_OWNER);
        h->watching = true;
        if (systemd_watch_job(c, FUZZ_SYSTEMD_JOB, on_watched_job_removed, h) < 0)
                abort();
        for (unsigned i = 0; i < n; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                UnitStatus before;
                bool expected;

                if (fuzz_bus_build_signal(h->f->nobody.caller, &h->in, &m) < 0)
                        continue;
                expected = expect_heard(h, m);
                h->heard = false;
                before = status_job(c) ? status_job(c)->status : (UnitStatus) { .n_counters = 0 };
                (void) systemd_on_signal(m, c, NULL);
                check_status_believed(h, m, &before);
                if (h->f->verbose)
                        fprintf(stderr, "fuzz-bus: %s from %s: %s\n", sd_bus_message_get_member(m),
                                sd_bus_message_get_sender(m) ? sd_bus_message_get_sender(m) : "no sender",
                                h->heard ? "heard" : "ignored");
                if (h->heard != expected) {
                        fprintf(stderr, "fuzz-bus: the watch %s a JobRemoved it must %s\n",
                                h->heard ? "heard" : "missed", h->heard ? "not believe" : "hear");
                        __builtin_trap();
                }
                h->watching = h->watching && !h->heard;
        }
        systemd_watches_free(c);
        if (status_job(c))
                status_job(c)->status = (UnitStatus) { .n_counters = 0 };
        memset(c->recent, 0, sizeof(c->recent));
        c->recent_next = 0;
        c->systemd_via_bus = false;
        c->systemd_owner[0] = '\0';
        /* A new owner of systemd's name (the bus daemon's word) schedules a
         * reconnection: it would reach for a real manager, and the next input
         * must find the manager's name never owned. */
        c->systemd_resync = sd_event_source_disable_unref(c->systemd_resync);
        c->systemd_owner_seen = false;
}

/* NOLINTNEXTLINE(readability-non-const-parameter): libFuzzer's signature */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc, (void) argv;
        fuzz_bus_enter_own_pid_namespace();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static Harness h;
        uint8_t shape, state;

        if (!h.f) {
                h.f = fuzz_bus_fixture();
                if (sd_bus_add_filter(h.f->nobody.caller, NULL, on_caller_message, &h) < 0 ||
                    sd_bus_add_filter(h.f->root.caller, NULL, on_caller_message, &h) < 0)
                        abort();
        }
        h.in = (FuzzInput) { data, size };
        h.replies_pending = 0;
        h.postponed = 0;
        h.caller_left = false;
        shape = fuzz_take_u8(&h.in);
        state = fuzz_take_u8(&h.in);

        fuzz_bus_fixture_begin(h.f, state);
        send_calls(&h, shape % CALLS_MAX + 1);
        settle(&h);
        if (h.replies_pending > 0) {
                fprintf(stderr, "fuzz-bus: %u call(s) never answered\n", h.replies_pending);
                __builtin_trap();
        }
        decode_replies(&h, (shape >> 3) & 3);
        deliver_signals(&h, (shape >> 5) & 3);
        fuzz_bus_fixture_end(h.f);
        return 0;
}
