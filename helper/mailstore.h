/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "context.h"
#include "systemd-client.h"

/* The mail store of this host ([Mailstore], [Peer NAME]) as the mailbox
 * move's operations use it (DESIGN.md 2b): which domains a caller may name,
 * the units that walk and copy them as the mail user, and the reports those
 * units leave in StateDirectory/mailbox/. */

typedef enum MailReport {
        MAIL_REPORT_SURVEY,   /* hubops-mailscan: counts and digests */
        MAIL_REPORT_VERIFY,   /* the same, for verify (maybe with content hashes) */
        MAIL_REPORT_STAMPS,   /* folder stamps taken when a pre-sync began */
        MAIL_REPORT_FROZEN,   /* folder stamps taken once frozen */
        MAIL_REPORT_SYNC,     /* hubops-mailsync's summary of the last pass */
        MAIL_REPORT_MAX,
} MailReport;

const char *mail_report_to_string(MailReport r);
int mail_report_from_string(const char *s);

/* NULL when domain may be named here (valid, and with must_exist a real
 * directory under Root=, not a link), else the reason for the caller. */
const char *mailstore_check_domain(const Context *c, const char *domain, bool must_exist);

/* StateDirectory/mailbox/DOMAIN.KIND.json (malloc'd); the job's own output
 * file, before it is checked, is StateDirectory/mailbox/job-ID.out. */
char *mailstore_report_path(const Context *c, const char *domain, MailReport kind);
char *mailstore_job_output_path(const Context *c, uint64_t job_id);
/* Create StateDirectory/mailbox (root's, 0700) if need be. */
int mailstore_ensure_state_dir(const Context *c);

/* The argv of the walk (checksum, or stamps) and of a copy pass. */
char **mailstore_scan_argv(const Context *c, const char *domain, bool checksum, bool stamps);
char **mailstore_sync_argv(const Context *c, const char *domain, const PeerConfig *peer, const char *mode);
/* Retire: the argv that empties Root=/DOMAIN as the mail user; then, once
 * it ended well, the directory itself and the domain's reports. */
char **mailstore_retire_argv(const Context *c, const char *domain);
int mailstore_retire_finish(const Context *c, const char *domain);

/* The job's output checked (the strict readers) and kept as the domain's
 * report of that kind; 0, or < 0 with a sentence in message. */
int mailstore_keep_report(const Context *c, uint64_t job_id, const char *domain, MailReport kind, bool checksum,
                          char *message, size_t size);

/* A kept report as JSON text for GetReport (malloc'd): survey, verify and
 * sync as kept; "changes" computed from the stamps and the frozen stamps. */
int mailstore_read_report(const Context *c, const char *domain, const char *kind, char **ret_json, char **ret_why);
