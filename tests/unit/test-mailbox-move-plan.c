/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mailbox-move runbook's plan (client/runbooks/mailbox-move.c) and its
 * failure policy's one decision that needs no helper: the source is thawed
 * only after a failure that came after its freeze and before the switch.
 * The move itself, on real stores, is tests/integration/test-mailbox-move.sh. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"
#include "engine.h"
#include "job-wait.h"
#include "macro.h"
#include "run.h"

#define SITE \
        "[Host pop02]\nAddress=local\nRoles=mailstore\n\n" \
        "[Host pop03]\nAddress=local\nRoles=mailstore\n\n" \
        "[Host hub1]\nAddress=local\nRoles=mailhub\n"

static SiteConfig *site;

static int plan(Run *r, const char *domain, const char *from, const char *to, const char *presync_only,
                char *err, size_t size) {
        const RunbookDef *def = runbook_find("mailbox-move");

        assert_non_null(def);
        *r = (Run) { .runbook = "mailbox-move" };
        assert_int_equal(run_set_param(r, "domain", domain), 0);
        assert_int_equal(run_set_param(r, "from", from), 0);
        assert_int_equal(run_set_param(r, "to", to), 0);
        assert_int_equal(run_set_param(r, "presync-only", presync_only), 0);
        assert_int_equal(run_set_param(r, "checksum", "no"), 0);
        return def->plan(site, NULL, r, err, size);
}

static void assert_steps(const Run *r, const char *const *expected) {
        unsigned n = 0;

        for (; expected[n]; n++)
                if (n >= r->n_steps || strcmp(r->steps[n].id, expected[n]) != 0)
                        fail_msg("step %u: expected %s, got %s", n, expected[n], n < r->n_steps ? r->steps[n].id : "(end)");
        assert_int_equal(r->n_steps, n);
}

static void test_plan_of_a_move_and_of_a_presync(_unused_ void **state) {
        static const char *const full[] = { "record-folders", "presync", "source-health", "connect", "freeze",
                                            "record-frozen", "final-sync", "verify:pop02", "verify:pop03", "compare",
                                            "switch", "thaw", "tidy:thaw-source", NULL };
        static const char *const presync[] = { "record-folders", "presync", NULL };
        Run r;
        char err[256];

        assert_int_equal(plan(&r, "example.org", "pop02", "pop03", "no", err, sizeof(err)), 0);
        assert_steps(&r, full);
        assert_string_equal(r.claim_host, "pop02");
        /* The source's steps on the source, the copy's (and its connection's) on the destination. */
        assert_string_equal(r.steps[3].host, "pop03");
        assert_string_equal(r.steps[4].host, "pop02");
        assert_string_equal(r.steps[6].host, "pop03");
        assert_string_equal(r.steps[6].subject, "example.org");
        assert_true(r.steps[12].tidy_up);
        assert_false(r.steps[11].tidy_up);
        assert_int_equal(plan(&r, "example.org", "pop02", "pop03", "yes", err, sizeof(err)), 0);
        assert_steps(&r, presync);
}

static void test_plan_refusals(_unused_ void **state) {
        static const struct {
                const char *domain, *from, *to, *presync_only;
                int r;
                const char *phrase;
        } cases[] = {
                { "Example.org", "pop02", "pop03", "no", -EINVAL, "invalid domain" },
                { "../etc", "pop02", "pop03", "no", -EINVAL, "invalid domain" },
                { "example.org", "pop02", "pop02", "no", -EINVAL, "the same store" },
                { "example.org", "pop02", "hub1", "no", -EINVAL, "hub1 is not a mail store" },
                { "example.org", "pop09", "pop03", "no", -ENOENT, "no [Host pop09]" },
                { "example.org", "pop02", "pop03", "maybe", -EINVAL, "presync-only must be yes or no" },
        };
        Run r;
        char err[256];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int k = plan(&r, cases[i].domain, cases[i].from, cases[i].to, cases[i].presync_only, err, sizeof(err));
                if (k != cases[i].r || !strstr(err, cases[i].phrase))
                        fail_msg("case %zu: %d \"%s\", expected %d \"%s\"", i, k, err, cases[i].r, cases[i].phrase);
        }
}

static Step *step(Run *r, const char *id) {
        static Step none;

        for (unsigned i = 0; i < r->n_steps; i++)
                if (strcmp(r->steps[i].id, id) == 0)
                        return &r->steps[i];
        fail_msg("no step %s", id);
        return &none; /* not reached: for the analyzer, which does not know fail_msg() never returns */
}

