/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "helper-api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "exit-codes.h"
#include "hubops-bus.h"
#include "macro.h"
#include "output.h"
#include "timespan.h"

/* The gate samples back to back in short windows, so it notices soon. */
#define GATE_SAMPLE_MS 500U
/* Off a terminal (a log), a waiting gate writes a line when it crosses the
 * threshold either way, and otherwise once a minute: not one per sample. */
#define GATE_LOG_EVERY_USEC (60ULL * USEC_PER_SEC)

int helper_load_sample(sd_bus *bus, uint32_t window_ms, LoadSample *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        LoadSample s;
        int r;

        r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "GetLoad", error, &reply,
                               "u", window_ms);
        if (r >= 0)
                r = sd_bus_message_read(reply, "ddddt", &s.idle, &s.avg[0], &s.avg[1], &s.avg[2], &s.memory);
        if (r < 0)
                return r;
        *ret = s;
        return 0;
}

int helper_list_jobs(sd_bus *bus, sd_bus_error *error, json_object **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *op, *subject, *state, *path;
        json_object *a;
        uint64_t id;
        int r;

        r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "ListJobs", error,
                               &reply, NULL);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(tssso)");
        if (r < 0)
                return r;
        a = json_object_new_array();
        while ((r = sd_bus_message_read(reply, "(tssso)", &id, &op, &subject, &state, &path)) > 0) {
                json_object *j = json_object_new_object();
                json_object_object_add(j, "id", json_object_new_int64((int64_t) id));
                json_object_object_add(j, "operation", json_object_new_string(op));
                json_object_object_add(j, "subject", json_object_new_string(subject));
                json_object_object_add(j, "state", json_object_new_string(state));
                json_object_object_add(j, "path", json_object_new_string(path));
                json_object_array_add(a, j);
        }
        if (r < 0) {
                json_object_put(a);
                return r;
        }
        *ret = a;
        return 0;
}

int helper_property(sd_bus *bus, const char *iface, const char *name, char type, HelperValue *ret,
                    sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        char sig[2] = { type, '\0' };
        HelperValue v = { 0 };
        const char *s;
        int r;

        r = sd_bus_get_property(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, iface, name, error, &reply, sig);
        if (r < 0)
                return r;
        if (type == 't')
                r = sd_bus_message_read(reply, sig, &v.u);
        else if (type == 's' || type == 'o') {
                r = sd_bus_message_read(reply, sig, &s);
                if (r >= 0)
                        (void) snprintf(v.s, sizeof(v.s), "%s", s);
        } else
                r = -EINVAL;
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int helper_call(sd_bus *bus, const HelperCall *c, HelperReply *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        HelperReply out = { 0 };
        const char *a = "", *b = "";
        int r;

        r = sd_bus_message_new_method_call(bus, &m, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, c->iface, c->method);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(c->args) && c->args[i]; i++)
                r = sd_bus_message_append(m, "s", c->args[i]);
        if (r >= 0 && c->append)
                r = c->append(m, c->userdata);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, error, &reply);
        if (r >= 0 && strcmp(c->reply, "o") == 0)
                r = sd_bus_message_read(reply, "o", &a);
        else if (r >= 0 && (strcmp(c->reply, "ss") == 0))
                r = sd_bus_message_read(reply, "ss", &a, &b);
        else if (r >= 0 && strcmp(c->reply, "b") == 0) {
                int yes = 0;

                r = sd_bus_message_read(reply, "b", &yes);
                a = yes ? "yes" : "no";
        } else if (r >= 0 && strcmp(c->reply, "s") == 0) {
                r = sd_bus_message_read(reply, "s", &a);
                if (r >= 0 && !(out.text = strdup(a)))
                        r = -ENOMEM;
                a = "";
        }
        if (r < 0)
                return r;
        (void) snprintf(out.s[0], sizeof(out.s[0]), "%s", a);
        (void) snprintf(out.s[1], sizeof(out.s[1]), "%s", b);
        if (ret)
                *ret = out;
        return 0;
}

int helper_health(sd_bus *bus, HealthFs **ret, size_t *ret_n, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ HealthFs *fs = NULL;
        const char *path, *fstype, *why;
        size_t n = 0;
        int writable, r;

        r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "GetHealth", error,
                               &reply, NULL);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(sttttbss)");
        while (r >= 0) {
                HealthFs f = { 0 }, *grown;
                r = sd_bus_message_read(reply, "(sttttbss)", &path, &f.bfree, &f.btotal, &f.ifree, &f.itotal, &writable,
                                        &fstype, &why);
                if (r <= 0)
                        break;
                (void) snprintf(f.path, sizeof(f.path), "%s", path);
                (void) snprintf(f.why, sizeof(f.why), "%s", why);
                f.writable = writable;
                grown = realloc(fs, (n + 1) * sizeof(HealthFs));
                if (!grown)
                        return -ENOMEM;
                fs = grown;
                fs[n++] = f;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(fs);
        *ret_n = n;
        return 0;
}

