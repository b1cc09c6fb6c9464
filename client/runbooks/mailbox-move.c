/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mailbox move (DESIGN.md 2b): a domain from one mail store to another,
 * pre-synced while live, then a short frozen cutover: the final pass of
 * only what changed, verify on both stores, switch, thaw. hubopsctl mailbox
 * move DOMAIN --from A --to B, or runbook start mailbox-move DOMAIN A B
 * [PRESYNC-ONLY] [CHECKSUM].
 *
 * Failure policy: a failure before the switch thaws the source and switches
 * nothing (the tidy-up step); the destination's copy stays, a pre-sync for
 * the next attempt. The source copy is never deleted here. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "engine.h"
#include "mailbox-move.h"
#include "exit-codes.h"
#include "health-fetch.h"
#include "hubops-bus.h"
#include "job-wait.h"
#include "macro.h"
#include "mail-report.h"
#include "names.h"
#include "output.h"
#include "preflight-health.h"
#include "preflight.h"
#include "strv.h"
#include "timespan.h"

#define MIB (1024.0 * 1024.0)

/* ---- [Runbook mailbox-move] ---- */

typedef struct MoveConfig {
        double space_margin;          /* the destination needs the domain's bytes and files times 1 + this */
        uint64_t presync_timeout_usec; /* 0: as long as it takes */
        uint64_t cutover_timeout_usec; /* each cutover step (final pass, verify) */
} MoveConfig;

static void *config_new(void) {
        MoveConfig *c = calloc(1, sizeof(MoveConfig));

        if (c)
                *c = (MoveConfig) { .space_margin = 0.10, .cutover_timeout_usec = 3600ULL * USEC_PER_SEC };
        return c;
}

static int config_key(void *config, IniStrict *ini, const char *key, const char *value) {
        MoveConfig *c = config;

        if (strcmp(key, "SpaceMargin") == 0)
                return site_parse_percent(ini, key, value, &c->space_margin);
        if (strcmp(key, "PresyncTimeoutSec") == 0)
                return site_parse_span(ini, key, value, &c->presync_timeout_usec);
        if (strcmp(key, "CutoverTimeoutSec") == 0)
                return site_parse_span(ini, key, value, &c->cutover_timeout_usec);
        return -ENOENT;
}

static const MoveConfig *move_config(const Exec *x) {
        static const MoveConfig defaults = { .space_margin = 0.10, .cutover_timeout_usec = 3600ULL * USEC_PER_SEC };
        const SiteRunbook *rb = site_runbook(x->site, "mailbox-move");

        return rb && rb->config ? rb->config : &defaults;
}

/* ---- the plan ---- */

static Step *add(Run *r, const char *phase, const char *kind, const char *id, const char *host, uint64_t timeout) {
        Step *s = run_add_step(r, kind, id, host, run_param(r, "domain"));

        if (s) {
                (void) snprintf(s->phase, sizeof(s->phase), "%s", phase);
                s->timeout_usec = timeout;
        }
        return s;
}

static int check_store(const SiteConfig *site, const char *name, char *err, size_t size) {
        const SiteHost *h = site_find_host(site, name);

        if (!h) {
                (void) snprintf(err, size, "%s: no [Host %s] in %s", name, name, site->path);
                return -ENOENT;
        }
        if (!site_host_has_role(h, "mailstore")) {
                (void) snprintf(err, size, "%s is not a mail store (Roles= in %s)", name, site->path);
                return -EINVAL;
        }
        return 0;
}

