/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "context.h"
#include "job-record.h"
#include "job.h"
#include "macro.h"

/* StateDirectory/jobs.json: the running directory and service jobs, read
 * back by a helper that starts after a crash. What the helper writes must
 * always read back (or the next start-up is refused); anything it would
 * not have written is refused. */

static const char *const good =
        "{\"jobs\":[{\"id\":7,\"operation\":\"service.restart\",\"details\":[\"service\",\"regclient\",\"verb\","
        "\"restart\"],\"unit\":\"regclient.service\",\"cancel_action\":\"org.hubops.service.manage\","
        "\"started_at\":1700000000000000,\"started_by\":1001,\"phase\":\"running\",\"message\":\"\","
        "\"systemd_job\":\"/org/freedesktop/systemd1/job/42\",\"audit_id\":\"0123abcd\"}]}";

static void test_parse_reads_a_record(void **state) {
        _cleanup_free_ JobRecord *r = NULL;
        size_t n = 0;

        (void) state;
        assert_int_equal(job_records_parse(good, &r, &n), 0);
        assert_int_equal(n, 1);
        assert_true(r[0].id == 7);
        assert_string_equal(r[0].operation, "service.restart");
        assert_int_equal(r[0].n_details, 4);
        assert_string_equal(r[0].details[1], "regclient");
        assert_string_equal(r[0].systemd_job, "/org/freedesktop/systemd1/job/42");
        assert_int_equal(r[0].started_by, 1001);
}

static void test_format_then_parse_is_identity(void **state) {
        _cleanup_free_ JobRecord *in = NULL, *out = NULL;
        _cleanup_free_ char *json = NULL;
        size_t n = 0;

        (void) state;
        assert_int_equal(job_records_parse(good, &in, &n), 0);
        json = job_records_format(in, n);
        assert_non_null(json);
        assert_int_equal(job_records_parse(json, &out, &n), 0);
        assert_int_equal(n, 1);
        assert_memory_equal(in, out, sizeof(JobRecord));
        free(json);
        free(TAKE_PTR(out));
        json = job_records_format(NULL, 0);
        assert_int_equal(job_records_parse(json, &out, &n) == 0 && n == 0, 1);
}

static void test_parse_refuses_anything_else(void **state) {
        static const struct {
                const char *from, *to;
        } edits[] = {
                { "\"id\":7", "\"id\":0" },
                { "\"id\":7", "\"id\":-7" },
                { "\"id\":7", "\"id\":\"7\"" },
                { "\"started_by\":1001", "\"started_by\":4294967296" },
                { ",\"verb\",\"restart\"", ",\"verb\"" },                 /* a key without its value */
                { "\"message\":\"\"", "\"message\":\"a\\nb\"" },          /* control character */
                { "\"message\":\"\"", "\"message\":\"a\\u0000b\"" },      /* embedded NUL */
                { "\"message\":\"\"", "\"message\":\"caf\\u00e9\"" },     /* not what format() writes */
                { "\"phase\":\"running\"", "\"phase\":\"\"" },
                { "regclient.service", "../etc/passwd" },
                { "/org/freedesktop/systemd1/job/42", "/org/freedesktop/systemd1/job/4x" },
                { "/org/freedesktop/systemd1/job/42", "/org/freedesktop/systemd1/job/" },
                { "/org/freedesktop/systemd1/job/42", "/org/hubops/Helper1/job/42" },
                { ",\"audit_id\":\"0123abcd\"", "" },                     /* a key missing */
                { "{\"jobs\":[", "{\"jobs\":{" },
        };
        JobRecord *r = NULL;
        size_t n = 0;

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(edits); i++) {
                const char *at = strstr(good, edits[i].from);
                char buf[2048];

                assert_non_null(at);
                (void) snprintf(buf, sizeof(buf), "%.*s%s%s", (int) (at - good), good, edits[i].to,
                                at + strlen(edits[i].from));
                if (job_records_parse(buf, &r, &n) != -EBADMSG)
                        fail_msg("accepted: %s", buf);
        }
        assert_int_equal(job_records_parse("[]", &r, &n), -EBADMSG);
        assert_int_equal(job_records_parse("", &r, &n), -EBADMSG);
}

