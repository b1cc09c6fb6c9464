/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The measuring half of tests/bench/run (which brings up the lab and
 * formats the table). Each mode times N iterations, after a few untimed
 * warm-up ones, and prints one line:
 *
 *   NAME N p50_us p99_us mean_us min_us max_us
 *
 * or, with --samples first, one line per iteration, "NAME us", so that
 * tests/bench/run can interleave short rounds of every measurement and
 * pool them (noise on a shared machine then hits all of them alike).
 *
 *   hubops-bench ping N              org.freedesktop.DBus.Peer.Ping to hubopsd
 *   hubops-bench polkit N            polkit CheckAuthorization (org.hubops.hook.run)
 *                                    for our own bus name, as hubopsd asks it
 *   hubops-bench hook-run N [HOOK]   Hooks.Run round trip, reply only; the job's end
 *                                    is waited for outside the timed part
 *   hubops-bench can-run N [HOOK]    Manager.CanRun("hook.run", HOOK): hubopsd's
 *                                    authorized no-op check (polkit asked, nothing run);
 *                                    the answer must be "yes"
 *   hubops-bench polkit-no N ACTION  polkit CheckAuthorization of ACTION for our own
 *                                    bus name, which polkit must refuse (no or challenge)
 *   hubops-bench denied N [HOOK]     Hooks.Run as a caller polkit refuses: the reply
 *                                    must be AccessDenied (audited, nothing run)
 *   hubops-bench hostnamed-denied N  systemd-hostnamed's polkit-gated SetPrettyHostname,
 *                                    refused: InteractiveAuthorizationRequired or AccessDenied
 *   hubops-bench exec N CMD [ARG...] a whole process: spawn, run, exit 0
 *   hubops-bench load N hubopsd|hostnamed
 *                                    N calls, 32 in flight, every reply checked: for
 *                                    hubopsd a mix of GetAll(Manager), ListJobs, CanRun
 *                                    and a denied Hooks.Run; for hostnamed GetAll and a
 *                                    denied SetPrettyHostname. Prints "load-TARGET N
 *                                    seconds"; used to measure memory after N calls.
 *
 * The bus modes use the system bus, i.e. $DBUS_SYSTEM_BUS_ADDRESS (the lab
 * host's bus). Exit 0, or 1 if any iteration failed (a failure is never
 * timed as if it were a success). */

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "hubops-bus.h"
#include "macro.h"

#define WARMUP_MAX 20
#define POLKIT_NAME "org.freedesktop.PolicyKit1"
#define POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_IFACE "org.freedesktop.PolicyKit1.Authority"
#define HOSTNAMED_NAME "org.freedesktop.hostname1"
#define HOSTNAMED_PATH "/org/freedesktop/hostname1"
#define LOAD_IN_FLIGHT 32

typedef int (*iteration_t)(void *userdata);

static bool print_samples;

typedef struct HookRun {
        sd_bus *bus;
        const char *hook;
        char job[128];     /* the job the last call started */
        char finished[128]; /* the last Completed signal's job */
} HookRun;

typedef struct Exec {
        char **argv;
} Exec;

static uint64_t now_ns(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static int compare_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted samples. */
static uint64_t percentile(const uint64_t *sorted, unsigned n, unsigned p) {
        unsigned rank = (n * p + 99) / 100;

        return sorted[rank > 0 ? rank - 1 : 0];
}

static void report(const char *name, uint64_t *ns, unsigned n) {
        uint64_t sum = 0;

        if (print_samples) {
                for (unsigned i = 0; i < n; i++)
                        printf("%s %.1f\n", name, (double) ns[i] / 1000.0);
                return;
        }
        qsort(ns, n, sizeof(uint64_t), compare_u64);
        for (unsigned i = 0; i < n; i++)
                sum += ns[i];
        printf("%s %u %.1f %.1f %.1f %.1f %.1f\n", name, n, (double) percentile(ns, n, 50) / 1000.0,
               (double) percentile(ns, n, 99) / 1000.0, (double) sum / n / 1000.0, (double) ns[0] / 1000.0,
               (double) ns[n - 1] / 1000.0);
}

static int measure(const char *name, unsigned n, iteration_t iteration, void *userdata) {
        _cleanup_free_ uint64_t *ns = calloc(n, sizeof(uint64_t));
        unsigned warmup = n / 10 < WARMUP_MAX ? n / 10 : WARMUP_MAX;

        if (!ns)
                return -ENOMEM;
        for (unsigned i = 0; i < warmup; i++)
                if (iteration(userdata) < 0)
                        return -EIO;
        for (unsigned i = 0; i < n; i++) {
                uint64_t start = now_ns();
                if (iteration(userdata) < 0)
                        return -EIO;
                ns[i] = now_ns() - start;
        }
        report(name, ns, n);
        return 0;
}

static int ping(void *userdata) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(userdata, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, "org.freedesktop.DBus.Peer", "Ping",
                               &error, NULL, NULL);
        if (r < 0)
                fprintf(stderr, "hubops-bench: Ping: %s\n", error.message ? error.message : strerror(-r));
        return r;
}