static int plan(const SiteConfig *site, const void *config, Run *r, char *err, size_t err_size) {
        static const MoveConfig defaults = { .space_margin = 0.10, .cutover_timeout_usec = 3600ULL * USEC_PER_SEC };
        const MoveConfig *c = config ? config : &defaults;
        const char *domain = run_param(r, "domain"), *from = mailbox_move_source(r), *to = mailbox_move_destination(r);
        char verify_from[96], verify_to[96];
        int k;

        if (!from || !to || !domain_name_is_valid(domain)) {
                (void) snprintf(err, err_size, "invalid domain \"%.64s\" (lowercase letters, digits, '-' and '.')",
                                domain);
                return -EINVAL;
        }
        for (const char *const *v = (const char *const[]) { "presync-only", "checksum", NULL }; *v; v++) {
                const char *value = run_param(r, *v);

                if (!value || (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0)) {
                        (void) snprintf(err, err_size, "%s must be yes or no", *v);
                        return -EINVAL;
                }
        }
        if ((k = check_store(site, from, err, err_size)) < 0 || (k = check_store(site, to, err, err_size)) < 0)
                return k;
        if (strcmp(from, to) == 0) {
                (void) snprintf(err, err_size, "the source and the destination are the same store (%s)", from);
                return -EINVAL;
        }
        /* The source is claimed: no other run may move or freeze there meanwhile. */
        (void) snprintf(r->claim_host, sizeof(r->claim_host), "%s", from);
        (void) snprintf(verify_from, sizeof(verify_from), "verify:%s", from);
        (void) snprintf(verify_to, sizeof(verify_to), "verify:%s", to);
        if (!add(r, "pre-sync", "mailbox-record", "record-folders", from, 0) ||
            !add(r, "pre-sync", "mailbox-presync", "presync", to, c->presync_timeout_usec))
                goto full;
        if (mailbox_move_param_yes(r, "presync-only"))
                return 0;
        if (!add(r, "cutover", "mailbox-health", "source-health", from, 0) ||
            !add(r, "cutover", "mailbox-connect", "connect", to, c->cutover_timeout_usec) ||
            !add(r, "cutover", "mailbox-freeze", "freeze", from, c->cutover_timeout_usec) ||
            !add(r, "cutover", "mailbox-record-frozen", "record-frozen", from, c->cutover_timeout_usec) ||
            !add(r, "cutover", "mailbox-final-sync", "final-sync", to, c->cutover_timeout_usec) ||
            !add(r, "cutover", "mailbox-verify", verify_from, from, c->cutover_timeout_usec) ||
            !add(r, "cutover", "mailbox-verify", verify_to, to, c->cutover_timeout_usec) ||
            !add(r, "cutover", "mailbox-compare", "compare", to, 0) ||
            !add(r, "switch", "mailbox-switch", "switch", to, c->cutover_timeout_usec) ||
            !add(r, "switch", "mailbox-thaw", "thaw", to, c->cutover_timeout_usec))
                goto full;
        Step *t = add(r, "tidy up", "mailbox-thaw-source", "tidy:thaw-source", from, c->cutover_timeout_usec);
        if (!t)
                goto full;
        t->tidy_up = true;
        return 0;
full:
        (void) snprintf(err, err_size, "the plan has more than %d steps", RUN_STEPS_MAX);
        return -E2BIG;
}

/* ---- its own preflight checks ---- */

/* A store's survey of the domain, run now (it changes nothing): the
 * source's size for the plan's estimate, and what the destination holds
 * already (a pre-sync's copy; none: optional, an empty survey). */
static int survey_store(Exec *x, Preflight *p, const char *from, bool optional, MailScan *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *domain = run_param(x->run, "domain");
        HelperCall c = { HUBOPS_IFACE_MAILSTORE, "Survey", { domain }, "o" };
        HelperReply reply = { .text = NULL };
        JobInfo j = { 0 };
        int r;

        *ret = (MailScan) { .files = 0 };
        r = x->api->call(x->api, from, &c, &reply, &error);
        if (r < 0 && optional && sd_bus_error_has_name(&error, HUBOPS_ERROR_NOT_CONFIGURED))
                return 0; /* no copy there yet */
        if (r < 0) {
                preflight_problem(p, output_exit_code(&error, r), "%s: cannot survey %s: %.200s", from, domain,
                                  error.message ? error.message : strerror(-r));
                return r;
        }
        r = x->api->wait_job(x->api, from, reply.s[0], 0, NULL, &j);
        if (r != EXIT_OK || strcmp(j.state, HUBOPS_JOB_DONE) != 0) {
                preflight_problem(p, EXIT_FAILED, "%s: the survey of %s failed: %.200s", from, domain,
                                  j.message[0] ? j.message : j.result);
                job_info_done(&j);
                return -EIO;
        }
        job_info_done(&j);
        c = (HelperCall) { HUBOPS_IFACE_MAILSTORE, "GetReport", { domain, "survey" }, "s" };
        r = x->api->call(x->api, from, &c, &reply, &error);
        if (r >= 0) {
                r = mail_scan_from_json(reply.text, strlen(reply.text), domain, false, ret);
                free(reply.text);
        }
        if (r < 0)
                preflight_problem(p, EXIT_FAILED, "%s: cannot read the survey of %s", from, domain);
        return r;
}

/* The destination's filesystem under its mail root has room for what it
 * does not hold yet of the domain (a pre-sync's copy is counted), with the margin. */
