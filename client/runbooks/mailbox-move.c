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

#include "engine.h"
#include "exit-codes.h"
#include "health-fetch.h"
#include "hubops-bus.h"
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

static const char *source(const Run *r) {
        return run_param(r, "from");
}

static const char *destination(const Run *r) {
        return run_param(r, "to");
}

static bool param_yes(const Run *r, const char *key) {
        const char *v = run_param(r, key);

        return v && strcmp(v, "yes") == 0;
}

static const Step *find_step(const Run *r, const char *id) {
        for (unsigned i = 0; i < r->n_steps; i++)
                if (strcmp(r->steps[i].id, id) == 0)
                        return &r->steps[i];
        return NULL;
}

/* ---- the calls' arguments ---- */

static int append_moment(sd_bus_message *m, const char *moment) {
        return sd_bus_message_append(m, "s", moment);
}
static int append_presync(Exec *x, Step *s, sd_bus_message *m) {
        (void) x, (void) s;
        return append_moment(m, "presync");
}
static int append_frozen(Exec *x, Step *s, sd_bus_message *m) {
        (void) x, (void) s;
        return append_moment(m, "frozen");
}
static int append_checksum(Exec *x, Step *s, sd_bus_message *m) {
        (void) s;
        return sd_bus_message_append(m, "b", param_yes(x->run, "checksum"));
}

/* Sync(domain, peer, "full", [], []): the destination pulls from the source,
 * which its helper config names [Peer SOURCE]. */
static int append_full_sync(Exec *x, Step *s, sd_bus_message *m) {
        (void) s;
        return sd_bus_message_append(m, "ssasas", source(x->run), "full", 0, 0);
}

static int append_strv(sd_bus_message *m, char **l) {
        return sd_bus_message_append_strv(m, l);
}

/* Sync(domain, peer, "final", folders, changed): what the source's folder
 * stamps say changed since the pre-sync began, read from the source now. */
static int append_final_sync(Exec *x, Step *s, sd_bus_message *m) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *domain = run_param(x->run, "domain");
        const HelperCall c = { HUBOPS_IFACE_MAILSTORE, "GetReport", { domain, "changes" }, "s" };
        HelperReply reply = { .text = NULL };
        MailChanges changes;
        int r;

        r = x->api->call(x->api, source(x->run), &c, &reply, &error);
        if (r < 0) {
                (void) snprintf(s->message, sizeof(s->message), "cannot read what changed on %s: %.180s",
                                source(x->run), error.message ? error.message : strerror(-r));
                return r;
        }
        r = mail_changes_from_json(reply.text, strlen(reply.text), &changes);
        free(reply.text);
        if (r < 0) {
                (void) snprintf(s->message, sizeof(s->message), "%s's report of what changed is malformed",
                                source(x->run));
                return r;
        }
        (void) run_set_figure(x->run, "changed_folders", strv_length(changes.changed));
        r = sd_bus_message_append(m, "ss", source(x->run), "final");
        if (r >= 0)
                r = append_strv(m, changes.folders);
        if (r >= 0)
                r = append_strv(m, changes.changed);
        mail_changes_done(&changes);
        return r;
}

/* ---- observations ---- */

static int read_verify(Exec *x, const char *host, MailScan *ret, char *why, size_t size) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *domain = run_param(x->run, "domain");
        const HelperCall c = { HUBOPS_IFACE_MAILSTORE, "GetReport", { domain, "verify" }, "s" };
        HelperReply reply = { .text = NULL };
        int r = x->api->call(x->api, host, &c, &reply, &error);

        if (r < 0) {
                (void) snprintf(why, size, "cannot read %s's verify report: %.180s", host,
                                error.message ? error.message : strerror(-r));
                return r;
        }
        r = mail_scan_from_json(reply.text, strlen(reply.text), domain, param_yes(x->run, "checksum"), ret);
        free(reply.text);
        if (r < 0)
                (void) snprintf(why, size, "%s's verify report is malformed (or of another checksum setting)", host);
        return r;
}

