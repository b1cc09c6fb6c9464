/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "op-table.h"

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

#define HOOK_ROW(n) \
        { n, HUBOPS_ACTION_HOOK_RUN, details_hook, missing_hook, n_hooks, hook_name, hooks_register, hooks_restore, \
          OP_PROGRESS_UNIT_STATUS }
#define SERVICE_ROW(n, i, r) \
        { n, HUBOPS_ACTION_SERVICE_MANAGE, details_service, missing_service, n_services, service_name, i, r }
#define DIRECTORY_ROW(n, i, r) \
        { n, HUBOPS_ACTION_DIRECTORY_MANAGE, details_directory, missing_directory, NULL, NULL, i, r }
#define REBUILD_ROW(n, a, i, r, p) \
        { n, a, NULL, missing_rebuild, NULL, NULL, i, r, p }

/* A domain is named by the call; CanRun asks polkit with the one given. */
#define MAILBOX_ROW(n, a, i, r, p) \
        { n, a, details_domain, missing_mailstore, NULL, NULL, i, r, p }

/* Every name in common/operations.c, in its order. */
const OpRow op_rows[] = {
        HOOK_ROW("hook.run"),
        SERVICE_ROW("service.start", service_register, service_restore),
        SERVICE_ROW("service.stop", NULL, NULL),
        SERVICE_ROW("service.restart", NULL, NULL),
        DIRECTORY_ROW("directory.stop", directory_register, directory_restore),
        DIRECTORY_ROW("directory.kill-root", NULL, NULL),
        DIRECTORY_ROW("directory.start", NULL, NULL),
        DIRECTORY_ROW("directory.restart", NULL, NULL),
        /* The rebuild's progress: its estimate from past runs (rebuild.c). */
        REBUILD_ROW("rebuild.start", HUBOPS_ACTION_REBUILD_START, rebuild_register, rebuild_restore,
                    OP_PROGRESS_ESTIMATE),
        REBUILD_ROW("rebuild.cancel", HUBOPS_ACTION_REBUILD_CANCEL, NULL, NULL, OP_PROGRESS_NONE),
        { "health.probe", HUBOPS_ACTION_HEALTH_PROBE, details_probe, missing_probe, NULL, NULL, health_register,
          health_probe_restore, OP_PROGRESS_ESTIMATE },
        /* The walks and the copies report counters (hubops-mailscan, hubops-mailsync);
         * the site units only their end. */
        MAILBOX_ROW("mailbox.survey", HUBOPS_ACTION_MAILBOX_SURVEY, mailstore_register, mailstore_restore,
                    OP_PROGRESS_UNIT_STATUS),
        MAILBOX_ROW("mailbox.stamp", HUBOPS_ACTION_MAILBOX_SURVEY, NULL, NULL, OP_PROGRESS_UNIT_STATUS),
        MAILBOX_ROW("mailbox.verify", HUBOPS_ACTION_MAILBOX_VERIFY, NULL, NULL, OP_PROGRESS_UNIT_STATUS),
        MAILBOX_ROW("mailbox.sync", HUBOPS_ACTION_MAILBOX_SYNC, NULL, NULL, OP_PROGRESS_UNIT_STATUS),
        MAILBOX_ROW("mailbox.freeze", HUBOPS_ACTION_MAILBOX_FREEZE, NULL, NULL, OP_PROGRESS_NONE),
        MAILBOX_ROW("mailbox.thaw", HUBOPS_ACTION_MAILBOX_THAW, NULL, NULL, OP_PROGRESS_NONE),
        MAILBOX_ROW("mailbox.switch", HUBOPS_ACTION_MAILBOX_SWITCH, NULL, NULL, OP_PROGRESS_NONE),
        /* Does the domain route here (RoutedUnit=, read like a survey); retire: its copy deleted. */
        MAILBOX_ROW("mailbox.routed", HUBOPS_ACTION_MAILBOX_SURVEY, NULL, NULL, OP_PROGRESS_NONE),
        MAILBOX_ROW("mailbox.retire", HUBOPS_ACTION_MAILBOX_RETIRE, NULL, NULL, OP_PROGRESS_NONE),
        /* On the Manager interface (iface-manager.c). */
        { "run.claim", HUBOPS_ACTION_RUN_CLAIM, details_run, NULL, NULL, NULL, NULL, NULL },
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