static void check_room(Exec *x, Preflight *p, const MailScan *source, const MailScan *there) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ HealthFs *fs = NULL;
        const char *to = mailbox_move_destination(x->run);
        double margin = 1.0 + move_config(x)->space_margin;
        const HealthFs *best = NULL;
        HelperValue root;
        size_t n = 0;

        if (x->api->property(x->api, to, HUBOPS_IFACE_MAILSTORE, "Root", 's', &root, &error) < 0 ||
            x->api->health(x->api, to, &fs, &n, &error) < 0) {
                preflight_problem(p, EXIT_FAILED, "%s: cannot read its mail root and filesystems: %.200s", to,
                                  error.message ? error.message : "no answer");
                return;
        }
        /* The CheckPaths= entry that holds the mail root: the longest prefix. */
        for (size_t i = 0; i < n; i++) {
                size_t l = strlen(fs[i].path);
                if (strncmp(root.s, fs[i].path, l) == 0 && (root.s[l] == '/' || root.s[l] == '\0' || l == 1) &&
                    (!best || l > strlen(best->path)))
                        best = &fs[i];
        }
        if (!best) {
                preflight_problem(p, EXIT_FAILED, "%s: no CheckPaths= entry holds its mail root %s, so its room "
                                  "cannot be checked", to, root.s);
                return;
        }
        double bytes = (double) (source->bytes > there->bytes ? source->bytes - there->bytes : 0) * margin;
        double files = (double) (source->files > there->files ? source->files - there->files : 0) * margin;
        if ((double) best->bfree < bytes || (best->itotal && (double) best->ifree < files))
                preflight_problem(p, EXIT_FAILED,
                                  "%s:%s: %.1f MiB and %" PRIu64 " inodes free; the domain needs %.1f MiB and %.0f "
                                  "inodes more there, with the margin",
                                  to, best->path, (double) best->bfree / MIB, best->ifree, bytes / MIB, files);
        else
                preflight_ok(p, "%s:%s has room for the domain (%.1f MiB and %.0f files more, with %.0f%% margin; "
                             "it holds %" PRIu64 " files already)",
                             to, best->path, bytes / MIB, files, (margin - 1.0) * 100, there->files);
}

/* The destination is not held by another run either (the source is claimed). */
static void check_destination_free(Exec *x, Preflight *p) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        SiteClaim claim;

        if (x->api->site_claim(x->api, mailbox_move_destination(x->run), &claim, &error) < 0)
                preflight_problem(p, EXIT_FAILED, "%s: cannot read who holds it: %.200s", mailbox_move_destination(x->run),
                                  error.message ? error.message : "no answer");
        else if (claim.id[0] && strcmp(claim.id, x->run->id) != 0)
                preflight_problem(p, EXIT_BUSY, "%s is held by run %s (%s)", mailbox_move_destination(x->run), claim.id,
                                  claim.owner);
}

/* The destination does not serve the domain already: a copy onto the live
 * one would overwrite its mail with the source's. The site answers
 * (RoutedUnit=); once this run's switch began (a resume), the destination
 * serves it by the plan's own doing. */
static void check_destination_not_serving(Exec *x, Preflight *p) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *to = mailbox_move_destination(x->run), *domain = run_param(x->run, "domain");
        const HelperCall c = { HUBOPS_IFACE_MAILSTORE, "Routed", { domain }, "b" };
        const Step *sw = mailbox_move_step(x->run, "switch");
        HelperReply reply;
        int r;

        if (sw && sw->status != STEP_PENDING)
                return;
        r = x->api->call(x->api, to, &c, &reply, &error);
        if (r < 0)
                preflight_problem(p, output_exit_code(&error, r),
                                  "%s: cannot tell whether %s's mail already routes there: %.200s", to, domain,
                                  error.message ? error.message : strerror(-r));
        else if (strcmp(reply.s[0], "yes") == 0)
                preflight_problem(p, EXIT_FAILED, "%s already serves %s (the site says its mail routes there): a copy "
                                  "onto it would overwrite live mail", to, domain);
        else
                preflight_ok(p, "%s does not serve %s yet", to, domain);
}

