/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "job-record.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "format.h"
#include "job.h"
#include "json-read.h"
#include "log.h"
#include "macro.h"
#include "names.h"
#include "procfs.h"

#define JOBS_FILE_MAX ((size_t) 512 * 1024)
#define SYSTEMD_JOB_PREFIX "/org/freedesktop/systemd1/job/"

static bool ascii_printable(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || (unsigned char) *s >= 0x7f)
                        return false;
        return true;
}

/* Truncated to fit, anything but printable ASCII made '?': what format()
 * writes, parse() must take back, or the next start-up would be refused. */
static void copy_text(char *dst, size_t size, const char *src) {
        size_t i = 0;

        for (; src && src[i] && i + 1 < size; i++) {
                unsigned char ch = (unsigned char) src[i];
                dst[i] = src[i];
                if (ch < 0x20 || ch >= 0x7f)
                        dst[i] = '?';
        }
        dst[i] = '\0';
}

static int text_from(json_object *v, char *dst, size_t size) {
        const char *s;
        size_t l;

        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        s = json_object_get_string(v);
        l = (size_t) json_object_get_string_len(v);
        /* An embedded NUL ("\u0000") would make the string mean less than it says. */
        if (l >= size || strlen(s) != l || !ascii_printable(s))
                return -EBADMSG;
        memcpy(dst, s, l + 1);
        return 0;
}

static int get_text(json_object *o, const char *key, char *dst, size_t size) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v))
                return -EBADMSG;
        return text_from(v, dst, size);
}

static bool systemd_job_is_valid(const char *s) {
        const char *n = s + strlen(SYSTEMD_JOB_PREFIX);

        if (s[0] == '\0')
                return true;
        return strncmp(s, SYSTEMD_JOB_PREFIX, strlen(SYSTEMD_JOB_PREFIX)) == 0 && n[0] >= '1' && n[0] <= '9' &&
               strspn(n, "0123456789") == strlen(n);
}

static int parse_details(json_object *o, JobRecord *r) {
        json_object *a;
        size_t n;

        if (!json_object_object_get_ex(o, "details", &a) || !json_object_is_type(a, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(a);
        if (n > JOB_RECORD_DETAILS_MAX || n % 2 != 0)
                return -EBADMSG;
        for (size_t i = 0; i < n; i++)
                if (text_from(json_object_array_get_idx(a, i), r->details[i], sizeof(r->details[i])) < 0)
                        return -EBADMSG;
        r->n_details = n;
        return 0;
}

static int parse_record(json_object *o, JobRecord *r) {
        uint64_t by = 0;

        if (!json_object_is_type(o, json_type_object) || json_read_u64(o, "id", &r->id) < 0 || r->id == 0 ||
            json_read_u64(o, "started_at", &r->started_at) < 0 || json_read_u64(o, "started_by", &by) < 0 ||
            by > UINT32_MAX || get_text(o, "operation", r->operation, sizeof(r->operation)) < 0 ||
            get_text(o, "unit", r->unit, sizeof(r->unit)) < 0 ||
            get_text(o, "cancel_action", r->cancel_action, sizeof(r->cancel_action)) < 0 ||
            get_text(o, "phase", r->phase, sizeof(r->phase)) < 0 ||
            get_text(o, "message", r->message, sizeof(r->message)) < 0 ||
            get_text(o, "systemd_job", r->systemd_job, sizeof(r->systemd_job)) < 0 ||
            get_text(o, "audit_id", r->audit_id, sizeof(r->audit_id)) < 0 || parse_details(o, r) < 0)
                return -EBADMSG;
        r->started_by = (uint32_t) by;
        if (r->operation[0] == '\0' || r->phase[0] == '\0' || !unit_name_is_valid(r->unit) ||
            !systemd_job_is_valid(r->systemd_job))
                return -EBADMSG;
        return 0;
}

int job_records_parse(const char *json, JobRecord **ret, size_t *ret_n) {
        json_object *o = json_tokener_parse(json), *a;
        JobRecord *records = NULL;
        size_t n = 0;
        int r = -EBADMSG;

        if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "jobs", &a) ||
            !json_object_is_type(a, json_type_array) || (n = json_object_array_length(a)) > JOB_RECORDS_MAX)
                goto out;
        records = calloc(n > 0 ? n : 1, sizeof(JobRecord));
        if (!records) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                if (parse_record(json_object_array_get_idx(a, i), &records[i]) < 0)
                        goto out;
                for (size_t k = 0; k < i; k++)
                        if (records[k].id == records[i].id)
                                goto out;
        }
        *ret = TAKE_PTR(records);
        *ret_n = n;
        r = 0;
out:
        free(records);
        json_object_put(o);
        return r;
}

static json_object *record_to_json(const JobRecord *r) {
        json_object *o = json_object_new_object(), *d = json_object_new_array();

        json_object_object_add(o, "id", json_object_new_int64((int64_t) r->id));
        json_object_object_add(o, "operation", json_object_new_string(r->operation));
        for (size_t i = 0; i < r->n_details; i++)
                json_object_array_add(d, json_object_new_string(r->details[i]));
        json_object_object_add(o, "details", d);
        json_object_object_add(o, "unit", json_object_new_string(r->unit));
        json_object_object_add(o, "cancel_action", json_object_new_string(r->cancel_action));
        json_object_object_add(o, "started_at", json_object_new_int64((int64_t) r->started_at));
        json_object_object_add(o, "started_by", json_object_new_int64(r->started_by));
        json_object_object_add(o, "phase", json_object_new_string(r->phase));
        json_object_object_add(o, "message", json_object_new_string(r->message));
        json_object_object_add(o, "systemd_job", json_object_new_string(r->systemd_job));
        json_object_object_add(o, "audit_id", json_object_new_string(r->audit_id));
        return o;
}