int helper_site_claim(sd_bus *bus, SiteClaim *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *id, *owner, *desc;
        SiteClaim c = { 0 };
        int r;

        r = sd_bus_get_property(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "CurrentRun", error,
                                &reply, "(ssuts)");
        if (r >= 0)
                r = sd_bus_message_read(reply, "(ssuts)", &id, &owner, &c.uid, &c.since, &desc);
        if (r < 0)
                return r;
        (void) snprintf(c.id, sizeof(c.id), "%s", id);
        (void) snprintf(c.owner, sizeof(c.owner), "%s", owner);
        (void) snprintf(c.description, sizeof(c.description), "%s", desc);
        *ret = c;
        return 0;
}

bool helper_call_unanswered(const sd_bus_error *e, int r) {
        int code = output_exit_code(e, r);

        /* The helper's own Timeout is an answer; a local one is not. */
        return code == EXIT_UNREACHABLE || (code == EXIT_TIMEOUT && !sd_bus_error_has_name(e, HUBOPS_ERROR_TIMEOUT));
}

void helper_load_to_json(json_object *o, const LoadSample *s, bool gate, uint64_t held, uint64_t waited) {
        json_object_object_add(o, "cpu_idle", json_object_new_double(s->idle));
        json_object_object_add(o, "load1", json_object_new_double(s->avg[0]));
        json_object_object_add(o, "load5", json_object_new_double(s->avg[1]));
        json_object_object_add(o, "load15", json_object_new_double(s->avg[2]));
        json_object_object_add(o, "memory_available", json_object_new_int64((int64_t) s->memory));
        if (gate) {
                json_object_object_add(o, "held_usec", json_object_new_int64((int64_t) held));
                json_object_object_add(o, "waited_usec", json_object_new_int64((int64_t) waited));
        }
}

typedef struct GateState {
        uint64_t start, since, logged_at;
        bool logged, logged_above;
} GateState;

/* One sample judged: EXIT_OK passed, -1 keep waiting, or EXIT_TIMEOUT. */
static int gate_judge(GateState *g, const LoadSample *s, const char *where, double threshold, uint64_t hold_usec,
                      uint64_t timeout_usec, const GateReport *report, uint64_t *ret_waited) {
        uint64_t now = now_usec(CLOCK_MONOTONIC), h;
        char want[32], held[32], waited[32];

        if (ret_waited)
                *ret_waited = now - g->start;
        if (s->idle * 100.0 + 1e-9 >= threshold * 100.0) {
                if (g->since == 0)
                        g->since = now - GATE_SAMPLE_MS * USEC_PER_MSEC;
        } else
                g->since = 0;
        h = g->since ? now - g->since : 0;
        (void) timespan_format(want, sizeof(want), hold_usec);
        (void) timespan_format(held, sizeof(held), h);
        (void) timespan_format(waited, sizeof(waited), now - g->start);
        if (g->since && h >= hold_usec) {
                output_status_done();
                if (output.json)
                        report->event(report->userdata, "gate-passed", s, h, now - g->start);
                else
                        output_line("%sCPU idle %.1f%% >= %.0f%% for %s: gate passed after %s", where, s->idle * 100.0,
                                    threshold * 100.0, want, waited);
                return EXIT_OK;
        }
        if (output.json)
                report->event(report->userdata, "gate-waiting", s, h, now - g->start);
        if (output.tty || !g->logged || (g->since != 0) != g->logged_above ||
            now - g->logged_at >= GATE_LOG_EVERY_USEC) {
                g->logged = true, g->logged_above = g->since != 0, g->logged_at = now;
                output_status("%sCPU idle %.1f%% (want >= %.0f%% for %s; held %s; waited %s)", where, s->idle * 100.0,
                              threshold * 100.0, want, held, waited);
        }
        if (timeout_usec && now - g->start >= timeout_usec)
                return output_error(EXIT_TIMEOUT,
                                    "Load gate timed out after %s: %sCPU idle %.1f%% never stayed >= %.0f%% for %s",
                                    waited, where, s->idle * 100.0, threshold * 100.0, want);
        return -1;
}

int helper_gate(LoadSampler sample, void *userdata, const char *where, double threshold, uint64_t hold_usec,
                uint64_t timeout_usec, const GateReport *report, uint64_t *ret_waited) {
        GateState g = { .start = now_usec(CLOCK_MONOTONIC) };

        for (;;) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                LoadSample s;
                int r = sample(userdata, &s, &error);

                if (r < 0)
                        return sd_bus_error_has_name(&error, SD_BUS_ERROR_NO_SERVER)
                                ? output_error(EXIT_UNREACHABLE, "%s", error.message)
                                : output_bus_error(&error, r, "Cannot read the load");
                r = gate_judge(&g, &s, where, threshold, hold_usec, timeout_usec, report, ret_waited);
                if (r >= 0)
                        return r;
        }
}