static void preflight(Exec *x, Preflight *p) {
        const char *from[] = { mailbox_move_source(x->run) }, *to[] = { mailbox_move_destination(x->run) };
        MailScan survey, there;

        if (!preflight_reachable(p, mailbox_move_source(x->run)) || !preflight_reachable(p, mailbox_move_destination(x->run)))
                return;
        /* Both stores healthy (DESIGN.md 2a); the destination's disk measured now: a slow one is refused. */
        preflight_health(x, p, from, 1);
        preflight_health_probed(x, p, to, 1);
        check_destination_free(x, p);
        check_destination_not_serving(x, p);
        preflight_checked(p);
        if (survey_store(x, p, mailbox_move_source(x->run), false, &survey) < 0)
                return;
        (void) run_set_figure(x->run, "survey_files", survey.files);
        (void) run_set_figure(x->run, "survey_bytes", survey.bytes);
        preflight_ok(p, "%s: %s has %zu mailboxes, %" PRIu64 " files, %.1f MiB", mailbox_move_source(x->run),
                     run_param(x->run, "domain"), survey.n_mailboxes, survey.files, (double) survey.bytes / MIB);
        if (survey_store(x, p, mailbox_move_destination(x->run), true, &there) >= 0)
                check_room(x, p, &survey, &there);
        mail_scan_done(&survey);
        mail_scan_done(&there);
}

/* ---- progress ---- */

/* The pre-sync's files and bytes against the survey's totals: rsync counts
 * what it has found so far, totals that grow as it walks, so its own ETA is
 * too early until it has seen the whole domain. The files lead (the
 * progress and the ETA): the bytes copied are all of the domain's only on
 * the first pass; later ones find most files there already. */
static void refine_counter(JobCounter *c, uint64_t survey) {
        if (survey > 0 && c->total < survey)
                c->total = MAX(survey, c->done);
}

static void refine_progress(const Run *r, const Step *s, JobInfo *j) {
        uint64_t files = run_figure(r, "survey_files"), bytes = run_figure(r, "survey_bytes");
        uint64_t now = now_usec(CLOCK_REALTIME);
        JobCounter *f = NULL;

        if (!s || strcmp(s->kind, "mailbox-presync") != 0 || files == 0)
                return;
        for (size_t i = 0; i < j->n_counters; i++)
                if (strcmp(j->counters[i].name, "files") == 0)
                        f = &j->counters[i];
                else if (strcmp(j->counters[i].name, "bytes") == 0)
                        refine_counter(&j->counters[i], bytes);
        if (!f || f->done == 0 || f->total >= files)
                return;
        refine_counter(f, files);
        j->progress = MIN((double) f->done / (double) f->total, 0.99);
        j->progress_valid = true;
        if (now > j->started_at)
                j->expected_end_at = j->started_at + (uint64_t) ((double) (now - j->started_at) / j->progress);
        (void) snprintf(j->estimate_basis, sizeof(j->estimate_basis), "the survey's %" PRIu64 " files, %.1f MiB",
                        files, (double) bytes / MIB);
}

/* ---- the summary's figures ---- */

static void observe(Exec *x, const Step *s, StepMoment m) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const HelperCall c = { HUBOPS_IFACE_MAILSTORE, "GetReport", { run_param(x->run, "domain"), "sync" }, "s" };
        HelperReply reply = { .text = NULL };
        MailSyncSummary sum;
        bool final;

        if (m != STEP_MOMENT_DONE || !s || strncmp(s->kind, "mailbox-", 8) != 0 ||
            (strcmp(s->kind, "mailbox-presync") != 0 && strcmp(s->kind, "mailbox-final-sync") != 0))
                return;
        final = strcmp(s->kind, "mailbox-final-sync") == 0;
        if (x->api->call(x->api, s->host, &c, &reply, &error) < 0)
                return;
        if (mail_sync_summary_from_json(reply.text, strlen(reply.text), &sum) == 0) {
                (void) run_set_figure(x->run, final ? "final_files" : "presync_files", sum.files_transferred);
                (void) run_set_figure(x->run, final ? "final_bytes" : "presync_bytes", sum.bytes_transferred);
        }
        free(reply.text);
}

static uint64_t job_usec(const Step *s) {
        return s && s->job_finished_at > s->job_started_at && s->job_started_at ? s->job_finished_at - s->job_started_at
                                                                                : 0;
}

/* Freeze to thaw: the start of the freeze's job to the end of the thaw's. */
static uint64_t window_usec(const Run *r) {
        const Step *freeze = mailbox_move_step(r, "freeze"), *thaw = mailbox_move_step(r, "thaw");

        if (!freeze || !thaw || thaw->status != STEP_DONE || !freeze->job_started_at ||
            thaw->job_finished_at <= freeze->job_started_at)
                return 0;
        return thaw->job_finished_at - freeze->job_started_at;
}

