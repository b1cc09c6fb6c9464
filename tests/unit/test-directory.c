/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
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
#include <systemd/sd-event.h>

#include "clock.h"
#include "config.h"
#include "context.h"
#include "directory-observe.h"
#include "hubops-bus.h"
#include "iface-directory.h"
#include "macro.h"

/* The Directory properties are read from a /proc scan. Any local user may
 * call Get and GetAll as often as they like, and the bus dispatches each
 * call in an event-loop iteration of its own: a flood must cost one scan
 * per DIRECTORY_CACHE_USEC, not one per call. */

#define FLOOD_CALLS 400
#define PROPERTIES "org.freedesktop.DBus.Properties"

static char *main_argv[] = { "/nonexistent/hubops-test/isode.eddy", "-D", "/nonexistent/main", NULL };
static char *root_argv[] = { "/nonexistent/hubops-test/isode.eddy", "-D", "/nonexistent/root", NULL };

typedef struct Fixture {
        HelperConfig config;
        Context context;
        sd_bus *caller;
        unsigned replies, errors;
} Fixture;

static int start_bus(sd_event *e, int fd, bool server, sd_bus **ret) {
        sd_bus *bus = NULL;
        sd_id128_t id;
        int r;

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_fd(bus, fd, fd);
        if (r >= 0 && server && (r = sd_id128_randomize(&id)) >= 0)
                r = sd_bus_set_server(bus, 1, id);
        if (r >= 0)
                r = sd_bus_set_anonymous(bus, 1);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r >= 0)
                r = sd_bus_attach_event(bus, e, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                sd_bus_close_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

static int fixture_setup(void **state) {
        Fixture *f = calloc(1, sizeof(Fixture));
        int fds[2];

        if (!f)
                return -1;
        f->config.directory = (DirectoryConfig) {
                .present = true, .main_process = main_argv, .root_process = root_argv, .uid = (uid_t) -1
        };
        f->context.config = &f->config;
        if (sd_event_new(&f->context.event) < 0 ||
            socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) < 0 ||
            start_bus(f->context.event, fds[0], true, &f->context.bus) < 0 ||
            start_bus(f->context.event, fds[1], false, &f->caller) < 0 || directory_register(&f->context) < 0)
                return -1;
        /* The watch looks every 2 s on its own: not the callers' doing. */
        f->context.directory_watch = sd_event_source_disable_unref(f->context.directory_watch);
        *state = f;
        return 0;
}

static int fixture_teardown(void **state) {
        Fixture *f = *state;

        directory_unregister(&f->context);
        /* No flush: with no loop run, the handshake would wait for the other end forever. */
        sd_bus_close_unref(f->caller);
        sd_bus_close_unref(f->context.bus);
        sd_event_unref(f->context.event);
        free(f);
        return 0;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Fixture *f = userdata;

        (void) ret_error;
        if (sd_bus_message_is_method_error(m, NULL))
                f->errors++;
        f->replies++;
        return 0;
}

static void send_flood(Fixture *f) {
        for (unsigned i = 0; i < FLOOD_CALLS; i++) {
                int r;

                if (i % 2 == 0)
                        r = sd_bus_call_method_async(f->caller, NULL, NULL, HUBOPS_OBJECT_PATH, PROPERTIES, "Get",
                                                     on_reply, f, "ss", HUBOPS_IFACE_DIRECTORY, "MainPID");
                else
                        r = sd_bus_call_method_async(f->caller, NULL, NULL, HUBOPS_OBJECT_PATH, PROPERTIES, "GetAll",
                                                     on_reply, f, "s", HUBOPS_IFACE_DIRECTORY);
                assert_true(r >= 0);
        }
}

static void test_directory_property_flood_scans_proc_once_per_period(void **state) {
        Fixture *f = *state;
        uint64_t begin, elapsed, bound, scans_before = f->context.directory_scans;
        unsigned iterations = 0;

        send_flood(f);
        begin = now_usec(CLOCK_MONOTONIC);
        while (f->replies < FLOOD_CALLS) {
                assert_true(sd_event_run(f->context.event, 5 * USEC_PER_SEC) >= 0);
                iterations++;
        }
        elapsed = now_usec(CLOCK_MONOTONIC) - begin;
        assert_int_equal(f->errors, 0);
        /* One scan per period begun, whatever the calls and iterations. */
        bound = 1 + elapsed / DIRECTORY_CACHE_USEC + 1;
        if (f->context.directory_scans - scans_before > bound)
                fail_msg("%u calls in %u loop iterations and %llu us made %llu /proc scans; at most %llu allowed",
                         FLOOD_CALLS, iterations, (unsigned long long) elapsed,
                         (unsigned long long) (f->context.directory_scans - scans_before), (unsigned long long) bound);
}

/* A change the helper itself made (a phase ended) is seen at once. */
static void test_directory_invalidate_scans_again(void **state) {
        Fixture *f = *state;
        uint64_t scans;

        (void) directory_observe_cached(&f->context);
        scans = f->context.directory_scans;
        (void) directory_observe_cached(&f->context);
        assert_int_equal(f->context.directory_scans, scans);
        directory_observe_invalidate(&f->context);
        (void) directory_observe_cached(&f->context);
        assert_int_equal(f->context.directory_scans, scans + 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_directory_property_flood_scans_proc_once_per_period, fixture_setup,
                                                fixture_teardown),
                cmocka_unit_test_setup_teardown(test_directory_invalidate_scans_again, fixture_setup, fixture_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