static int bus_sample(void *userdata, LoadSample *ret, sd_bus_error *error) {
        return helper_load_sample(userdata, GATE_SAMPLE_MS, ret, error);
}

/* hubopsctl load --wait-idle: the events carry the sample alone. */
static void plain_gate_event(void *userdata, const char *event, const LoadSample *s, uint64_t held, uint64_t waited) {
        json_object *o = json_object_new_object();

        (void) userdata;
        json_object_object_add(o, "event", json_object_new_string(event));
        helper_load_to_json(o, s, true, held, waited);
        output_json(o);
}

int load_gate(sd_bus *bus, const char *where, double threshold, uint64_t hold_usec, uint64_t timeout_usec,
              uint64_t *ret_waited) {
        const GateReport report = { .event = plain_gate_event };

        return helper_gate(bus_sample, bus, where, threshold, hold_usec, timeout_usec, &report, ret_waited);
}

/* ---- HelperApi over one connection per site host ---- */

static int get_bus(HelperApi *a, const char *host, sd_bus **ret, sd_bus_error *error) {
        BusHelperApi *b = (BusHelperApi *) a;
        char err[512];
        int r = hosts_get(&b->hosts, host, ret, err, sizeof(err));

        if (r < 0)
                (void) sd_bus_error_set(error, SD_BUS_ERROR_NO_SERVER, err);
        return r;
}

static sd_bus *bus_connection(HelperApi *a, const char *host, sd_bus_error *error) {
        sd_bus *bus = NULL;

        return get_bus(a, host, &bus, error) < 0 ? NULL : bus;
}

static int bus_call(HelperApi *a, const char *host, const HelperCall *c, HelperReply *ret, sd_bus_error *error) {
        sd_bus *bus;
        int r = get_bus(a, host, &bus, error);

        return r < 0 ? r : helper_call(bus, c, ret, error);
}

static int bus_property(HelperApi *a, const char *host, const char *iface, const char *name, char type,
                        HelperValue *ret, sd_bus_error *error) {
        sd_bus *bus;
        int r = get_bus(a, host, &bus, error);

        return r < 0 ? r : helper_property(bus, iface, name, type, ret, error);
}

static int bus_list_jobs(HelperApi *a, const char *host, json_object **ret, sd_bus_error *error) {
        sd_bus *bus;
        int r = get_bus(a, host, &bus, error);

        return r < 0 ? r : helper_list_jobs(bus, error, ret);
}

static int bus_job(HelperApi *a, const char *host, const char *path, JobInfo *ret, sd_bus_error *error) {
        sd_bus *bus;
        int r = get_bus(a, host, &bus, error);

        return r < 0 ? r : job_info_get(bus, path, ret, error);
}

static int bus_load(HelperApi *a, const char *host, LoadSample *ret, sd_bus_error *error) {
        sd_bus *bus;
        int r = get_bus(a, host, &bus, error);

        return r < 0 ? r : helper_load_sample(bus, GATE_SAMPLE_MS, ret, error);
}

static int bus_health(HelperApi *a, const char *host, HealthFs **ret, size_t *ret_n, sd_bus_error *error) {
        sd_bus *bus;
        int r = get_bus(a, host, &bus, error);

        return r < 0 ? r : helper_health(bus, ret, ret_n, error);
}

static int bus_site_claim(HelperApi *a, const char *host, SiteClaim *ret, sd_bus_error *error) {
        sd_bus *bus;
        int r = get_bus(a, host, &bus, error);

        return r < 0 ? r : helper_site_claim(bus, ret, error);
}

static int bus_wait_job(HelperApi *a, const char *host, const char *path, uint64_t timeout_usec, const JobWatch *watch,
                        JobInfo *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus *bus;

        if (get_bus(a, host, &bus, &error) < 0)
                return output_error(EXIT_UNREACHABLE, "%s", error.message);
        return job_wait_watched(bus, path, timeout_usec, watch, ret);
}

void bus_helper_api_init(BusHelperApi *b, const SiteConfig *site) {
        *b = (BusHelperApi) {
                .api = { .call = bus_call,
                         .property = bus_property,
                         .list_jobs = bus_list_jobs,
                         .job = bus_job,
                         .load = bus_load,
                         .health = bus_health,
                         .site_claim = bus_site_claim,
                         .connection = bus_connection,
                         .wait_job = bus_wait_job },
                .hosts = { .site = site },
        };
}

void bus_helper_api_done(BusHelperApi *b) {
        hosts_close(&b->hosts);
}
