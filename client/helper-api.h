/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "hosts.h"
#include "job-wait.h"
#include "site-config.h"

/* What hubopsctl asks of a helper, in one place: the load and its gate,
 * the job list, property reads, the calls that start jobs. The plain
 * commands (cmd-*.c) call the bus functions on their one connection; the
 * runbook engine calls the same functions through HelperApi, by site host
 * name, so its unit tests can run a plan against a fake helper. */

typedef struct LoadSample {
        double idle, avg[3];
        uint64_t memory;
} LoadSample;

/* One filesystem of Manager.GetHealth. */
typedef struct HealthFs {
        char path[256];
        uint64_t bfree, btotal, ifree, itotal;
        bool writable;
        char why[256];
} HealthFs;

/* Manager.CurrentRun: who holds the site (id empty: nobody). */
typedef struct SiteClaim {
        char id[80], owner[64], description[256];
        uint32_t uid;
        uint64_t since;
} SiteClaim;

/* A property value: strings and object paths in s, numbers in u. */
typedef struct HelperValue {
        char s[256];
        uint64_t u;
} HelperValue;

/* A method on the helper's object with up to two string arguments (and
 * whatever append adds after them), whose reply is one object path ("o"),
 * two strings ("ss"), one string of any length ("s", in text) or nothing (""). */
typedef struct HelperCall {
        const char *iface, *method;
        const char *args[2]; /* NULL-terminated when fewer */
        const char *reply;
        int (*append)(sd_bus_message *m, void *userdata); /* NULL: nothing more */
        void *userdata;
} HelperCall;

typedef struct HelperReply {
        char s[2][256]; /* reply "o", "ss"; "b": "yes" or "no" */
        char *text; /* reply "s": the caller's to free */
} HelperReply;

/* ---- on one connection ---- */
int helper_load_sample(sd_bus *bus, uint32_t window_ms, LoadSample *ret, sd_bus_error *error);
/* Manager.ListJobs as a JSON array of {id, operation, subject, state, path}. */
int helper_list_jobs(sd_bus *bus, sd_bus_error *error, json_object **ret);
int helper_property(sd_bus *bus, const char *iface, const char *name, char type, HelperValue *ret, sd_bus_error *error);
int helper_call(sd_bus *bus, const HelperCall *c, HelperReply *ret, sd_bus_error *error);
/* *ret (n entries) is the caller's to free. */
int helper_health(sd_bus *bus, HealthFs **ret, size_t *ret_n, sd_bus_error *error);
int helper_site_claim(sd_bus *bus, SiteClaim *ret, sd_bus_error *error);
/* The call could not have been answered: the connection dropped or timed
 * out locally. The helper may or may not have acted on it. */
bool helper_call_unanswered(const sd_bus_error *e, int r);

/* ---- the load gate ---- */
typedef int (*LoadSampler)(void *userdata, LoadSample *ret, sd_bus_error *error);
/* For --json: "gate-waiting" at every sample, "gate-passed" at the end. */
typedef struct GateReport {
        void (*event)(void *userdata, const char *event, const LoadSample *s, uint64_t held_usec, uint64_t waited_usec);
        void *userdata;
} GateReport;
/* The sample's figures as fields of o (cpu_idle, load1, ..., held_usec, waited_usec). */
void helper_load_to_json(json_object *o, const LoadSample *s, bool gate, uint64_t held, uint64_t waited);
/* Wait until CPU idle stays >= threshold (a fraction) for hold_usec,
 * sampling back to back; where prefixes the text lines ("dirhost: ").
 * Returns EXIT_OK, EXIT_TIMEOUT after timeout_usec (0: never), or another
 * exit code (error printed). *ret_waited: how long it took, so far. */
int helper_gate(LoadSampler sample, void *userdata, const char *where, double threshold, uint64_t hold_usec,
                uint64_t timeout_usec, const GateReport *report, uint64_t *ret_waited);
/* The gate as hubopsctl load --wait-idle runs it on one connection. */
int load_gate(sd_bus *bus, const char *where, double threshold, uint64_t hold_usec, uint64_t timeout_usec,
              uint64_t *ret_waited);

/* ---- by site host name, for the engine ---- */
typedef struct HelperApi HelperApi;
struct HelperApi {
        /* Each returns 0 (or > 0) or a negative errno with error set where the helper said why; a host
         * that cannot be reached is SD_BUS_ERROR_NO_SERVER with the reason as message. */
        int (*call)(HelperApi *a, const char *host, const HelperCall *c, HelperReply *ret, sd_bus_error *error);
        int (*property)(HelperApi *a, const char *host, const char *iface, const char *name, char type,
                        HelperValue *ret, sd_bus_error *error);
        int (*list_jobs)(HelperApi *a, const char *host, json_object **ret, sd_bus_error *error);
        int (*job)(HelperApi *a, const char *host, const char *path, JobInfo *ret, sd_bus_error *error);
        int (*load)(HelperApi *a, const char *host, LoadSample *ret, sd_bus_error *error);
        int (*health)(HelperApi *a, const char *host, HealthFs **ret, size_t *ret_n, sd_bus_error *error);
        int (*site_claim)(HelperApi *a, const char *host, SiteClaim *ret, sd_bus_error *error);
        /* The host's connection itself, for what asks many hosts at once on one loop
         * (health-fetch.c); NULL where there is none (a stub). */
        sd_bus *(*connection)(HelperApi *a, const char *host, sd_bus_error *error);
        /* Follow a job to its end: an exit code (exit-codes.h), the error printed. */
        int (*wait_job)(HelperApi *a, const char *host, const char *path, uint64_t timeout_usec, const JobWatch *watch,
                        JobInfo *ret);
};

/* The real thing: one connection per site host (hosts.h). */
typedef struct BusHelperApi {
        HelperApi api;
        Hosts hosts;
} BusHelperApi;

void bus_helper_api_init(BusHelperApi *b, const SiteConfig *site);
void bus_helper_api_done(BusHelperApi *b);