/* 0: thaw the source; 1: skipped, with the reason. */
static int observe_thaw_source(Run *r) {
        const RunbookDef *def = runbook_find("mailbox-move");
        const StepKind *k = step_kind_find(def, "mailbox-thaw-source");
        Exec x = { .run = r, .site = site, .def = def };
        Step *s = step(r, "tidy:thaw-source");

        assert_non_null(k);
        assert_non_null(k->observe);
        s->status = STEP_PENDING;
        return k->observe(&x, s);
}

static void test_the_source_is_thawed_only_between_freeze_and_switch(_unused_ void **state) {
        Run r;
        char err[256];

        assert_int_equal(plan(&r, "example.org", "pop02", "pop03", "no", err, sizeof(err)), 0);
        /* A failure before the freeze (the pre-sync, the source's health): nothing to thaw. */
        step(&r, "presync")->status = STEP_FAILED;
        assert_int_equal(observe_thaw_source(&r), 1);
        assert_non_null(strstr(step(&r, "tidy:thaw-source")->message, "never frozen"));
        /* Frozen, then verify found a difference: thaw. */
        step(&r, "presync")->status = STEP_DONE;
        step(&r, "freeze")->status = STEP_DONE;
        step(&r, "compare")->status = STEP_FAILED;
        assert_int_equal(observe_thaw_source(&r), 0);
        /* The switch itself failed: the domain may not route anywhere new; the source serves again. */
        step(&r, "compare")->status = STEP_DONE;
        step(&r, "switch")->status = STEP_FAILED;
        assert_int_equal(observe_thaw_source(&r), 0);
        /* Switched: the source stays frozen until it is retired. */
        step(&r, "switch")->status = STEP_DONE;
        assert_int_equal(observe_thaw_source(&r), 1);
        assert_non_null(strstr(step(&r, "tidy:thaw-source")->message, "stays frozen"));
}

/* The pre-sync's progress is told against the survey's files, not the
 * total rsync has found so far; other steps keep their unit's own. */
static void test_presync_progress_against_the_survey(_unused_ void **state) {
        const RunbookDef *def = runbook_find("mailbox-move");
        uint64_t now = now_usec(CLOCK_REALTIME);
        JobInfo j = { .started_at = now - 10000000ULL, .progress = 0.83, .progress_valid = true };
        Run r;
        char err[256];

        assert_non_null(def->refine_progress);
        assert_int_equal(plan(&r, "example.org", "pop02", "pop03", "no", err, sizeof(err)), 0);
        assert_int_equal(run_set_figure(&r, "survey_files", 1000), 0);
        assert_int_equal(run_set_figure(&r, "survey_bytes", 4000000), 0);
        j.counters[0] = (JobCounter) { "files", 250, 300 };
        j.counters[1] = (JobCounter) { "bytes", 900000, 1200000 };
        j.n_counters = 2;
        def->refine_progress(&r, step(&r, "presync"), &j);
        assert_int_equal(j.counters[0].total, 1000);
        assert_int_equal(j.counters[1].total, 4000000);
        assert_int_equal(j.counters[1].done, 900000);
        assert_true(j.progress > 0.249 && j.progress < 0.251);
        /* 250 files in 10 s: the other 750 in 30 s more (and 4 times the little this test takes). */
        assert_true(j.expected_end_at >= now + 30000000ULL && j.expected_end_at <= now + 31000000ULL);
        assert_non_null(strstr(j.estimate_basis, "1000 files"));

        /* A later pre-sync: every file checked, few bytes copied. The files
         * lead; the bytes copied stay against the domain's size. */
        j.counters[0] = (JobCounter) { "files", 1000, 1000 };
        j.counters[1] = (JobCounter) { "bytes", 20000, 266666 };
        j.progress = 1.0;
        def->refine_progress(&r, step(&r, "presync"), &j);
        assert_int_equal(j.counters[1].total, 4000000);
        assert_true(j.progress == 1.0);
        j.n_counters = 1;

        /* The final pass copies only what changed: its own count stands. */
        j.counters[0] = (JobCounter) { "files", 25, 30 };
        j.progress = 0.83;
        def->refine_progress(&r, step(&r, "final-sync"), &j);
        assert_int_equal(j.counters[0].total, 30);
        assert_true(j.progress > 0.829 && j.progress < 0.831);
}

static int setup(_unused_ void **state) {
        FILE *f = fmemopen((void *) SITE, strlen(SITE), "r");
        char *err = NULL;

        assert_int_equal(site_config_parse(f, "site.conf", &site, &err), 0);
        (void) fclose(f);
        return 0;
}

static int teardown(_unused_ void **state) {
        site_config_free(site);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plan_of_a_move_and_of_a_presync),
                cmocka_unit_test(test_plan_refusals),
                cmocka_unit_test(test_the_source_is_thawed_only_between_freeze_and_switch),
                cmocka_unit_test(test_presync_progress_against_the_survey),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
