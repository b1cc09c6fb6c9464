/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One walk over a domain's mailboxes, as the mail user, for the mailbox move
 * (DESIGN.md 2b): per mailbox the files, bytes and largest file (the survey),
 * and a digest over every file's relative name, size and mtime, optionally
 * its content (verify: two stores hold the same mail exactly when every
 * mailbox's digest matches). Nothing is followed: symbolic links and other
 * non-regular files are counted as skipped, never opened. The contents of
 * tmp/ directories (deliveries in flight) are left out. */

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mail-report.h"

#define MAILSCAN_DEPTH_MAX 16 /* folders within a mailbox, nested */

typedef struct MailScanOptions {
        const char *root;   /* [Mailstore] Root= */
        const char *layout; /* [Mailstore] Layout=, checked by the config */
        const char *domain; /* checked with domain_name_is_valid() */
        bool checksum;      /* content hashes in the digest (--checksum) */
        /* Called after each mailbox, with the running totals. */
        void (*progress)(const MailScan *s, size_t mailboxes_done, size_t mailboxes_total, void *userdata);
        void *userdata;
} MailScanOptions;

/* 0, or a negative errno; on error *ret_error (malloc'd) says what and where. */
int mail_scan(const MailScanOptions *o, MailScan *ret, char **ret_error);

/* Shared with mailstamps.c. The directory holding the domain's mailboxes
 * (an fd; every entry not starting with '.' there is a mailbox), with
 * *ret_suffix pointing into o->layout at what follows "%n/" ("Maildir"). */
int mailscan_open_parent(const MailScanOptions *o, const char **ret_suffix, char **ret_error);
/* The domain's mailbox names (entries not starting with '.'), with the
 * directory that holds them (*ret_parent, the caller's to close) and the
 * layout's part after "%n/". */
int mailscan_mailboxes(const MailScanOptions *o, int *ret_parent, const char **ret_suffix, char ***ret_names,
                       char **ret_error);

/* A stream over the directory fd (which stays the caller's): NULL with
 * *ret_error set on failure. */
DIR *mailscan_opendir(int fd, int *ret_error);
/* A mailbox's maildir under the parent: an fd, or -ENOENT/-ENOTDIR/-ELOOP
 * when it has none (or not a real directory). */
int mailscan_open_mailbox(int parent, const char *name, const char *suffix);