typedef struct PolkitCheck {
        sd_bus *bus;
        const char *action;
        bool expect_yes;
} PolkitCheck;

/* What helper/authz.c sends (system-bus-name subject, no interaction), but
 * without details: polkit takes details only from root or an action owner. */
static int polkit_check(void *userdata) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        PolkitCheck *p = userdata;
        const char *me = NULL;
        int authorized = 0, challenge = 0, r;

        r = sd_bus_get_unique_name(p->bus, &me);
        if (r >= 0)
                r = sd_bus_call_method(p->bus, POLKIT_NAME, POLKIT_PATH, POLKIT_IFACE, "CheckAuthorization", &error,
                                       &reply, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s", me, p->action,
                                       0, 0U, "");
        /* The details polkit returns (a challenge comes with some) are not ours to read. */
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r >= 0)
                r = sd_bus_message_skip(reply, "a{ss}");
        if (r >= 0 && !authorized != !p->expect_yes)
                r = -EACCES; /* timing another answer would measure something else */
        if (r < 0)
                fprintf(stderr, "hubops-bench: CheckAuthorization: %s\n",
                        error.message ? error.message : strerror(-r));
        return r;
}

static int on_completed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        HookRun *h = userdata;

        (void) error;
        (void) snprintf(h->finished, sizeof(h->finished), "%s", sd_bus_message_get_path(m));
        return 0;
}

/* Untimed: the next call starts on a quiet machine, not next to this job. */
static int wait_for_job_end(HookRun *h) {
        while (strcmp(h->finished, h->job) != 0) {
                int r = sd_bus_process(h->bus, NULL);
                if (r < 0)
                        return r;
                if (r == 0 && (r = sd_bus_wait(h->bus, UINT64_MAX)) < 0)
                        return r;
        }
        return 0;
}

static int hook_run(void *userdata) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        HookRun *h = userdata;
        const char *job;
        int r;

        r = sd_bus_call_method(h->bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_HOOKS, "Run", &error,
                               &reply, "s", h->hook);
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &job);
        if (r < 0) {
                fprintf(stderr, "hubops-bench: Hooks.Run %s: %s\n", h->hook,
                        error.message ? error.message : strerror(-r));
                return r;
        }
        (void) snprintf(h->job, sizeof(h->job), "%s", job);
        return 0;
}

static int can_run(void *userdata) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        HookRun *h = userdata;
        const char *answer = NULL, *reason = NULL;
        int r;

        r = sd_bus_call_method(h->bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "CanRun", &error,
                               &reply, "ss", "hook.run", h->hook);
        if (r >= 0)
                r = sd_bus_message_read(reply, "ss", &answer, &reason);
        if (r >= 0 && strcmp(answer, "yes") != 0)
                r = -EACCES; /* timing a "no" would measure something else */
        if (r < 0)
                fprintf(stderr, "hubops-bench: CanRun: %s\n",
                        error.message ? error.message : answer ? reason : strerror(-r));
        return r;
}

/* A refused call: only the expected refusal counts; anything else is a failure. */
static int expect_refusal(const char *what, int r, const sd_bus_error *error) {
        if (r < 0 && (sd_bus_error_has_name(error, SD_BUS_ERROR_ACCESS_DENIED) ||
                      sd_bus_error_has_name(error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED)))
                return 0;
        fprintf(stderr, "hubops-bench: %s was not refused: %s\n", what,
                r >= 0 ? "it succeeded" : error->message ? error->message : strerror(-r));
        return -EIO;
}

static int denied(void *userdata) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        HookRun *h = userdata;
        int r;

        r = sd_bus_call_method(h->bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_HOOKS, "Run", &error, NULL,
                               "s", h->hook);
        return expect_refusal("Hooks.Run", r, &error);
}

static int hostnamed_denied(void *userdata) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        HookRun *h = userdata;
        int r;

        r = sd_bus_call_method(h->bus, HOSTNAMED_NAME, HOSTNAMED_PATH, HOSTNAMED_NAME, "SetPrettyHostname", &error,
                               NULL, "sb", "hubops-bench", 0);
        return expect_refusal("SetPrettyHostname", r, &error);
}

/* ---- load: many calls in flight, every reply checked ---- */

typedef enum LoadKind { LOAD_GETALL, LOAD_LIST_JOBS, LOAD_CAN_RUN, LOAD_DENIED, LOAD_KIND_MAX } LoadKind;

typedef struct Load {
        sd_bus *bus;
        bool hostnamed;
        unsigned to_send, in_flight, failed;
} Load;

