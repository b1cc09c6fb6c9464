/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The load half of tests/integration/test-stress.sh: many clients at once
 * against one hubopsd while another caller floods it with requests it must
 * refuse. Every reply is checked; what the audit log must then hold is
 * checked by the script from what this prints.
 *
 *   hubops-stress clients N M H HOSTNAME ROLES
 *       N processes, each on a bus connection of its own, start together and
 *       make M calls each, one after another: H of them Hooks.Run noop
 *       (each followed to its job's Completed signal, which must say
 *       "success"), the rest a fixed mix of Manager.CanRun hook.run noop
 *       (polkit must say yes), Properties.GetAll of the Manager (Version,
 *       Hostname, ROLES: space-separated, CurrentRun unclaimed),
 *       Manager.ListJobs (well-formed, bounded), Hooks.List and Peer.Ping.
 *       Prints "job PATH" for every job started, per process "client NAME
 *       calls=M hooks=H failed=F" (F calls got a wrong reply, each
 *       described on stderr), and at the end "clients N calls=T failed=P"
 *       (P processes saw a wrong reply or failed).
 *   hubops-stress flood W [COUNT [HOOK]]
 *       Hooks.Run noop (or HOOK) with W calls always in flight, until COUNT
 *       are sent or, without COUNT, until EOF on stdin; then collects the
 *       replies still due. Each must be AccessDenied naming the polkit
 *       action ("denied": polkit said no) or TooManyRequests ("refused": the
 *       outsider already had its share of checks in flight, so hubopsd did
 *       not ask polkit; the message says so); for a HOOK that is not
 *       configured, NotConfigured naming it ("refused" too: polkit is not
 *       asked either). Prints "flooding NAME" at the first denial, "refused
 *       NAME" at the first refusal, and at the end "flood NAME sent=S
 *       denied=D refused=R other=O".
 *
 * Both use the system bus, $DBUS_SYSTEM_BUS_ADDRESS (a lab host's bus). The
 * flood is stress-flood.c.
 * Exit status: 0 every reply was the expected one, 1 a reply was wrong or a
 * call failed, 2 usage. */

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "clock.h"
#include "hubops-bus.h"
#include "macro.h"
#include "stress.h"

#define HOOK_DESCRIPTION "Do nothing, successfully"
#define PEER_IFACE "org.freedesktop.DBus.Peer"
#define PROPERTIES_IFACE "org.freedesktop.DBus.Properties"
/* helper/job.c keeps this many finished jobs; ListJobs may add the running ones. */
#define JOBS_FINISHED_KEPT 64
/* A noop hook ends in milliseconds; this only turns a lost signal into a message instead of a hang. */
#define JOB_END_DEADLINE_USEC (120ULL * USEC_PER_SEC)
#define CLIENTS_MAX 1024

typedef struct Client {
        sd_bus *bus;
        const char *hostname;
        const char *roles; /* space-separated, as expected in Roles */
        unsigned n_clients;
        unsigned index;
        unsigned call;
        unsigned errors;
        const char *waiting_for; /* the job whose Completed signal we wait for */
        char result[64];         /* its result, once it came */
        unsigned completions;    /* Completed signals seen for waiting_for */
} Client;

typedef int (*check_t)(Client *c);

_printf_(3, 4) static int wrong(Client *c, const char *what, const char *fmt, ...) {
        va_list ap;

        if (++c->errors <= ERRORS_SHOWN) {
                fprintf(stderr, "hubops-stress: client %u, call %u, %s: ", c->index, c->call, what);
                va_start(ap, fmt);
                vfprintf(stderr, fmt, ap);
                va_end(ap);
                fputc('\n', stderr);
        } else if (c->errors == ERRORS_SHOWN + 1)
                fprintf(stderr, "hubops-stress: client %u: further wrong replies not shown\n", c->index);
        return -EBADMSG;
}

static int call_failed(Client *c, const char *what, const sd_bus_error *error, int r) {
        return wrong(c, what, "expected a reply, got %s: %s", error->name ? error->name : "no error name",
                     error->message ? error->message : strerror(-r));
}

/* Dispatch what has arrived (signals for other clients' jobs, mostly) so it never piles up. */
static int drain(sd_bus *bus) {
        int r;

        while ((r = sd_bus_process(bus, NULL)) > 0)
                ;
        return r;
}

static int call_method(Client *c, const char *iface, const char *member, sd_bus_error *error,
                       sd_bus_message **ret_reply, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(c->bus, &m, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, iface, member);
        if (r < 0)
                return r;
        va_start(ap, types);
        r = types ? sd_bus_message_appendv(m, types, ap) : 0;
        va_end(ap);
        if (r < 0)
                return r;
        return sd_bus_call(c->bus, m, 0, error, ret_reply);
}

static int check_ping(Client *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = call_method(c, PEER_IFACE, "Ping", &error, NULL, NULL);

        return r < 0 ? call_failed(c, "Peer.Ping", &error, r) : 0;
}

static int check_can_run(Client *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *answer, *reason;
        int r;

        r = call_method(c, HUBOPS_IFACE_MANAGER, "CanRun", &error, &reply, "ss", "hook.run", HOOK);
        if (r < 0)
                return call_failed(c, "Manager.CanRun", &error, r);
        r = sd_bus_message_read(reply, "ss", &answer, &reason);
        if (r < 0)
                return wrong(c, "Manager.CanRun", "unreadable reply: %s", strerror(-r));
        if (strcmp(answer, "yes") != 0 || strcmp(reason, "authorized by polkit") != 0)
                return wrong(c, "Manager.CanRun", "expected (yes, authorized by polkit), got (%s, %s)", answer, reason);
        return 0;
}

static int check_hooks_list(Client *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *name, *description;
        bool found = false;
        int r;

        r = call_method(c, HUBOPS_IFACE_HOOKS, "List", &error, &reply, NULL);
        if (r < 0)
                return call_failed(c, "Hooks.List", &error, r);
        r = sd_bus_message_enter_container(reply, 'a', "(ss)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(ss)", &name, &description)) > 0)
                found = found || (strcmp(name, HOOK) == 0 && strcmp(description, HOOK_DESCRIPTION) == 0);
        if (r < 0)
                return wrong(c, "Hooks.List", "unreadable reply: %s", strerror(-r));
        if (!found)
                return wrong(c, "Hooks.List", "expected (%s, %s) among the hooks, it is not", HOOK, HOOK_DESCRIPTION);
        return 0;
}

