/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hubopsctl's site config, the rebuild-tables plan built from it, and the
 * run state file. */
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

#include "engine.h"
#include "rebuild-tables.h"
#include "run-store.h"
#include "site-config.h"

/* The settings of [Runbook rebuild-tables], parsed by its definition. */
#define REBUILD(c) ((const RebuildConfig *) site_runbook((c), "rebuild-tables")->config)
#define WINDOW(c) (&site_runbook((c), "rebuild-tables")->window)

#define SITE                                                                                                           \
        "[Host dir]\nAddress=unix:path=/run/lab/dir.sock\nRoles=directory\n\n"                                         \
        "[Host hub1]\nAddress=local\nRoles=mailhub\n\n"                                                                \
        "[Host hub2]\nAddress=ssh:op@hub2.example.org:2222\nRoles=mailhub\n\n"                                         \
        "[Host ra]\nAddress=ssh:ra.example.org\nRoles=ra\n\n"                                                          \
        "[Runbook rebuild-tables]\nIdleThreshold=85%\nIdleHoldSec=10s\nCheckRA=ra:openra-threads\n"                    \
        "StopStudentThread=dir:student-thread-stop\nStartStudentThread=dir:student-thread-start\n"

static int parse(const char *text, SiteConfig **ret, char **err) {
        FILE *f = fmemopen((void *) text, strlen(text), "r");
        int r;

        assert_non_null(f);
        *ret = NULL;
        *err = NULL;
        r = site_config_parse(f, "site.conf", ret, err);
        (void) fclose(f);
        return r;
}

static void expect_error(const char *text, const char *message) {
        SiteConfig *c;
        char *err;

        assert_int_equal(parse(text, &c, &err), -EINVAL);
        assert_null(c);
        assert_non_null(err);
        if (!strstr(err, message))
                fail_msg("expected \"%s\" in \"%s\"", message, err);
        free(err);
}

static void test_good_site(void **state) {
        SiteConfig *c;
        char *err;

        (void) state;
        assert_int_equal(parse(SITE, &c, &err), 0);
        assert_int_equal(c->n_hosts, 4);
        assert_string_equal(site_find_host(c, "hub2")->address, "ssh:op@hub2.example.org:2222");
        assert_string_equal(site_find_role(c, "directory")->name, "dir");
        assert_true(REBUILD(c)->idle_threshold > 0.849 && REBUILD(c)->idle_threshold < 0.851);
        assert_int_equal(REBUILD(c)->idle_hold_usec, 10000000);
        assert_string_equal(REBUILD(c)->check_ra.host, "ra");
        assert_string_equal(REBUILD(c)->check_ra.hook, "openra-threads");
        assert_int_equal(WINDOW(c)->from, -1);
        site_config_free(c);
}

static void test_errors_name_the_line(void **state) {
        (void) state;
        expect_error("[Host a]\nAddress=local\nColour=red\n", "site.conf:3: unknown key Colour=");
        expect_error("[Host a]\nAddress=local\n[Host a]\nAddress=local\n", "site.conf:3: duplicate host");
        expect_error("[Hosts a]\n", "site.conf:1: unknown section [Hosts a]");
        expect_error("[Host a]\nAddress=local\nAddress=local\n", "site.conf:3: duplicate key Address=");
        expect_error("[Host a]\nRoles=mailhub\n", "[Host a] has no Address=");
        expect_error("[Host a]\nAddress=local ; comment\n", "inline comments");
        expect_error("Address=local\n", "outside of any section");
}

static void test_refuses_unsafe_values(void **state) {
        (void) state;
        /* Anything ssh could take for an option, or a shell or path in disguise. */
        expect_error("[Host a]\nAddress=ssh:-oProxyCommand=sh\n", "invalid Address=");
        expect_error("[Host a]\nAddress=ssh:host/../x\n", "invalid Address=");
        expect_error("[Host a]\nAddress=unix path\n", "invalid Address=");
        expect_error("[Host ../a]\nAddress=local\n", "invalid host name");
        expect_error("[Host a]\nAddress=local\nRoles=mail/hub\n", "invalid role");
        expect_error("[Host a]\nAddress=local\n[Runbook rebuild-tables]\nCheckRA=b:openra\n", "names no [Host b]");
        expect_error("[Runbook rebuild-tables]\nCheckRA=openra\n", "expected HOST:HOOK");
        expect_error("[Runbook rebuild-tables]\nIdleThreshold=190%\n", "invalid IdleThreshold=");
        expect_error("[Runbook rebuild-tables]\nIdleHoldSec=forever\n", "invalid IdleHoldSec=");
        expect_error("[Runbook rebuild-tables]\nAllowedTime=8pm-6am\n", "invalid AllowedTime=");
        expect_error("[Runbook rebuild-tables]\nAllowedTime=20:00-06:0\n", "invalid AllowedTime=");
        expect_error("[Runbook rebuild-tables]\nBlackout=2026-09-30..2026-09-01\n", "invalid Blackout=");
        expect_error("[Runbook rebuild-tables]\nMinFreeSpace=-1G\n", "invalid MinFreeSpace=");
        expect_error("[Runbook rebuild-tables]\nMinFreeSpace=99999999999T\n", "too large");
}

