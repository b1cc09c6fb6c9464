/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper fuzz-bus.c calls: set up once per process as main.c sets it up
 * (config, Context, every vtable, audit log), served on two connections
 * that live as long as the process, and brought back to its initial state
 * after every input. Building all of it per input (event loop, socket pair,
 * two sd-bus handshakes, vtables, jobs with their fsync'd id file) made the
 * harness an order of magnitude slower than the others.
 *
 * The initial state: jobs 1 (running, cancelable: a hook), 2 (done), 3 (a
 * directory restart, not cancelable) and 4 (a rebuild, cancelable); no run
 * claim, job 3 and job 4 ended (no directory operation, no rebuild: the
 * helper's busy check finds running jobs, op-busy.h), unless the input's
 * state byte says otherwise;
 * the audit log empty. An input may add jobs, claim or release the run and
 * write audit records: that is undone. What no input can change without a
 * systemd (none is reachable) is checked instead, and a difference traps.
 *
 * Four libsystemd/glibc functions are replaced in this executable (the
 * helper's static library links against these definitions):
 * sd_journal_send, sd_bus_query_sender_creds, sd_event_add_time_relative
 * and pidfd_open; each says why. */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#define SD_JOURNAL_SUPPRESS_LOCATION 1 /* as in helper/audit.c: the plain function, not the macro */
#include <systemd/sd-journal.h>

#include "audit.h"
#include "config.h"
#include "directory.h"
#include "fuzz-bus.h"
#include "hubops-bus.h"
#include "iface-directory.h"
#include "iface-hooks.h"
#include "iface-manager.h"
#include "iface-rebuild.h"
#include "iface-service.h"
#include "job.h"
#include "macro.h"
#include "op-table.h"

#define NOBODY_UID 65534
#define OPERATOR_UID 1000
#define FIXED_JOBS 4
#define TIMERS_MAX 32
#define SINCE_USEC 1700000000000000ULL /* a fixed past time: the initial state never varies */
#define HOUR_USEC (3600ULL * USEC_PER_SEC)
#define CPU_STAT_BASE "cpu  4000 0 2000 94000 0 0 0 0 0 0\n"

/* What a fixed job looked like after setup. Every change to a job replaces
 * the string it changes, so comparing pointers finds any change. */
typedef struct JobSnapshot {
        Job *next;
        JobState state;
        const char *result, *message, *phase, *unit, *estimate_basis;
        int exit_status;
        uint64_t finished_at, expected_usec;
} JobSnapshot;

static struct {
        FuzzBusFixture f;
        bool ready;
        char dir[64];
        char audit_log[96], cpu_stat[96], claim_file[96];
        Job *jobs[FIXED_JOBS]; /* 1, 2, 3, 4 */
        JobSnapshot snapshots[FIXED_JOBS];
        char directory_seen[64];
        uint64_t directory_job_begin;
        RebuildState rebuild_begin;
        bool cpu_stat_changed;
        bool in_input;
        sd_event_source *timers[TIMERS_MAX];
        unsigned n_timers;
} fx;

/* ---- replaced functions ---- */

/* hubopsd writes each audit record to the journal too. A fuzzer sending
 * millions of them to the machine's journald is no test: the record of truth
 * is the file, which is exercised in full. */
int sd_journal_send(const char *format, ...) {
        (void) format;
        return 0;
}

/* The fuzzer's connections are direct, with no bus daemon. A call without a
 * sender is judged by its connection's peer credentials, as libsystemd does
 * it; a call with one (FUZZ_BUS_CALLER_NAME) would have libsystemd ask the
 * bus daemon for that name's credentials, which it refuses to do on a direct
 * connection. Here the name is a label of its connection, whose credentials
 * are the caller's: the answer a bus daemon would give. */
int sd_bus_query_sender_creds(sd_bus_message *m, uint64_t mask, sd_bus_creds **creds) {
        return sd_bus_get_owner_creds(sd_bus_message_get_bus(m), mask, creds);
}

/* As libsystemd's, and the harness keeps a reference to each timer armed
 * during an input: a GetLoad window (10 ms to 60 s) is then made to end at
 * once, instead of being waited for or left pending into the next input. */
int sd_event_add_time_relative(sd_event *e, sd_event_source **s, clockid_t clock, uint64_t usec, uint64_t accuracy,
                               sd_event_time_handler_t callback, void *userdata) {
        sd_event_source *timer = NULL;
        uint64_t now = 0;
        int r;

        r = sd_event_now(e, clock, &now);
        if (r < 0)
                return r;
        if (usec >= UINT64_MAX - now)
                return -EOVERFLOW;
        r = sd_event_add_time(e, &timer, clock, now + usec, accuracy, callback, userdata);
        if (r < 0)
                return r;
        if (fx.in_input) {
                if (fx.n_timers >= TIMERS_MAX) {
                        fprintf(stderr, "fuzz-bus: more than %d timers in one input\n", TIMERS_MAX);
                        abort(); /* a limit of the harness, not a finding */
                }
                fx.timers[fx.n_timers++] = sd_event_source_ref(timer);
        }
        if (s)
                *s = timer;
        else {
                (void) sd_event_source_set_floating(timer, 1);
                sd_event_source_unref(timer);
        }
        return 0;
}

/* The helper opens a pidfd only for a process proc_find() matched by its
 * exe and command line. The config names programs in our scratch directory,
 * which holds none: reaching this means a real process could be signalled. */
int pidfd_open(pid_t pid, unsigned int flags) {
        (void) flags;
        fprintf(stderr, "fuzz-bus: the helper went for PID %d; no process may be signalled here\n", (int) pid);
        abort();
}

/* ---- once per process ---- */

static void write_file(const char *path, const char *content, size_t size) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (fd < 0 || write(fd, content, size) != (ssize_t) size)
                abort();
        (void) close(fd);
}

/* A log for job 1 whose tail holds bytes that are not valid in a D-Bus string. */
static void write_job_log(void) {
        char path[160], text[5000];

        for (size_t i = 0; i < sizeof(text); i++)
                text[i] = (char) (i * 7 % 256);
        (void) snprintf(path, sizeof(path), "%s/jobs/job-1.log", fx.dir);
        write_file(path, text, sizeof(text));
}

/* A tmpfs directory (audit records and state files are fsync'd), with the
 * files the helper reads. */
static void make_directory(void) {
        static const char *const subdirs[] = { "state", "jobs", "dirtables" };

        (void) snprintf(fx.dir, sizeof(fx.dir), "%s/hubops-fuzz-bus.XXXXXX",
                        access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(fx.dir))
                abort();
        for (size_t i = 0; i < ELEMENTSOF(subdirs); i++) {
                char path[96];
                (void) snprintf(path, sizeof(path), "%s/%s", fx.dir, subdirs[i]);
                if (mkdir(path, 0700) < 0)
                        abort();
        }
        (void) snprintf(fx.audit_log, sizeof(fx.audit_log), "%s/audit.jsonl", fx.dir);
        (void) snprintf(fx.cpu_stat, sizeof(fx.cpu_stat), "%s/cpu-stat", fx.dir);
        (void) snprintf(fx.claim_file, sizeof(fx.claim_file), "%s/state/run-claim.json", fx.dir);
        write_file(fx.cpu_stat, CPU_STAT_BASE, strlen(CPU_STAT_BASE));
        write_job_log();
}

/* FUZZ_BUS_CONFIG with the scratch directory for each @DIR@. */
static HelperConfig *load_config(void) {
        static const char config[] = FUZZ_BUS_CONFIG;
        char text[sizeof(config) + 32 * sizeof(fx.dir)], *error = NULL;
        HelperConfig *c = NULL;
        size_t n = 0;
        FILE *f;

        for (const char *p = config; *p && n < sizeof(text) - sizeof(fx.dir);) {
                if (strncmp(p, "@DIR@", 5) == 0) {
                        n += (size_t) snprintf(text + n, sizeof(text) - n, "%s", fx.dir);
                        p += 5;
                } else
                        text[n++] = *p++;
        }
        text[n] = '\0';
        f = fmemopen(text, n, "r");
        if (!f || config_parse(f, "fuzz-bus.conf", &c, &error) < 0) {
                fprintf(stderr, "fuzz-bus: built-in config refused: %s\n", error ? error : "?");
                abort();
        }
        (void) fclose(f);
        return c;
}

/* Made as nobody, a call goes to polkit; as root, it is allowed outright. */
static int make_socketpair(bool as_root, int fds[2]) {
        bool drop = !as_root && geteuid() == 0;
        int r;

        if (drop && seteuid(NOBODY_UID) < 0)
                abort();
        r = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds);
        if (drop && seteuid(0) < 0)
                abort();
        return r < 0 ? -errno : 0;
}

static int start_bus(sd_event *e, int fd, bool server, sd_bus **ret) {
        sd_bus *bus = NULL;
        sd_id128_t id;
        int r;

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_fd(bus, fd, fd);
        if (r >= 0 && server && (r = sd_id128_randomize(&id)) >= 0)
                r = sd_bus_set_server(bus, 1, id);
        if (r >= 0)
                r = sd_bus_set_anonymous(bus, 1);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r >= 0)
                r = sd_bus_attach_event(bus, e, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                (void) close(fd);
                sd_bus_close_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

static void make_peer(sd_event *e, bool as_root, FuzzBusPeer *ret) {
        int fds[2];

        if (make_socketpair(as_root, fds) < 0 || start_bus(e, fds[0], true, &ret->helper) < 0)
                abort();
        if (start_bus(e, fds[1], false, &ret->caller) < 0)
                abort();
}

static void free_peer(FuzzBusPeer *p) {
        p->caller = sd_bus_flush_close_unref(p->caller);
        p->helper = sd_bus_flush_close_unref(p->helper);
}

/* Every object main.c's setup_bus() registers (op-table.c), on one connection. */
static int register_objects(Context *c, sd_bus *bus) {
        int r;

        c->bus = bus;
        r = op_table_register_objects(c);
        /* The directory watch looks at /proc every 2 s of real time, on its own:
         * not the input's doing, and each look costs. */
        c->directory_watch = sd_event_source_disable_unref(c->directory_watch);
        return r;
}

static JobSnapshot snapshot(const Job *j) {
        return (JobSnapshot) { .next = j->next,
                               .state = j->state,
                               .result = j->result,
                               .message = j->message,
                               .phase = j->phase,
                               .unit = j->unit,
                               .estimate_basis = j->estimate_basis,
                               .exit_status = j->exit_status,
                               .finished_at = j->finished_at,
                               .expected_usec = j->expected_usec };
}

static int add_fixed_jobs(Context *c) {
        static const char *const hook[] = { "hook", "noop", NULL };
        static const char *const directory[] = { "verb", "restart", NULL };
        Job *running = NULL, *done = NULL, *stuck = NULL, *rebuild = NULL;
        int r;

        r = job_new(c, "hook.run", hook, "hook-noop", HUBOPS_ACTION_JOB_CANCEL, OPERATOR_UID, &running);
        if (r >= 0)
                r = job_new(c, "hook.run", hook, "hook-noop", HUBOPS_ACTION_JOB_CANCEL, OPERATOR_UID, &done);
        if (r >= 0)
                r = job_new(c, "directory.manage", directory, "directory-restart", HUBOPS_ACTION_DIRECTORY_MANAGE,
                            OPERATOR_UID, &stuck);
        if (r >= 0)
                r = job_new(c, "rebuild.start", NULL, "rebuild", HUBOPS_ACTION_REBUILD_CANCEL, OPERATOR_UID,
                            &rebuild);
        if (r >= 0)
                r = job_set_unit(rebuild, "hubops-fuzz-rebuild.service");
        if (r < 0)
                return r;
        running->cancel = job_cancel_by_stopping_unit;
        rebuild->cancel = job_cancel_by_stopping_unit;
        job_set_estimate(rebuild, 4 * HOUR_USEC, "the median of the last 3 runs");
        job_set_phase(rebuild, "running", NULL);
        job_set_phase(running, "running", NULL);
        job_finish(done, JOB_DONE, "success", 0, "exited with status 0");
        job_set_estimate(stuck, 90 * USEC_PER_SEC, "the configured StartTimeoutSec=");
        job_set_phase(stuck, "waiting-ready", "stopped; root process already gone");
        fx.jobs[0] = running, fx.jobs[1] = done, fx.jobs[2] = stuck, fx.jobs[3] = rebuild;
        return 0;
}

static void run_until_idle(sd_event *e) {
        while (sd_event_run(e, 0) > 0)
                ;
}

static int remove_entry_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st, (void) flag, (void) ftw;
        (void) remove(path);
        return 0;
}

/* As main.c does; again after each input, which writes the suppressed
 * counts and starts every caller's budget afresh. */
static void set_audit_limits(Context *c) {
        const AuditLimits limits = {
                .refusal_burst = c->config->audit_refusal_burst,
                .refusal_interval_usec = c->config->audit_refusal_interval_usec,
                .reserve_bytes = c->config->audit_reserve_bytes,
        };

        if (audit_set_limits(c->audit, &limits) < 0)
                abort();
}

/* At exit: everything freed, and only the directory mkdtemp() made removed. */
static void teardown(void) {
        Context *c = &fx.f.context;

        for (unsigned i = 0; i < fx.n_timers; i++)
                sd_event_source_unref(fx.timers[i]);
        jobs_free_all(c);
        free_peer(&fx.f.nobody);
        free_peer(&fx.f.root);
        c->bus = NULL;
        c->event = sd_event_unref(c->event);
        audit_close(c->audit);
        config_free(c->config);
        (void) nftw(fx.dir, remove_entry_cb, 8, FTW_DEPTH | FTW_PHYS);
}

FuzzBusFixture *fuzz_bus_fixture(void) {
        FuzzBusFixture *f = &fx.f;
        Context *c = &f->context;

        if (fx.ready)
                return f;
        f->verbose = getenv("FUZZ_BUS_VERBOSE") != NULL;
        make_directory();
        c->config = load_config();
        if (sd_event_new(&c->event) < 0 || audit_open(fx.audit_log, c->config->hostname, &c->audit) < 0)
                abort();
        set_audit_limits(c);
        make_peer(c->event, false, &f->nobody);
        make_peer(c->event, true, &f->root);
        if (register_objects(c, f->root.helper) < 0 || register_objects(c, f->nobody.helper) < 0 ||
            add_fixed_jobs(c) < 0)
                abort();
        /* The first look at the directory signals its state; later ones only changes. */
        directory_properties_changed(c);
        memcpy(fx.directory_seen, c->directory_seen, sizeof(fx.directory_seen));
        for (unsigned i = 0; i < FIXED_JOBS; i++)
                fx.snapshots[i] = snapshot(fx.jobs[i]);
        run_until_idle(c->event);
        if (truncate(fx.audit_log, 0) < 0)
                abort();
        (void) atexit(teardown);
        fx.ready = true;
        return f;
}

/* ---- per input ---- */

static void begin_claim(RunClaim *rc, unsigned which) {
        static const RunClaim claims[] = {
                { .held = false },
                { .held = true,
                  .run_id = "site-run-7",
                  .owner = "operator",
                  .uid = OPERATOR_UID,
                  .since = SINCE_USEC,
                  .description = "Runbook rebuild-tables mailhub2" },
                { .held = true,
                  .run_id = "site-run-8",
                  .owner = "nobody",
                  .uid = NOBODY_UID,
                  .since = SINCE_USEC,
                  .description = "Runbook restart-directory" },
                { .held = true,
                  .run_id = "site-run-7",
                  .owner = "root",
                  .uid = 0,
                  .since = SINCE_USEC,
                  .description = "" },
        };

        memcpy(rc, &claims[which % ELEMENTSOF(claims)], sizeof(*rc));
}

/* Durations of 3, 4 and 5 hours; the newest one also the last run's. */
static void begin_rebuild(RebuildState *s, uint8_t state) {
        static const size_t histories[] = { 0, 1, 2, REBUILD_HISTORY_MAX };
        size_t n = histories[(state >> FUZZ_STATE_HISTORY_SHIFT) & 3];

        memset(s, 0, sizeof(*s));
        for (size_t i = 0; i < n; i++)
                s->history[i] = (3 + i % 3) * HOUR_USEC;
        s->n_history = n;
        if (n > 0) {
                (void) snprintf(s->last_result, sizeof(s->last_result), "success");
                s->last_started_at = SINCE_USEC;
                s->last_duration = s->history[n - 1];
        }
}

void fuzz_bus_fixture_begin(FuzzBusFixture *f, uint8_t state) {
        Context *c = &f->context;

        begin_claim(&c->run_claim, state & FUZZ_STATE_CLAIM_MASK);
        begin_rebuild(&c->rebuild, state);
        /* Running or not, as the state says; put back before the check at the end. */
        fx.jobs[2]->state = state & FUZZ_STATE_DIRECTORY_BUSY ? JOB_RUNNING : JOB_FAILED;
        fx.jobs[3]->state = state & FUZZ_STATE_REBUILD_RUNNING ? JOB_RUNNING : JOB_DONE;
        c->directory_job_id = state & FUZZ_STATE_DIRECTORY_BUSY ? fx.jobs[2]->id : 0;
        fx.rebuild_begin = c->rebuild;
        fx.directory_job_begin = c->directory_job_id;
        fx.in_input = true;
}

static bool timer_enabled(sd_event_source *s) {
        int enabled = SD_EVENT_OFF;

        return sd_event_source_get_enabled(s, &enabled) >= 0 && enabled != SD_EVENT_OFF;
}

bool fuzz_bus_fixture_timers_pending(const FuzzBusFixture *f) {
        (void) f;
        for (unsigned i = 0; i < fx.n_timers; i++)
                if (timer_enabled(fx.timers[i]))
                        return true;
        return false;
}

/* What /proc/stat's cpu line says when a window ends: no time passed, time
 * passed (idle and busy as the input says), counters went backwards, or no
 * cpu line at all. */
static void set_cpu_stat(uint8_t cpu) {
        unsigned idle = cpu >> 2, busy = 64 - idle;
        char text[128];
        int n;

        switch (cpu % 4) {
        case 0:
                return;
        case 1:
                n = snprintf(text, sizeof(text), "cpu  %u 0 2000 %u 0 0 0 0 0 0\n", 4000 + busy, 94000 + idle);
                break;
        case 2:
                n = snprintf(text, sizeof(text), "cpu  40 0 20 940 0 0 0 0 0 0\n");
                break;
        default:
                n = snprintf(text, sizeof(text), "intr 0\n");
                break;
        }
        write_file(fx.cpu_stat, text, (size_t) n);
        fx.cpu_stat_changed = true;
}

void fuzz_bus_fixture_fire_timers(FuzzBusFixture *f, uint8_t cpu) {
        set_cpu_stat(cpu);
        for (unsigned i = 0; i < fx.n_timers; i++)
                if (timer_enabled(fx.timers[i])) {
                        if (f->verbose)
                                fprintf(stderr, "fuzz-bus: a timer's time is up\n");
                        /* Long past: due at the next turn of the loop. */
                        (void) sd_event_source_set_time(fx.timers[i], 1);
                }
}

static void discard_new_jobs(Context *c) {
        for (Job *j = c->jobs, *next; j; j = next) {
                next = j->next;
                if (j != fx.jobs[0] && j != fx.jobs[1] && j != fx.jobs[2] && j != fx.jobs[3])
                        job_discard(j);
        }
}

static bool job_unchanged(const Job *j, const JobSnapshot *s) {
        return j && j->next == s->next && j->state == s->state && j->result == s->result && j->message == s->message &&
                j->phase == s->phase && j->unit == s->unit && j->estimate_basis == s->estimate_basis &&
                j->exit_status == s->exit_status && j->finished_at == s->finished_at &&
                j->expected_usec == s->expected_usec;
}

static bool rebuild_state_equal(const RebuildState *a, const RebuildState *b) {
        return a->job_id == b->job_id && a->started_at == b->started_at && a->started_by == b->started_by &&
                strcmp(a->last_result, b->last_result) == 0 && a->last_started_at == b->last_started_at &&
                a->last_duration == b->last_duration && a->n_history == b->n_history &&
                memcmp(a->history, b->history, a->n_history * sizeof(uint64_t)) == 0;
}

static bool bus_idle(sd_bus *bus) {
        uint64_t r = 1, w = 1;

        return sd_bus_is_open(bus) > 0 && sd_bus_get_n_queued_read(bus, &r) >= 0 &&
                sd_bus_get_n_queued_write(bus, &w) >= 0 && r == 0 && w == 0;
}

/* After the reset: exactly the initial state. */
static bool helper_as_set_up(const FuzzBusFixture *f) {
        const Context *c = &f->context;

        if (c->jobs != fx.jobs[FIXED_JOBS - 1] || c->n_jobs != FIXED_JOBS || c->last_job_id != FIXED_JOBS)
                return false;
        for (unsigned i = 0; i < FIXED_JOBS; i++)
                if (!job_unchanged(fx.jobs[i], &fx.snapshots[i]))
                        return false;
        /* Only a reachable systemd could have changed these. */
        if (c->systemd || c->job_removed_slot || c->watches || c->recent_next != 0)
                return false;
        if (c->directory_watch || strcmp(c->directory_seen, fx.directory_seen) != 0)
                return false;
        return c->bus == f->nobody.helper && bus_idle(f->nobody.helper) && bus_idle(f->nobody.caller) &&
                bus_idle(f->root.helper) && bus_idle(f->root.caller);
}

static void fail(const char *what) {
        fprintf(stderr, "fuzz-bus: after this input %s\n", what);
        __builtin_trap();
}

void fuzz_bus_fixture_end(FuzzBusFixture *f) {
        Context *c = &f->context;

        /* An operation still running would go on into the next input. */
        if (c->directory_job_id != fx.directory_job_begin)
                fail("a directory operation is still running");
        if (!rebuild_state_equal(&c->rebuild, &fx.rebuild_begin))
                fail("the rebuild state changed, with no systemd to run a rebuild");
        for (unsigned i = 0; i < fx.n_timers; i++) {
                if (timer_enabled(fx.timers[i]))
                        fail("a timer is still pending");
                fx.timers[i] = sd_event_source_unref(fx.timers[i]);
        }
        fx.n_timers = 0;
        fx.in_input = false;

        discard_new_jobs(c);
        c->last_job_id = FIXED_JOBS;
        c->authz_serial = 0;
        /* Written by a claim, removed by a release; read only at start-up. */
        (void) unlink(fx.claim_file);
        memset(&c->run_claim, 0, sizeof(c->run_claim));
        begin_rebuild(&c->rebuild, 0);
        c->directory_job_id = 0;
        fx.jobs[2]->state = fx.snapshots[2].state;
        fx.jobs[3]->state = fx.snapshots[3].state;
        c->directory_cache_at = 0;
        set_audit_limits(c);
        if (truncate(fx.audit_log, 0) < 0)
                abort();
        if (fx.cpu_stat_changed) {
                write_file(fx.cpu_stat, CPU_STAT_BASE, strlen(CPU_STAT_BASE));
                fx.cpu_stat_changed = false;
        }
        if (!helper_as_set_up(f))
                fail("the helper's state differs from its initial state");
}