typedef struct LoadCall {
        Load *load;
        LoadKind kind;
} LoadCall;

static bool load_reply_ok(const Load *l, LoadKind kind, sd_bus_message *m) {
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *answer, *reason;

        if (l->hostnamed) /* GetAll, then a refused SetPrettyHostname */
                kind = kind % 2 == 0 ? LOAD_GETALL : LOAD_DENIED;
        switch (kind) {
        case LOAD_GETALL:
        case LOAD_LIST_JOBS:
                return !e;
        case LOAD_CAN_RUN: /* the flooding caller is refused: "no" */
                return !e && sd_bus_message_read(m, "ss", &answer, &reason) > 0 && strcmp(answer, "no") == 0;
        default:
                return e && (sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED) ||
                             sd_bus_error_has_name(e, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED));
        }
}

static int load_send(Load *l);

static int on_load_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LoadCall *c = userdata;
        Load *l = c->load;

        (void) error;
        if (!load_reply_ok(l, c->kind, m)) {
                const sd_bus_error *e = sd_bus_message_get_error(m);
                if (l->failed++ == 0)
                        fprintf(stderr, "hubops-bench: load call %d: unexpected reply %s\n", (int) c->kind,
                                e ? e->name : "(success)");
        }
        free(c);
        l->in_flight--;
        return load_send(l) < 0 ? -EIO : 0;
}

static int load_new_call(Load *l, LoadKind kind, sd_bus_message **ret) {
        if (l->hostnamed && kind % 2 == 0)
                return sd_bus_message_new_method_call(l->bus, ret, HOSTNAMED_NAME, HOSTNAMED_PATH,
                                                      "org.freedesktop.DBus.Properties", "GetAll");
        if (l->hostnamed)
                return sd_bus_message_new_method_call(l->bus, ret, HOSTNAMED_NAME, HOSTNAMED_PATH, HOSTNAMED_NAME,
                                                      "SetPrettyHostname");
        if (kind == LOAD_GETALL)
                return sd_bus_message_new_method_call(l->bus, ret, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH,
                                                      "org.freedesktop.DBus.Properties", "GetAll");
        return sd_bus_message_new_method_call(l->bus, ret, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH,
                                              kind == LOAD_DENIED ? HUBOPS_IFACE_HOOKS : HUBOPS_IFACE_MANAGER,
                                              kind == LOAD_LIST_JOBS ? "ListJobs"
                                              : kind == LOAD_CAN_RUN ? "CanRun"
                                                                     : "Run");
}

static int load_append_args(const Load *l, LoadKind kind, sd_bus_message *m) {
        if (l->hostnamed)
                return kind % 2 == 0 ? sd_bus_message_append(m, "s", HOSTNAMED_NAME)
                                     : sd_bus_message_append(m, "sb", "hubops-bench", 0);
        switch (kind) {
        case LOAD_GETALL:
                return sd_bus_message_append(m, "s", HUBOPS_IFACE_MANAGER);
        case LOAD_CAN_RUN:
                return sd_bus_message_append(m, "ss", "hook.run", "noop");
        case LOAD_DENIED:
                return sd_bus_message_append(m, "s", "noop");
        default:
                return 0;
        }
}

static int load_send(Load *l) {
        while (l->to_send > 0 && l->in_flight < LOAD_IN_FLIGHT) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                LoadKind kind = (LoadKind) (l->to_send % LOAD_KIND_MAX);
                LoadCall *c;
                int r;

                r = load_new_call(l, kind, &m);
                if (r >= 0)
                        r = load_append_args(l, kind, m);
                if (r < 0)
                        return r;
                c = calloc(1, sizeof(LoadCall));
                if (!c)
                        return -ENOMEM;
                *c = (LoadCall) { l, kind };
                r = sd_bus_call_async(l->bus, NULL, m, on_load_reply, c, 0);
                if (r < 0) {
                        free(c);
                        return r;
                }
                l->to_send--;
                l->in_flight++;
        }
        return 0;
}

static int bench_load(sd_bus *bus, unsigned n, const char *target) {
        Load l = { .bus = bus, .hostnamed = strcmp(target, "hostnamed") == 0, .to_send = n };
        uint64_t start = now_ns();
        int r;

        r = load_send(&l);
        while (r >= 0 && (l.in_flight > 0 || l.to_send > 0)) {
                r = sd_bus_process(bus, NULL);
                if (r == 0)
                        r = sd_bus_wait(bus, UINT64_MAX);
        }
        if (r < 0) {
                fprintf(stderr, "hubops-bench: load: %s\n", strerror(-r));
                return r;
        }
        printf("load-%s %u %.1f\n", target, n, (double) (now_ns() - start) / 1e9);
        if (l.failed > 0) {
                fprintf(stderr, "hubops-bench: load: %u of %u replies were not the expected ones\n", l.failed, n);
                return -EIO;
        }
        return 0;
}