static int check_job_entry(Client *c, uint64_t id, const char *operation, const char *subject, const char *state,
                           const char *path) {
        char expected[128];

        (void) snprintf(expected, sizeof(expected), HUBOPS_JOB_PATH_PREFIX "/%llu", (unsigned long long) id);
        if (id == 0 || strcmp(path, expected) != 0)
                return wrong(c, "Manager.ListJobs", "job %llu at %s, expected it at %s", (unsigned long long) id, path,
                             expected);
        /* Only the clients start jobs here, and only hook noop, which always succeeds. */
        if (strcmp(operation, "hook.run") != 0 || strcmp(subject, HOOK) != 0 ||
            (strcmp(state, HUBOPS_JOB_RUNNING) != 0 && strcmp(state, HUBOPS_JOB_DONE) != 0))
                return wrong(c, "Manager.ListJobs",
                             "job %llu is (%s, %s, %s), expected (hook.run, " HOOK ", running or done)",
                             (unsigned long long) id, operation, subject, state);
        return 0;
}

static int check_list_jobs(Client *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *operation, *subject, *state, *path;
        unsigned n = 0;
        uint64_t id;
        int r;

        r = call_method(c, HUBOPS_IFACE_MANAGER, "ListJobs", &error, &reply, NULL);
        if (r < 0)
                return call_failed(c, "Manager.ListJobs", &error, r);
        r = sd_bus_message_enter_container(reply, 'a', "(tssso)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(tssso)", &id, &operation, &subject, &state, &path)) > 0) {
                n++;
                r = check_job_entry(c, id, operation, subject, state, path);
        }
        if (r == -EBADMSG)
                return r;
        if (r < 0)
                return wrong(c, "Manager.ListJobs", "unreadable reply: %s", strerror(-r));
        /* Finished jobs are pruned: the list (and the helper's memory) must not grow with the calls. */
        if (n > JOBS_FINISHED_KEPT + c->n_clients)
                return wrong(c, "Manager.ListJobs", "%u jobs, expected at most %u finished and %u running", n,
                             JOBS_FINISHED_KEPT, c->n_clients);
        return 0;
}

