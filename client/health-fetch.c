/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "health-fetch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-event.h>

#include "hubops-bus.h"
#include "macro.h"

#define CHECK_TIMEOUT_USEC (60ULL * USEC_PER_SEC)
#define PROBE_POLL_USEC (250ULL * USEC_PER_MSEC)
/* The probe's own bound is ProbeTimeoutSec= (at most 10 min) plus systemd's slack. */
#define PROBE_POLLS_MAX (11U * 60U * 4U)

typedef struct HealthFetch {
        sd_event *event;
        unsigned pending;
        uint64_t max_age_usec;
} HealthFetch;

static void host_failed(HealthHost *h, int r, const sd_bus_error *e) {
        if (h->error < 0)
                return;
        h->error = r < 0 ? r : -EIO;
        (void) snprintf(h->problem, sizeof(h->problem), "%s",
                        e && sd_bus_error_is_set(e) ? (e->message ? e->message : e->name) : strerror(-h->error));
}

static void host_done(HealthHost *h) {
        if (--h->fetch->pending == 0)
                (void) sd_event_exit(h->fetch->event, 0);
}

static int read_rows(HealthHost *h, sd_bus_message *m) {
        const char *check, *subject, *state, *unit, *reason;
        double value;
        uint64_t at;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(sssdsst)");
        while (r >= 0 && (r = sd_bus_message_read(m, "(sssdsst)", &check, &subject, &state, &value, &unit, &reason,
                                                 &at)) > 0) {
                int s = health_state_from_string(state);
                if (h->n_rows >= HEALTH_FETCH_ROWS_MAX)
                        continue;
                health_row_set(&h->rows[h->n_rows++], check, subject, s < 0 ? HEALTH_UNKNOWN : (HealthState) s, value,
                               unit, at, "%s", reason);
                h->worst = health_state_worst(h->worst, s < 0 ? HEALTH_UNKNOWN : (HealthState) s);
                if ((strncmp(check, "fs.", 3) == 0 || strcmp(check, "kernel.log") == 0) &&
                    (h->sampled_at == 0 || at < h->sampled_at))
                        h->sampled_at = at;
        }
        return r;
}

static int start_check(HealthHost *h);

static int on_check(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        HealthHost *h = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        int r;

        (void) ret_error;
        /* A helper from before CheckRecent(): its Check() samples afresh, which is still correct. */
        if (e && !h->plain_check && sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_METHOD)) {
                h->plain_check = true;
                if (start_check(h) >= 0)
                        return 0;
        }
        if (e)
                host_failed(h, -sd_bus_message_get_errno(m), e);
        else if ((r = read_rows(h, m)) < 0)
                host_failed(h, r, NULL);
        host_done(h);
        return 0;
}

static int start_check(HealthHost *h) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        bool recent = h->fetch->max_age_usec != HEALTH_FETCH_FRESH && !h->plain_check;
        int r;

        r = sd_bus_message_new_method_call(h->bus, &m, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_HEALTH,
                                           recent ? "CheckRecent" : "Check");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{ss}");
        for (size_t i = 0; r >= 0 && i < h->n_settings; i++)
                r = sd_bus_message_append(m, "{ss}", h->settings[i]->key, h->settings[i]->value);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0 && recent)
                r = sd_bus_message_append(m, "t", h->fetch->max_age_usec);
        if (r >= 0)
                r = sd_bus_call_async(h->bus, NULL, m, on_check, h, CHECK_TIMEOUT_USEC);
        return r;
}

static void check_or_fail(HealthHost *h) {
        int r = start_check(h);

        if (r < 0) {
                host_failed(h, r, NULL);
                host_done(h);
        }
}

static int poll_job(HealthHost *h);

static int on_poll_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        HealthHost *h = userdata;

        (void) usec;
        sd_event_source_unref(s);
        if (poll_job(h) < 0)
                check_or_fail(h);
        return 0;
}

/* The job's State, Result and Message: polled, not signalled, so no signal
 * from a forged sender can end the wait (DESIGN.md section 7). */
static int on_job_props(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        HealthHost *h = userdata;
        const char *name, *state = "", *message = "";
        int r;

        (void) ret_error;
        r = sd_bus_message_is_method_error(m, NULL) ? -EIO : sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &name);
                if (r >= 0 && strcmp(name, "State") == 0)
                        r = sd_bus_message_read(m, "v", "s", &state);
                else if (r >= 0 && strcmp(name, "Message") == 0)
                        r = sd_bus_message_read(m, "v", "s", &message);
                else if (r >= 0)
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r >= 0 && strcmp(state, HUBOPS_JOB_RUNNING) == 0 && ++h->polls < PROBE_POLLS_MAX) {
                if (sd_event_add_time_relative(h->fetch->event, NULL, CLOCK_MONOTONIC, PROBE_POLL_USEC, 0,
                                               on_poll_timer, h) >= 0)
                        return 0;
        }
        h->probe_failed = r < 0 || strcmp(state, HUBOPS_JOB_DONE) != 0;
        (void) snprintf(h->probe_result, sizeof(h->probe_result), "%s%s%s", r < 0 ? "cannot follow the probe" : state,
                        message[0] ? ": " : "", message);
        check_or_fail(h);
        return 0;
}

static int poll_job(HealthHost *h) {
        return sd_bus_call_method_async(h->bus, NULL, HUBOPS_BUS_NAME, h->probe_job, "org.freedesktop.DBus.Properties",
                                        "GetAll", on_job_props, h, "s", HUBOPS_IFACE_JOB);
}

static int on_probe(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        HealthHost *h = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *path;

        (void) ret_error;
        if (e || sd_bus_message_read(m, "o", &path) < 0) {
                /* No probe (not configured, not authorized): say why, and still check. */
                h->probe_failed = true;
                (void) snprintf(h->probe_result, sizeof(h->probe_result), "not run: %s",
                                e ? (e->message ? e->message : e->name) : "malformed reply");
                check_or_fail(h);
                return 0;
        }
        (void) snprintf(h->probe_job, sizeof(h->probe_job), "%s", path);
        if (poll_job(h) < 0)
                check_or_fail(h);
        return 0;
}

int health_fetch(HealthHost *hosts, unsigned n, bool probe, uint64_t max_age_usec) {
        HealthFetch f = { .max_age_usec = max_age_usec };
        int r;

        r = sd_event_new(&f.event);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < n; i++) {
                HealthHost *h = &hosts[i];
                h->fetch = &f;
                if (h->error < 0 || !h->bus)
                        continue;
                r = sd_bus_attach_event(h->bus, f.event, SD_EVENT_PRIORITY_NORMAL);
                f.pending++;
                if (r >= 0 && probe)
                        r = sd_bus_call_method_async(h->bus, NULL, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH,
                                                     HUBOPS_IFACE_HEALTH, "Probe", on_probe, h, NULL);
                else if (r >= 0)
                        r = start_check(h);
                if (r < 0) {
                        host_failed(h, r, NULL);
                        f.pending--;
                }
        }
        if (f.pending > 0)
                r = sd_event_loop(f.event);
        for (unsigned i = 0; i < n; i++)
                if (hosts[i].bus)
                        (void) sd_bus_detach_event(hosts[i].bus);
        sd_event_unref(f.event);
        return r < 0 ? r : 0;
}

void health_host_settings(HealthHost *h, const SiteConfig *site, const SiteHost *host) {
        h->n_settings = site ? site_health_for_host(&site->health, host, h->settings, SITE_HEALTH_SETTINGS_MAX) : 0;
}
