/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>

#include "authz.h"
#include "macro.h"

/* sd-bus only creates messages on a bus that has been started. Half of a
 * socketpair is enough: the messages are built and sealed locally, never
 * sent, exactly as sd-bus hands a parsed reply to a callback. */
typedef struct Fixture {
        sd_bus *bus;
        int peer;
        sd_bus_message *call;
        uint64_t cookie;
} Fixture;

static int bus_setup(void **state) {
        Fixture *f = calloc(1, sizeof(Fixture));
        int fds[2];

        if (!f || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
                return -1;
        f->peer = fds[1];
        if (sd_bus_new(&f->bus) < 0 || sd_bus_set_fd(f->bus, fds[0], fds[0]) < 0 ||
            sd_bus_set_anonymous(f->bus, 1) < 0 || sd_bus_start(f->bus) < 0)
                return -1;
        if (sd_bus_message_new_method_call(f->bus, &f->call, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization") < 0 ||
            sd_bus_message_seal(f->call, 1, 0) < 0)
                return -1;
        f->cookie = 1;
        *state = f;
        return 0;
}

static int bus_teardown(void **state) {
        Fixture *f = *state;

        sd_bus_message_unref(f->call);
        sd_bus_close_unref(f->bus); /* no flush: nobody will ever answer the handshake */
        if (f->peer >= 0)
                close(f->peer);
        free(f);
        return 0;
}

static sd_bus_message *seal(Fixture *f, sd_bus_message *m) {
        assert_int_equal(sd_bus_message_seal(m, ++f->cookie, 0), 0);
        assert_true(sd_bus_message_rewind(m, 1) >= 0);
        return m;
}

/* A CheckAuthorization return: (bba{ss}). */
static sd_bus_message *polkit_result(Fixture *f, int authorized, int challenge) {
        sd_bus_message *m = NULL;

        assert_int_equal(sd_bus_message_new_method_return(f->call, &m), 0);
        assert_true(sd_bus_message_append(m, "(bba{ss})", authorized, challenge, 1,
                                          "polkit.retains_authorization_after_challenge", "1") >= 0);
        return seal(f, m);
}

static sd_bus_message *polkit_error(Fixture *f, const char *name, const char *message) {
        sd_bus_error e = SD_BUS_ERROR_MAKE_CONST(name, message);
        sd_bus_message *m = NULL;

        assert_int_equal(sd_bus_message_new_method_error(f->call, &m, &e), 0);
        return seal(f, m);
}

static void test_authz_decodes_polkit_result(void **state) {
        static const struct {
                int authorized, challenge;
                AuthzVerdict verdict;
                const char *reason;
        } cases[] = {
                { 1, 0, AUTHZ_YES, "authorized by polkit" },
                { 1, 1, AUTHZ_YES, "authorized by polkit" },
                { 0, 1, AUTHZ_CHALLENGE, "interactive authentication" },
                { 0, 0, AUTHZ_NO, "denied" },
        };
        Fixture *f = *state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                sd_bus_message *m = polkit_result(f, cases[i].authorized, cases[i].challenge);
                const char *reason = NULL;

                assert_int_equal(authz_verdict_from_reply(m, &reason), cases[i].verdict);
                assert_non_null(reason);
                assert_non_null(strstr(reason, cases[i].reason));
                sd_bus_message_unref(m);
        }
}

static void test_authz_no_reply_is_error(_unused_ void **state) {
        const char *reason = NULL;

        assert_int_equal(authz_verdict_from_reply(NULL, &reason), AUTHZ_ERROR);
        assert_string_equal(reason, "no reply from polkit");
}

static void test_authz_error_replies_are_errors(void **state) {
        static const struct {
                const char *name, *message, *reason;
        } cases[] = {
                { "org.freedesktop.DBus.Error.ServiceUnknown", "The name is not activatable", "not running" },
                { "org.freedesktop.DBus.Error.NameHasNoOwner", "no owner", "not running" },
                { "org.freedesktop.DBus.Error.NoReply", "timeout", "did not answer in time" },
                { "org.freedesktop.PolicyKit1.Error.Failed", "Action org.x is not registered",
                  "Action org.x is not registered" },
                { "org.freedesktop.PolicyKit1.Error.Failed", NULL, "polkit returned an error" },
                /* found by fuzz-bus: an empty message made an empty reason, "...: " in the denial */
                { "org.freedesktop.PolicyKit1.Error.Failed", "", "polkit returned an error" },
                { "org.freedesktop.DBus.Error.AccessDenied", "go away", "go away" },
        };
        Fixture *f = *state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                sd_bus_message *m = polkit_error(f, cases[i].name, cases[i].message);
                const char *reason = NULL;

                assert_int_equal(authz_verdict_from_reply(m, &reason), AUTHZ_ERROR);
                if (!reason || !strstr(reason, cases[i].reason))
                        fail_msg("%s: expected reason \"%s\", got \"%s\"", cases[i].name, cases[i].reason,
                                 reason ? reason : "(null)");
                sd_bus_message_unref(m);
        }
}

