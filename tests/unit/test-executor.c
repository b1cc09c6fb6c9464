/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The runbook engine's executor against a fake helper (HelperApi): the
 * calls it makes for the rebuild-tables plan, a skip when a step is
 * observed done, resume after a crash at every step without acting twice,
 * and a call whose answer never came. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine.h"
#include "executor.h"
#include "exit-codes.h"
#include "hubops-bus.h"
#include "output.h"
#include "run-store.h"

#define SITE \
        "[Host dir]\nAddress=local\nRoles=directory\n\n" \
        "[Host hub1]\nAddress=local\nRoles=mailhub\n\n" \
        "[Host hub2]\nAddress=local\nRoles=mailhub\n\n" \
        "[Host ra]\nAddress=local\nRoles=ra\n\n" \
        "[Runbook rebuild-tables]\nCheckRA=ra:openra-threads\n" \
        "StopStudentThread=dir:student-thread-stop\nStartStudentThread=dir:student-thread-start\n"

/* Every call that starts a job, in order, as "HOST Method SUBJECT". */
static const char *const full_run[] = {
        "dir Restart",
        "hub1 Start regclient",
        "hub2 Start regclient",
        "ra Run openra-threads",
        "dir Run student-thread-stop",
        "hub2 Stop regclient",
        "hub2 Start",
        "dir Restart",
        "hub2 Start regclient",
        "hub1 Start regclient",
        "dir Run student-thread-start",
        "ra Run openra-threads",
};
#define N_ACTIONS (sizeof(full_run) / sizeof(full_run[0]))

typedef struct FakeJob {
        uint64_t id;
        char host[16], operation[32], subject[64], path[64];
} FakeJob;

typedef struct Fake {
        HelperApi api;
        bool counting; /* wait_job reports the job running once, with its unit's counters */
        char calls[64][96];
        unsigned n_calls;
        FakeJob jobs[64];
        unsigned n_jobs;
        char active[8][16]; /* the hosts where regclient is active */
        unsigned n_active;
        const char *always_active; /* regclient there is active whatever happens */
        int crash_at;              /* the Nth job-starting call (1-based): the client dies right after it */
        bool drop_answer;          /* ... or its answer is lost on the way */
        char *snapshot;            /* the state file as the crash left it */
        bool older_helper;         /* lists a directory job as directory.manage, as helpers did before */
} Fake;

static Fake fake;

/* The helper lists jobs by the operation's name (common/operations.c), a
 * directory restart as directory.restart, subject "restart"; an older one
 * as directory.manage. */
static void listed_as(const HelperCall *c, char *op, size_t op_size, char *subject, size_t subject_size) {
        const char *arg = c->args[0] ? c->args[0] : "";

        if (strcmp(c->iface, HUBOPS_IFACE_DIRECTORY) == 0)
                (void) snprintf(op, op_size, fake.older_helper ? "directory.manage" : "directory.restart"),
                        (void) snprintf(subject, subject_size, "restart");
        else if (strcmp(c->iface, HUBOPS_IFACE_SERVICE) == 0)
                (void) snprintf(op, op_size, "service.%s", strcmp(c->method, "Start") == 0 ? "start" : "stop"),
                        (void) snprintf(subject, subject_size, "%s", arg);
        else if (strcmp(c->iface, HUBOPS_IFACE_HOOKS) == 0)
                (void) snprintf(op, op_size, "hook.run"), (void) snprintf(subject, subject_size, "%s", arg);
        else
                (void) snprintf(op, op_size, "rebuild.start"), subject[0] = '\0';
}

static char *read_state(const char *id) {
        char dir[512], path[700];
        FILE *f;
        char *buf = calloc(1, 256 * 1024);

        assert_int_equal(run_dir(dir, sizeof(dir), false), 0);
        (void) snprintf(path, sizeof(path), "%s/%s.json", dir, id);
        f = fopen(path, "re");
        assert_non_null(f);
        assert_true(fread(buf, 1, 256 * 1024 - 1, f) > 0);
        (void) fclose(f);
        return buf;
}

static bool is_active(const char *host) {
        if (fake.always_active && strcmp(host, fake.always_active) == 0)
                return true;
        for (unsigned i = 0; i < fake.n_active; i++)
                if (strcmp(fake.active[i], host) == 0)
                        return true;
        return false;
}

