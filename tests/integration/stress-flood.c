/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hubops-stress flood (hubops-stress.c has the usage): Hooks.Run with a
 * window of calls always in flight, every reply a denial or a refusal. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "clock.h"
#include "hubops-bus.h"
#include "macro.h"
#include "stress.h"

typedef struct Flood {
        sd_bus *bus;
        unsigned window;
        unsigned in_flight;
        unsigned long count; /* stop after this many; 0: at EOF on stdin */
        const char *hook;
        unsigned long sent, denied, refused, other;
        bool stopping;
} Flood;

static void say_first(Flood *f, const char *what) {
        const char *name = NULL;

        (void) sd_bus_get_unique_name(f->bus, &name);
        printf("%s %s\n", what, name ? name : "?");
        (void) fflush(stdout);
}

static int on_denial(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        static const char action[] = "(polkit action " HUBOPS_ACTION_HOOK_RUN;
        Flood *f = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *at = e && sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED) && e->message
                ? strstr(e->message, action)
                : NULL;

        (void) ret_error;
        f->in_flight--;
        if (at && strcmp(at + strlen(action), " denied)") == 0) {
                if (f->denied++ == 0)
                        say_first(f, "flooding");
                return 0;
        }
        if (e && e->message &&
            ((sd_bus_error_has_name(e, HUBOPS_ERROR_TOO_MANY_REQUESTS) &&
              strstr(e->message, "too many authorization checks in flight")) ||
             (sd_bus_error_has_name(e, HUBOPS_ERROR_NOT_CONFIGURED) && strcmp(f->hook, HOOK) != 0 &&
              strstr(e->message, f->hook)))) {
                if (f->refused++ == 0)
                        say_first(f, "refused");
                return 0;
        }
        if (++f->other <= ERRORS_SHOWN)
                fprintf(stderr, "hubops-stress: flood reply %lu: expected %s (polkit action %s denied) or %s, got %s: %s\n",
                        f->denied + f->refused + f->other, SD_BUS_ERROR_ACCESS_DENIED, HUBOPS_ACTION_HOOK_RUN,
                        strcmp(f->hook, HOOK) != 0 ? HUBOPS_ERROR_NOT_CONFIGURED : HUBOPS_ERROR_TOO_MANY_REQUESTS,
                        e ? e->name : "a method return", e && e->message ? e->message : "");
        return 0;
}

static int flood_fill(Flood *f) {
        while (!f->stopping && f->in_flight < f->window) {
                int r = sd_bus_call_method_async(f->bus, NULL, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_HOOKS,
                                                 "Run", on_denial, f, "s", f->hook);
                if (r < 0)
                        return r;
                f->in_flight++;
                f->sent++;
                f->stopping = f->count > 0 && f->sent >= f->count;
        }
        return 0;
}

/* Wait for the bus, and for EOF on stdin while still sending. */
static int flood_wait(Flood *f) {
        struct pollfd p[2] = {
                { .fd = sd_bus_get_fd(f->bus), .events = (short) sd_bus_get_events(f->bus) },
                { .fd = STDIN_FILENO, .events = POLLIN },
        };
        uint64_t until = UINT64_MAX, now = now_usec(CLOCK_MONOTONIC);
        int timeout = -1;
        char buf[256];

        if (p[0].fd < 0 || p[0].events < 0)
                return -EIO;
        if (sd_bus_get_timeout(f->bus, &until) >= 0 && until != UINT64_MAX)
                timeout = until <= now ? 0 : (int) ((until - now + 999) / 1000);
        if (poll(p, f->stopping || f->count > 0 ? 1 : 2, timeout) < 0)
                return errno == EINTR ? 0 : -errno;
        if (!f->stopping && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
                ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
                f->stopping = n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN);
        }
        return 0;
}

int run_flood(unsigned window, unsigned count, const char *hook) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        Flood f = { .window = window, .count = count, .hook = hook };
        const char *name = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "hubops-stress: flood: cannot connect to the system bus: %s\n", strerror(-r));
                return r;
        }
        f.bus = bus;
        for (;;) {
                r = flood_fill(&f);
                if (r < 0 || (f.stopping && f.in_flight == 0))
                        break;
                r = sd_bus_process(bus, NULL);
                if (r == 0)
                        r = flood_wait(&f);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                fprintf(stderr, "hubops-stress: flood: bus failed after %lu calls: %s\n", f.sent, strerror(-r));
                return r;
        }
        (void) sd_bus_get_unique_name(bus, &name);
        printf("flood %s sent=%lu denied=%lu refused=%lu other=%lu\n", name ? name : "?", f.sent, f.denied, f.refused,
               f.other);
        return f.other > 0 || f.denied + f.refused != f.sent ? -EBADMSG : 0;
}