static int exec_command(void *userdata) {
        Exec *e = userdata;
        posix_spawn_file_actions_t fa;
        int status, r;
        pid_t pid;

        if (posix_spawn_file_actions_init(&fa) != 0)
                return -ENOMEM;
        (void) posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        (void) posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        r = posix_spawnp(&pid, e->argv[0], &fa, NULL, e->argv, environ);
        (void) posix_spawn_file_actions_destroy(&fa);
        if (r != 0) {
                fprintf(stderr, "hubops-bench: cannot run %s: %s\n", e->argv[0], strerror(r));
                return -r;
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "hubops-bench: %s failed (status 0x%x)\n", e->argv[0], (unsigned) status);
                return -EIO;
        }
        return 0;
}

static int bench_hook_run(sd_bus *bus, unsigned n, const char *hook) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_free_ uint64_t *ns = calloc(n, sizeof(uint64_t));
        HookRun h = { .bus = bus, .hook = hook };
        unsigned warmup = n / 10 < WARMUP_MAX ? n / 10 : WARMUP_MAX;
        int r;

        if (!ns)
                return -ENOMEM;
        r = sd_bus_match_signal(bus, &slot, HUBOPS_BUS_NAME, NULL, HUBOPS_IFACE_JOB, "Completed", on_completed, &h);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < warmup + n; i++) {
                uint64_t start = now_ns();
                if (hook_run(&h) < 0)
                        return -EIO;
                if (i >= warmup)
                        ns[i - warmup] = now_ns() - start;
                if (wait_for_job_end(&h) < 0)
                        return -EIO;
        }
        report("hook-run", ns, n);
        return 0;
}

static int bench_bus(const char *mode, unsigned n, const char *arg) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        HookRun h = { .hook = arg };
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "hubops-bench: cannot connect to the system bus: %s\n", strerror(-r));
                return r;
        }
        h.bus = bus;
        if (strcmp(mode, "ping") == 0)
                return measure("ping", n, ping, bus);
        if (strcmp(mode, "polkit") == 0) {
                PolkitCheck p = { bus, HUBOPS_ACTION_HOOK_RUN, true };
                return measure("polkit", n, polkit_check, &p);
        }
        if (strcmp(mode, "polkit-no") == 0) {
                PolkitCheck p = { bus, arg, false };
                char name[128];
                (void) snprintf(name, sizeof(name), "polkit-no:%s", arg);
                return measure(name, n, polkit_check, &p);
        }
        if (strcmp(mode, "can-run") == 0)
                return measure("can-run", n, can_run, &h);
        if (strcmp(mode, "denied") == 0)
                return measure("denied", n, denied, &h);
        if (strcmp(mode, "hostnamed-denied") == 0)
                return measure("hostnamed-denied", n, hostnamed_denied, &h);
        if (strcmp(mode, "load") == 0)
                return bench_load(bus, n, arg);
        return bench_hook_run(bus, n, arg);
}

static bool mode_known(const char *mode) {
        static const char *const modes[] = { "ping", "polkit", "polkit-no", "hook-run", "can-run", "denied",
                                             "hostnamed-denied", "load", "exec" };

        for (size_t i = 0; i < ELEMENTSOF(modes); i++)
                if (strcmp(mode, modes[i]) == 0)
                        return true;
        return false;
}

int main(int argc, char *argv[]) {
        const char *mode;
        unsigned n;
        int r;

        if (argc > 1 && strcmp(argv[1], "--samples") == 0) {
                print_samples = true;
                argc--, argv++;
        }
        mode = argc > 2 ? argv[1] : "";
        n = argc > 2 ? (unsigned) strtoul(argv[2], NULL, 10) : 0;

        if (n == 0 || !mode_known(mode) || ((strcmp(mode, "exec") == 0 || strcmp(mode, "load") == 0 || strcmp(mode, "polkit-no") == 0) &&
                                          argc < 4)) {
                fprintf(stderr, "Usage: hubops-bench [--samples] ping|polkit|hostnamed-denied N\n"
                                "       hubops-bench [--samples] hook-run|can-run|denied N [HOOK]\n"
                                "       hubops-bench [--samples] polkit-no N ACTION\n"
                                "       hubops-bench load N hubopsd|hostnamed\n"
                                "       hubops-bench [--samples] exec N COMMAND [ARG...]\n");
                return 2;
        }
        if (strcmp(mode, "exec") == 0) {
                Exec e = { .argv = argv + 3 };
                const char *slash = strrchr(argv[3], '/');
                r = measure(slash ? slash + 1 : argv[3], n, exec_command, &e);
        } else
                r = bench_bus(mode, n, argc > 3 ? argv[3] : "noop");
        return r < 0 ? 1 : 0;
}
