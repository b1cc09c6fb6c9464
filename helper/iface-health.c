/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "iface-health.h"

#include <errno.h>
#include <string.h>

#include "health-probe.h"
#include "health-sampler.h"
#include "hubops-bus.h"
#include "job.h"
#include "op-busy.h"
#include "request.h"

#define THRESHOLDS_MAX 32

/* Check(a{ss} thresholds): the caller's thresholds (the site's) over the
 * helper's own, by the same keys and rules as [Health] in either config.
 * Read-only, like GetHealth: anyone may look. */
static int read_thresholds(sd_bus_message *m, HealthThresholds *t, sd_bus_error *error) {
        const char *key, *value, *why;
        unsigned n = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{ss}");
        while (r >= 0 && (r = sd_bus_message_read(m, "{ss}", &key, &value)) > 0) {
                if (++n > THRESHOLDS_MAX)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "At most %d thresholds",
                                                 THRESHOLDS_MAX);
                why = "";
                r = health_thresholds_set(t, key, value, &why);
                if (r == -ENOENT)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Unknown threshold (see [Health])");
                if (r < 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid value for a threshold: %s",
                                                 why);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        why = health_thresholds_check(t);
        if (why)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Thresholds disagree: %s", why);
        return 0;
}

static int method_check(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        HealthThresholds t = c->config->health.thresholds;
        int r;

        r = read_thresholds(m, &t, error);
        if (r < 0 || sd_bus_error_is_set(error))
                return r;
        /* The fuzz fixture serves this interface (op-table.c) without a sampler. */
        if (!c->health)
                return sd_bus_error_set(error, HUBOPS_ERROR_FAILED, "The health sampler is not running");
        return health_check_async(c, m, &t, 0);
}

/* CheckRecent(a{ss} thresholds, t max_age_usec): as Check(), but the
 * periodic sampler's last sample answers if it is younger than max_age_usec
 * (and than SampleIntervalSec=); each row's time says how old it is. */
static int method_check_recent(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        HealthThresholds t = c->config->health.thresholds;
        uint64_t max_age;
        int r;

        r = read_thresholds(m, &t, error);
        if (r < 0 || sd_bus_error_is_set(error))
                return r;
        r = sd_bus_message_read(m, "t", &max_age);
        if (r < 0)
                return r;
        if (!c->health)
                return sd_bus_error_set(error, HUBOPS_ERROR_FAILED, "The health sampler is not running");
        return health_check_async(c, m, &t, max_age);
}

static int method_probe(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        const char *dir = c->config->health.probe_directory;
        const char *details[] = { "directory", dir ? dir : "", NULL };
        Request *req = NULL;
        int r;

        (void) error;
        r = request_new(c, m, "health.probe", HUBOPS_ACTION_HEALTH_PROBE, details, &req);
        if (r < 0)
                return r;
        if (!dir)
                return request_reply_error(req, HUBOPS_ERROR_NOT_CONFIGURED, "No ProbeDirectory= in [Health] on %s",
                                           c->config->hostname);
        if (!c->health)
                return request_reply_error(req, HUBOPS_ERROR_FAILED, "The health sampler is not running");
        return op_authorize(req, "", health_probe_act, NULL, NULL);
}

static int property_get_last_probe(sd_bus *bus, const char *path, const char *interface, const char *property,
                                   sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Context *c = userdata;
        static const HealthProbeResult none = { .at = 0 };
        const HealthProbeResult *p = c->health ? &c->health->probe : &none;

        (void) bus, (void) path, (void) interface, (void) property, (void) error;
        return sd_bus_message_append(reply, "(tbdtts)", p->at, p->ok, p->write_mbps, p->sync_p50_usec,
                                     p->sync_p99_usec, p->error);
}

static int property_get_interval(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Context *c = userdata;

        (void) bus, (void) path, (void) interface, (void) property, (void) error;
        return sd_bus_message_append(reply, "t", c->config->health.sample_interval_usec);
}

static const sd_bus_vtable health_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("SampleIntervalUSec", "t", property_get_interval, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("LastProbe", "(tbdtts)", property_get_last_probe, 0, 0),
        SD_BUS_METHOD_WITH_ARGS("Check", SD_BUS_ARGS("a{ss}", thresholds), SD_BUS_RESULT("a(sssdsst)", checks),
                                method_check, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CheckRecent", SD_BUS_ARGS("a{ss}", thresholds, "t", max_age_usec),
                                SD_BUS_RESULT("a(sssdsst)", checks), method_check_recent, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Probe", SD_BUS_NO_ARGS, SD_BUS_RESULT("o", job), method_probe,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("StateChanged",
                                SD_BUS_ARGS("s", check, "s", subject, "s", previous, "s", state, "s", reason), 0),
        SD_BUS_VTABLE_END,
};

int health_register(Context *c) {
        return sd_bus_add_object_vtable(c->bus, NULL, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_HEALTH, health_vtable, c);
}