static long at(int y, int mon, int d, int h, int min) {
        struct tm tm = { .tm_year = y - 1900, .tm_mon = mon - 1, .tm_mday = d, .tm_hour = h, .tm_min = min,
                         .tm_isdst = -1 };
        return (long) mktime(&tm);
}

static void test_time_window(void **state) {
        SiteConfig *c;
        char *err, why[256];

        (void) state;
        assert_int_equal(parse("[Runbook rebuild-tables]\nAllowedTime=20:00-06:00\n"
                               "Blackout=2026-09-01..2026-09-30\n",
                               &c, &err),
                         0);
        assert_true(site_window_allows(WINDOW(c), at(2026, 11, 22, 21, 0), why, sizeof(why)));
        assert_true(site_window_allows(WINDOW(c), at(2026, 11, 22, 5, 59), why, sizeof(why)));
        assert_false(site_window_allows(WINDOW(c), at(2026, 11, 22, 12, 0), why, sizeof(why)));
        assert_non_null(strstr(why, "outside AllowedTime=20:00-06:00"));
        assert_false(site_window_allows(WINDOW(c), at(2026, 9, 15, 22, 0), why, sizeof(why)));
        assert_non_null(strstr(why, "Blackout= 2026-09-01..2026-09-30"));
        site_config_free(c);
}

/* The rebuild-tables definition's plan for hub. */
static int plan_rebuild_tables(const SiteConfig *c, const char *hub, Run *r, char *err, size_t size) {
        *r = (Run) { .runbook = "rebuild-tables" };
        assert_int_equal(run_set_param(r, "hub", hub), 0);
        return runbook_find("rebuild-tables")->plan(c, REBUILD(c), r, err, size);
}

static void test_plan_follows_the_procedure(void **state) {
        static const char *const expected[] = {
                "restart-directory", "start-regclient:hub1", "start-regclient:hub2", "check-ra",
                "stop-student-thread", "stop-regclient", "rebuild", "tidy:restart-directory",
                "tidy:start-regclient:hub2", "tidy:start-regclient:hub1", "tidy:start-student-thread", "tidy:settle",
                "tidy:check-ra",
        };
        SiteConfig *c;
        char *err, msg[256];
        Run *r = calloc(1, sizeof(Run));

        (void) state;
        assert_int_equal(parse(SITE, &c, &err), 0);
        assert_int_equal(plan_rebuild_tables(c, "hub2", r, msg, sizeof(msg)), 0);
        assert_int_equal(r->n_steps, sizeof(expected) / sizeof(expected[0]));
        for (unsigned i = 0; i < r->n_steps; i++)
                assert_string_equal(r->steps[i].id, expected[i]);
        assert_true(r->steps[1].gate.host[0] && !r->steps[0].gate.host[0] && r->steps[8].tidy_up && !r->steps[6].tidy_up);
        assert_string_equal(step_operation(runbook_find("rebuild-tables"), &r->steps[5]), "service.stop");
        assert_string_equal(r->steps[5].host, "hub2");

        assert_int_equal(plan_rebuild_tables(c, "dir", r, msg, sizeof(msg)), -EINVAL);
        assert_non_null(strstr(msg, "not a mailhub"));
        assert_int_equal(plan_rebuild_tables(c, "nohost", r, msg, sizeof(msg)), -ENOENT);
        free(r);
        site_config_free(c);
}

static void test_run_state_round_trip(void **state) {
        SiteConfig *c;
        char *err, msg[256], *json, *json2;
        Run *a = calloc(1, sizeof(Run)), *b = calloc(1, sizeof(Run));

        (void) state;
        assert_int_equal(parse(SITE, &c, &err), 0);
        assert_int_equal(plan_rebuild_tables(c, "hub1", a, msg, sizeof(msg)), 0);
        (void) snprintf(a->id, sizeof(a->id), "20261122-120000-hub1-0a0b");
        a->steps[6].status = STEP_ACTING;
        (void) snprintf(a->steps[6].job, sizeof(a->steps[6].job), "/org/hubops/Helper1/job/12");
        json = run_format(a);
        assert_non_null(json);
        assert_int_equal(run_parse(json, b), 0);
        json2 = run_format(b);
        assert_string_equal(json, json2);

        /* A state file that would make resume call a path the helper does not own is refused. */
        char *bad = strdup(json), *p = strstr(bad, "/org/hubops/Helper1/job/12");
        memcpy(p, "/org/freedesktop/systemd1/", 26);
        assert_int_equal(run_parse(bad, b), -EBADMSG);
        assert_int_equal(run_parse("{\"id\":\"x\"}", b), -EBADMSG);
        assert_int_equal(run_parse("not json", b), -EBADMSG);
        free(bad);
        free(json);
        free(json2);
        free(a);
        free(b);
        site_config_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_good_site),
                cmocka_unit_test(test_errors_name_the_line),
                cmocka_unit_test(test_refuses_unsafe_values),
                cmocka_unit_test(test_time_window),
                cmocka_unit_test(test_plan_follows_the_procedure),
                cmocka_unit_test(test_run_state_round_trip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