static int expect_string(Client *c, sd_bus_message *reply, const char *property, const char *expected) {
        const char *s;
        int r = sd_bus_message_read(reply, "v", "s", &s);

        if (r < 0)
                return wrong(c, "Properties.GetAll", "%s unreadable: %s", property, strerror(-r));
        if (strcmp(s, expected) != 0)
                return wrong(c, "Properties.GetAll", "%s is \"%s\", expected \"%s\"", property, s, expected);
        return 0;
}

static int expect_roles(Client *c, sd_bus_message *reply) {
        char got[256] = "";
        const char *role;
        int r;

        r = sd_bus_message_enter_container(reply, 'v', "as");
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "s");
        while (r >= 0 && (r = sd_bus_message_read(reply, "s", &role)) > 0)
                (void) snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", got[0] ? " " : "", role);
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return wrong(c, "Properties.GetAll", "Roles unreadable: %s", strerror(-r));
        if (strcmp(got, c->roles) != 0)
                return wrong(c, "Properties.GetAll", "Roles are \"%s\", expected \"%s\"", got, c->roles);
        return 0;
}

static int expect_unclaimed(Client *c, sd_bus_message *reply) {
        const char *run_id, *owner, *description;
        uint32_t uid;
        uint64_t since;
        int r = sd_bus_message_read(reply, "v", "(ssuts)", &run_id, &owner, &uid, &since, &description);

        if (r < 0)
                return wrong(c, "Properties.GetAll", "CurrentRun unreadable: %s", strerror(-r));
        if (run_id[0] || owner[0] || uid != 0 || since != 0 || description[0])
                return wrong(c, "Properties.GetAll", "CurrentRun is (%s, %s, %u, %llu, %s), expected no run", run_id,
                             owner, uid, (unsigned long long) since, description);
        return 0;
}

/* Each of the four properties checked sets its bit in *seen. */
static int check_property(Client *c, sd_bus_message *reply, const char *name, unsigned *seen) {
        static const char *const checked[] = { "Version", "Hostname", "Roles", "CurrentRun" };

        for (unsigned i = 0; i < ELEMENTSOF(checked); i++)
                if (strcmp(name, checked[i]) == 0)
                        *seen |= 1U << i;
        if (strcmp(name, "Version") == 0)
                return expect_string(c, reply, name, HUBOPS_VERSION);
        if (strcmp(name, "Hostname") == 0)
                return expect_string(c, reply, name, c->hostname);
        if (strcmp(name, "Roles") == 0)
                return expect_roles(c, reply);
        if (strcmp(name, "CurrentRun") == 0)
                return expect_unclaimed(c, reply);
        return sd_bus_message_skip(reply, "v");
}

static int check_properties(Client *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *name;
        unsigned seen = 0;
        int r;

        r = call_method(c, PROPERTIES_IFACE, "GetAll", &error, &reply, "s", HUBOPS_IFACE_MANAGER);
        if (r < 0)
                return call_failed(c, "Properties.GetAll", &error, r);
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                r = sd_bus_message_read(reply, "s", &name);
                if (r >= 0)
                        r = check_property(c, reply, name, &seen);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r == -EBADMSG)
                return r;
        if (r < 0)
                return wrong(c, "Properties.GetAll", "unreadable reply: %s", strerror(-r));
        if (seen != 15U)
                return wrong(c, "Properties.GetAll", "expected Version, Hostname, Roles and CurrentRun, got only %#x",
                             seen);
        return 0;
}