/* "alice (files 10 != 11), bob (missing at pop03)": the first few mailboxes that differ. */
static unsigned compare_scans(const MailScan *a, const MailScan *b, const char *bname, char *buf, size_t size) {
        size_t i = 0, j = 0, len = 0;
        unsigned n = 0;

        buf[0] = '\0';
        while (i < a->n_mailboxes || j < b->n_mailboxes) {
                const MailboxScan *ma = i < a->n_mailboxes ? &a->mailboxes[i] : NULL;
                const MailboxScan *mb = j < b->n_mailboxes ? &b->mailboxes[j] : NULL;
                int c = !ma ? 1 : !mb ? -1 : strcmp(ma->name, mb->name);
                char one[160] = "";

                if (c < 0)
                        (void) snprintf(one, sizeof(one), "%.60s (missing at %s)", ma->name, bname), i++;
                else if (c > 0)
                        (void) snprintf(one, sizeof(one), "%.60s (only at %s)", mb->name, bname), j++;
                else {
                        if (ma->files != mb->files)
                                (void) snprintf(one, sizeof(one), "%.60s (files %" PRIu64 " != %" PRIu64 ")", ma->name,
                                                ma->files, mb->files);
                        else if (memcmp(ma->digest, mb->digest, MAILSCAN_DIGEST_SIZE) != 0)
                                (void) snprintf(one, sizeof(one), "%.60s (names, sizes or times differ)", ma->name);
                        i++, j++;
                }
                if (!one[0])
                        continue;
                if (n++ < 4 && len < size)
                        len += (size_t) snprintf(buf + len, size - len, "%s%s", len ? ", " : "", one);
        }
        return n;
}

/* No action: the two verify reports must agree, mailbox by mailbox. */
static int observe_compare(Exec *x, Step *s) {
        MailScan a, b;
        char diff[200];
        unsigned n;

        if (read_verify(x, source(x->run), &a, s->message, sizeof(s->message)) < 0) {
                s->status = STEP_FAILED;
                return 3;
        }
        if (read_verify(x, destination(x->run), &b, s->message, sizeof(s->message)) < 0) {
                mail_scan_done(&a);
                s->status = STEP_FAILED;
                return 3;
        }
        n = compare_scans(&a, &b, destination(x->run), diff, sizeof(diff));
        if (n > 0) {
                s->status = STEP_FAILED;
                (void) snprintf(s->message, sizeof(s->message), "%u mailbox(es) differ: %s", n, diff);
        } else {
                s->status = STEP_DONE;
                (void) snprintf(s->message, sizeof(s->message),
                                "%zu mailboxes, %" PRIu64 " files, %.1f MiB: the same on both stores%s",
                                a.n_mailboxes, a.files, (double) a.bytes / MIB,
                                param_yes(x->run, "checksum") ? " (contents too)" : "");
                (void) run_set_figure(x->run, "verified_files", a.files);
        }
        mail_scan_done(&a);
        mail_scan_done(&b);
        return n > 0 ? 3 : 1;
}

/* "HOST: WHY", the step failed. */
static int fail_check(Step *s, const char *why, const char *detail) {
        s->status = STEP_FAILED;
        (void) snprintf(s->message, sizeof(s->message), "%.64s: %s%.150s", s->host, why, detail);
        return 3;
}

/* No action: the host is still healthy (DESIGN.md 2a) before the cutover.
 * A source disk that failed during the pre-sync stops the move here, with
 * nothing frozen or switched. */
static int observe_health(Exec *x, Step *s) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ HealthHost *h = calloc(1, sizeof(HealthHost));
        const SiteHost *sh = site_find_host(x->site, s->host);

        if (!h || !sh)
                return fail_check(s, !h ? "out of memory" : "not in the site config", "");
        h->name = sh->name;
        health_host_settings(h, x->site, sh);
        h->bus = x->api->connection ? x->api->connection(x->api, s->host, &error) : NULL;
        if (!h->bus)
                return fail_check(s, "cannot read its health: ", error.message ? error.message : "no connection");
        (void) health_fetch(h, 1, false);
        if (h->error < 0)
                return fail_check(s, "cannot read its health: ", h->problem);
        for (unsigned i = 0; i < h->n_rows; i++)
                if (h->rows[i].state == HEALTH_FAIL) {
                        s->status = STEP_FAILED;
                        (void) snprintf(s->message, sizeof(s->message), "%.64s: health %.23s %.40s FAIL: %.100s",
                                        s->host, h->rows[i].check, h->rows[i].subject, h->rows[i].reason);
                        return 3;
                }
        s->status = STEP_DONE;
        (void) snprintf(s->message, sizeof(s->message), "%.64s: %u checks, no FAIL", s->host, h->n_rows);
        return 1;
}

