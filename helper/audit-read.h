/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

/* Reading the audit log back (Manager.GetAuditRecords): the file is
 * root's, but an operator must be able to find the records of their own
 * requests (hubopsctl prints their ids), also over ssh. Records of one's
 * own requests need no authorization; anyone else's need the polkit
 * action org.hubops.audit.read, and that read is audited. */

#define AUDIT_READ_IDS_MAX 64
#define AUDIT_READ_LINE_MAX ((size_t) 64 * 1024)

/* A record id as audit_write() makes them: 32 lowercase hex digits. */
bool audit_id_is_valid(const char *s);

/* The records (JSON lines, in file order) whose "id" is one of ids, and
 * whether each was a request by uid. A line longer than
 * AUDIT_READ_LINE_MAX or not JSON is skipped. */
typedef struct AuditFound {
        char **lines;
        bool all_own; /* every record found is a request by uid */
        size_t n;
} AuditFound;

int audit_read_find(const char *path, char *const *ids, uid_t uid, AuditFound *ret);
void audit_found_done(AuditFound *f);

int method_get_audit_records(sd_bus_message *m, void *userdata, sd_bus_error *error);
