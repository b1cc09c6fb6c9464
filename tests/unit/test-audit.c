/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "audit.h"
#include "macro.h"

#define ID "0123456789abcdef0123456789abcdef"

static const char *const details[] = { "hook", "backup", "service", "mail", NULL };

static AuditRecord request_record(const Caller *caller) {
        return (AuditRecord) {
                .event = AUDIT_EVENT_REQUEST,
                .operation = "hook.run",
                .details = details,
                .caller = caller,
                .action = "org.hubops.hook.run",
                .verdict = "yes",
                .result = "started",
                .message = "started the hook",
                .job = "/org/hubops/Helper1/job/7",
                .unit = "hubops-hook-backup-7.service",
                .time_usec = 1700000000123456ULL,
                .duration_usec = 4200,
        };
}

/* Format and parse back; the caller puts the object. */
static json_object *format_and_parse(const AuditRecord *rec, const char *id) {
        char *line = NULL;
        json_object *o;

        assert_int_equal(audit_format_json(rec, "hub-01", id, &line), 0);
        assert_non_null(line);
        assert_null(strchr(line, '\n'));
        o = json_tokener_parse(line);
        if (!o || !json_object_is_type(o, json_type_object))
                fail_msg("not a JSON object: %s", line);
        free(line);
        return o;
}

static json_object *get(json_object *o, const char *key) {
        json_object *v = NULL;

        if (!json_object_object_get_ex(o, key, &v))
                fail_msg("key \"%s\" missing", key);
        return v;
}

static void assert_string_field(json_object *o, const char *key, const char *expected) {
        json_object *v = get(o, key);

        assert_true(json_object_is_type(v, json_type_string));
        assert_string_equal(json_object_get_string(v), expected);
}

static void assert_int_field(json_object *o, const char *key, int64_t expected) {
        json_object *v = get(o, key);

        assert_true(json_object_is_type(v, json_type_int));
        assert_int_equal(json_object_get_int64(v), expected);
}

static void test_audit_json_has_every_request_field(_unused_ void **state) {
        Caller caller = { .sender = ":1.42", .uid = 1000, .pid = 4242, .login_uid = 1001,
                          .have_uid = true, .have_pid = true, .have_login_uid = true };
        AuditRecord rec = request_record(&caller);
        json_object *o = format_and_parse(&rec, ID), *d, *c;

        assert_string_field(o, "id", ID);
        assert_string_field(o, "host", "hub-01");
        assert_string_field(o, "event", "request");
        assert_string_field(o, "operation", "hook.run");
        assert_string_field(o, "action", "org.hubops.hook.run");
        assert_string_field(o, "verdict", "yes");
        assert_string_field(o, "result", "started");
        assert_string_field(o, "message", "started the hook");
        assert_string_field(o, "job", "/org/hubops/Helper1/job/7");
        assert_string_field(o, "unit", "hubops-hook-backup-7.service");
        assert_int_field(o, "duration_usec", 4200);
        assert_int_field(o, "time_usec", 1700000000123456LL);
        assert_string_field(o, "time", "2023-11-14T22:13:20.123456Z");

        d = get(o, "details");
        assert_true(json_object_is_type(d, json_type_object));
        assert_int_equal(json_object_object_length(d), 2);
        assert_string_field(d, "hook", "backup");
        assert_string_field(d, "service", "mail");

        c = get(o, "caller");
        assert_true(json_object_is_type(c, json_type_object));
        assert_int_field(c, "uid", 1000);
        assert_int_field(c, "pid", 4242);
        assert_int_field(c, "login_uid", 1001);
        assert_string_field(c, "bus_name", ":1.42");
        json_object_put(o);
}