static void summary(const Run *r, json_object *o) {
        static const char *const parts[] = { "final-sync", "compare", "switch", "thaw" };
        char window[32] = "-", part[4][32], verify[32] = "-";
        const Step *vf, *vt;
        char id[96];

        (void) snprintf(id, sizeof(id), "verify:%s", mailbox_move_source(r));
        vf = mailbox_move_step(r, id);
        (void) snprintf(id, sizeof(id), "verify:%s", mailbox_move_destination(r));
        vt = mailbox_move_step(r, id);
        if (o) {
                static const char *const figures[] = { "survey_files", "survey_bytes", "presync_files", "presync_bytes",
                                                       "changed_folders", "final_files", "final_bytes", "verified_files" };
                json_object_object_add(o, "cutover_window_usec", json_object_new_int64((int64_t) window_usec(r)));
                json_object_object_add(o, "final_sync_usec",
                                       json_object_new_int64((int64_t) job_usec(mailbox_move_step(r, "final-sync"))));
                json_object_object_add(o, "connect_usec",
                                       json_object_new_int64((int64_t) job_usec(mailbox_move_step(r, "connect"))));
                json_object_object_add(o, "record_frozen_usec",
                                       json_object_new_int64((int64_t) job_usec(mailbox_move_step(r, "record-frozen"))));
                json_object_object_add(o, "verify_usec",
                                       json_object_new_int64((int64_t) MAX(job_usec(vf), job_usec(vt))));
                for (size_t i = 0; i < ELEMENTSOF(figures); i++)
                        json_object_object_add(o, figures[i], json_object_new_int64((int64_t) run_figure(r, figures[i])));
                return;
        }
        output_line("  Domain %s: %" PRIu64 " files, %.1f MiB at the survey.", run_param(r, "domain"),
                    run_figure(r, "survey_files"), (double) run_figure(r, "survey_bytes") / MIB);
        output_line("  Pre-sync copied %" PRIu64 " files, %.1f MiB.", run_figure(r, "presync_files"),
                    (double) run_figure(r, "presync_bytes") / MIB);
        if (!mailbox_move_step(r, "freeze"))
                return;
        if (window_usec(r))
                (void) timespan_format(window, sizeof(window), window_usec(r));
        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                uint64_t u = job_usec(mailbox_move_step(r, parts[i]));
                (void) snprintf(part[i], sizeof(part[i]), "-");
                if (u)
                        (void) timespan_format(part[i], sizeof(part[i]), u);
        }
        if (MAX(job_usec(vf), job_usec(vt)))
                (void) timespan_format(verify, sizeof(verify), MAX(job_usec(vf), job_usec(vt)));
        output_line("  Cutover window (freeze to thaw): %s: final pass %s (%" PRIu64 " changed folders, %" PRIu64
                    " files, %.1f MiB), verify %s, switch %s, thaw %s.",
                    window, part[0], run_figure(r, "changed_folders"), run_figure(r, "final_files"),
                    (double) run_figure(r, "final_bytes") / MIB, verify, part[2], part[3]);
}

static void achieved(const Run *r, char *buf, size_t size) {
        if (mailbox_move_param_yes(r, "presync-only"))
                (void) snprintf(buf, size, "%s is pre-synced from %s to %s; %s still serves it", run_param(r, "domain"),
                                mailbox_move_source(r), mailbox_move_destination(r), mailbox_move_source(r));
        else
                (void) snprintf(buf, size, "%s is moved from %s to %s, verified, and served by %s",
                                run_param(r, "domain"), mailbox_move_source(r), mailbox_move_destination(r), mailbox_move_destination(r));
}

static const RunbookParam params[] = {
        { "domain", "DOMAIN", NULL },
        { "from", "FROM", NULL },
        { "to", "TO", NULL },
        { "presync-only", "PRESYNC-ONLY", "no" },
        { "checksum", "CHECKSUM", "no" },
};

const RunbookDef runbook_mailbox_move = {
        .name = "mailbox-move",
        .description = "move a mail domain between stores: live pre-sync, then a short frozen cutover",
        .params = params,
        .n_params = ELEMENTSOF(params),
        .tidy_up_always = true,
        .kinds = mailbox_move_kinds,
        .n_kinds = MAILBOX_MOVE_N_KINDS,
        .config_new = config_new,
        .config_free = free,
        .config_key = config_key,
        .plan = plan,
        .preflight = preflight,
        .refine_progress = refine_progress,
        .observe = observe,
        .summary = summary,
        .achieved = achieved,
};
