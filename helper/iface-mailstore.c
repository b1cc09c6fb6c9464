/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "iface-mailstore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "hubops-bus.h"
#include "job.h"
#include "macro.h"
#include "mail-stamps.h"
#include "mailstore.h"
#include "mailstore-route.h"
#include "names.h"
#include "op-busy.h"
#include "op-start.h"
#include "request.h"
#include "strv.h"

#define FOLDERS_INPUT_MAX (64U << 20) /* systemd's own limit for StandardInputData= */

/* What a method asked, carried through the polkit check to act(). */
typedef struct MailAsk {
        const char *operation;
        char domain[256];
        char moment[8];       /* RecordFolders: presync, frozen */
        bool checksum;        /* Verify */
        const PeerConfig *peer; /* Sync */
        char mode[8];         /* Sync: full, connect, final */
        char *input;          /* Sync final: "F\tPATH\n" and "C\tPATH\n" lines */
        size_t input_size;
        char kind[16];        /* GetReport */
} MailAsk;

static void mail_ask_free(void *p) {
        MailAsk *a = p;

        if (a)
                free(a->input);
        free(a);
}

static void mailstore_finished(Job *j, const UnitOutcome *o);

static const char *shown_domain(const MailAsk *a) {
        return domain_name_is_valid(a->domain) ? a->domain : "(invalid)";
}

/* ---- acting, once authorized ---- */

/* A walk, a copy, a connect or a retire: a transient unit as the mail user,
 * sandboxed as its row says (a copy and a retire write the mail root), its
 * stdout (the report; a retire has none) to the job's output file in
 * StateDirectory/mailbox. */
static void start_mail_unit(Request *req, const MailAsk *a, char **argv_taken) {
        const MailstoreConfig *m = &req->context->config->mailstore;
        _cleanup_(strv_freep) char **argv = argv_taken; /* the unit's properties hold a copy */
        _cleanup_free_ char *out = NULL, *held = NULL;
        bool connect = strcmp(a->mode, "connect") == 0, holds = connect || strcmp(a->mode, "final") == 0;
        char doing[300];
        Job *job;
        int r;

        /* The final pass's ssh connection to the peer, opened by a connect
         * (its directory kept for the final pass), used and closed by the
         * final pass (hubops-mailsync; the directory goes with its unit). One
         * per domain and peer: a final pass closes no other domain's
         * session, and never uses one to another peer. */
        if (holds)
                held = strdup_printf("%s-peer-%s-%s", req->context->config->unit_prefix, a->peer->name, a->domain);
        if (!argv || (holds && !held)) {
                (void) request_reply_error(req, HUBOPS_ERROR_FAILED, "Out of memory");
                return;
        }
        r = mailstore_ensure_state_dir(req->context);
        if (r < 0) {
                (void) request_reply_error(req, HUBOPS_ERROR_FAILED, "Cannot use StateDirectory/mailbox: %s",
                                           strerror(-r));
                return;
        }
        if (op_job_new(req, a->domain, &job) < 0)
                return;
        out = mailstore_job_output_path(req->context, job->id);
        TransientUnit u = {
                .name = job->unit,
                .description = a->operation,
                .argv = argv,
                .user = m->user,
                .group = m->group,
                .timeout_usec = m->sync_timeout_usec,
                .output_file = job->log_file,
                /* A retire and a connect have no report: stdout to the log. */
                .result_file = strcmp(a->operation, "mailbox.retire") == 0 || connect ? NULL : out,
                .input_data = a->input,
                .input_size = a->input_size,
                .writable_path = m->root,
                .runtime_directory = held,
                .runtime_directory_kept = connect,
                /* The connection outlives the connect's unit, which ends once
                 * it is open; ssh itself closes it when idle (ControlPersist=). */
                .keep_processes = connect,
        };
        (void) snprintf(doing, sizeof(doing), "for %s of %s", a->operation, a->domain);
        op_start_unit(req, job,
                      &(OpUnit) {
                              .transient = &u, .what = "the mailbox job", .doing = doing, .finished = mailstore_finished });
}

