/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hubopsd's D-Bus surface under fuzzed calls. The real vtables (Manager,
 * Hooks, Job, plus sd-bus's Properties, Introspectable, ObjectManager)
 * serve one end of a socketpair; the fuzzer is the caller at the other end.
 * No polkit is reachable (a direct connection has no bus names, so there is
 * no system-bus-name subject to ask about) and neither is systemd: every
 * privileged path must end in a denial or an error reply, never a crash, a
 * leak or a hang. A root caller is allowed without polkit and so reaches the
 * act step (job creation, the systemd client) too.
 *
 * Then the replies the helper decodes from the other side: polkit's
 * CheckAuthorization result and systemd's GetAll(Service) outcome, as
 * errors, well-typed returns with fuzzed values, or mistyped returns.
 *
 * libsystemd 252 exports no function that parses a raw message from bytes
 * (bus_message_from_malloc() is internal), so calls are built with
 * sd_bus_message_append*() from the input: target (path, interface, member)
 * from a table or from the input, argument signature from a table of right
 * and wrong ones, values from the input or from a dictionary of the names
 * that mean something here. */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#define SD_JOURNAL_SUPPRESS_LOCATION 1 /* as in helper/audit.c: the plain function, not the macro */
#include <systemd/sd-journal.h>

#include "audit.h"
#include "authz.h"
#include "config.h"
#include "context.h"
#include "fuzz.h"
#include "fuzz-bus.h"
#include "hubops-bus.h"
#include "iface-hooks.h"
#include "iface-manager.h"
#include "job.h"
#include "macro.h"
#include "systemd-client.h"

#define CALLS_MAX 8
#define NOBODY_UID 65534

typedef struct Harness {
        Context context;
        sd_bus *client;
        FuzzInput in;
        unsigned n_calls;
        unsigned replies_pending;
} Harness;

static struct {
        char dir[64];
        char audit_log[96];
        HelperConfig *config;
} env;

/* hubopsd writes each audit record to the journal too. A fuzzer sending
 * millions of them to the machine's journald is no test: the record of truth
 * is the file, which is exercised in full. This definition in the executable
 * takes precedence over libsystemd's for helper/audit.c. */
int sd_journal_send(const char *format, ...) {
        (void) format;
        return 0;
}

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
        (void) snprintf(path, sizeof(path), "%s/jobs/hubops-fuzz-hook-noop-1.service.log", env.dir);
        write_file(path, text, sizeof(text));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st, (void) flag, (void) ftw;
        (void) remove(path);
        return 0;
}

/* Only the directory mkdtemp() made for this process, depth first. */
static void remove_environment(void) {
        if (env.dir[0])
                (void) nftw(env.dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
        config_free(env.config);
}

/* Once per process: a tmpfs directory (audit records are fsync'd), the helper
 * config, a job log. */
static void setup_environment(void) {
        static const char *const subdirs[] = { "state", "jobs" };
        char text[2048], *error = NULL;
        FILE *f;

        (void) snprintf(env.dir, sizeof(env.dir), "%s/hubops-fuzz-bus.XXXXXX",
                        access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(env.dir))
                abort();
        for (size_t i = 0; i < ELEMENTSOF(subdirs); i++) {
                char path[96];
                (void) snprintf(path, sizeof(path), "%s/%s", env.dir, subdirs[i]);
                if (mkdir(path, 0700) < 0)
                        abort();
        }
        (void) snprintf(env.audit_log, sizeof(env.audit_log), "%s/audit.jsonl", env.dir);
        (void) snprintf(text, sizeof(text), FUZZ_BUS_CONFIG, env.dir, env.dir, env.dir, env.dir);
        f = fmemopen(text, strlen(text), "r");
        if (!f || config_parse(f, "fuzz-bus.conf", &env.config, &error) < 0) {
                fprintf(stderr, "fuzz-bus: built-in config refused: %s\n", error ? error : "?");
                abort();
        }
        (void) fclose(f);
        write_job_log();
        (void) atexit(remove_environment);
}

/* ---- one run ---- */

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Harness *h = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        (void) error;
        h->replies_pending--;
        /* FUZZ_BUS_VERBOSE=1: what each call got, for writing seeds. */
        if (getenv("FUZZ_BUS_VERBOSE"))
                fprintf(stderr, "fuzz-bus: reply %s%s%s\n", e ? e->name : "return ",
                        e ? ": " : sd_bus_message_get_signature(m, true), e && e->message ? e->message : "");
        return 0;
}

/* The caller's uid is the socket's peer credential, fixed at socketpair():
 * made as nobody, the call goes to polkit; as root, it is allowed outright
 * and reaches the (unreachable) systemd manager. */
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