static void test_authz_malformed_replies_are_errors(void **state) {
        Fixture *f = *state;

        for (unsigned i = 0; i < 6; i++) {
                sd_bus_message *m = NULL;
                const char *reason = NULL;
                int r;

                assert_int_equal(sd_bus_message_new_method_return(f->call, &m), 0);
                switch (i) {
                case 0:
                        r = sd_bus_message_append(m, "s", "yes");
                        break;
                case 1:
                        r = sd_bus_message_append(m, "(bb)", 1, 0);
                        break;
                case 2:
                        r = 0; /* empty body */
                        break;
                case 3:
                        r = sd_bus_message_append(m, "bba{ss}", 1, 0, 0); /* not in a struct */
                        break;
                case 4:
                        r = sd_bus_message_append(m, "(bba{sv})", 1, 0, 1, "k", "s", "v");
                        break;
                default:
                        r = sd_bus_message_append(m, "(bbas)", 1, 0, 1, "x");
                        break;
                }
                assert_true(r >= 0);
                seal(f, m);
                if (authz_verdict_from_reply(m, &reason) != AUTHZ_ERROR)
                        fail_msg("malformed reply %u was not an error", i);
                assert_non_null(reason);
                assert_non_null(strstr(reason, "malformed"));
                sd_bus_message_unref(m);
        }
}

