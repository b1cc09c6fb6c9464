/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One walk over a domain's mailboxes, as the mail user, for the mailbox move
 * (DESIGN.md 2b): per mailbox the files, bytes and largest file (the survey),
 * and a digest over every file's relative name, size and mtime, optionally
 * its content (verify: two stores hold the same mail exactly when every
 * mailbox's digest matches). Nothing is followed: symbolic links and other
 * non-regular files are counted as skipped, never opened. The contents of
 * tmp/ directories (deliveries in flight) are left out. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAILSCAN_DIGEST_SIZE 32 /* SHA-256 */
#define MAILSCAN_DEPTH_MAX 16   /* folders within a mailbox, nested */

typedef struct MailboxScan {
        char *name;
        uint64_t files, bytes, largest;
        uint8_t digest[MAILSCAN_DIGEST_SIZE];
} MailboxScan;

typedef struct MailScan {
        MailboxScan *mailboxes; /* sorted by name */
        size_t n_mailboxes;
        uint64_t files, bytes, skipped;
} MailScan;

typedef struct MailScanOptions {
        const char *root;   /* [Mailstore] Root= */
        const char *layout; /* [Mailstore] Layout=, checked by the config */
        const char *domain; /* checked with domain_name_is_valid() */
        bool checksum;      /* content hashes in the digest (--checksum) */
        /* Called every few thousand files, and at the end, with the running totals. */
        void (*progress)(const MailScan *s, void *userdata);
        void *userdata;
} MailScanOptions;

/* 0, or a negative errno; on error *ret_error (malloc'd) says what and where. */
int mail_scan(const MailScanOptions *o, MailScan *ret, char **ret_error);
void mail_scan_done(MailScan *s);

/* The result as one JSON object (malloc'd), as hubops-mailscan prints it. */
char *mail_scan_to_json(const MailScanOptions *o, const MailScan *s);

/* Shared with mailstamps.c. The directory holding the domain's mailboxes
 * (an fd; every entry not starting with '.' there is a mailbox), with
 * *ret_suffix pointing into o->layout at what follows "%n/" ("Maildir"). */
int mailscan_open_parent(const MailScanOptions *o, const char **ret_suffix, char **ret_error);
/* A mailbox's maildir under the parent: an fd, or -ENOENT/-ENOTDIR/-ELOOP
 * when it has none (or not a real directory). */
int mailscan_open_mailbox(int parent, const char *name, const char *suffix);

/* hubops-mailscan's output read back, strictly: for this domain and
 * checksum setting, totals that are the sums, mailboxes sorted and unique.
 * -EBADMSG on anything else. */
int mail_scan_from_json(const char *text, size_t size, const char *domain, bool checksum, MailScan *ret);

/* hubops-mailsync's summary of one pass, read back strictly. */
typedef struct MailSyncSummary {
        bool final;   /* mode "final", else "full" */
        uint64_t files_checked, files_transferred, bytes_transferred, elapsed_usec;
        bool vanished; /* live mail moved during a full pass (normal) */
} MailSyncSummary;

int mail_sync_summary_from_json(const char *text, size_t size, MailSyncSummary *ret);
char *mail_sync_summary_to_json(const MailSyncSummary *s);
