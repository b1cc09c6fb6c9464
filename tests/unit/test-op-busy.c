/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a second call collides on, read from the op table's rows: one
 * directory procedure and one rebuild per host, one mailbox job per
 * domain, hooks and services side by side; only running jobs count. */
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "job.h"
#include "macro.h"
#include "op-busy.h"
#include "op-table.h"

typedef struct Fixture {
        HelperConfig config;
        Context context;
        Job jobs[4];
        char *details[4][3];
} Fixture;

/* A job as job_new() would leave it, linked in newest first. */
static Job *add_job(Fixture *f, size_t i, const char *operation, const char *key, const char *value, JobState state) {
        Job *j = &f->jobs[i];

        f->details[i][0] = (char *) key, f->details[i][1] = (char *) value, f->details[i][2] = NULL;
        *j = (Job) { .context = &f->context, .id = i + 1, .operation = (char *) operation,
                     .details = f->details[i], .state = state, .next = f->context.jobs };
        f->context.jobs = j;
        return j;
}

static void fixture_init(Fixture *f) {
        memset(f, 0, sizeof(*f));
        f->context.config = &f->config;
}

static void test_one_directory_procedure_per_host(_unused_ void **state) {
        Fixture f;
        Job *j;

        fixture_init(&f);
        assert_null(op_busy_job(&f.context, "directory.restart", ""));
        add_job(&f, 0, "directory.stop", "verb", "stop", JOB_DONE);
        assert_null(op_busy_job(&f.context, "directory.restart", "")); /* ended: no collision */
        j = add_job(&f, 1, "directory.stop", "verb", "stop", JOB_RUNNING);
        assert_ptr_equal(op_busy_job(&f.context, "directory.restart", ""), j);
        assert_ptr_equal(op_busy_job(&f.context, "directory.kill-root", ""), j);
        /* Another family is not held up by it. */
        assert_null(op_busy_job(&f.context, "rebuild.start", ""));
        add_job(&f, 2, "rebuild.start", NULL, NULL, JOB_RUNNING);
        assert_ptr_equal(op_busy_job(&f.context, "rebuild.start", ""), &f.jobs[2]);
}

static void test_one_mailbox_job_per_domain(_unused_ void **state) {
        Fixture f;

        fixture_init(&f);
        add_job(&f, 0, "mailbox.sync", "domain", "example.org", JOB_RUNNING);
        assert_ptr_equal(op_busy_job(&f.context, "mailbox.freeze", "example.org"), &f.jobs[0]);
        assert_ptr_equal(op_busy_job(&f.context, "mailbox.survey", "example.org"), &f.jobs[0]);
        assert_null(op_busy_job(&f.context, "mailbox.freeze", "example.net"));
        assert_null(op_busy_job(&f.context, "mailbox.freeze", "example.or"));
}

static void test_hooks_and_services_run_side_by_side(_unused_ void **state) {
        Fixture f;

        fixture_init(&f);
        add_job(&f, 0, "hook.run", "hook", "student-thread-stop", JOB_RUNNING);
        add_job(&f, 1, "service.start", "service", "regclient", JOB_RUNNING);
        assert_null(op_busy_job(&f.context, "hook.run", "student-thread-stop"));
        assert_null(op_busy_job(&f.context, "service.stop", "regclient"));
        assert_null(op_busy_job(&f.context, "no.such-operation", ""));
}

/* Every row that makes a job says how its unit is named and who may cancel it. */
static void test_every_job_row_has_a_unit_specification(_unused_ void **state) {
        for (size_t i = 0; i < n_op_rows; i++) {
                const OpRow *row = &op_rows[i];

                if (row->unit.kind == OP_UNIT_NONE) {
                        assert_int_equal(row->busy, OP_BUSY_NONE);
                        continue;
                }
                assert_non_null(row->unit.stem);
                assert_non_null(row->unit.cancel_action);
                if (row->unit.kind == OP_UNIT_CONFIGURED)
                        assert_non_null(row->unit.configured);
                if (row->busy != OP_BUSY_NONE)
                        assert_non_null(row->busy_what);
                if (row->busy == OP_BUSY_SUBJECT)
                        assert_non_null(row->details);
                if (row->progress == OP_PROGRESS_ESTIMATE)
                        assert_non_null(row->estimate);
        }
        assert_int_equal(op_row_find("rebuild.start")->unit.kind, OP_UNIT_STABLE);
        assert_int_equal(op_row_find("hook.run")->unit.kind, OP_UNIT_TRANSIENT);
        assert_int_equal(op_row_find("service.restart")->unit.kind, OP_UNIT_CONFIGURED);
        assert_int_equal(op_row_find("directory.restart")->unit.kind, OP_UNIT_PROCEDURE);
        assert_int_equal(op_row_find("mailbox.sync")->unit.sandbox, OP_SANDBOX_NETWORK);
        assert_int_equal(op_row_find("mailbox.survey")->unit.sandbox, OP_SANDBOX_OFFLINE);
        assert_int_equal(op_row_find("run.claim")->unit.kind, OP_UNIT_NONE);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_one_directory_procedure_per_host),
                cmocka_unit_test(test_one_mailbox_job_per_domain),
                cmocka_unit_test(test_hooks_and_services_run_side_by_side),
                cmocka_unit_test(test_every_job_row_has_a_unit_specification),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