static int on_completed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Client *c = userdata;
        const char *result;

        (void) ret_error;
        if (!c->waiting_for || strcmp(sd_bus_message_get_path(m), c->waiting_for) != 0)
                return 0;
        if (sd_bus_message_read(m, "s", &result) < 0)
                result = "(unreadable)";
        (void) snprintf(c->result, sizeof(c->result), "%s", result);
        c->completions++;
        return 0;
}

/* The reply (the job's path) always reaches us before the job's Completed
 * signal, both coming from hubopsd in that order; so the signal is dispatched
 * only after waiting_for names the job. */
static int wait_for_job_end(Client *c, const char *job) {
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + JOB_END_DEADLINE_USEC;
        int r;

        c->waiting_for = job;
        c->completions = 0;
        while (c->completions == 0) {
                uint64_t now = now_usec(CLOCK_MONOTONIC);
                if (now >= deadline)
                        break;
                r = sd_bus_process(c->bus, NULL);
                if (r < 0)
                        return wrong(c, "Hooks.Run", "bus failed while waiting for %s: %s", job, strerror(-r));
                if (r == 0 && (r = sd_bus_wait(c->bus, deadline - now)) < 0 && r != -EINTR)
                        return wrong(c, "Hooks.Run", "bus failed while waiting for %s: %s", job, strerror(-r));
        }
        c->waiting_for = NULL;
        if (c->completions == 0)
                return wrong(c, "Hooks.Run", "no Completed signal for %s within %llu s", job,
                             (unsigned long long) (JOB_END_DEADLINE_USEC / USEC_PER_SEC));
        if (strcmp(c->result, "success") != 0)
                return wrong(c, "Hooks.Run", "job %s ended \"%s\", expected \"success\"", job, c->result);
        return 0;
}

static int run_hook(Client *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *job;
        int r;

        r = call_method(c, HUBOPS_IFACE_HOOKS, "Run", &error, &reply, "s", HOOK);
        if (r < 0)
                return call_failed(c, "Hooks.Run", &error, r);
        r = sd_bus_message_read(reply, "o", &job);
        if (r < 0)
                return wrong(c, "Hooks.Run", "unreadable reply: %s", strerror(-r));
        if (strncmp(job, HUBOPS_JOB_PATH_PREFIX "/", strlen(HUBOPS_JOB_PATH_PREFIX "/")) != 0)
                return wrong(c, "Hooks.Run", "job path %s is not under " HUBOPS_JOB_PATH_PREFIX, job);
        /* Printed before the wait: a job started is a job the audit log must show. */
        printf("job %s\n", job);
        return wait_for_job_end(c, job);
}

/* The calls between hooks, in turn: one in sixteen asks polkit (CanRun;
 * polkitd, busy with the flood too, is the slow part of the machine), the
 * rest are the reads a status display makes. */
static const check_t call_mix[] = {
        check_can_run, check_properties, check_list_jobs, check_properties, check_hooks_list, check_properties,
        check_ping,    check_properties, check_list_jobs, check_properties, check_hooks_list, check_properties,
        check_ping,    check_properties, check_list_jobs, check_properties,
};

static int client_connect(Client *c) {
        int r;

        r = sd_bus_open_system(&c->bus);
        if (r < 0) {
                fprintf(stderr, "hubops-stress: client %u: cannot connect to the system bus: %s\n", c->index,
                        strerror(-r));
                return r;
        }
        r = sd_bus_match_signal(c->bus, NULL, HUBOPS_BUS_NAME, NULL, HUBOPS_IFACE_JOB, "Completed", on_completed, c);
        if (r < 0)
                fprintf(stderr, "hubops-stress: client %u: cannot subscribe to Completed: %s\n", c->index,
                        strerror(-r));
        return r;
}