/* The site's template unit, instanced by the domain (the row names it). */
static void start_site_unit(Request *req, const MailAsk *a) {
        Job *job;

        if (op_job_new(req, a->domain, &job) < 0)
                return;
        op_start_unit(req, job,
                      &(OpUnit) { .verb = "Start", .what = job->unit, .doing = "", .finished = mailstore_finished });
}

/* Retire, once the site said where the domain routes: never while here. */
static void retire_on_route(Request *req, int here, const char *why, void *userdata) {
        MailAsk *a = userdata;
        if (here < 0)
                (void) request_reply_error(req, HUBOPS_ERROR_FAILED, "Cannot tell where %s's mail routes: %s",
                                           a->domain, why);
        else if (here)
                (void) request_reply_error(req, HUBOPS_ERROR_STILL_ROUTED,
                                           "%s's mail still routes to %s: its copy here is the live one (move "
                                           "the domain away first)",
                                           a->domain, req->context->config->hostname);
        else if (!op_reply_if_busy(req, a->domain)) /* unless one started while the site answered */
                start_mail_unit(req, a, mailstore_retire_argv(req->context, a->domain));
        mail_ask_free(a);
}

static void routed_on_route(Request *req, int here, const char *why, void *userdata) {
        MailAsk *a = userdata;

        if (here < 0)
                (void) request_reply_error(req, HUBOPS_ERROR_FAILED, "Cannot tell where %s's mail routes: %s",
                                           a->domain, why);
        else
                (void) request_reply_bool(req, here);
        mail_ask_free(a);
}

static void act(Request *req, void *userdata) {
        MailAsk *a = userdata;
        const Context *c = req->context;

        if (strcmp(a->operation, "mailbox.retire") == 0 || strcmp(a->operation, "mailbox.routed") == 0) {
                bool retire = strcmp(a->operation, "mailbox.retire") == 0;

                mailstore_ask_route(req, a->domain, retire ? retire_on_route : routed_on_route, a, mail_ask_free);
                return;
        }

        if (strcmp(a->operation, "mailbox.survey") == 0 || strcmp(a->operation, "mailbox.verify") == 0)
                start_mail_unit(req, a, mailstore_scan_argv(c, a->domain, a->checksum, false));
        else if (strcmp(a->operation, "mailbox.stamp") == 0)
                start_mail_unit(req, a, mailstore_scan_argv(c, a->domain, false, true));
        else if (strcmp(a->operation, "mailbox.sync") == 0)
                start_mail_unit(req, a, mailstore_sync_argv(c, a->domain, a->peer, a->mode));
        else
                start_site_unit(req, a);
        mail_ask_free(a);
}

static void act_get_report(Request *req, void *userdata) {
        MailAsk *a = userdata;
        _cleanup_free_ char *json = NULL, *why = NULL;
        int r = mailstore_read_report(req->context, a->domain, a->kind, &json, &why);

        if (r < 0)
                (void) request_reply_error(req, r == -ENOENT || r == -EINVAL ? HUBOPS_ERROR_NOT_CONFIGURED
                                                                              : HUBOPS_ERROR_FAILED,
                                           "%s", why ? why : strerror(-r));
        else
                (void) request_reply_string(req, NULL, json);
        mail_ask_free(a);
}

/* ---- the methods: arguments, validation, then polkit ---- */

/* The checks every method makes, in the handler order: the request (so a
 * refusal is audited), the domain. 1: go on; 0: refused (replied, the
 * request freed); < 0: no request. (One job per domain: op_authorize().) */
static int begin(sd_bus_message *m, Context *c, const MailAsk *a, const char *action, const char *const *details,
                 bool must_exist, Request **ret) {
        const char *why;
        int r = request_new(c, m, a->operation, action, details, ret);

        if (r < 0)
                return r;
        why = mailstore_check_domain(c, a->domain, must_exist);
        if (why) {
                const char *error = c->config->mailstore.present && !domain_name_is_valid(a->domain)
                                            ? SD_BUS_ERROR_INVALID_ARGS
                                            : HUBOPS_ERROR_NOT_CONFIGURED;

                (void) request_reply_error(*ret, error, "%s: %s", shown_domain(a), why);
                return 0;
        }
        return 1;
}

