/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hubopsd: the per-host privileged helper. It owns org.hubops.Helper1 on the
 * system bus, checks every privileged call with polkit, writes an audit
 * record for it, and has systemd run the configured command. It never runs
 * anything a caller names. */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/capability.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "audit.h"
#include "authz.h"
#include "caps.h"
#include "config.h"
#include "context.h"
#include "hubops-bus.h"
#include "iface-directory.h"
#include "health-sampler.h"
#include "iface-hooks.h"
#include "op-table.h"
#include "iface-manager.h"
#include "iface-rebuild.h"
#include "iface-service.h"
#include "directory.h"
#include "job-record.h"
#include "job.h"
#include "rebuild.h"
#include "unit-run.h"
#include "log.h"
#include "macro.h"
#include "run-claim.h"
#include "systemd-client.h"

/* Exit codes, as documented in hubopsd(8) and the README. */
enum {
        EXIT_OK = 0,
        EXIT_RUNTIME = 1,     /* bus, event loop or other runtime failure */
        EXIT_USAGE = 2,       /* bad command line */
        EXIT_CONFIG = 3,      /* configuration refused (unsafe file, syntax, unknown key, ...) */
};

typedef struct Options {
        const char *config_path;
        bool check_only;
} Options;

/* SIGTERM, SIGINT: answer every caller still waiting for polkit while the
 * bus is up (leaving the loop closes it), then leave the loop. */
static int on_stop_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Context *c = userdata;

        (void) si;
        authz_checks_abort_all(c);
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static void context_done(Context *c) {
        authz_checks_abort_all(c); /* any left (the loop ended otherwise): their callers are gone with the bus */
        directory_unregister(c);
        health_stop(c);
        jobs_free_all(c);
        c->systemd_resync = sd_event_source_disable_unref(c->systemd_resync);
        systemd_disconnect(c);
        systemd_watches_free(c);
        /* What was in progress goes on under systemd; only our state for it goes. */
        unit_ops_free_all(c);
        directory_ops_free(c);
        if (c->bus)
                c->bus = sd_bus_flush_close_unref(c->bus);
        c->event = sd_event_unref(c->event);
        audit_close(c->audit);
        config_free(c->config);
}

static void help(void) {
        printf("Usage: hubopsd [OPTIONS]\n\n"
               "The hubops privileged helper (org.hubops.Helper1 on the system bus).\n\n"
               "  -c, --config FILE   helper configuration (default " HELPER_CONFIG_DEFAULT ")\n"
               "      --check-config  validate the configuration and exit\n"
               "  -h, --help          show this help\n"
               "      --version       show the version\n\n"
               "Exit status: 0 clean exit, 1 runtime failure, 2 usage error,\n"
               "3 configuration refused (unsafe ownership/mode, syntax, unknown key, ...).\n");
}

