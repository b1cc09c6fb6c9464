/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "load.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hubops-bus.h"
#include "macro.h"
#include "procfs.h"

#define STAT_READ_MAX 65536

typedef struct LoadMeasurement {
        Context *context;
        sd_bus_message *call;
        uid_t uid;
        bool counted; /* holds a place in Context.load_pending */
        CpuTimes before;
} LoadMeasurement;

static int read_cpu(const char *source, CpuTimes *ret) {
        _cleanup_free_ char *buf = malloc(STAT_READ_MAX);
        size_t len;
        int r;

        if (!buf)
                return -ENOMEM;
        r = procfs_read_file(source, buf, STAT_READ_MAX, &len);
        if (r < 0)
                return r;
        return procfs_parse_stat_cpu(buf, len, ret);
}

static void measurement_free(void *userdata) {
        LoadMeasurement *l = userdata;

        if (!l)
                return;
        if (l->counted)
                inflight_release(&l->context->load_pending, l->uid);
        sd_bus_message_unref(l->call);
        free(l);
}

static int reply(LoadMeasurement *l) {
        char buf[4096];
        size_t len;
        double idle, avg[3] = { 0, 0, 0 };
        uint64_t mem = 0;
        CpuTimes after;
        int r;

        r = read_cpu(l->context->config->cpu_stat_source, &after);
        if (r >= 0)
                r = cpu_idle_fraction(&l->before, &after, &idle);
        if (r < 0)
                return sd_bus_reply_method_errorf(l->call, HUBOPS_ERROR_FAILED,
                                                  "Cannot measure CPU idle from %s: %s",
                                                  l->context->config->cpu_stat_source,
                                                  r == -EAGAIN ? "no CPU time passed in the window" : strerror(-r));
        /* Load averages and memory are informative; a failure leaves zeros, not an error. */
        if (procfs_read_file("/proc/loadavg", buf, sizeof(buf), &len) >= 0)
                (void) procfs_parse_loadavg(buf, len, avg);
        if (procfs_read_file("/proc/meminfo", buf, sizeof(buf), &len) >= 0)
                (void) procfs_parse_meminfo_available(buf, len, &mem);
        return sd_bus_reply_method_return(l->call, "ddddt", idle, avg[0], avg[1], avg[2], mem);
}

static int on_window_end(sd_event_source *s, uint64_t usec, void *userdata) {
        LoadMeasurement *l = userdata;

        (void) usec;
        (void) reply(l);
        /* Un-floating drops the loop's reference, the last one: the source
         * goes once dispatch returns, and its destroy callback frees l. */
        (void) sd_event_source_set_floating(s, 0);
        return 0;
}

int load_measure_async(Context *c, sd_bus_message *call, uid_t uid, uint32_t window_ms, sd_bus_error *error) {
        LoadMeasurement *l;
        sd_event_source *timer = NULL;
        int r;

        /* Each pending window holds a timer and the call: bounded per user. */
        if (uid != 0 && !inflight_take(&c->load_pending, uid, LOAD_PENDING_PER_USER, LOAD_PENDING_TOTAL))
                return sd_bus_error_setf(error, HUBOPS_ERROR_TOO_MANY_REQUESTS,
                                         "Refusing GetLoad: too many are waiting for their window (at most %u per "
                                         "user, %u in all); try again once yours are answered",
                                         LOAD_PENDING_PER_USER, LOAD_PENDING_TOTAL);
        l = calloc(1, sizeof(LoadMeasurement));
        if (!l) {
                if (uid != 0)
                        inflight_release(&c->load_pending, uid);
                return -ENOMEM;
        }
        l->context = c;
        l->uid = uid;
        l->counted = uid != 0;
        l->call = sd_bus_message_ref(call);
        r = read_cpu(c->config->cpu_stat_source, &l->before);
        if (r < 0) {
                measurement_free(l);
                return sd_bus_reply_method_errorf(call, HUBOPS_ERROR_FAILED, "Cannot read CPU times from %s: %s",
                                                  c->config->cpu_stat_source, strerror(-r));
        }
        /* Accuracy 1 us: 0 would mean sd-event's default of 250 ms, which made
         * GetLoad(10) take 250 ms and every window up to 250 ms longer than asked. */
        r = sd_event_add_time_relative(c->event, &timer, CLOCK_MONOTONIC, (uint64_t) window_ms * USEC_PER_MSEC,
                                       1, on_window_end, l);
        if (r < 0) {
                measurement_free(l);
                return r;
        }
        /* The loop owns the pending measurement, so shutdown frees it too. */
        (void) sd_event_source_set_destroy_callback(timer, measurement_free);
        (void) sd_event_source_set_floating(timer, 1);
        sd_event_source_unref(timer);
        return 1;
}