static int read_domain(sd_bus_message *m, MailAsk *a) {
        const char *domain;
        int r = sd_bus_message_read(m, "s", &domain);

        if (r < 0)
                return r;
        /* Longer than any domain: kept empty, refused as invalid by the check. */
        if (strlen(domain) < sizeof(a->domain))
                strcpy(a->domain, domain);
        return 0;
}


static int ask(sd_bus_message *m, Context *c, MailAsk *a, const char *action, const char *const *details,
               bool must_exist, const char *template_unit, const char *missing_unit_key) {
        Request *req = NULL;
        int r = begin(m, c, a, action, details, must_exist, &req);

        if (r <= 0) {
                mail_ask_free(a);
                return r < 0 ? r : 1;
        }
        if (missing_unit_key && !template_unit) {
                mail_ask_free(a);
                return request_reply_error(req, HUBOPS_ERROR_NOT_CONFIGURED, "[Mailstore] on %s has no %s=",
                                           c->config->hostname, missing_unit_key);
        }
        return op_authorize(req, a->domain, act, a, mail_ask_free);
}

static MailAsk *mail_ask_new(const char *operation) {
        MailAsk *a = calloc(1, sizeof(MailAsk));

        if (a)
                a->operation = operation;
        return a;
}

static int method_domain_only(sd_bus_message *m, Context *c, const char *operation, const char *action,
                              const char *template_unit, const char *key, bool must_exist);

static int method_survey(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return method_domain_only(m, userdata, "mailbox.survey", HUBOPS_ACTION_MAILBOX_SURVEY, NULL, NULL, true);
}

static int method_verify(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        MailAsk *a = mail_ask_new("mailbox.verify");
        int checksum = 0, r;

        if (!a)
                return -ENOMEM;
        r = read_domain(m, a);
        if (r >= 0)
                r = sd_bus_message_read(m, "b", &checksum);
        if (r < 0)
                return mail_ask_free(a), r;
        a->checksum = checksum;
        const char *details[] = { "domain", shown_domain(a), "checksum", checksum ? "yes" : "no", NULL };
        return ask(m, userdata, a, HUBOPS_ACTION_MAILBOX_VERIFY, details, true, NULL, NULL);
}

static int method_record_folders(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        MailAsk *a = mail_ask_new("mailbox.stamp");
        const char *moment;
        int r;

        if (!a)
                return -ENOMEM;
        r = read_domain(m, a);
        if (r >= 0)
                r = sd_bus_message_read(m, "s", &moment);
        if (r < 0)
                return mail_ask_free(a), r;
        if (strcmp(moment, "presync") != 0 && strcmp(moment, "frozen") != 0) {
                mail_ask_free(a);
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "moment must be presync or frozen");
        }
        strcpy(a->moment, moment);
        const char *details[] = { "domain", shown_domain(a), "moment", a->moment, NULL };
        return ask(m, userdata, a, HUBOPS_ACTION_MAILBOX_SURVEY, details, true, NULL, NULL);
}

/* Sync final's folder list, as hubops-mailsync reads it on stdin. */
static int read_folders(sd_bus_message *m, MailAsk *a, char mark, size_t *count) {
        const char *path;
        int r = sd_bus_message_enter_container(m, 'a', "s");

        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "s", &path)) > 0) {
                size_t l = strlen(path);
                char *bigger;

                if (!mail_path_is_valid(path, l) || ++*count > (size_t) 2 * MAIL_FOLDERS_MAX ||
                    a->input_size + l + 3 > FOLDERS_INPUT_MAX)
                        return -EBADMSG;
                bigger = realloc(a->input, a->input_size + l + 4);
                if (!bigger)
                        return -ENOMEM;
                a->input = bigger;
                a->input_size += (size_t) sprintf(a->input + a->input_size, "%c\t%s\n", mark, path);
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int method_sync(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        MailAsk *a = mail_ask_new("mailbox.sync");
        const char *peer, *mode;
        size_t count = 0;
        int r;

        if (!a)
                return -ENOMEM;
        r = read_domain(m, a);
        if (r >= 0)
                r = sd_bus_message_read(m, "ss", &peer, &mode);
        if (r >= 0 && (strcmp(mode, "full") == 0 || strcmp(mode, "connect") == 0 || strcmp(mode, "final") == 0))
                strcpy(a->mode, mode);
        if (r >= 0)
                r = read_folders(m, a, 'F', &count);
        if (r >= 0)
                r = read_folders(m, a, 'C', &count);
        if (r == -EBADMSG || (r >= 0 && (!a->mode[0] || (strcmp(a->mode, "final") != 0 && count > 0)))) {
                mail_ask_free(a);
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "mode must be full or connect (no folders) or final (folder paths "
                                         "relative to the domain)");
        }
        if (r < 0)
                return mail_ask_free(a), r;
        const char *details[] = { "domain", shown_domain(a), "peer", name_is_valid(peer) ? peer : "(invalid)",
                                  "mode", a->mode, NULL };
        a->peer = name_is_valid(peer) ? config_find_peer(c->config, peer) : NULL;
        if (!a->peer) {
                Request *req = NULL;

                mail_ask_free(a);
                r = request_new(c, m, "mailbox.sync", HUBOPS_ACTION_MAILBOX_SYNC, details, &req);
                return r < 0 ? r
                             : request_reply_error(req, HUBOPS_ERROR_NOT_CONFIGURED, "No [Peer %s] on %s",
                                                   details[3], c->config->hostname);
        }
        return ask(m, c, a, HUBOPS_ACTION_MAILBOX_SYNC, details, false, NULL, NULL);
}