static void set_active(const char *host, bool active) {
        for (unsigned i = 0; i < fake.n_active; i++)
                if (strcmp(fake.active[i], host) == 0)
                        fake.active[i][0] = '\0';
        if (active)
                (void) snprintf(fake.active[fake.n_active++], sizeof(fake.active[0]), "%s", host);
}

static int start_job(const char *host, const HelperCall *c, HelperReply *ret, sd_bus_error *error) {
        FakeJob *j = &fake.jobs[fake.n_jobs++];

        if (strcmp(c->iface, HUBOPS_IFACE_SERVICE) == 0)
                set_active(host, strcmp(c->method, "Start") == 0);
        if (strcmp(c->iface, HUBOPS_IFACE_DIRECTORY) == 0)
                fake.n_active = 0; /* regclients end with the directory they talk to */

        (void) snprintf(fake.calls[fake.n_calls++], sizeof(fake.calls[0]), "%s %s%s%s", host, c->method,
                        c->args[0] ? " " : "", c->args[0] ? c->args[0] : "");
        *j = (FakeJob) { .id = 100 + fake.n_jobs };
        (void) snprintf(j->host, sizeof(j->host), "%s", host);
        (void) snprintf(j->path, sizeof(j->path), HUBOPS_JOB_PATH_PREFIX "/%u", (unsigned) j->id);
        listed_as(c, j->operation, sizeof(j->operation), j->subject, sizeof(j->subject));
        if ((int) fake.n_calls == fake.crash_at) {
                /* The helper acted; the client is gone before it wrote the job down. */
                if (!fake.drop_answer)
                        fake.snapshot = read_state(getenv("TEST_RUN_ID"));
                return sd_bus_error_set(error, SD_BUS_ERROR_DISCONNECTED, "Connection reset"), -ECONNRESET;
        }
        (void) snprintf(ret->s[0], sizeof(ret->s[0]), "%s", j->path);
        return 0;
}

static int fake_call(HelperApi *a, const char *host, const HelperCall *c, HelperReply *ret, sd_bus_error *error) {
        HelperReply r = { 0 };

        (void) a;
        if (strcmp(c->reply, "o") == 0)
                return start_job(host, c, ret, error);
        if (strcmp(c->method, "GetState") == 0) {
                bool active = is_active(host);
                (void) snprintf(r.s[0], sizeof(r.s[0]), active ? "active" : "inactive");
                (void) snprintf(r.s[1], sizeof(r.s[1]), active ? "running" : "dead");
        } else if (strcmp(c->method, "CanRun") == 0)
                (void) snprintf(r.s[0], sizeof(r.s[0]), "yes");
        if (ret)
                *ret = r;
        return 0;
}

static int fake_property(HelperApi *a, const char *host, const char *iface, const char *name, char type,
                         HelperValue *ret, sd_bus_error *error) {
        (void) a, (void) iface, (void) error, (void) type;
        *ret = (HelperValue) { .u = 5 * 1024 * 1024 };
        (void) snprintf(ret->s, sizeof(ret->s), "%s",
                        strcmp(name, "CurrentJob") == 0         ? "/"
                                : strcmp(name, "Hostname") == 0 ? host
                                                                : "idle");
        return 0;
}

static int fake_list_jobs(HelperApi *a, const char *host, json_object **ret, sd_bus_error *error) {
        json_object *arr = json_object_new_array();

        (void) a, (void) error;
        for (unsigned i = 0; i < fake.n_jobs; i++) {
                const FakeJob *j = &fake.jobs[i];
                if (strcmp(j->host, host) != 0)
                        continue;
                json_object *o = json_object_new_object();
                json_object_object_add(o, "id", json_object_new_int64((int64_t) j->id));
                json_object_object_add(o, "operation", json_object_new_string(j->operation));
                json_object_object_add(o, "subject", json_object_new_string(j->subject));
                json_object_object_add(o, "state", json_object_new_string("done"));
                json_object_object_add(o, "path", json_object_new_string(j->path));
                json_object_array_add(arr, o);
        }
        *ret = arr;
        return 0;
}

static int fake_job(HelperApi *a, const char *host, const char *path, JobInfo *ret, sd_bus_error *error) {
        (void) a, (void) host, (void) error;
        *ret = (JobInfo) { 0 };
        (void) snprintf(ret->path, sizeof(ret->path), "%s", path);
        (void) snprintf(ret->state, sizeof(ret->state), HUBOPS_JOB_DONE);
        return 0;
}

