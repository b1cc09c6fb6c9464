/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mailbox move's step kinds (mailbox-move.h): each helper call with its
 * arguments, and the checks that are steps of their own (source health
 * before the freeze, the two stores' verify reports compared, the source's
 * thaw only after a failure before the switch). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "health-fetch.h"
#include "hubops-bus.h"
#include "macro.h"
#include "mail-report.h"
#include "mailbox-move.h"
#include "strv.h"

#define MIB (1024.0 * 1024.0)

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
        return sd_bus_message_append(m, "b", mailbox_move_param_yes(x->run, "checksum"));
}

/* Sync(domain, peer, MODE, [], []): the destination acts on the source,
 * which its helper config names [Peer SOURCE]. */
static int append_sync_without_folders(Exec *x, sd_bus_message *m, const char *mode) {
        return sd_bus_message_append(m, "ssasas", mailbox_move_source(x->run), mode, 0, 0);
}
/* "full": it pulls the whole domain. */
static int append_full_sync(Exec *x, Step *s, sd_bus_message *m) {
        (void) s;
        return append_sync_without_folders(x, m, "full");
}
/* "connect": it opens the final pass's ssh connection to the source before
 * the freeze (hubops-mailsync). */
static int append_connect(Exec *x, Step *s, sd_bus_message *m) {
        (void) s;
        return append_sync_without_folders(x, m, "connect");
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

        r = x->api->call(x->api, mailbox_move_source(x->run), &c, &reply, &error);
        if (r < 0) {
                (void) snprintf(s->message, sizeof(s->message), "cannot read what changed on %s: %.180s",
                                mailbox_move_source(x->run), error.message ? error.message : strerror(-r));
                return r;
        }
        r = mail_changes_from_json(reply.text, strlen(reply.text), &changes);
        free(reply.text);
        if (r < 0) {
                (void) snprintf(s->message, sizeof(s->message), "%s's report of what changed is malformed",
                                mailbox_move_source(x->run));
                return r;
        }
        (void) run_set_figure(x->run, "changed_folders", strv_length(changes.changed));
        r = sd_bus_message_append(m, "ss", mailbox_move_source(x->run), "final");
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
        r = mail_scan_from_json(reply.text, strlen(reply.text), domain, mailbox_move_param_yes(x->run, "checksum"), ret);
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

                if (c < 0 && ma)
                        (void) snprintf(one, sizeof(one), "%.60s (missing at %s)", ma->name, bname), i++;
                else if (c > 0 && mb)
                        (void) snprintf(one, sizeof(one), "%.60s (only at %s)", mb->name, bname), j++;
                else if (!ma || !mb)
                        break; /* not reached: one of them is there while the loop runs */
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

        if (read_verify(x, mailbox_move_source(x->run), &a, s->message, sizeof(s->message)) < 0) {
                s->status = STEP_FAILED;
                return 3;
        }
        if (read_verify(x, mailbox_move_destination(x->run), &b, s->message, sizeof(s->message)) < 0) {
                mail_scan_done(&a);
                s->status = STEP_FAILED;
                return 3;
        }
        n = compare_scans(&a, &b, mailbox_move_destination(x->run), diff, sizeof(diff));
        if (n > 0) {
                s->status = STEP_FAILED;
                (void) snprintf(s->message, sizeof(s->message), "%u mailbox(es) differ: %s", n, diff);
        } else {
                s->status = STEP_DONE;
                (void) snprintf(s->message, sizeof(s->message),
                                "%zu mailboxes, %" PRIu64 " files, %.1f MiB: the same on both stores%s",
                                a.n_mailboxes, a.files, (double) a.bytes / MIB,
                                mailbox_move_param_yes(x->run, "checksum") ? " (contents too)" : "");
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
        (void) health_fetch(h, 1, false, HEALTH_FETCH_FRESH); /* the truth now: the freeze comes next */
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
        const Step *freeze = mailbox_move_step(x->run, "freeze"), *sw = mailbox_move_step(x->run, "switch");

        if (sw && sw->status == STEP_DONE) {
                s->status = STEP_SKIPPED;
                (void) snprintf(s->message, sizeof(s->message),
                                "the domain is switched to %s; %s stays frozen until it is retired",
                                mailbox_move_destination(x->run), mailbox_move_source(x->run));
                return 1;
        }
        if (!freeze || freeze->status == STEP_PENDING || freeze->status == STEP_GATING) {
                s->status = STEP_SKIPPED;
                (void) snprintf(s->message, sizeof(s->message), "%s was never frozen", mailbox_move_source(x->run));
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
                { "mailbox-connect", "open the ssh connection to the source of ", " for the final pass" },
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

const StepKind mailbox_move_kinds[MAILBOX_MOVE_N_KINDS] = {
        MAILBOX_KIND("mailbox-record", "mailbox.stamp", "RecordFolders", "none: recording again is harmless",
                     .append = append_presync),
        MAILBOX_KIND("mailbox-presync", "mailbox.sync", "Sync", "none: a pass copies only what differs",
                     .append = append_full_sync, .detachable = true),
        MAILBOX_KIND("mailbox-connect", "mailbox.sync", "Sync", "none: an open connection is kept",
                     .append = append_connect),
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