/* A method whose one argument is the domain: Survey, and the site units'
 * Freeze, Thaw and Switch (template_unit: the one it starts; key: its name
 * in [Mailstore], for a host that has none). */
static int method_domain_only(sd_bus_message *m, Context *c, const char *operation, const char *action,
                              const char *template_unit, const char *key, bool must_exist) {
        MailAsk *a = mail_ask_new(operation);
        int r;

        if (!a)
                return -ENOMEM;
        r = read_domain(m, a);
        if (r < 0)
                return mail_ask_free(a), r;
        const char *details[] = { "domain", shown_domain(a), NULL };
        return ask(m, c, a, action, details, must_exist, template_unit, key);
}

static int method_freeze(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        return method_domain_only(m, c, "mailbox.freeze", HUBOPS_ACTION_MAILBOX_FREEZE,
                                c->config->mailstore.freeze_unit, "FreezeUnit", true);
}

static int method_thaw(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        return method_domain_only(m, c, "mailbox.thaw", HUBOPS_ACTION_MAILBOX_THAW, c->config->mailstore.thaw_unit,
                                "ThawUnit", true);
}

static int method_switch(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        return method_domain_only(m, c, "mailbox.switch", HUBOPS_ACTION_MAILBOX_SWITCH,
                                c->config->mailstore.switch_unit, "SwitchUnit", true);
}

/* The destination is asked before it holds the domain: it need not exist. */
static int method_routed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        return method_domain_only(m, c, "mailbox.routed", HUBOPS_ACTION_MAILBOX_SURVEY,
                                  c->config->mailstore.routed_unit, "RoutedUnit", false);
}

static int method_retire(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        return method_domain_only(m, c, "mailbox.retire", HUBOPS_ACTION_MAILBOX_RETIRE,
                                  c->config->mailstore.routed_unit, "RoutedUnit", true);
}

static int method_get_report(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        MailAsk *a = mail_ask_new("mailbox.survey"); /* reading a report is reading mail metadata */
        Request *req = NULL;
        const char *kind;
        int r;

        if (!a)
                return -ENOMEM;
        r = read_domain(m, a);
        if (r >= 0)
                r = sd_bus_message_read(m, "s", &kind);
        if (r < 0)
                return mail_ask_free(a), r;
        (void) snprintf(a->kind, sizeof(a->kind), "%s", name_is_valid(kind) ? kind : "(invalid)");
        const char *details[] = { "domain", shown_domain(a), "report", a->kind, NULL };
        r = begin(m, c, a, HUBOPS_ACTION_MAILBOX_SURVEY, details, false, &req);
        if (r <= 0) {
                mail_ask_free(a);
                return r < 0 ? r : 1;
        }
        return request_authorize(req, act_get_report, a, mail_ask_free);
}

/* ---- a job's end, and after a restart ---- */

/* The walk or copy ended well: its report must be readable and is kept, or
 * the job fails ("bad-report"); the site units' jobs end as their unit did. */
