/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The mailbox move's reports, as JSON: written by the programs that run as
 * the mail user (hubops-mailscan, hubops-mailsync) and by hubopsd, read by
 * hubopsd and hubopsctl. Every reader is strict (-EBADMSG for anything else)
 * and fuzzed: what the mail user's programs write is not trusted. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAILSCAN_DIGEST_SIZE 32 /* SHA-256 */

/* A domain's survey (or verify) walk: per mailbox the files, bytes, the
 * largest file, and the digest of every file's name, size and mtime. */
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

void mail_scan_done(MailScan *s);
/* {"domain","checksum","files","bytes","skipped","mailboxes":[{"name","files","bytes","largest","digest"}]} */
char *mail_scan_to_json(const char *domain, bool checksum, const MailScan *s);
/* For this domain and checksum setting; totals that are the sums, mailboxes
 * sorted and unique, names that are directory entries. */
int mail_scan_from_json(const char *text, size_t size, const char *domain, bool checksum, MailScan *ret);

/* hubops-mailsync's summary of one pass. */
typedef struct MailSyncSummary {
        bool final;   /* mode "final", else "full" */
        uint64_t files_checked, files_transferred, bytes_transferred, elapsed_usec;
        bool vanished; /* live mail moved during a full pass (normal) */
} MailSyncSummary;

int mail_sync_summary_from_json(const char *text, size_t size, MailSyncSummary *ret);
char *mail_sync_summary_to_json(const MailSyncSummary *s);

/* What the final pass must carry (hubopsd's GetReport "changes"): every
 * folder of the frozen domain, those changed since the pre-sync began, and
 * those gone. Paths relative to the domain, NULL-terminated lists. */
typedef struct MailChanges {
        uint64_t recorded_usec, frozen_usec;
        char **folders, **changed, **gone;
} MailChanges;

void mail_changes_done(MailChanges *c);
char *mail_changes_to_json(const MailChanges *c);
int mail_changes_from_json(const char *text, size_t size, MailChanges *ret);

/* The one JSON object of a report with exactly n_keys members, and nothing
 * after it but whitespace; NULL otherwise (json-c's, to json_object_put()). */
typedef struct json_object json_object;
json_object *mail_json_object(const char *text, size_t size, int n_keys);
/* A report's one line of JSON (malloc'd), from o, which it drops; NULL on OOM. */
char *mail_json_text(json_object *o);

/* A folder path as the reports hold them: relative, normalized (no "", "."
 * or ".." component), printable, shorter than MAIL_PATH_MAX; len its strlen(). */
#define MAIL_PATH_MAX 1024
#define MAIL_FOLDERS_MAX 1000000
bool mail_path_is_valid(const char *p, size_t len);

/* How long a copy of files/bytes takes at the reference rates (per-file
 * cost and bandwidth of a pre-sync over ssh between real disks; the lab's
 * VM copies about 10,000 files/s, BENCHMARKS.md): an estimate for the
 * survey and the plan, before any copy from the store has been measured. */
#define MAIL_COPY_FILES_PER_SEC 2000ULL
#define MAIL_COPY_BYTES_PER_SEC (40ULL << 20)
uint64_t mail_copy_estimate_usec(uint64_t files, uint64_t bytes);
