/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "audit-read.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "hubops-bus.h"
#include "macro.h"
#include "request.h"
#include "strv.h"

bool audit_id_is_valid(const char *s) {
        size_t n = 0;

        for (; s[n]; n++)
                if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')) || n >= 32)
                        return false;
        return n == 32;
}

void audit_found_done(AuditFound *f) {
        strv_free(f->lines);
        *f = (AuditFound) { 0 };
}

static const char *record_id(json_object *o) {
        json_object *v;

        return json_object_object_get_ex(o, "id", &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v)
                       : NULL;
}

/* A request record with caller.uid == uid. */
static bool record_is_own(json_object *o, uid_t uid) {
        json_object *event, *caller, *v;

        return json_object_object_get_ex(o, "event", &event) &&
               strcmp(json_object_get_string(event), "request") == 0 &&
               json_object_object_get_ex(o, "caller", &caller) && json_object_object_get_ex(caller, "uid", &v) &&
               json_object_is_type(v, json_type_int) && json_object_get_int64(v) == (int64_t) uid;
}

static bool wanted(const char *id, char *const *ids) {
        for (char *const *i = ids; id && *i; i++)
                if (strcmp(*i, id) == 0)
                        return true;
        return false;
}

/* One line: keep it if its id is asked for. A cheap substring test first,
 * so only candidate lines are parsed. */
static int consider(const char *line, char *const *ids, uid_t uid, AuditFound *f) {
        json_object *o;
        int r = 0;

        if (!strstr(line, "\"id\""))
                return 0;
        o = json_tokener_parse(line);
        if (!o)
                return 0;
        if (wanted(record_id(o), ids)) {
                f->all_own = f->all_own && record_is_own(o, uid);
                r = strv_extend(&f->lines, line);
                if (r >= 0)
                        f->n++;
        }
        json_object_put(o);
        return r;
}

int audit_read_find(const char *path, char *const *ids, uid_t uid, AuditFound *ret) {
        _cleanup_fclose_ FILE *file = NULL;
        _cleanup_free_ char *line = NULL;
        AuditFound f = { .all_own = true };
        size_t size = 0;
        ssize_t len;
        int fd, r = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        file = fdopen(fd, "r");
        if (!file) {
                r = -errno;
                (void) close(fd);
                return r;
        }
        while (r >= 0 && (len = getline(&line, &size, file)) >= 0) {
                if (len > 0 && line[len - 1] == '\n')
                        line[--len] = '\0';
                if ((size_t) len <= AUDIT_READ_LINE_MAX)
                        r = consider(line, ids, uid, &f);
        }
        if (r < 0) {
                audit_found_done(&f);
                return r;
        }
        *ret = f;
        return 0;
}

static int reply_lines(sd_bus_message *call, char **lines) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_append_strv(reply, lines);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        return r;
}

static void act_read_others(Request *req, void *userdata) {
        AuditFound *f = userdata;

        (void) request_reply_strv(req, f->lines);
        audit_found_done(f);
        free(f);
}

static void found_free(void *userdata) {
        AuditFound *f = userdata;

        audit_found_done(f);
        free(f);
}

int method_get_audit_records(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        _cleanup_(strv_freep) char **ids = NULL;
        Context *c = userdata;
        AuditFound f = { 0 }, *keep;
        Request *req;
        uid_t uid;
        int r;

        r = sd_bus_message_read_strv(m, &ids);
        if (r < 0)
                return r;
        if (strv_length(ids) == 0 || strv_length(ids) > AUDIT_READ_IDS_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Give 1 to %u record ids",
                                         AUDIT_READ_IDS_MAX);
        for (char **i = ids; *i; i++)
                if (!audit_id_is_valid(*i))
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Invalid record id (32 hex digits)");
        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "The caller's credentials are unavailable");
        r = audit_read_find(c->config->audit_log, ids, uid, &f);
        if (r < 0)
                return sd_bus_error_setf(error, HUBOPS_ERROR_FAILED, "Cannot read the audit log: %s", strerror(-r));
        /* One's own requests, or root: no question to ask, nothing to record. */
        if (uid == 0 || f.all_own) {
                r = reply_lines(m, f.lines);
                audit_found_done(&f);
                return r < 0 ? r : 1;
        }
        keep = malloc(sizeof(AuditFound));
        if (!keep) {
                audit_found_done(&f);
                return -ENOMEM;
        }
        *keep = f;
        const char *details[] = { "records", ids[0], NULL };
        r = request_new(c, m, "audit.read", HUBOPS_ACTION_AUDIT_READ, details, &req);
        if (r < 0) {
                found_free(keep);
                return r;
        }
        return request_authorize(req, act_read_others, keep, found_free);
}