static void mailstore_finished(Job *j, const UnitOutcome *o) {
        const char *domain = strv_pairs_get(j->details, "domain"), *moment = strv_pairs_get(j->details, "moment");
        const char *checksum = strv_pairs_get(j->details, "checksum"), *mode = strv_pairs_get(j->details, "mode");
        char message[256];
        MailReport kind;

        if (o->ok && domain && strcmp(j->operation, "mailbox.retire") == 0) {
                int r = mailstore_retire_finish(j->context, domain);

                if (r < 0) {
                        (void) snprintf(message, sizeof(message), "emptied, but its directory stays: %s",
                                        strerror(-r));
                        job_finish(j, JOB_FAILED, "rmdir", o->exit_status, message);
                } else
                        job_finish_from_outcome(j, o);
                return;
        }
        if (!o->ok || !domain || strcmp(j->operation, "mailbox.freeze") == 0 ||
            strcmp(j->operation, "mailbox.thaw") == 0 || strcmp(j->operation, "mailbox.switch") == 0 ||
            (mode && strcmp(mode, "connect") == 0)) {
                job_finish_from_outcome(j, o);
                return;
        }
        if (strcmp(j->operation, "mailbox.survey") == 0)
                kind = MAIL_REPORT_SURVEY;
        else if (strcmp(j->operation, "mailbox.verify") == 0)
                kind = MAIL_REPORT_VERIFY;
        else if (strcmp(j->operation, "mailbox.stamp") == 0)
                kind = moment && strcmp(moment, "frozen") == 0 ? MAIL_REPORT_FROZEN : MAIL_REPORT_STAMPS;
        else
                kind = MAIL_REPORT_SYNC;
        if (mailstore_keep_report(j->context, j->id, domain, kind, checksum && strcmp(checksum, "yes") == 0, message,
                                  sizeof(message)) < 0)
                job_finish(j, JOB_FAILED, "bad-report", o->exit_status, message);
        else
                job_finish_from_outcome(j, o);
}

void mailstore_restore(Context *c) {
        static const char *const walks[] = { "mailbox.survey", "mailbox.stamp", "mailbox.verify", "mailbox.sync",
                                              "mailbox.retire" };

        /* Freeze, thaw and switch start site units (no transient unit of ours):
         * a restored one ends "interrupted"; each is idempotent, a resume starts it again. */
        for (size_t i = 0; i < ELEMENTSOF(walks); i++)
                op_restore_transient(c, walks[i], "mailbox job", NULL, mailstore_finished);
}

static int property_get_root(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Context *c = userdata;

        return sd_bus_message_append(reply, "s", c->config->mailstore.present ? c->config->mailstore.root : "");
}

static const sd_bus_vtable mailstore_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Root", "s", property_get_root, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("Survey", SD_BUS_ARGS("s", domain), SD_BUS_RESULT("o", job), method_survey,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Verify", SD_BUS_ARGS("s", domain, "b", checksum), SD_BUS_RESULT("o", job),
                                method_verify, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RecordFolders", SD_BUS_ARGS("s", domain, "s", moment), SD_BUS_RESULT("o", job),
                                method_record_folders, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Sync", SD_BUS_ARGS("s", domain, "s", peer, "s", mode, "as", folders, "as", changed),
                                SD_BUS_RESULT("o", job), method_sync, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Freeze", SD_BUS_ARGS("s", domain), SD_BUS_RESULT("o", job), method_freeze,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Thaw", SD_BUS_ARGS("s", domain), SD_BUS_RESULT("o", job), method_thaw,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Switch", SD_BUS_ARGS("s", domain), SD_BUS_RESULT("o", job), method_switch,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Routed", SD_BUS_ARGS("s", domain), SD_BUS_RESULT("b", here), method_routed,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Retire", SD_BUS_ARGS("s", domain), SD_BUS_RESULT("o", job), method_retire,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetReport", SD_BUS_ARGS("s", domain, "s", kind), SD_BUS_RESULT("s", json),
                                method_get_report, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int mailstore_register(Context *c) {
        return sd_bus_add_object_vtable(c->bus, NULL, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MAILSTORE, mailstore_vtable,
                                        c);
}
