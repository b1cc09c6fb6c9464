/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hubopsctl load: the helper's CPU idle, load and memory; with --wait-idle,
 * the runbook's gate ("wait until the directory is 90% idle again"). */
#include <stdio.h>
#include <time.h>

#include "commands.h"
#include "exit-codes.h"
#include "hubops-bus.h"
#include "clock.h"
#include "macro.h"
#include "output.h"
#include "timespan.h"

#define LOAD_SAMPLE_MS 1000U
/* The gate samples back to back in shorter windows, so it notices soon. */
#define GATE_SAMPLE_MS 500U
/* Off a terminal (a log), a waiting gate writes a line when it crosses the
 * threshold either way, and otherwise once a minute: not one per sample. */
#define GATE_LOG_EVERY_USEC (60ULL * USEC_PER_SEC)

typedef struct LoadSample {
        double idle, avg[3];
        uint64_t memory;
} LoadSample;

static int sample(sd_bus *bus, uint32_t window_ms, LoadSample *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "GetLoad", error,
                               &reply, "u", window_ms);
        if (r < 0)
                return r;
        return sd_bus_message_read(reply, "ddddt", &ret->idle, &ret->avg[0], &ret->avg[1], &ret->avg[2],
                                   &ret->memory);
}

static void print_sample(const LoadSample *s, const char *event, uint64_t held, uint64_t waited) {
        if (output.json) {
                json_object *o = json_object_new_object();
                if (event)
                        json_object_object_add(o, "event", json_object_new_string(event));
                json_object_object_add(o, "cpu_idle", json_object_new_double(s->idle));
                json_object_object_add(o, "load1", json_object_new_double(s->avg[0]));
                json_object_object_add(o, "load5", json_object_new_double(s->avg[1]));
                json_object_object_add(o, "load15", json_object_new_double(s->avg[2]));
                json_object_object_add(o, "memory_available", json_object_new_int64((int64_t) s->memory));
                if (event) {
                        json_object_object_add(o, "held_usec", json_object_new_int64((int64_t) held));
                        json_object_object_add(o, "waited_usec", json_object_new_int64((int64_t) waited));
                }
                output_json(o);
        } else if (!event)
                printf("CPU idle: %.1f%%\nLoad:     %.2f %.2f %.2f\nMemory:   %.1f MiB available\n",
                       s->idle * 100.0, s->avg[0], s->avg[1], s->avg[2], (double) s->memory / (1024.0 * 1024.0));
}

int load_gate(sd_bus *bus, const char *where, double threshold, uint64_t hold_usec, uint64_t timeout_usec,
              uint64_t *ret_waited) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        uint64_t start = now_usec(CLOCK_MONOTONIC), since = 0, logged_at = 0;
        bool logged = false, logged_above = false;
        char want[32], held[32], waited[32];
        LoadSample s;
        int r;

        (void) timespan_format(want, sizeof(want), hold_usec);
        for (;;) {
                r = sample(bus, GATE_SAMPLE_MS, &s, &error);
                if (r < 0)
                        return output_bus_error(&error, r, "Cannot read the load");
                uint64_t now = now_usec(CLOCK_MONOTONIC);
                if (ret_waited)
                        *ret_waited = now - start;
                if (s.idle * 100.0 + 1e-9 >= threshold * 100.0) {
                        if (since == 0)
                                since = now - GATE_SAMPLE_MS * USEC_PER_MSEC;
                } else
                        since = 0;
                uint64_t h = since ? now - since : 0;
                (void) timespan_format(held, sizeof(held), h);
                (void) timespan_format(waited, sizeof(waited), now - start);
                if (since && h >= hold_usec) {
                        output_status_done();
                        print_sample(&s, "gate-passed", h, now - start);
                        if (!output.json)
                                output_line("%sCPU idle %.1f%% >= %.0f%% for %s: gate passed after %s", where,
                                            s.idle * 100.0, threshold * 100.0, want, waited);
                        return EXIT_OK;
                }
                print_sample(&s, "gate-waiting", h, now - start);
                if (output.tty || !logged || (since != 0) != logged_above || now - logged_at >= GATE_LOG_EVERY_USEC) {
                        logged = true, logged_above = since != 0, logged_at = now;
                        output_status("%sCPU idle %.1f%% (want >= %.0f%% for %s; held %s; waited %s)", where,
                                      s.idle * 100.0, threshold * 100.0, want, held, waited);
                }
                if (timeout_usec && now - start >= timeout_usec)
                        return output_error(EXIT_TIMEOUT,
                                            "Load gate timed out after %s: %sCPU idle %.1f%% never stayed >= %.0f%% "
                                            "for %s",
                                            waited, where, s.idle * 100.0, threshold * 100.0, want);
        }
}

int cmd_load(sd_bus *bus, const Invocation *inv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        LoadSample s;
        int r;

        if (inv->n_args != 0)
                return output_error(EXIT_USAGE, "Usage: hubopsctl load [--wait-idle PERCENT [--for SPAN] "
                                                "[--timeout SPAN]]");
        if (inv->wait_idle >= 0)
                return load_gate(bus, "", inv->wait_idle, inv->hold_usec, inv->timeout_usec, NULL);
        r = sample(bus, LOAD_SAMPLE_MS, &s, &error);
        if (r < 0)
                return output_bus_error(&error, r, "Cannot read the load");
        print_sample(&s, NULL, 0, 0);
        return EXIT_OK;
}