/* The tidy-up's thaw of the source: only after a failure before the switch. */
static int observe_thaw_source(Exec *x, Step *s) {
        const Step *freeze = find_step(x->run, "freeze"), *sw = find_step(x->run, "switch");

        if (sw && sw->status == STEP_DONE) {
                s->status = STEP_SKIPPED;
                (void) snprintf(s->message, sizeof(s->message),
                                "the domain is switched to %s; %s stays frozen until it is retired",
                                destination(x->run), source(x->run));
                return 1;
        }
        if (!freeze || freeze->status == STEP_PENDING || freeze->status == STEP_GATING) {
                s->status = STEP_SKIPPED;
                (void) snprintf(s->message, sizeof(s->message), "%s was never frozen", source(x->run));
                return 1;
        }
        return 0;
}

/* ---- the step kinds ---- */

static void describe(const Step *s, char *buf, size_t size) {
        /* Each: the words before the domain, and after it. */
        static const struct {
                const char *kind, *before, *after;
        } texts[] = {
                { "mailbox-record", "record the folders' times of ", " (the final pass's baseline)" },
                { "mailbox-presync", "pre-sync ", " from the source, live (rsync, deletes included)" },
                { "mailbox-freeze", "freeze ", " (POP and delivery paused)" },
                { "mailbox-record-frozen", "record the folders' times of ", ", frozen" },
                { "mailbox-final-sync", "final pass of ", ": the changed folders, with deletes" },
                { "mailbox-verify", "verify ", " here (names, sizes, times)" },
                { "mailbox-compare", "compare both stores' verify reports of ", "" },
                { "mailbox-health", "health of the source of ", " before the cutover" },
                { "mailbox-switch", "switch ", "'s routing to this store" },
                { "mailbox-thaw", "thaw ", " here" },
                { "mailbox-thaw-source", "thaw ", " at the source (only after a failure before the switch)" },
        };

        for (size_t i = 0; i < ELEMENTSOF(texts); i++)
                if (strcmp(s->kind, texts[i].kind) == 0) {
                        (void) snprintf(buf, size, "%s%s%s", texts[i].before, s->subject, texts[i].after);
                        return;
                }
        (void) snprintf(buf, size, "%s", s->kind);
}

#define MAILBOX_KIND(n, op, m, obs, ...) \
        { .name = n, .operation = op, .job_operation = op, .iface = HUBOPS_IFACE_MAILSTORE, .method = m, \
          .call_with_subject = true, .observation = obs, .describe = describe, __VA_ARGS__ }

static const StepKind kinds[] = {
        MAILBOX_KIND("mailbox-record", "mailbox.stamp", "RecordFolders", "none: recording again is harmless",
                     .append = append_presync),
        MAILBOX_KIND("mailbox-presync", "mailbox.sync", "Sync", "none: a pass copies only what differs",
                     .append = append_full_sync, .detachable = true),
        MAILBOX_KIND("mailbox-freeze", "mailbox.freeze", "Freeze", "none: the site unit is idempotent"),
        MAILBOX_KIND("mailbox-record-frozen", "mailbox.stamp", "RecordFolders", "none", .append = append_frozen),
        MAILBOX_KIND("mailbox-final-sync", "mailbox.sync", "Sync", "the source's changed folders",
                     .append = append_final_sync),
        MAILBOX_KIND("mailbox-verify", "mailbox.verify", "Verify", "none", .append = append_checksum),
        MAILBOX_KIND("mailbox-switch", "mailbox.switch", "Switch", "none: the site unit is idempotent"),
        MAILBOX_KIND("mailbox-thaw", "mailbox.thaw", "Thaw", "none: the site unit is idempotent"),
        MAILBOX_KIND("mailbox-thaw-source", "mailbox.thaw", "Thaw", "skip unless a failure came before the switch",
                     .observe = observe_thaw_source),
        { .name = "mailbox-compare", .observation = "both verify reports", .describe = describe,
          .observe = observe_compare },
        { .name = "mailbox-health", .observation = "no health check FAILs", .describe = describe,
          .observe = observe_health },
};

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
        const char *domain = run_param(r, "domain"), *from = source(r), *to = destination(r);
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
        if (param_yes(r, "presync-only"))
                return 0;
        if (!add(r, "cutover", "mailbox-health", "source-health", from, 0) ||
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

/* The source's survey, run now (it changes nothing): the domain's size for
 * the destination's space check and the plan's estimate. */
static int survey_source(Exec *x, Preflight *p, MailScan *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *domain = run_param(x->run, "domain"), *from = source(x->run);
        HelperCall c = { HUBOPS_IFACE_MAILSTORE, "Survey", { domain }, "o" };
        HelperReply reply = { .text = NULL };
        JobInfo j = { 0 };
        int r;

        r = x->api->call(x->api, from, &c, &reply, &error);
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

/* The destination's filesystem under its mail root has room for the domain. */
static void check_room(Exec *x, Preflight *p, const MailScan *survey) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ HealthFs *fs = NULL;
        const char *to = destination(x->run);
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
        if ((double) best->bfree < (double) survey->bytes * margin ||
            (best->itotal && (double) best->ifree < (double) survey->files * margin))
                preflight_problem(p, EXIT_FAILED,
                                  "%s:%s: %.1f MiB and %" PRIu64 " inodes free; the domain needs %.1f MiB and %.0f "
                                  "inodes with the margin",
                                  to, best->path, (double) best->bfree / MIB, best->ifree,
                                  (double) survey->bytes * margin / MIB, (double) survey->files * margin);
        else
                preflight_ok(p, "%s:%s has room for the domain (%.1f MiB, %" PRIu64 " files, with %.0f%% margin)", to,
                             best->path, (double) survey->bytes / MIB, survey->files, (margin - 1.0) * 100);
}

/* The destination is not held by another run either (the source is claimed). */
static void check_destination_free(Exec *x, Preflight *p) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        SiteClaim claim;

        if (x->api->site_claim(x->api, destination(x->run), &claim, &error) < 0)
                preflight_problem(p, EXIT_FAILED, "%s: cannot read who holds it: %.200s", destination(x->run),
                                  error.message ? error.message : "no answer");
        else if (claim.id[0] && strcmp(claim.id, x->run->id) != 0)
                preflight_problem(p, EXIT_BUSY, "%s is held by run %s (%s)", destination(x->run), claim.id,
                                  claim.owner);
}