/* The helper as main.c sets it up, plus two jobs: 1 running, 2 done. */
static int setup_helper(Harness *h) {
        static const char *const details[] = { "hook", "noop", NULL };
        Context *c = &h->context;
        Job *running, *done;
        int fd, r;

        fd = open(env.audit_log, O_WRONLY | O_TRUNC | O_CLOEXEC); /* one run's records at a time */
        if (fd >= 0)
                (void) close(fd);
        c->config = env.config;
        r = audit_open(env.audit_log, env.config->hostname, &c->audit);
        if (r >= 0)
                r = manager_register(c);
        if (r >= 0)
                r = hooks_register(c);
        if (r >= 0)
                r = jobs_register(c);
        if (r >= 0)
                r = sd_bus_add_object_manager(c->bus, NULL, HUBOPS_OBJECT_PATH);
        if (r >= 0)
                r = job_new(c, "hook.run", details, "hook-noop", HUBOPS_ACTION_JOB_CANCEL, 1000, &running);
        if (r >= 0)
                r = job_new(c, "hook.run", details, "hook-noop", HUBOPS_ACTION_JOB_CANCEL, 1000, &done);
        if (r >= 0)
                job_finish(done, JOB_DONE, "success", 0, "exited with status 0");
        return r;
}

static int send_calls(Harness *h) {
        for (unsigned i = 0; i < h->n_calls; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                if (fuzz_bus_build_call(h->client, &h->in, &m) < 0)
                        continue; /* not a message sd-bus would send: nothing to test */
                if (!sd_bus_message_get_expect_reply(m)) {
                        (void) sd_bus_send(h->client, m, NULL);
                        continue;
                }
                if (sd_bus_call_async(h->client, NULL, m, on_reply, h, 0) < 0)
                        continue;
                h->replies_pending++;
        }
        return 0;
}

/* Dispatch until nothing is left to do now; both ends share the loop. */
static void run_until_idle(sd_event *e) {
        while (sd_event_run(e, 0) > 0)
                ;
}

/* As at helper shutdown, after the caller has gone: pending polkit checks
 * fail on the closed connection and must free their requests. */
static void teardown(Harness *h) {
        Context *c = &h->context;

        h->client = sd_bus_close_unref(h->client);
        if (c->event)
                run_until_idle(c->event);
        jobs_free_all(c);
        systemd_disconnect(c);
        c->bus = sd_bus_flush_close_unref(c->bus);
        c->event = sd_event_unref(c->event);
        audit_close(c->audit);
}

/* Decode what polkit and systemd might answer. */
static void decode_replies(Harness *h, unsigned n) {
        for (unsigned i = 0; i < n; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                bool from_polkit = fuzz_take_u8(&h->in) % 2 == 0;
                const char *reason = NULL;
                ServiceOutcome o;
                int r;

                if (fuzz_bus_build_reply(h->client, &h->in, from_polkit ? "(bba{ss})" : "a{sv}", &m) < 0)
                        continue;
                if (from_polkit) {
                        AuthzVerdict v = authz_verdict_from_reply(m, &reason);
                        if (getenv("FUZZ_BUS_VERBOSE"))
                                fprintf(stderr, "fuzz-bus: polkit verdict %s (%s)\n", authz_verdict_to_string(v),
                                        reason ? reason : "?");
                        /* The reason goes into the audit record and the caller's error message. */
                        if (!reason || strlen(reason) == 0 || (unsigned) v > AUTHZ_CALLER_GONE)
                                __builtin_trap();
                        continue;
                }
                r = systemd_decode_outcome(m, &o);
                if (getenv("FUZZ_BUS_VERBOSE"))
                        fprintf(stderr, "fuzz-bus: systemd outcome %d: %s %d %d\n", r, r == 0 ? o.result : "-",
                                r == 0 ? o.exit_code : 0, r == 0 ? o.exit_status : 0);
                if (r == 0 && (o.result[0] == '\0' || !memchr(o.result, '\0', sizeof(o.result))))
                        __builtin_trap(); /* the Result word goes into audit records and messages */
        }
}

/* Input: one byte (bit 0: caller is root; bits 1-3: calls - 1; bits 4-5:
 * replies to decode), the calls (fuzz-bus-messages.c), then the replies. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Harness h = { .in = { data, size } };
        uint8_t mode = fuzz_take_u8(&h.in);
        int fds[2];

        if (!env.config)
                setup_environment();
        h.n_calls = (mode >> 1) % CALLS_MAX + 1;
        if (sd_event_new(&h.context.event) < 0 || make_socketpair(mode & 1, fds) < 0)
                abort();
        if (start_bus(h.context.event, fds[0], true, &h.context.bus) < 0) {
                (void) close(fds[1]);
                abort();
        }
        if (start_bus(h.context.event, fds[1], false, &h.client) < 0 || setup_helper(&h) < 0)
                abort();

        /* GetLoad's window timer (10 ms at least) is not waited for: it is torn
         * down pending, as at helper shutdown. What it parses is fuzzed by
         * fuzz-procfs. */
        (void) send_calls(&h);
        run_until_idle(h.context.event);
        decode_replies(&h, (mode >> 4) & 3);
        teardown(&h);
        return 0;
}
