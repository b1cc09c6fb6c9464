/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "op-table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "directory.h"
#include "hubops-bus.h"
#include "health-probe.h"
#include "iface-directory.h"
#include "iface-health.h"
#include "iface-hooks.h"
#include "iface-mailstore.h"
#include "iface-manager.h"
#include "iface-rebuild.h"
#include "iface-service.h"
#include "job-record.h"
#include "job.h"
#include "macro.h"
#include "names.h"
#include "rebuild.h"

static void details_hook(const Context *c, const char *name, const char *subject, const char *details[OP_DETAILS_MAX]) {
        (void) c, (void) name;
        details[0] = "hook", details[1] = subject;
}

static void details_service(const Context *c, const char *name, const char *subject, const char *details[OP_DETAILS_MAX]) {
        (void) c;
        details[0] = "service", details[1] = subject, details[2] = "verb", details[3] = name + strlen("service.");
}

static void details_directory(const Context *c, const char *name, const char *subject, const char *details[OP_DETAILS_MAX]) {
        (void) c, (void) subject;
        details[0] = "verb", details[1] = name + strlen("directory.");
}

/* As ClaimRun asks (helper/run-claim.c): a rule may judge by the run. */
static void details_run(const Context *c, const char *name, const char *subject, const char *details[OP_DETAILS_MAX]) {
        (void) c, (void) name;
        details[0] = "run", details[1] = subject;
}

/* As Health.Probe gives them (helper/iface-health.c). */
static void details_probe(const Context *c, const char *name, const char *subject,
                          const char *details[OP_DETAILS_MAX]) {
        const char *dir = c->config->health.probe_directory;

        (void) name, (void) subject;
        details[0] = "directory", details[1] = dir ? dir : "";
}

static const char *missing_hook(const Context *c, const char *subject) {
        return config_find_hook(c->config, subject) ? NULL : "no such hook";
}

static const char *missing_service(const Context *c, const char *subject) {
        return config_find_service(c->config, subject) ? NULL : "no such service";
}

static const char *missing_directory(const Context *c, const char *subject) {
        (void) subject;
        return c->config->directory.present ? NULL : "no [Directory] on this host";
}

static const char *missing_rebuild(const Context *c, const char *subject) {
        (void) subject;
        return c->config->rebuild.present ? NULL : "no [Rebuild] on this host";
}

static void details_domain(const Context *c, const char *name, const char *subject,
                           const char *details[OP_DETAILS_MAX]) {
        (void) c, (void) name;
        details[0] = "domain", details[1] = subject;
}

static const char *missing_mailstore(const Context *c, const char *subject) {
        (void) subject;
        return c->config->mailstore.present ? NULL : "no [Mailstore] on this host";
}

static const char *missing_probe(const Context *c, const char *subject) {
        (void) subject;
        return c->config->health.probe_directory ? NULL : "no ProbeDirectory= in [Health] on this host";
}

static size_t n_hooks(const Context *c) {
        return c->config->n_hooks;
}

static const char *hook_name(const Context *c, size_t i) {
        return c->config->hooks[i].name;
}

static size_t n_services(const Context *c) {
        return c->config->n_services;
}

static const char *service_name(const Context *c, size_t i) {
        return c->config->services[i].name;
}

static char *configured_service(const Context *c, const char *name, const char *subject) {
        const ServiceConfig *sv = config_find_service(c->config, subject);

        (void) name;
        return sv ? strdup(sv->unit) : NULL;
}

/* Unit= when the directory has one; else its phases run the init script. */
static char *configured_directory(const Context *c, const char *name, const char *subject) {
        (void) name, (void) subject;
        return c->config->directory.unit ? strdup(c->config->directory.unit) : NULL;
}

/* The site's template unit for the verb, instanced by the domain. */
static char *configured_site_unit(const Context *c, const char *name, const char *subject) {
        const MailstoreConfig *m = &c->config->mailstore;
        const char *template_unit = strcmp(name, "mailbox.freeze") == 0 ? m->freeze_unit
                                    : strcmp(name, "mailbox.thaw") == 0 ? m->thaw_unit
                                                                        : m->switch_unit;

        return template_unit ? unit_template_instance(template_unit, subject) : NULL;
}

static uint64_t estimate_rebuild(const Context *c, char *basis, size_t basis_size) {
        return rebuild_estimate(&c->rebuild, c->config->rebuild.expected_usec, basis, basis_size);
}