/* {"jobs":[...]} of n copies of the good record with ids first, first + step, ... */
static char *records_json(int n, int first, int step) {
        const char *rec = strstr(good, "{\"id\":7,") + strlen("{\"id\":7,");
        size_t len = strlen(rec) - 2, size = (size_t) n * (len + 32) + 32; /* without the closing "]}" */
        char *buf = malloc(size);

        assert_non_null(buf);
        (void) snprintf(buf, size, "{\"jobs\":[");
        for (int i = 0; i < n; i++)
                (void) snprintf(buf + strlen(buf), size - strlen(buf), "%s{\"id\":%d,%.*s", i ? "," : "",
                                first + i * step, (int) len, rec);
        (void) snprintf(buf + strlen(buf), size - strlen(buf), "]}");
        return buf;
}

static void test_parse_refuses_duplicates_and_too_many(void **state) {
        _cleanup_free_ JobRecord *r = NULL;
        char *json;
        size_t n = 0;

        (void) state;
        json = records_json(JOB_RECORDS_MAX, 1, 1);
        assert_int_equal(job_records_parse(json, &r, &n), 0);
        assert_int_equal(n, JOB_RECORDS_MAX);
        free(json);
        json = records_json(JOB_RECORDS_MAX + 1, 1, 1);
        assert_int_equal(job_records_parse(json, &r, &n), -EBADMSG);
        free(json);
        json = records_json(2, 5, 0);
        assert_int_equal(job_records_parse(json, &r, &n), -EBADMSG);
        free(json);
}

typedef struct Fixture {
        char dir[64];
        HelperConfig config;
        Context context;
} Fixture;

static int fixture_setup(void **state) {
        Fixture *f = calloc(1, sizeof(Fixture));

        if (!f)
                return -1;
        (void) snprintf(f->dir, sizeof(f->dir), "/tmp/hubops-test-job-record.XXXXXX");
        if (!mkdtemp(f->dir)) {
                free(f);
                return -1;
        }
        f->config.state_directory = f->dir;
        f->config.unit_prefix = (char *) "hubops";
        f->context.config = &f->config;
        *state = f;
        return 0;
}

static int fixture_teardown(void **state) {
        Fixture *f = *state;
        char path[128];

        jobs_free_all(&f->context);
        (void) snprintf(path, sizeof(path), "%s/jobs.json", f->dir);
        (void) unlink(path);
        (void) snprintf(path, sizeof(path), "%s/last-job-id", f->dir);
        (void) unlink(path);
        (void) rmdir(f->dir);
        free(f);
        return 0;
}

static void test_saved_jobs_come_back_restored(void **state) {
        Fixture *f = *state;
        Context *c = &f->context;
        const char *details[] = { "verb", "restart", NULL };
        char path[128];
        Job *j;

        assert_int_equal(job_new(c, "directory.manage", details, "directory-restart", "org.hubops.directory.manage",
                                 1001, &j),
                         0);
        /* Whatever the message holds (here a newline and a byte >= 0x80), the record must read back. */
        assert_int_equal(job_restore_progress(j, "starting", "stopped;\n root \xc3\xa9", "/org/freedesktop/systemd1/job/5"),
                         0);
        job_make_durable(j);
        jobs_free_all(c);

        assert_int_equal(job_records_load(c), 0);
        j = job_find(c, c->last_job_id);
        assert_non_null(j);
        assert_true(j->restored && j->durable && j->state == JOB_RUNNING);
        assert_string_equal(j->phase, "starting");
        assert_string_equal(j->message, "stopped;? root ??");
        assert_string_equal(j->systemd_job, "/org/freedesktop/systemd1/job/5");
        assert_string_equal(j->details[1], "restart");

        /* A record of an id this helper never handed out is refused. */
        c->last_job_id = 0;
        jobs_free_all(c);
        assert_int_equal(job_records_load(c), -EBADMSG);
        (void) snprintf(path, sizeof(path), "%s/jobs.json", f->dir);
        assert_int_equal(access(path, F_OK), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_reads_a_record),
                cmocka_unit_test(test_format_then_parse_is_identity),
                cmocka_unit_test(test_parse_refuses_anything_else),
                cmocka_unit_test(test_parse_refuses_duplicates_and_too_many),
                cmocka_unit_test_setup_teardown(test_saved_jobs_come_back_restored, fixture_setup, fixture_teardown),
        };

        return cmocka_run_group_tests_name("job-record", tests, NULL, NULL);
}