static void test_audit_json_login_uid_null_when_unset(_unused_ void **state) {
        static const struct {
                bool have;
                uid_t login_uid;
        } cases[] = {
                { false, 1000 },
                { true, (uid_t) -1 },
                { false, (uid_t) -1 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Caller caller = { .uid = 0, .have_uid = true, .login_uid = cases[i].login_uid,
                                  .have_login_uid = cases[i].have };
                AuditRecord rec = request_record(&caller);
                json_object *o = format_and_parse(&rec, ID), *c = get(o, "caller");

                assert_null(get(c, "login_uid")); /* present, and JSON null */
                assert_int_field(c, "uid", 0);
                /* What the caller record lacks is left out, not invented. */
                assert_false(json_object_object_get_ex(c, "pid", NULL));
                assert_false(json_object_object_get_ex(c, "bus_name", NULL));
                json_object_put(o);
        }
}

static void test_audit_json_job_finished_omits_absent_fields(_unused_ void **state) {
        static const char *const absent[] = { "id", "caller", "action", "verdict", "message", "unit" };
        AuditRecord rec = {
                .event = AUDIT_EVENT_JOB_FINISHED,
                .operation = "hook.run",
                .result = "done",
                .job = "/org/hubops/Helper1/job/7",
                .time_usec = 0,
                .duration_usec = 90000000,
        };
        json_object *o = format_and_parse(&rec, NULL);

        assert_string_field(o, "event", "job-finished");
        assert_string_field(o, "result", "done");
        assert_string_field(o, "time", "1970-01-01T00:00:00.000000Z");
        assert_int_field(o, "time_usec", 0);
        assert_int_field(o, "duration_usec", 90000000);
        assert_int_equal(json_object_object_length(get(o, "details")), 0);
        for (size_t i = 0; i < ELEMENTSOF(absent); i++)
                if (json_object_object_get_ex(o, absent[i], NULL))
                        fail_msg("\"%s\" should be absent", absent[i]);
        json_object_put(o);
}

static void test_audit_json_escapes_message(_unused_ void **state) {
        static const char *const messages[] = {
                "say \"no\"",
                "two\nlines\r\n",
                "back\\slash and /slash",
                "tab\tbell\a",
                "\"}\n{\"forged\":true",
        };

        for (size_t i = 0; i < ELEMENTSOF(messages); i++) {
                AuditRecord rec = request_record(NULL);
                const char *const d[] = { "key\"\n", "value\n\"", NULL };
                char *line = NULL;
                json_object *o;

                rec.message = messages[i];
                rec.details = d;
                assert_int_equal(audit_format_json(&rec, "hub", ID, &line), 0);
                assert_null(strchr(line, '\n'));
                assert_null(strchr(line, '\r'));
                assert_null(strstr(line, "\"forged\":true"));
                o = json_tokener_parse(line);
                assert_non_null(o);
                assert_string_field(o, "message", messages[i]);
                assert_string_field(get(o, "details"), "key\"\n", "value\n\"");
                assert_false(json_object_object_get_ex(o, "forged", NULL));
                json_object_put(o);
                free(line);
        }
}

static void test_audit_json_suppressed_has_count_and_span(_unused_ void **state) {
        const Caller who = { .uid = 1002, .have_uid = true };
        const AuditSuppressed s = { .uid = 1002, .count = 4711, .first_usec = 1700000000123456ULL,
                                    .last_usec = 1700000060000000ULL };
        AuditRecord rec = {
                .event = AUDIT_EVENT_SUPPRESSED,
                .operation = "refusals",
                .caller = &who,
                .result = "suppressed",
                .time_usec = 1700000070000000ULL,
                .suppressed = &s,
        };
        json_object *o = format_and_parse(&rec, ID), *n;

        assert_string_field(o, "event", "suppressed");
        assert_string_field(o, "result", "suppressed");
        assert_int_field(get(o, "caller"), "uid", 1002);
        n = get(o, "suppressed");
        assert_int_field(n, "count", 4711);
        assert_int_field(n, "first_usec", 1700000000123456LL);
        assert_string_field(n, "first", "2023-11-14T22:13:20.123456Z");
        assert_int_field(n, "last_usec", 1700000060000000LL);
        assert_string_field(n, "last", "2023-11-14T22:14:20.000000Z");
        json_object_put(o);

        rec = request_record(NULL); /* other records have no "suppressed" */
        o = format_and_parse(&rec, ID);
        assert_false(json_object_object_get_ex(o, "suppressed", NULL));
        json_object_put(o);
}

/* The file side: a private directory per test. */
typedef struct Dir {
        char path[64];
        char log[96];
} Dir;

static int dir_setup(void **state) {
        Dir *d = calloc(1, sizeof(Dir));

        if (!d)
                return -1;
        (void) snprintf(d->path, sizeof(d->path), "/tmp/hubops-test-audit.XXXXXX");
        if (!mkdtemp(d->path)) {
                free(d);
                return -1;
        }
        (void) snprintf(d->log, sizeof(d->log), "%s/audit.jsonl", d->path);
        *state = d;
        return 0;
}

static int dir_teardown(void **state) {
        Dir *d = *state;
        char other[128];

        (void) unlink(d->log);
        (void) snprintf(other, sizeof(other), "%s/link", d->path);
        (void) unlink(other);
        (void) rmdir(d->path);
        free(d);
        return 0;
}

static void write_one(const char *path, const char *message, char id[33]) {
        AuditRecord rec = request_record(NULL);
        Audit *a = NULL;

        rec.message = message;
        assert_int_equal(audit_open(path, "hub-01", &a), 0);
        assert_int_equal(audit_check_writable(a), 0);
        assert_int_equal(audit_write(a, &rec, id), 0);
        audit_close(a);
}

static void test_audit_write_appends_one_json_line_per_record(void **state) {
        Dir *d = *state;
        char id1[33], id2[33], buf[8192];
        const char *messages[] = { "first", "second\nline" };
        char *ids[] = { id1, id2 };
        mode_t old_umask = umask(022);
        struct stat st;
        FILE *f;

        write_one(d->log, messages[0], id1);
        write_one(d->log, messages[1], id2); /* reopened: must append, not truncate */
        (void) umask(old_umask);
        assert_int_equal(strlen(id1), 32);
        assert_string_not_equal(id1, id2);

        assert_int_equal(stat(d->log, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);

        f = fopen(d->log, "re");
        assert_non_null(f);
        for (size_t i = 0; i < 2; i++) {
                json_object *o;

                assert_non_null(fgets(buf, sizeof(buf), f));
                assert_int_equal(buf[strlen(buf) - 1], '\n');
                o = json_tokener_parse(buf);
                if (!o)
                        fail_msg("line %zu is not JSON: %s", i + 1, buf);
                assert_string_field(o, "id", ids[i]);
                assert_string_field(o, "host", "hub-01");
                assert_string_field(o, "message", messages[i]);
                json_object_put(o);
        }
        assert_null(fgets(buf, sizeof(buf), f));
        (void) fclose(f);
}

static void test_audit_open_refuses_symlink_and_missing_directory(void **state) {
        Dir *d = *state;
        char link[128], missing[128];
        Audit *a = NULL;

        (void) snprintf(link, sizeof(link), "%s/link", d->path);
        assert_int_equal(symlink(d->log, link), 0);
        assert_int_equal(audit_open(link, "hub", &a), -ELOOP);
        assert_null(a);

        (void) snprintf(missing, sizeof(missing), "%s/nodir/audit.jsonl", d->path);
        assert_int_equal(audit_open(missing, "hub", &a), -ENOENT);
        assert_null(a);
}

static unsigned count_lines(const char *path) {
        char buf[8192];
        unsigned n = 0;
        FILE *f = fopen(path, "re");

        assert_non_null(f);
        while (fgets(buf, sizeof(buf), f))
                n++;
        (void) fclose(f);
        return n;
}

/* A refusal's record is in the file at once, and fsync'd by the batch
 * timer on the event loop, or by the next record that must be durable now. */
static void test_audit_refusals_are_synced_in_batches(void **state) {
        Dir *d = *state;
        AuditRecord rec = request_record(NULL);
        sd_event *e = NULL;
        Audit *a = NULL;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(audit_open(d->log, "hub-01", &a), 0);

        rec.sync = AUDIT_SYNC_SOON; /* no event loop yet: synced at once all the same */
        assert_int_equal(audit_write(a, &rec, NULL), 0);
        assert_false(audit_sync_pending(a));

        assert_int_equal(audit_attach_event(a, e), 0);
        assert_int_equal(audit_attach_event(a, e), -EINVAL);
        assert_int_equal(audit_write(a, &rec, NULL), 0);
        assert_int_equal(audit_write(a, &rec, NULL), 0);
        assert_true(audit_sync_pending(a));
        assert_int_equal(count_lines(d->log), 3); /* written, whatever the fsync */

        rec.sync = AUDIT_SYNC_NOW; /* takes the batch with it */
        assert_int_equal(audit_write(a, &rec, NULL), 0);
        assert_false(audit_sync_pending(a));

        rec.sync = AUDIT_SYNC_SOON; /* the timer, once more after it has fired once */
        for (int round = 0; round < 2; round++) {
                assert_int_equal(audit_write(a, &rec, NULL), 0);
                assert_true(audit_sync_pending(a));
                while (audit_sync_pending(a))
                        assert_true(sd_event_run(e, UINT64_MAX) >= 0);
        }

        assert_int_equal(audit_write(a, &rec, NULL), 0);
        assert_true(audit_sync_pending(a));
        audit_close(a); /* flushes what is pending */
        assert_int_equal(count_lines(d->log), 7);
        sd_event_unref(e);
}

/* Reads the log: the number of lines with each event word, and the
 * suppressed records' counts added up. */
static void count_events(const char *path, unsigned *ret_requests, unsigned *ret_suppressed, uint64_t *ret_count) {
        char buf[8192];
        FILE *f = fopen(path, "re");

        assert_non_null(f);
        *ret_requests = *ret_suppressed = 0;
        *ret_count = 0;
        while (fgets(buf, sizeof(buf), f)) {
                json_object *o = json_tokener_parse(buf);
                const char *event;

                assert_non_null(o);
                event = json_object_get_string(get(o, "event"));
                if (strcmp(event, "suppressed") == 0) {
                        assert_int_field(get(o, "caller"), "uid", 1002);
                        *ret_count += (uint64_t) json_object_get_int64(get(get(o, "suppressed"), "count"));
                        (*ret_suppressed)++;
                } else
                        (*ret_requests)++;
                json_object_put(o);
        }
        (void) fclose(f);
}

/* Past its budget a caller's refusals are counted, not written, and the
 * count is written at close; records an action depends on, and root's,
 * are never budgeted. */
static void test_audit_refusals_past_the_budget_are_counted(void **state) {
        const Caller outsider = { .uid = 1002, .have_uid = true }, root = { .uid = 0, .have_uid = true };
        const AuditLimits limits = { .refusal_burst = 2, .refusal_interval_usec = 3600 * USEC_PER_SEC };
        AuditRecord rec = request_record(&outsider);
        Dir *d = *state;
        unsigned requests, suppressed;
        uint64_t count;
        Audit *a = NULL;

        assert_int_equal(audit_open(d->log, "hub-01", &a), 0);
        assert_int_equal(audit_set_limits(a, &(const AuditLimits) { 0 }), -EINVAL);
        assert_int_equal(audit_set_limits(a, &limits), 0);
        rec.sync = AUDIT_SYNC_SOON;
        rec.result = "rejected";
        for (int i = 0; i < 7; i++)
                assert_int_equal(audit_write(a, &rec, NULL), i < 2 ? 0 : 1);
        rec.sync = AUDIT_SYNC_NOW;
        rec.result = "started";
        for (int i = 0; i < 3; i++)
                assert_int_equal(audit_write(a, &rec, NULL), 0);
        rec = request_record(&root);
        rec.sync = AUDIT_SYNC_SOON;
        for (int i = 0; i < 4; i++)
                assert_int_equal(audit_write(a, &rec, NULL), 0);
        assert_int_equal(count_lines(d->log), 2 + 3 + 4);

        audit_close(a);
        count_events(d->log, &requests, &suppressed, &count);
        assert_int_equal(requests, 2 + 3 + 4);
        assert_int_equal(suppressed, 1);
        assert_int_equal(count, 5);
}

static void test_audit_check_writable_refuses_null(_unused_ void **state) {
        assert_int_equal(audit_check_writable(NULL), -EBADF);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_audit_json_has_every_request_field),
                cmocka_unit_test(test_audit_json_login_uid_null_when_unset),
                cmocka_unit_test(test_audit_json_job_finished_omits_absent_fields),
                cmocka_unit_test(test_audit_json_escapes_message),
                cmocka_unit_test(test_audit_json_suppressed_has_count_and_span),
                cmocka_unit_test_setup_teardown(test_audit_write_appends_one_json_line_per_record, dir_setup,
                                                dir_teardown),
                cmocka_unit_test_setup_teardown(test_audit_refusals_are_synced_in_batches, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_audit_refusals_past_the_budget_are_counted, dir_setup,
                                                dir_teardown),
                cmocka_unit_test_setup_teardown(test_audit_open_refuses_symlink_and_missing_directory,
                                                dir_setup, dir_teardown),
                cmocka_unit_test(test_audit_check_writable_refuses_null),
        };

        return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