static uint64_t estimate_probe(const Context *c, char *basis, size_t basis_size) {
        (void) snprintf(basis, basis_size, "ProbeTimeoutSec=");
        return c->config->health.probe_timeout_usec;
}

#define TRANSIENT(s, a, x) { .kind = OP_UNIT_TRANSIENT, .stem = (s), .cancel_action = (a), .sandbox = (x) }

/* Two calls of one hook, or two verbs of one service, run side by side
 * as they always have: systemd queues a unit's own jobs (and hubops-stress
 * runs one hook from 32 callers at once). */
#define HOOK_ROW(n)                                                                                           \
        { .name = (n), .action = HUBOPS_ACTION_HOOK_RUN, .details = details_hook, .missing = missing_hook,    \
          .n_subjects = n_hooks, .subject = hook_name, .register_interface = hooks_register,                 \
          .restore = hooks_restore, .progress = OP_PROGRESS_UNIT_STATUS, .busy = OP_BUSY_NONE,               \
          .unit = TRANSIENT("hook-%s", HUBOPS_ACTION_JOB_CANCEL, OP_SANDBOX_NONE) }
#define SERVICE_ROW(n, i, r)                                                                                   \
        { .name = (n), .action = HUBOPS_ACTION_SERVICE_MANAGE, .details = details_service,                  \
          .missing = missing_service, .n_subjects = n_services, .subject = service_name,                     \
          .register_interface = (i), .restore = (r), .busy = OP_BUSY_NONE,                                   \
          .unit = { .kind = OP_UNIT_CONFIGURED, .stem = "service-%s",                                        \
                    .cancel_action = HUBOPS_ACTION_SERVICE_MANAGE, .configured = configured_service } }
/* One procedure at a time: a stop half-way through a start would undo it. */
#define DIRECTORY_ROW(n, s, i, r)                                                                              \
        { .name = (n), .action = HUBOPS_ACTION_DIRECTORY_MANAGE, .details = details_directory,              \
          .missing = missing_directory, .register_interface = (i), .restore = (r), .busy = OP_BUSY_HOST,     \
          .busy_what = "the directory",                                                                      \
          .unit = { .kind = OP_UNIT_PROCEDURE, .stem = (s), .cancel_action = HUBOPS_ACTION_DIRECTORY_MANAGE, \
                    .configured = configured_directory } }

/* A domain is named by the call; CanRun asks polkit with the one given.
 * One mailbox job per domain: a copy must not race a freeze or a switch. */
#define MAILBOX_ROW(n, a, i, r, p, k, s, x, cfg)                                                               \
        { .name = (n), .action = (a), .details = details_domain, .missing = missing_mailstore,              \
          .register_interface = (i), .restore = (r), .progress = (p), .busy = OP_BUSY_SUBJECT,               \
          .busy_what = "the mail store",                                                                     \
          .unit = { .kind = (k), .stem = (s), .cancel_action = HUBOPS_ACTION_JOB_CANCEL, .sandbox = (x),      \
                    .configured = (cfg) } }
/* The walks and the copies: the mail user's sandboxed units, which report counters. */
#define MAILBOX_WALK(n, a, i, r, s, x) \
        MAILBOX_ROW(n, a, i, r, OP_PROGRESS_UNIT_STATUS, OP_UNIT_TRANSIENT, s, x, NULL)
/* The site units: only their end. */
#define MAILBOX_SITE(n, a, s) \
        MAILBOX_ROW(n, a, NULL, NULL, OP_PROGRESS_NONE, OP_UNIT_CONFIGURED, s, OP_SANDBOX_NONE, configured_site_unit)