static int client_run(Client *c, unsigned calls, unsigned hooks, int start_fd) {
        unsigned every = hooks > 0 ? calls / hooks : 0, hooks_run = 0, failed = 0;
        const char *name = NULL;
        char byte;
        int r;

        r = client_connect(c);
        if (r < 0)
                return r;
        /* Start together: the parent closes the pipe once all are forked. */
        while (read(start_fd, &byte, 1) < 0 && errno == EINTR)
                ;
        for (c->call = 0; c->call < calls; c->call++) {
                bool hook = every > 0 && hooks_run < hooks && c->call % every == every / 2;
                r = hook ? run_hook(c) : call_mix[c->call % ELEMENTSOF(call_mix)](c);
                hooks_run += hook;
                failed += r < 0;
                if (drain(c->bus) < 0)
                        return wrong(c, "bus", "the connection failed");
        }
        (void) sd_bus_get_unique_name(c->bus, &name);
        printf("client %s calls=%u hooks=%u failed=%u\n", name ? name : "?", calls, hooks_run, failed);
        return failed > 0 ? -EBADMSG : 0;
}

static int client_child(const Client *template, unsigned index, unsigned calls, unsigned hooks, int start_fd) {
        Client c = *template;
        int r;

        c.index = index;
        r = client_run(&c, calls, hooks, start_fd);
        c.bus = sd_bus_flush_close_unref(c.bus);
        if (fflush(stdout) != 0)
                r = -EIO;
        return r < 0 ? 1 : 0;
}

static int wait_children(const pid_t *pids, unsigned n) {
        unsigned failed = 0;

        for (unsigned i = 0; i < n; i++) {
                int status;
                while (waitpid(pids[i], &status, 0) < 0)
                        if (errno != EINTR)
                                return -errno;
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        fprintf(stderr, "hubops-stress: client %u failed (wait status 0x%x)\n", i, (unsigned) status);
                        failed++;
                }
        }
        return (int) failed;
}

static int run_clients(unsigned n, unsigned calls, unsigned hooks, const char *hostname, const char *roles) {
        _cleanup_free_ pid_t *pids = calloc(n, sizeof(pid_t));
        const Client template = { .hostname = hostname, .roles = roles, .n_clients = n };
        int start[2], failed;
        unsigned forked = 0;

        if (!pids || pipe(start) < 0)
                return -ENOMEM;
        if (fflush(stdout) != 0)
                return -EIO;
        for (; forked < n; forked++) {
                pid_t pid = fork();
                if (pid < 0)
                        break;
                if (pid == 0) {
                        (void) close(start[1]);
                        _exit(client_child(&template, forked, calls, hooks, start[0]));
                }
                pids[forked] = pid;
        }
        (void) close(start[0]);
        (void) close(start[1]); /* go */
        failed = wait_children(pids, forked);
        if (failed < 0 || forked < n) {
                fprintf(stderr, "hubops-stress: could not run all %u clients\n", n);
                return -ECHILD;
        }
        printf("clients %u calls=%llu failed=%d\n", n, (unsigned long long) n * calls, failed);
        return failed > 0 ? -EBADMSG : 0;
}

static bool parse_unsigned(const char *s, unsigned min, unsigned max, unsigned *ret) {
        unsigned long v;
        char *end;

        if (!s || s[0] < '0' || s[0] > '9')
                return false;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || *end != '\0' || v < min || v > max)
                return false;
        *ret = (unsigned) v;
        return true;
}

int main(int argc, char *argv[]) {
        unsigned n, calls, hooks, window, count = 0;
        int r;

        if (argc == 7 && strcmp(argv[1], "clients") == 0 && parse_unsigned(argv[2], 1, CLIENTS_MAX, &n) &&
            parse_unsigned(argv[3], 1, UINT_MAX / CLIENTS_MAX, &calls) && parse_unsigned(argv[4], 0, calls, &hooks))
                r = run_clients(n, calls, hooks, argv[5], argv[6]);
        else if (argc >= 3 && argc <= 5 && strcmp(argv[1], "flood") == 0 &&
                 parse_unsigned(argv[2], 1, WINDOW_MAX, &window) &&
                 (argc == 3 || parse_unsigned(argv[3], 1, UINT_MAX, &count)))
                r = run_flood(window, count, argc == 5 ? argv[4] : HOOK);
        else {
                fprintf(stderr,
                        "Usage: hubops-stress clients N CALLS HOOKS HOSTNAME ROLES\n"
                        "       hubops-stress flood WINDOW [COUNT [HOOK]]\n");
                return 2;
        }
        return r < 0 ? 1 : 0;
}
