/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mailstore.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "format.h"
#include "job.h"
#include "log.h"
#include "macro.h"
#include "mailscan.h"
#include "mail-stamps.h"
#include "names.h"
#include "strv.h"

#ifndef HUBOPS_LIBEXECDIR
#define HUBOPS_LIBEXECDIR "/usr/libexec/hubops"
#endif
#define REPORT_MAX (256U << 20) /* a million folders' stamps fit, with room */

static const char *const report_names[MAIL_REPORT_MAX] = {
        [MAIL_REPORT_SURVEY] = "survey", [MAIL_REPORT_VERIFY] = "verify", [MAIL_REPORT_STAMPS] = "stamps",
        [MAIL_REPORT_FROZEN] = "frozen", [MAIL_REPORT_SYNC] = "sync",
};

const char *mail_report_to_string(MailReport r) {
        return r >= 0 && r < MAIL_REPORT_MAX ? report_names[r] : NULL;
}

int mail_report_from_string(const char *s) {
        for (int i = 0; i < MAIL_REPORT_MAX; i++)
                if (strcmp(report_names[i], s) == 0)
                        return i;
        return -EINVAL;
}

/* Where hubopsd finds its helpers: the build's in the lab (the unit's
 * environment, never a caller's), the installed ones otherwise. */
static const char *tool_directory(void) {
        const char *d = secure_getenv("HUBOPS_LIBEXECDIR");

        return d && path_is_safe_absolute(d) ? d : HUBOPS_LIBEXECDIR;
}

const char *mailstore_check_domain(const Context *c, const char *domain, bool must_exist) {
        _cleanup_close_ int root = -1, dir = -1;

        if (!c->config->mailstore.present)
                return "no [Mailstore] on this host";
        if (!domain_name_is_valid(domain))
                return "invalid domain name (lowercase letters, digits, '-' and '.')";
        if (!must_exist)
                return NULL;
        /* O_PATH: search permission on the root is all it takes (config.c checks it). */
        root = open(c->config->mailstore.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return "the mail root cannot be opened";
        dir = openat(root, domain, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return dir < 0 ? "no such domain under the mail root" : NULL;
}

char *mailstore_report_path(const Context *c, const char *domain, MailReport kind) {
        return strdup_printf("%s/mailbox/%s.%s.json", c->config->state_directory, domain, mail_report_to_string(kind));
}

char *mailstore_job_output_path(const Context *c, uint64_t job_id) {
        return strdup_printf("%s/mailbox/job-%" PRIu64 ".out", c->config->state_directory, job_id);
}

int mailstore_ensure_state_dir(const Context *c) {
        _cleanup_free_ char *dir = strdup_printf("%s/mailbox", c->config->state_directory);
        struct stat st;

        if (!dir)
                return -ENOMEM;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        if (lstat(dir, &st) < 0)
                return -errno;
        /* What the walk writes lands here as root: nobody else may swap it. */
        if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 0077))
                return -EPERM;
        return 0;
}

char **mailstore_scan_argv(const Context *c, const char *domain, bool checksum, bool stamps) {
        const MailstoreConfig *m = &c->config->mailstore;
        _cleanup_free_ char *tool = strdup_printf("%s/hubops-mailscan", tool_directory());
        char **argv = NULL;

        if (!tool || strv_extend(&argv, tool) < 0 || strv_extend(&argv, "--root") < 0 ||
            strv_extend(&argv, m->root) < 0 || strv_extend(&argv, "--layout") < 0 ||
            strv_extend(&argv, m->layout) < 0 || strv_extend(&argv, "--domain") < 0 ||
            strv_extend(&argv, domain) < 0 || (checksum && strv_extend(&argv, "--checksum") < 0) ||
            (stamps && strv_extend(&argv, "--stamps") < 0)) {
                strv_free(argv);
                return NULL;
        }
        return argv;
}

char **mailstore_sync_argv(const Context *c, const char *domain, const PeerConfig *peer, const char *mode) {
        const MailstoreConfig *m = &c->config->mailstore;
        _cleanup_free_ char *tool = strdup_printf("%s/hubops-mailsync", tool_directory());
        _cleanup_free_ char *port = strdup_printf("%u", peer->port);
        const char *args[] = {
                "--peer", peer->address, "--port", port, "--identity", peer->identity_file,
                "--known-hosts", peer->known_hosts_file, "--root", m->root, "--layout", m->layout,
                "--domain", domain, "--mode", mode,
        };
        char **argv = NULL;

        if (!tool || !port || strv_extend(&argv, tool) < 0)
                goto fail;
        for (size_t i = 0; i < ELEMENTSOF(args); i++)
                if (strv_extend(&argv, args[i]) < 0)
                        goto fail;
        return argv;
fail:
        strv_free(argv);
        return NULL;
}

/* Parse with the strict reader of its kind, and write back what was read
 * (never the unit's bytes as they came). */
static int check_report(const char *text, size_t len, const char *domain, MailReport kind, bool checksum,
                        char **ret_json) {
        int r;

        if (kind == MAIL_REPORT_SURVEY || kind == MAIL_REPORT_VERIFY) {
                MailScan s;

                r = mail_scan_from_json(text, len, domain, checksum, &s);
                if (r < 0)
                        return r;
                *ret_json = mail_scan_to_json(domain, checksum, &s);
                mail_scan_done(&s);
        } else if (kind == MAIL_REPORT_SYNC) {
                MailSyncSummary s;

                r = mail_sync_summary_from_json(text, len, &s);
                if (r < 0)
                        return r;
                *ret_json = mail_sync_summary_to_json(&s);
        } else {
                MailStamps s;

                r = mail_stamps_from_json(text, len, &s);
                if (r < 0)
                        return r;
                *ret_json = mail_stamps_to_json(&s);
                mail_stamps_done(&s);
        }
        return *ret_json ? 0 : -ENOMEM;
}