static int fake_load(HelperApi *a, const char *host, LoadSample *ret, sd_bus_error *error) {
        (void) a, (void) host, (void) error;
        *ret = (LoadSample) { .idle = 1.0 };
        return 0;
}

static int fake_wait_job(HelperApi *a, const char *host, const char *path, uint64_t timeout_usec, const JobWatch *watch,
                         JobInfo *ret) {
        (void) timeout_usec;
        fake_job(a, host, path, ret, NULL);
        if (fake.counting && watch && watch->progress) {
                /* Running for 2 s, its unit reporting 300 of 1000 files and 3 of 10 MiB. */
                JobInfo running = *ret;
                (void) snprintf(running.state, sizeof(running.state), "running");
                running.started_at = (uint64_t) time(NULL) * 1000000 - 2000000;
                running.progress = 0.3, running.progress_valid = true;
                running.counters[0] = (JobCounter) { "files", 300, 1000 };
                running.counters[1] = (JobCounter) { "bytes", 3 << 20, 10 << 20 };
                running.n_counters = 2;
                watch->progress(watch->userdata, &running);
        }
        ret->started_at = 1000000, ret->finished_at = 4300000; /* 3.3 s by the job's own clock */
        (void) snprintf(ret->audit_id, sizeof(ret->audit_id), "0123456789abcdef0123456789abcdef");
        (void) snprintf(ret->result, sizeof(ret->result), "success");
        return EXIT_OK;
}

static SiteConfig *site;

static void fake_reset(void) {
        free(fake.snapshot);
        fake = (Fake) { .api = { .call = fake_call,
                                 .property = fake_property,
                                 .list_jobs = fake_list_jobs,
                                 .job = fake_job,
                                 .load = fake_load,
                                 .wait_job = fake_wait_job } };
}

/* A fresh rebuild-tables run on hub2, its gates instant. */
static Run *plan_run(void) {
        const RunbookDef *def = runbook_find("rebuild-tables");
        Run *r = calloc(1, sizeof(Run));
        char err[256];

        assert_non_null(r);
        *r = (Run) { .runbook = "rebuild-tables", .id = "20261122-120000-hub2-0a0b" };
        assert_int_equal(run_set_param(r, "hub", "hub2"), 0);
        assert_int_equal(def->plan(site, site_runbook(site, def->name)->config, r, err, sizeof(err)), 0);
        for (unsigned i = 0; i < r->n_steps; i++)
                r->steps[i].gate.hold_usec = 0;
        assert_int_equal(setenv("TEST_RUN_ID", r->id, 1), 0);
        return r;
}

static int execute(Run *r) {
        Exec x = { .run = r, .site = site, .def = runbook_find(r->runbook), .api = &fake.api };

        return executor_run(&x);
}

static unsigned count_calls(const char *call) {
        unsigned n = 0;

        for (unsigned i = 0; i < fake.n_calls; i++)
                n += strcmp(fake.calls[i], call) == 0;
        return n;
}

static void test_full_run_makes_each_call_once_in_order(void **state) {
        Run *r = plan_run();

        (void) state;
        fake_reset();
        assert_int_equal(execute(r), EXIT_OK);
        assert_int_equal(r->status, RUN_DONE);
        assert_int_equal(fake.n_calls, N_ACTIONS);
        for (unsigned i = 0; i < N_ACTIONS; i++)
                assert_string_equal(fake.calls[i], full_run[i]);
        /* Step times are the jobs' own: 3.3 s each, whenever the client looked. */
        for (unsigned i = 0; i < r->n_steps; i++)
                if (r->steps[i].job[0])
                        assert_int_equal(step_duration(&r->steps[i]), r->steps[i].gate_usec + 3300000);
        assert_true(run_figure(r, "memory_after") > 0 && run_figure(r, "memory_end") > 0);
        free(r);
}

static void test_step_observed_done_is_skipped(void **state) {
        Run *r = plan_run();

        (void) state;
        fake_reset();
        fake.always_active = "hub1";
        assert_int_equal(execute(r), EXIT_OK);
        assert_int_equal(count_calls("hub1 Start regclient"), 0);
        assert_int_equal(r->steps[1].status, STEP_SKIPPED);
        assert_int_equal(fake.n_calls, N_ACTIONS - 2);
        free(r);
}

/* The client dies right after each job-starting call in turn, before it
 * wrote the job down; the resume (from the state file as the crash left
 * it) must find that job and never make the call again. */