static void preflight(Exec *x, Preflight *p) {
        const char *from[] = { source(x->run) }, *to[] = { destination(x->run) };
        MailScan survey;

        if (!preflight_reachable(p, source(x->run)) || !preflight_reachable(p, destination(x->run)))
                return;
        /* Both stores healthy (DESIGN.md 2a); the destination's disk measured now: a slow one is refused. */
        preflight_health(x, p, from, 1);
        preflight_health_probed(x, p, to, 1);
        check_destination_free(x, p);
        preflight_checked(p);
        if (survey_source(x, p, &survey) < 0)
                return;
        (void) run_set_figure(x->run, "survey_files", survey.files);
        (void) run_set_figure(x->run, "survey_bytes", survey.bytes);
        preflight_ok(p, "%s: %s has %zu mailboxes, %" PRIu64 " files, %.1f MiB", source(x->run),
                     run_param(x->run, "domain"), survey.n_mailboxes, survey.files, (double) survey.bytes / MIB);
        check_room(x, p, &survey);
        mail_scan_done(&survey);
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
        const Step *freeze = find_step(r, "freeze"), *thaw = find_step(r, "thaw");

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

        (void) snprintf(id, sizeof(id), "verify:%s", source(r));
        vf = find_step(r, id);
        (void) snprintf(id, sizeof(id), "verify:%s", destination(r));
        vt = find_step(r, id);
        if (o) {
                static const char *const figures[] = { "survey_files", "survey_bytes", "presync_files", "presync_bytes",
                                                       "changed_folders", "final_files", "final_bytes", "verified_files" };
                json_object_object_add(o, "cutover_window_usec", json_object_new_int64((int64_t) window_usec(r)));
                json_object_object_add(o, "final_sync_usec",
                                       json_object_new_int64((int64_t) job_usec(find_step(r, "final-sync"))));
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
        if (!find_step(r, "freeze"))
                return;
        if (window_usec(r))
                (void) timespan_format(window, sizeof(window), window_usec(r));
        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                uint64_t u = job_usec(find_step(r, parts[i]));
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
        if (param_yes(r, "presync-only"))
                (void) snprintf(buf, size, "%s is pre-synced from %s to %s; %s still serves it", run_param(r, "domain"),
                                source(r), destination(r), source(r));
        else
                (void) snprintf(buf, size, "%s is moved from %s to %s, verified, and served by %s",
                                run_param(r, "domain"), source(r), destination(r), destination(r));
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
        .kinds = kinds,
        .n_kinds = ELEMENTSOF(kinds),
        .config_new = config_new,
        .config_free = free,
        .config_key = config_key,
        .plan = plan,
        .preflight = preflight,
        .observe = observe,
        .summary = summary,
        .achieved = achieved,
};