static int parse_argv(int argc, char *argv[], Options *o) {
        enum { ARG_CHECK = 0x100, ARG_VERSION };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "check-config", no_argument, NULL, ARG_CHECK },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { 0 },
        };
        int opt;

        while ((opt = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
                switch (opt) {
                case 'c':
                        o->config_path = optarg;
                        break;
                case ARG_CHECK:
                        o->check_only = true;
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("hubopsd %s\n", HUBOPS_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                log_error("hubopsd: unexpected argument \"%s\"", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

static int prepare_files(Context *c) {
        const AuditLimits limits = {
                .refusal_burst = c->config->audit_refusal_burst,
                .refusal_interval_usec = c->config->audit_refusal_interval_usec,
                .reserve_bytes = c->config->audit_reserve_bytes,
        };
        int r;

        if (mkdir(c->config->state_directory, 0700) < 0 && errno != EEXIST) {
                r = -errno;
                return log_error_errno(r, "hubopsd: cannot create %s: %m", c->config->state_directory);
        }
        /* systemd appends the jobs' output there but creates no directory. */
        if (c->config->job_log_directory && mkdir(c->config->job_log_directory, 0750) < 0 && errno != EEXIST) {
                r = -errno;
                return log_error_errno(r, "hubopsd: cannot create %s: %m", c->config->job_log_directory);
        }
        r = jobs_load_last_id(c);
        if (r < 0) {
                return log_error_errno(r, "hubopsd: cannot read %s/last-job-id: %m", c->config->state_directory);
        }
        /* The jobs a previous hubopsd left running, under their ids (which
         * needs the last id, above); a malformed record refuses start-up. */
        r = job_records_load(c);
        if (r < 0)
                return r;
        /* A malformed claim is refused, not dropped: dropping it would let a
         * second run start over a half-done one. */
        r = run_claim_load(c);
        if (r < 0) {
                return log_error_errno(r, "hubopsd: cannot read %s/run-claim.json: %m", c->config->state_directory);
        }
        r = audit_open(c->config->audit_log, c->config->hostname, &c->audit);
        if (r < 0) {
                return log_error_errno(r, "hubopsd: cannot open audit log %s: %m", c->config->audit_log);
        }
        r = audit_set_limits(c->audit, &limits);
        if (r < 0)
                log_error_errno(r, "hubopsd: cannot set the audit log's limits: %m");
        return r;
}

static int setup_bus(Context *c) {
        int r;

        r = sd_bus_open_system(&c->bus);
        if (r < 0)
                return log_error_errno(r, "hubopsd: cannot connect to the system bus: %m");
        r = sd_bus_attach_event(c->bus, c->event, SD_EVENT_PRIORITY_NORMAL);
        /* Off the bus nobody can reach us: exit (the loop returns EXIT_FAILURE)
         * so that systemd restarts us, rather than live on unreachable. */
        if (r >= 0)
                r = sd_bus_set_exit_on_disconnect(c->bus, true);
        if (r >= 0)
                r = op_table_register_objects(c);
        /* The sampler behind the Health interface (registered with health.probe's row). */
        if (r >= 0)
                r = health_start(c);
        if (r < 0)
                return log_error_errno(r, "hubopsd: cannot register objects: %m");
        return 0;
}

/* Everything that runs goes through systemd, so the helper itself needs no
 * capability for hooks or services. Only the directory's leftover root
 * process is signalled by the helper: CAP_KILL to signal it, CAP_SYS_PTRACE
 * to read /proc/PID/exe of a process with more capabilities than ours. */
static uint64_t capabilities_needed(const HelperConfig *config) {
        if (config->directory.present)
                return (1ULL << CAP_KILL) | (1ULL << CAP_SYS_PTRACE);
        return 0;
}

/* The unit and the configuration must agree on capabilities (the shipped
 * unit grants none; a directory host's drop-in grants exactly what a
 * [Directory] needs): say which side to fix when they do not. */
static int reduce_capabilities(uint64_t need) {
        _cleanup_free_ char *need_s = caps_describe(need), *held_s = NULL;
        uint64_t p = 0, e, i;
        int r;

        r = caps_reduce_to(need);
        if (r >= 0)
                return 0;
        (void) caps_current(&p, &e, &i);
        held_s = caps_describe(p);
        if (r == -ENOTRECOVERABLE)
                log_error("hubopsd: the configuration needs capabilities %s (a [Directory]), but this process holds "
                          "only %s: grant them in the unit (hubopsd.service.d/directory.conf, see README)",
                          need_s ? need_s : "?", held_s ? held_s : "?");
        else
                log_error_errno(r,
                                "hubopsd: cannot reduce capabilities %s to %s: %m (under the shipped unit, remove from "
                                "CapabilityBoundingSet= what the configuration does not use)",
                                held_s ? held_s : "?", need_s ? need_s : "?");
        return r;
}

static int run(int argc, char *argv[]) {
        _cleanup_(context_done) Context c = { 0 };
        _cleanup_free_ char *error = NULL, *caps = NULL;
        Options o = { .config_path = HELPER_CONFIG_DEFAULT };
        const char *level = getenv("HUBOPS_LOG_LEVEL");
        int r;

        /* error, warning, info (the default) or debug. */
        if (level && log_level_from_string(level) >= 0)
                log_set_max_level((LogLevel) log_level_from_string(level));
        r = parse_argv(argc, argv, &o);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_OK;

        r = config_load(o.config_path, &c.config, &error);
        if (r < 0) {
                log_error("hubopsd: %s", error ? error : strerror(-r));
                return EXIT_CONFIG;
        }
        if (o.check_only) {
                printf("%s: OK (%zu hooks)\n", o.config_path, c.config->n_hooks);
                return EXIT_OK;
        }

        r = prepare_files(&c);
        if (r < 0)
                return EXIT_RUNTIME;

        r = sd_event_default(&c.event);
        if (r >= 0) {
                sigset_t ss;
                (void) sigemptyset(&ss);
                (void) sigaddset(&ss, SIGTERM);
                (void) sigaddset(&ss, SIGINT);
                r = sigprocmask(SIG_BLOCK, &ss, NULL) < 0 ? -errno : 0;
        }
        /* WatchdogSec= in the unit: sd-event pings WATCHDOG=1 while the loop turns. */
        if (r >= 0)
                r = sd_event_set_watchdog(c.event, true);
        if (r >= 0)
                r = sd_event_add_signal(c.event, NULL, SIGTERM, on_stop_signal, &c);
        if (r >= 0)
                r = sd_event_add_signal(c.event, NULL, SIGINT, on_stop_signal, &c);
        /* Refusals' records are fsync'd in batches on this loop (audit.h). */
        if (r >= 0)
                r = audit_attach_event(c.audit, c.event);
        if (r < 0) {
                log_error_errno(r, "hubopsd: cannot set up the event loop: %m");
                return EXIT_RUNTIME;
        }

        if (setup_bus(&c) < 0)
                return EXIT_RUNTIME;

        /* Drop privilege before the first caller can reach us. */
        r = reduce_capabilities(capabilities_needed(c.config));
        if (r < 0)
                return EXIT_RUNTIME;

        r = sd_bus_request_name(c.bus, HUBOPS_BUS_NAME, 0);
        if (r < 0) {
                log_error_errno(r, "hubopsd: cannot own %s: %m", HUBOPS_BUS_NAME);
                return EXIT_RUNTIME;
        }

        /* Before serving: what our predecessor left running is ours again,
         * followed to its end, or reported as interrupted. */
        op_table_restore_all(&c);

        caps = caps_describe(capabilities_needed(c.config));
        log_info("hubopsd %s on %s: ready, %zu hooks, capabilities kept: %s", HUBOPS_VERSION, c.config->hostname,
                 c.config->n_hooks, caps ? caps : "?");
        (void) sd_notify(false, "READY=1\nSTATUS=Serving org.hubops.Helper1");

        r = sd_event_loop(c.event);
        (void) sd_notify(false, "STOPPING=1");
        if (r < 0) {
                log_error_errno(r, "hubopsd: event loop failed: %m");
                return EXIT_RUNTIME;
        }
        if (r != 0) {
                log_error("hubopsd: lost the connection to the system bus, exiting");
                return EXIT_RUNTIME;
        }
        return EXIT_OK;
}

int main(int argc, char *argv[]) {
        return run(argc, argv);
}