char *job_records_format(const JobRecord *records, size_t n) {
        json_object *o = json_object_new_object(), *a = json_object_new_array();
        char *out;

        for (size_t i = 0; i < n; i++)
                json_object_array_add(a, record_to_json(&records[i]));
        json_object_object_add(o, "jobs", a);
        out = strdup_printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        return out;
}

static void record_from_job(const Job *j, JobRecord *r) {
        *r = (JobRecord) { .id = j->id, .started_at = j->started_at, .started_by = (uint32_t) j->started_by_uid };
        copy_text(r->operation, sizeof(r->operation), j->operation);
        copy_text(r->unit, sizeof(r->unit), j->unit);
        copy_text(r->cancel_action, sizeof(r->cancel_action), j->cancel_action);
        copy_text(r->phase, sizeof(r->phase), j->phase);
        copy_text(r->message, sizeof(r->message), j->message);
        copy_text(r->systemd_job, sizeof(r->systemd_job), j->systemd_job);
        copy_text(r->audit_id, sizeof(r->audit_id), j->audit_id);
        for (char **d = j->details; d && d[0] && d[1] && r->n_details + 2 <= JOB_RECORD_DETAILS_MAX; d += 2) {
                copy_text(r->details[r->n_details++], sizeof(r->details[0]), d[0]);
                copy_text(r->details[r->n_details++], sizeof(r->details[0]), d[1]);
        }
}

static char *records_path(const Context *c) {
        return strdup_printf("%s/jobs.json", c->config->state_directory);
}

static int save(Context *c) {
        _cleanup_free_ char *path = records_path(c), *json = NULL;
        _cleanup_free_ JobRecord *records = calloc(JOB_RECORDS_MAX, sizeof(JobRecord));
        size_t n = 0;

        if (!path || !records)
                return -ENOMEM;
        for (Job *j = c->jobs; j && n < JOB_RECORDS_MAX; j = j->next)
                if (j->durable && j->state == JOB_RUNNING)
                        record_from_job(j, &records[n++]);
        if (n == 0)
                return unlink_durable(path);
        json = job_records_format(records, n);
        if (!json)
                return -ENOMEM;
        return write_file_atomic(path, json, strlen(json), 0644);
}

void job_records_save(Context *c) {
        int r = save(c);

        if (r < 0)
                log_error_errno(r,
                                "hubopsd: cannot record the running jobs in %s/jobs.json, a restarted helper will "
                                "not know them: %m",
                                c->config->state_directory);
}

static int restore(Context *c, const JobRecord *r) {
        const char *details[JOB_RECORD_DETAILS_MAX + 1] = { NULL };
        Job *j;
        int k;

        for (size_t i = 0; i < r->n_details; i++)
                details[i] = r->details[i];
        k = job_restore(c, r->id, r->operation, details, r->unit, r->cancel_action, r->started_by, r->started_at,
                        &j);
        if (k < 0)
                return k;
        k = job_restore_progress(j, r->phase, r->message, r->systemd_job);
        if (k < 0)
                return k;
        (void) snprintf(j->audit_id, sizeof(j->audit_id), "%s", r->audit_id);
        j->durable = true;
        j->restored = true;
        return 0;
}

int job_records_load(Context *c) {
        _cleanup_free_ char *path = records_path(c), *buf = malloc(JOBS_FILE_MAX);
        _cleanup_free_ JobRecord *records = NULL;
        size_t len, n = 0;
        int r;

        if (!path || !buf)
                return -ENOMEM;
        r = procfs_read_file(path, buf, JOBS_FILE_MAX, &len);
        if (r == -ENOENT)
                return 0;
        if (r >= 0)
                r = job_records_parse(buf, &records, &n);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                r = restore(c, &records[i]);
                if (r == -EINVAL) {
                        log_error("hubopsd: %s: job %" PRIu64 " is not one this helper can have started "
                                  "(last job id %" PRIu64 ")",
                                  path, records[i].id, c->last_job_id);
                        return -EBADMSG;
                }
        }
        if (r < 0)
                log_error_errno(r, "hubopsd: cannot read the jobs a previous hubopsd left running, %s: %m", path);
        return r;
}

static Job *first_restored(Context *c) {
        for (Job *j = c->jobs; j; j = j->next)
                if (j->restored)
                        return j;
        return NULL;
}

void job_records_end_unclaimed(Context *c) {
        Job *j;
        char message[256];

        /* One at a time: ending a job may prune others from the list. */
        while ((j = first_restored(c))) {
                j->restored = false;
                (void) snprintf(message, sizeof(message),
                                "hubopsd restarted during this job, and %s is no longer configured here; what "
                                "became of it is not known",
                                j->operation);
                job_finish(j, JOB_FAILED, JOB_RESULT_INTERRUPTED, -1, message);
        }
}