int mailstore_keep_report(const Context *c, uint64_t job_id, const char *domain, MailReport kind, bool checksum,
                          char *message, size_t size) {
        _cleanup_free_ char *out = mailstore_job_output_path(c, job_id), *path = NULL, *text = NULL, *json = NULL;
        size_t len = 0;
        int r;

        path = mailstore_report_path(c, domain, kind);
        if (!out || !path)
                return -ENOMEM;
        r = read_file_bounded(out, REPORT_MAX, &text, &len);
        if (r >= 0)
                r = check_report(text, len, domain, kind, checksum, &json);
        if (r >= 0)
                r = write_file_atomic(path, json, strlen(json), 0600);
        (void) unlink(out);
        if (r < 0)
                (void) snprintf(message, size, "the %s report of %s could not be kept: %s",
                                mail_report_to_string(kind), domain,
                                r == -EBADMSG ? "it is malformed" : strerror(-r));
        return r;
}

static int load_stamps(const Context *c, const char *domain, MailReport kind, MailStamps *ret) {
        _cleanup_free_ char *path = mailstore_report_path(c, domain, kind), *text = NULL;
        size_t len = 0;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_file_bounded(path, REPORT_MAX, &text, &len);
        return r < 0 ? r : mail_stamps_from_json(text, len, ret);
}

static int changes_json(const MailStamps *before, const MailStamps *now, char **ret) {
        MailChanges changes = { .recorded_usec = before->taken_usec, .frozen_usec = now->taken_usec };
        int r = mail_stamps_changed(before, now, &changes.changed, &changes.gone);

        for (size_t i = 0; r >= 0 && i < now->n_folders; i++)
                r = strv_extend(&changes.folders, now->folders[i].path);
        if (r >= 0 && !changes.folders && !(changes.folders = calloc(1, sizeof(char *))))
                r = -ENOMEM;
        if (r >= 0 && !(*ret = mail_changes_to_json(&changes)))
                r = -ENOMEM;
        mail_changes_done(&changes);
        return r;
}

int mailstore_read_report(const Context *c, const char *domain, const char *kind, char **ret_json, char **ret_why) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        MailStamps before, now;
        size_t len = 0;
        int k, r;

        if (strcmp(kind, "changes") == 0) {
                r = load_stamps(c, domain, MAIL_REPORT_STAMPS, &before);
                if (r < 0) {
                        *ret_why = strdup("no folder stamps from the start of a pre-sync");
                        return r;
                }
                r = load_stamps(c, domain, MAIL_REPORT_FROZEN, &now);
                if (r < 0) {
                        mail_stamps_done(&before);
                        *ret_why = strdup("no folder stamps taken since the freeze");
                        return r;
                }
                r = changes_json(&before, &now, ret_json);
                mail_stamps_done(&before);
                mail_stamps_done(&now);
                return r;
        }
        k = mail_report_from_string(kind);
        if (k < 0 || k == MAIL_REPORT_STAMPS || k == MAIL_REPORT_FROZEN) {
                *ret_why = strdup("unknown report (survey, verify, sync or changes)");
                return -EINVAL;
        }
        path = mailstore_report_path(c, domain, (MailReport) k);
        if (!path)
                return -ENOMEM;
        r = read_file_bounded(path, REPORT_MAX, &text, &len);
        if (r < 0) {
                *ret_why = strdup_printf("no %s report for %s on this host", kind, domain);
                return r;
        }
        /* Kept as checked; checked again, as every state file is read. */
        return check_report(text, len, domain, (MailReport) k,
                            k == MAIL_REPORT_VERIFY && strstr(text, "\"checksum\":true"), ret_json);
}

char **mailstore_retire_argv(const Context *c, const char *domain) {
        _cleanup_free_ char *path = strdup_printf("%s/%s", c->config->mailstore.root, domain);
        char **argv = NULL;

        /* rm never follows a link; --one-file-system keeps it off anything
         * mounted under the domain. */
        if (!path || strv_extend(&argv, "/bin/rm") < 0 || strv_extend(&argv, "-rf") < 0 ||
            strv_extend(&argv, "--one-file-system") < 0 || strv_extend(&argv, "--") < 0 ||
            strv_extend(&argv, path) < 0) {
                strv_free(argv);
                return NULL;
        }
        return argv;
}

int mailstore_retire_finish(const Context *c, const char *domain) {
        _cleanup_free_ char *path = strdup_printf("%s/%s", c->config->mailstore.root, domain);

        if (!path)
                return -ENOMEM;
        /* rmdir: only ever an empty directory, never through a link. */
        if (rmdir(path) < 0 && errno != ENOENT)
                return -errno;
        for (int k = 0; k < MAIL_REPORT_MAX; k++) {
                _cleanup_free_ char *report = mailstore_report_path(c, domain, (MailReport) k);

                if (report && unlink(report) < 0 && errno != ENOENT)
                        log_warning_errno(-errno, "hubopsd: cannot remove %s", report);
        }
        return 0;
}