/* Every name in common/operations.c, in its order. */
const OpRow op_rows[] = {
        HOOK_ROW("hook.run"),
        SERVICE_ROW("service.start", service_register, service_restore),
        SERVICE_ROW("service.stop", NULL, NULL),
        SERVICE_ROW("service.restart", NULL, NULL),
        DIRECTORY_ROW("directory.stop", "directory-stop", directory_register, directory_restore),
        DIRECTORY_ROW("directory.kill-root", "directory-kill-root", NULL, NULL),
        DIRECTORY_ROW("directory.start", "directory-start", NULL, NULL),
        DIRECTORY_ROW("directory.restart", "directory-restart", NULL, NULL),
        /* One rebuild per host, in one unit of a stable name; its progress:
         * its estimate from past runs (rebuild.c). */
        { .name = "rebuild.start", .action = HUBOPS_ACTION_REBUILD_START, .missing = missing_rebuild,
          .register_interface = rebuild_register, .restore = rebuild_restore, .progress = OP_PROGRESS_ESTIMATE,
          .estimate = estimate_rebuild, .busy = OP_BUSY_HOST, .busy_what = "a rebuild",
          .unit = { .kind = OP_UNIT_STABLE, .stem = "rebuild", .cancel_action = HUBOPS_ACTION_REBUILD_CANCEL } },
        { .name = "rebuild.cancel", .action = HUBOPS_ACTION_REBUILD_CANCEL, .missing = missing_rebuild },
        /* One probe at a time: two would measure each other. */
        { .name = "health.probe", .action = HUBOPS_ACTION_HEALTH_PROBE, .details = details_probe,
          .missing = missing_probe, .register_interface = health_register, .restore = health_probe_restore,
          .progress = OP_PROGRESS_ESTIMATE, .estimate = estimate_probe, .busy = OP_BUSY_HOST,
          .busy_what = "the disk probe",
          .unit = TRANSIENT("health-probe", HUBOPS_ACTION_HEALTH_PROBE, OP_SANDBOX_NONE) },
        MAILBOX_WALK("mailbox.survey", HUBOPS_ACTION_MAILBOX_SURVEY, mailstore_register, mailstore_restore,
                     "mailbox-survey", OP_SANDBOX_OFFLINE),
        MAILBOX_WALK("mailbox.stamp", HUBOPS_ACTION_MAILBOX_SURVEY, NULL, NULL, "mailbox-stamp", OP_SANDBOX_OFFLINE),
        MAILBOX_WALK("mailbox.verify", HUBOPS_ACTION_MAILBOX_VERIFY, NULL, NULL, "mailbox-verify", OP_SANDBOX_OFFLINE),
        MAILBOX_WALK("mailbox.sync", HUBOPS_ACTION_MAILBOX_SYNC, NULL, NULL, "mailbox-sync", OP_SANDBOX_NETWORK),
        MAILBOX_SITE("mailbox.freeze", HUBOPS_ACTION_MAILBOX_FREEZE, "mailbox-freeze"),
        MAILBOX_SITE("mailbox.thaw", HUBOPS_ACTION_MAILBOX_THAW, "mailbox-thaw"),
        MAILBOX_SITE("mailbox.switch", HUBOPS_ACTION_MAILBOX_SWITCH, "mailbox-switch"),
        /* Does the domain route here: the site's RoutedUnit= answers, no job
         * (mailstore-route.c); read like a survey. */
        { .name = "mailbox.routed", .action = HUBOPS_ACTION_MAILBOX_SURVEY, .details = details_domain,
          .missing = missing_mailstore, .busy = OP_BUSY_NONE },
        /* Retire: the domain's copy emptied as the mail user, offline, Root= writable. */
        MAILBOX_WALK("mailbox.retire", HUBOPS_ACTION_MAILBOX_RETIRE, NULL, NULL, "mailbox-retire", OP_SANDBOX_WRITES),
        /* On the Manager interface (iface-manager.c): a claim, no job. */
        { .name = "run.claim", .action = HUBOPS_ACTION_RUN_CLAIM, .details = details_run },
};
const size_t n_op_rows = ELEMENTSOF(op_rows);

const OpRow *op_row_find(const char *name) {
        for (size_t i = 0; i < n_op_rows; i++)
                if (strcmp(op_rows[i].name, name) == 0)
                        return &op_rows[i];
        return NULL;
}

int op_table_register_objects(Context *c) {
        int r = manager_register(c);

        for (size_t i = 0; r >= 0 && i < n_op_rows; i++)
                if (op_rows[i].register_interface)
                        r = op_rows[i].register_interface(c);
        if (r >= 0)
                r = jobs_register(c);
        if (r >= 0)
                r = sd_bus_add_object_manager(c->bus, NULL, HUBOPS_OBJECT_PATH);
        return r;
}

void op_table_restore_all(Context *c) {
        for (size_t i = 0; i < n_op_rows; i++)
                if (op_rows[i].restore)
                        op_rows[i].restore(c);
        job_records_end_unclaimed(c);
}