static void resume_after_a_crash_at_each_step(bool older_helper) {
        for (unsigned at = 1; at <= N_ACTIONS; at++) {
                Run *r = plan_run();

                fake_reset();
                fake.older_helper = older_helper;
                fake.crash_at = (int) at;
                (void) execute(r);
                assert_non_null(fake.snapshot);
                assert_int_equal(run_parse(fake.snapshot, r), 0);
                fake.crash_at = 0;
                assert_int_equal(execute(r), EXIT_OK);
                assert_int_equal(r->status, RUN_DONE);
                if (fake.n_calls != N_ACTIONS)
                        fail_msg("crash after call %u (%s): %u calls, expected %zu", at, full_run[at - 1], fake.n_calls,
                                 N_ACTIONS);
                for (unsigned i = 0; i < N_ACTIONS; i++)
                        assert_string_equal(fake.calls[i], full_run[i]);
                free(r);
        }
}

static void test_resume_after_a_crash_at_each_step(void **state) {
        (void) state;
        resume_after_a_crash_at_each_step(false);
}

/* A helper from before the operation names were one set. */
static void test_resume_after_a_crash_with_an_older_helper(void **state) {
        (void) state;
        resume_after_a_crash_at_each_step(true);
}

/* The connection drops during the call: the helper may have acted, so the
 * step stays acting (not failed) and resume looks for its job. */
static void test_lost_answer_leaves_the_step_acting(void **state) {
        Run *r = plan_run();

        (void) state;
        fake_reset();
        fake.crash_at = 1;
        fake.drop_answer = true;
        assert_int_equal(execute(r), EXIT_UNREACHABLE);
        assert_int_equal(r->steps[0].status, STEP_ACTING);
        assert_string_equal(r->steps[0].job, "");
        fake.crash_at = 0;
        assert_int_equal(execute(r), EXIT_OK);
        assert_int_equal(count_calls("dir Restart"), 2); /* the first restart and the tidy-up's, not three */
        assert_int_equal(fake.n_calls, N_ACTIONS);
        free(r);
}

/* A long step's --json progress events carry its unit's counters, each
 * with its rate so far (issue 14: files and bytes, rate, ETA). */
static void test_progress_events_carry_counters(void **state) {
        char path[] = "/tmp/test-executor-events-XXXXXX", text[65536];
        int fd = mkstemp(path), saved = dup(STDOUT_FILENO);
        Run *r = plan_run();
        ssize_t n;

        (void) state;
        assert_true(fd >= 0 && saved >= 0);
        fake_reset();
        fake.counting = true;
        (void) fflush(stdout);
        assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
        assert_int_equal(execute(r), EXIT_OK);
        (void) fflush(stdout);
        assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
        n = pread(fd, text, sizeof(text) - 1, 0);
        assert_true(n > 0);
        text[n] = '\0';
        assert_non_null(strstr(text, "\"event\":\"step-progress\""));
        /* 300 files in about 2 s: 150/s (149 or 150, the clock's second ticking). */
        assert_non_null(strstr(text, "\"counters\":[{\"name\":\"files\",\"done\":300,\"total\":1000,\"per_sec\":1"));
        assert_non_null(strstr(text, "{\"name\":\"bytes\",\"done\":3145728,\"total\":10485760,\"per_sec\":"));
        (void) close(fd);
        (void) close(saved);
        (void) unlink(path);
        free(r);
}

static int setup(void **state) {
        char tmpl[] = "/tmp/test-executor-XXXXXX", *err = NULL;
        FILE *f = fmemopen((void *) SITE, strlen(SITE), "r");

        (void) state;
        assert_non_null(mkdtemp(tmpl));
        assert_int_equal(setenv("XDG_STATE_HOME", tmpl, 1), 0);
        assert_int_equal(site_config_parse(f, "site.conf", &site, &err), 0);
        (void) fclose(f);
        output.json = true; /* events as JSON: exercised, and quiet in a log */
        return 0;
}

static int teardown(void **state) {
        (void) state;
        site_config_free(site);
        free(fake.snapshot);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full_run_makes_each_call_once_in_order),
                cmocka_unit_test(test_step_observed_done_is_skipped),
                cmocka_unit_test(test_resume_after_a_crash_at_each_step),
                cmocka_unit_test(test_resume_after_a_crash_with_an_older_helper),
                cmocka_unit_test(test_lost_answer_leaves_the_step_acting),
                cmocka_unit_test(test_progress_events_carry_counters),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