static void test_authz_verdict_strings_and_allows(_unused_ void **state) {
        static const struct {
                AuthzVerdict verdict;
                const char *name;
                bool allows;
        } cases[] = {
                { AUTHZ_YES, "yes", true },
                { AUTHZ_ROOT, "root", true },
                { AUTHZ_NO, "no", false },
                { AUTHZ_CHALLENGE, "challenge", false },
                { AUTHZ_ERROR, "error", false },
                { AUTHZ_CALLER_GONE, "caller-gone", false },
                { AUTHZ_LIMITED, "limited", false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                assert_string_equal(authz_verdict_to_string(cases[i].verdict), cases[i].name);
                assert_int_equal(authz_verdict_allows(cases[i].verdict), cases[i].allows);
        }
        assert_string_equal(authz_verdict_to_string((AuthzVerdict) 42), "error");
        assert_string_equal(authz_verdict_to_string((AuthzVerdict) -1), "error");
        assert_false(authz_verdict_allows((AuthzVerdict) 42));
}

/* ---- the per-user limit on checks in flight ---- */

typedef struct Tally {
        unsigned by_verdict[AUTHZ_LIMITED + 1];
} Tally;

static void count_verdict(AuthzVerdict v, const char *reason, void *userdata) {
        Tally *t = userdata;

        assert_non_null(reason);
        assert_true((unsigned) v <= AUTHZ_LIMITED);
        t->by_verdict[v]++;
}

/* Start a check for uid. The call has no sender, so polkit is never really
 * asked (the check ends in AUTHZ_ERROR), but it holds its place among the
 * checks in flight until its verdict is delivered, as a real one does. */
static AuthzCheck *start(Fixture *f, Context *c, uid_t uid, Tally *t) {
        static const char *const details[] = { "hook", "noop", NULL };
        AuthzCheck *a = NULL;

        assert_int_equal(authz_check_async(c, f->call, uid, "org.hubops.hook.run", details, 0, count_verdict, t, &a),
                         0);
        return a;
}

static void deliver(Context *c) {
        while (sd_event_run(c->event, 0) > 0)
                ;
}

static void test_authz_limits_checks_in_flight_per_user(void **state) {
        Fixture *f = *state;
        Context c = { .bus = f->bus };
        AuthzCheck *checks[AUTHZ_PENDING_TOTAL + 2] = { 0 };
        unsigned n = 0;
        Tally t = { 0 };

        assert_int_equal(sd_event_new(&c.event), 0);
        for (unsigned i = 0; i < AUTHZ_PENDING_PER_USER; i++)
                checks[n++] = start(f, &c, 1000, &t);
        checks[n++] = start(f, &c, 1000, &t); /* one too many for uid 1000 */
        checks[n++] = start(f, &c, 1001, &t); /* another user is not held up */
        checks[n++] = start(f, &c, 0, &t);    /* nor is root, which polkit is not asked about */
        deliver(&c);
        assert_int_equal(t.by_verdict[AUTHZ_LIMITED], 1);
        assert_int_equal(t.by_verdict[AUTHZ_ERROR], AUTHZ_PENDING_PER_USER + 1);
        assert_int_equal(t.by_verdict[AUTHZ_ROOT], 1);
        assert_int_equal(c.authz_pending.total, 0); /* every verdict gave its place back */

        /* Places come back: uid 1000 may ask again. */
        checks[n++] = start(f, &c, 1000, &t);
        deliver(&c);
        assert_int_equal(t.by_verdict[AUTHZ_LIMITED], 1);
        for (unsigned i = 0; i < n; i++)
                authz_check_free(checks[i]);

        /* All users together: AUTHZ_PENDING_TOTAL, then no one more. */
        n = 0;
        t = (Tally) { 0 };
        for (unsigned i = 0; i < AUTHZ_PENDING_TOTAL; i++)
                checks[n++] = start(f, &c, 2000 + i / AUTHZ_PENDING_PER_USER, &t);
        checks[n++] = start(f, &c, 3000, &t);
        assert_int_equal(c.authz_pending.total, AUTHZ_PENDING_TOTAL);
        /* A check freed before its verdict (its caller's request went away) gives its place back too. */
        authz_check_free(checks[0]);
        checks[0] = NULL;
        assert_int_equal(c.authz_pending.total, AUTHZ_PENDING_TOTAL - 1);
        deliver(&c);
        assert_int_equal(t.by_verdict[AUTHZ_LIMITED], 1);
        assert_int_equal(t.by_verdict[AUTHZ_ERROR], AUTHZ_PENDING_TOTAL - 1);
        for (unsigned i = 0; i < n; i++)
                authz_check_free(checks[i]);
        assert_int_equal(c.authz_pending.total, 0);
        sd_event_unref(c.event);
}

/* ---- polkit says yes: is the caller still there? ---- */

/* The test plays the bus and polkit on the other end of the socketpair: a
 * server connection that keeps every method call it receives, to answer it
 * as the test decides. (Peer to peer, sd-bus sends no AddMatch: the
 * interactive check's name watch is local only, so only the confirmation
 * call can tell that the caller has gone.) */
typedef struct Peer {
        sd_bus *bus;
        sd_bus_message *calls[8];
        unsigned n_calls;
} Peer;

static int peer_keep_call(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Peer *p = userdata;

        (void) ret_error;
        if (!sd_bus_message_is_method_call(m, NULL, NULL) || p->n_calls >= ELEMENTSOF(p->calls))
                return 0;
        p->calls[p->n_calls++] = sd_bus_message_ref(m);
        return 1;
}

static void peer_start(Fixture *f, Peer *p) {
        sd_id128_t id;

        assert_int_equal(sd_id128_randomize(&id), 0);
        assert_int_equal(sd_bus_new(&p->bus), 0);
        assert_int_equal(sd_bus_set_fd(p->bus, f->peer, f->peer), 0);
        assert_int_equal(sd_bus_set_server(p->bus, 1, id), 0);
        assert_int_equal(sd_bus_set_anonymous(p->bus, 1), 0);
        assert_int_equal(sd_bus_add_filter(p->bus, NULL, peer_keep_call, p), 0);
        assert_int_equal(sd_bus_start(p->bus), 0);
        f->peer = -1; /* the peer's bus owns it now */
}

static void pump(Fixture *f, Peer *p) {
        for (int idle = 0; idle < 3;) {
                int a = sd_bus_process(f->bus, NULL), b = sd_bus_process(p->bus, NULL);
                assert_true(a >= 0 && b >= 0);
                idle = a == 0 && b == 0 ? idle + 1 : 0;
        }
}

/* The next call the peer received, which must be member. */
static sd_bus_message *peer_take(Peer *p, const char *member) {
        sd_bus_message *m;

        assert_true(p->n_calls > 0);
        m = p->calls[0];
        for (unsigned i = 1; i < p->n_calls; i++)
                p->calls[i - 1] = p->calls[i];
        p->n_calls--;
        assert_string_equal(sd_bus_message_get_member(m), member);
        return m;
}

typedef struct Verdict {
        bool known;
        AuthzVerdict verdict;
} Verdict;

static void keep_verdict(AuthzVerdict v, const char *reason, void *userdata) {
        Verdict *out = userdata;

        (void) reason;
        *out = (Verdict) { .known = true, .verdict = v };
}

/* An interactive Hooks.Run from ":1.42"; polkit says yes; the bus says
 * whether ":1.42" is still connected. */
static Verdict interactive_yes(Fixture *f, int still_connected) {
        static const char *const details[] = { "hook", "noop", NULL };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *check = NULL, *confirm = NULL;
        Context c = { .bus = f->bus };
        AuthzCheck *a = NULL;
        Verdict v = { 0 };
        const char *name;
        Peer p = { 0 };

        peer_start(f, &p);
        assert_int_equal(sd_bus_message_new_method_call(f->bus, &call, "org.hubops.Helper1", "/org/hubops/Helper1",
                                                        "org.hubops.Helper1.Hooks", "Run"), 0);
        assert_int_equal(sd_bus_message_set_sender(call, ":1.42"), 0);
        assert_int_equal(sd_bus_message_set_allow_interactive_authorization(call, 1), 0);
        (void) seal(f, call);

        assert_int_equal(authz_check_async(&c, call, 1000, "org.hubops.hook.run", details, 0, keep_verdict, &v, &a),
                         0);
        pump(f, &p);
        check = peer_take(&p, "CheckAuthorization");
        assert_true(sd_bus_reply_method_return(check, "(bba{ss})", 1, 0, 0) >= 0);
        pump(f, &p);
        if (!v.known) {
                confirm = peer_take(&p, "NameHasOwner");
                assert_int_equal(sd_bus_message_read(confirm, "s", &name), 1);
                assert_string_equal(name, ":1.42");
                assert_true(sd_bus_reply_method_return(confirm, "b", still_connected) >= 0);
                pump(f, &p);
        }
        assert_true(v.known);
        authz_check_free(a);
        sd_bus_close_unref(p.bus);
        return v;
}

static void test_authz_interactive_yes_confirms_the_caller(void **state) {
        Fixture *f = *state;

        /* The name watch may not be in place yet when the caller leaves
         * (AddMatch is asynchronous): after polkit's yes, ask the bus. */
        assert_int_equal(interactive_yes(f, 0).verdict, AUTHZ_CALLER_GONE);
}

static void test_authz_interactive_yes_for_a_caller_still_there(void **state) {
        Fixture *f = *state;

        assert_int_equal(interactive_yes(f, 1).verdict, AUTHZ_YES);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_authz_decodes_polkit_result, bus_setup, bus_teardown),
                cmocka_unit_test(test_authz_no_reply_is_error),
                cmocka_unit_test_setup_teardown(test_authz_error_replies_are_errors, bus_setup, bus_teardown),
                cmocka_unit_test_setup_teardown(test_authz_malformed_replies_are_errors, bus_setup, bus_teardown),
                cmocka_unit_test(test_authz_verdict_strings_and_allows),
                cmocka_unit_test_setup_teardown(test_authz_limits_checks_in_flight_per_user, bus_setup,
                                                bus_teardown),
                cmocka_unit_test_setup_teardown(test_authz_interactive_yes_confirms_the_caller, bus_setup,
                                                bus_teardown),
                cmocka_unit_test_setup_teardown(test_authz_interactive_yes_for_a_caller_still_there, bus_setup,
                                                bus_teardown),
        };

        return cmocka_run_group_tests_name("authz", tests, NULL, NULL);
}
