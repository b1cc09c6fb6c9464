/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hubopsctl runbook start|list|show|resume|abandon, and rebuild-tables HUB
 * (runbook start rebuild-tables HUB). */
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-id128.h>
#include <unistd.h>

#include "clock.h"
#include "commands.h"
#include "events.h"
#include "executor.h"
#include "exit-codes.h"
#include "output.h"
#include "preflight.h"
#include "report.h"
#include "run-store.h"

/* What an interrupted client says on its way out, prepared in advance:
 * a signal handler may only write(). The state file is always whole
 * (write-then-rename), so dying anywhere is safe. */
static char interrupt_text[512];

static void on_interrupt(int sig) {
        ssize_t n = write(STDOUT_FILENO, interrupt_text, strlen(interrupt_text));
        (void) n;
        _exit(128 + sig);
}

static void catch_interrupts(const Run *r) {
        struct sigaction sa = { .sa_handler = on_interrupt };

        if (output.json)
                (void) snprintf(
                        interrupt_text, sizeof(interrupt_text),
                        "{\"event\":\"interrupted\",\"run\":\"%s\",\"resume\":\"hubopsctl runbook resume %s%s\"}\n",
                        r->id, r->id, output_resume_yes());
        else
                (void) snprintf(interrupt_text, sizeof(interrupt_text),
                                "\nInterrupted. Jobs already started go on; nothing else is done.\n"
                                "Continue with: hubopsctl runbook resume %s%s\n",
                                r->id, output_resume_yes());
        (void) sigemptyset(&sa.sa_mask);
        (void) sigaction(SIGINT, &sa, NULL);
        (void) sigaction(SIGTERM, &sa, NULL);
        (void) sigaction(SIGHUP, &sa, NULL);
}

static int load_site(const Invocation *inv, SiteConfig **ret) {
        _cleanup_free_ char *err = NULL;
        int r = site_config_load(inv->site, ret, &err);

        if (r < 0)
                return output_error(r == -ENOENT ? EXIT_NOT_CONFIGURED : EXIT_USAGE, "%s", err ? err : strerror(-r));
        return EXIT_OK;
}

/* On a terminal, show the plan and ask; elsewhere insist on --yes rather than hang on a prompt. */
static int confirm(const Invocation *inv, const Run *r, const char *what) {
        char answer[16];

        if (inv->run.yes)
                return EXIT_OK;
        if (output.json || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
                return output_error(EXIT_USAGE,
                                    "Refusing to %s without confirmation: not on a terminal. "
                                    "Check the plan with --dry-run, then pass --yes",
                                    what);
        printf("\n%s %s on %s as planned above? [y/N] ", what, r->runbook, run_target(r));
        (void) fflush(stdout);
        if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
                return output_error(EXIT_FAILED, "Not confirmed; nothing was changed");
        return EXIT_OK;
}

/* DATE-TIME-TARGET-XXXX: sorts by time, says what it is, and two runs
 * started in the same second (two operators at once) still differ. */
static void new_run_id(Run *r) {
        time_t t = time(NULL);
        struct tm tm;
        char stamp[32] = "0";
        sd_id128_t rnd = SD_ID128_NULL;

        if (localtime_r(&t, &tm))
                (void) strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
        (void) sd_id128_randomize(&rnd);
        (void) snprintf(r->id, sizeof(r->id), "%.15s-%.40s-%02x%02x", stamp, run_target(r), rnd.bytes[0], rnd.bytes[1]);
}

static void set_owner(Run *r) {
        struct passwd *pw = getpwuid(getuid());

        r->uid = (uint32_t) getuid();
        (void) snprintf(r->owner, sizeof(r->owner), "%s", pw ? pw->pw_name : "?");
}

/* One hubopsctl per run at a time: the lock says a run is live, not interrupted. */
static int lock_run(const Run *r) {
        pid_t holder = 0;
        int fd, k = run_lock(r->id, &fd, &holder);

        if (k == -EBUSY)
                return output_error(EXIT_BUSY, "Run %s is being executed by another hubopsctl (pid %d)", r->id,
                                    (int) holder);
        if (k < 0)
                return output_error(EXIT_FAILED, "Cannot lock the run's state file: %s", strerror(-k));
        (void) fd; /* held until this process exits, however it exits */
        return EXIT_OK;
}

/* Preflight, confirmation, claim, the steps. fresh: save the new run first,
 * so a claim is never left without the run that owns it. */
static int execute(Exec *x, const Invocation *inv) {
        int code;

        output.timestamps = !output.tty;
        x->opts = inv->run;
        code = preflight_run(x);
        if (code != EXIT_OK || inv->run.dry_run)
                return code;
        code = confirm(inv, x->run, x->fresh ? "Run" : "Resume");
        if (code != EXIT_OK)
                return code;
        if (x->fresh) {
                int k = run_save(x->run);
                if (k < 0)
                        return output_error(EXIT_FAILED, "Cannot write the run's state file: %s", strerror(-k));
        }
        code = lock_run(x->run);
        if (code != EXIT_OK)
                return code;
        catch_interrupts(x->run);
        code = site_claim(x);
        if (code != EXIT_OK) {
                if (x->fresh)
                        (void) run_delete(x->run->id);
                return code;
        }
        if (x->fresh)
                events_emit(x, NULL, "run-started", "Run %s started (state: hubopsctl runbook show %s)", x->run->id,
                            x->run->id);
        return executor_run(x);
}

static int required_params(const RunbookDef *def) {
        int n = 0;

        while ((size_t) n < def->n_params && !def->params[n].default_value)
                n++;
        return n;
}

static int usage_start(const RunbookDef *def, bool alias) {
        char args[160] = "";

        for (size_t i = 0, n = 0; i < def->n_params && n < sizeof(args); i++)
                n += (size_t) snprintf(args + n, sizeof(args) - n, def->params[i].default_value ? " [%s]" : " %s",
                                       def->params[i].metavar);
        return output_error(EXIT_USAGE,
                            "Usage: hubopsctl %s%s%s [--dry-run] [--yes] [--detach] "
                            "[--tidy-up-on-failure] [--outside-window] [--site FILE]",
                            alias ? "" : "runbook start ", def->name, args);
}

/* The plan from the definition and the arguments: an exit code. */
static int plan_run(const RunbookDef *def, const SiteConfig *site, const Invocation *inv, int first_arg, Run *run) {
        const SiteRunbook *settings = site_runbook(site, def->name);
        char err[512];
        int r;

        *run = (Run) { .status = RUN_PLANNED };
        (void) snprintf(run->runbook, sizeof(run->runbook), "%s", def->name);
        (void) snprintf(run->site, sizeof(run->site), "%s", site->path);
        for (size_t i = 0; i < def->n_params; i++) {
                const char *v = first_arg + (int) i < inv->n_args ? inv->args[first_arg + (int) i]
                                                                  : def->params[i].default_value;
                if (!v || strlen(v) > RUN_VALUE_MAX || run_set_param(run, def->params[i].key, v) < 0)
                        return output_error(EXIT_USAGE, "Invalid %s \"%s\"", def->params[i].metavar, v ? v : "");
        }
        /* An unknown host is "no such" (6), as in site status; a host of the wrong kind is usage (2). */
        r = def->plan(site, settings ? settings->config : NULL, run, err, sizeof(err));
        if (r < 0)
                return output_error(r == -ENOENT ? EXIT_NOT_CONFIGURED : EXIT_USAGE, "%s", err);
        set_owner(run);
        run->created_at = now_usec(CLOCK_REALTIME);
        run->tidy_up_on_failure = inv->run.tidy_up_on_failure;
        return EXIT_OK;
}

static int start(const Invocation *inv, const RunbookDef *def, int first_arg, bool alias) {
        _cleanup_(site_config_freep) SiteConfig *site = NULL;
        _cleanup_free_ Run *run = calloc(1, sizeof(Run));
        BusHelperApi api;
        int code;

        if (!run)
                return output_error(EXIT_FAILED, "Out of memory");
        if (inv->n_args - first_arg > (int) def->n_params || inv->n_args - first_arg < required_params(def))
                return usage_start(def, alias);
        code = load_site(inv, &site);
        if (code == EXIT_OK)
                code = plan_run(def, site, inv, first_arg, run);
        if (code != EXIT_OK)
                return code;
        if (!inv->run.dry_run)
                new_run_id(run);

        bus_helper_api_init(&api, site);
        Exec x = { .run = run, .site = site, .def = def, .api = &api.api, .fresh = true };
        report_plan(&x, false);
        code = execute(&x, inv);
        bus_helper_api_done(&api);
        return code;
}

/* mailbox move DOMAIN --from A --to B [--presync-only] [--checksum]: the
 * runbook's parameters from the options. */
int cmd_mailbox_move(sd_bus *bus, const Invocation *inv) {
        Invocation as_runbook = *inv;
        char *args[5];

        (void) bus;
        if (inv->n_args != 1 || !inv->move.from || !inv->move.to)
                return output_error(EXIT_USAGE, "Usage: hubopsctl mailbox move DOMAIN --from STORE --to STORE "
                                                "[--presync-only] [--checksum] [--dry-run] [--yes] [--detach]");
        args[0] = inv->args[0];
        args[1] = (char *) inv->move.from;
        args[2] = (char *) inv->move.to;
        args[3] = (char *) (inv->move.presync_only ? "yes" : "no");
        args[4] = (char *) (inv->move.checksum ? "yes" : "no");
        as_runbook.args = args;
        as_runbook.n_args = 5;
        return start(&as_runbook, runbook_find("mailbox-move"), 0, false);
}

int cmd_rebuild_tables(sd_bus *bus, const Invocation *inv) {
        (void) bus;
        return start(inv, runbook_find("rebuild-tables"), 0, true);
}

/* Run ids begin with their start time (YYYYMMDD-HHMMSS-...): newest first. */
static int newest_first(const struct dirent **a, const struct dirent **b) {
        return -alphasort(a, b);
}

static const char *next_step(const Run *r) {
        for (unsigned i = 0; i < r->n_steps && !run_is_over(r); i++)
                if (!step_finished(&r->steps[i]))
                        return r->steps[i].id;
        return "-";
}

static void list_one(const Run *r, json_object *a) {
        const char *next = next_step(r);
        pid_t pid = 0;
        const char *status = run_status_display(r, &pid);
        json_object *o = json_object_new_object();

        json_object_object_add(o, "run", json_object_new_string(r->id));
        json_object_object_add(o, "runbook", json_object_new_string(r->runbook));
        for (unsigned i = 0; i < r->n_params; i++)
                json_object_object_add(o, r->params[i].key, json_object_new_string(r->params[i].value));
        json_object_object_add(o, "status", json_object_new_string(status));
        if (pid > 0)
                json_object_object_add(o, "pid", json_object_new_int(pid));
        json_object_object_add(o, "next_step", json_object_new_string(next));
        json_object_object_add(o, "created_at", json_object_new_int64((int64_t) r->created_at));
        json_object_array_add(a, o);
        if (!output.json)
                printf("%-32s %-16s %-10s %-18s %s\n", r->id, r->runbook, run_target(r), status, next);
}

static int list_runs(void) {
        struct dirent **entries = NULL;
        json_object *a = json_object_new_array();
        char dir[512];
        int n = 0;

        if (run_dir(dir, sizeof(dir), false) >= 0)
                n = scandir(dir, &entries, NULL, newest_first);
        if (!output.json && !output.no_legend)
                printf("%-32s %-16s %-10s %-18s %s\n", "RUN", "RUNBOOK", "TARGET", "STATUS", "NEXT STEP");
        for (int e = 0; e < n; e++) {
                const char *name = entries[e]->d_name;
                char id[RUN_ID_LEN + 8], err[512];
                size_t l = strlen(name);
                _cleanup_free_ Run *r = NULL;

                if (l < 6 || l - 5 > RUN_ID_LEN || strcmp(name + l - 5, ".json") != 0)
                        continue;
                memcpy(id, name, l - 5);
                id[l - 5] = '\0';
                r = calloc(1, sizeof(Run));
                if (r && run_load(id, r, err, sizeof(err)) >= 0)
                        list_one(r, a);
        }
        for (int e = 0; e < n; e++)
                free(entries[e]);
        free(entries);
        if (output.json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "runs", a);
                output_json(o);
        } else
                json_object_put(a);
        return EXIT_OK;
}

static int abandon(Exec *x) {
        Run *run = x->run;
        int code = site_release(x);

        if (code != EXIT_OK)
                return code;
        run->status = RUN_ABANDONED;
        (void) snprintf(run->message, sizeof(run->message), "abandoned by its owner");
        (void) run_save(run);
        events_emit(x, NULL, "run-abandoned",
                    "Run %s abandoned and the site released. Jobs it started go on; check the site "
                    "(hubopsctl status) before another run.",
                    run->id);
        return EXIT_OK;
}

static int resume_or_abandon(const Invocation *inv, Run *run, const RunbookDef *def, bool resume) {
        _cleanup_(site_config_freep) SiteConfig *site = NULL;
        BusHelperApi api;
        pid_t pid = 0;
        int code;

        if (run_is_over(run))
                return output_error(run->status == RUN_ABANDONED ? EXIT_FAILED : EXIT_OK, "Run %s is %s; nothing to %s",
                                    run->id, run_status_to_string(run->status), resume ? "resume" : "abandon");
        if (run_lock_holder(run->id, &pid) > 0)
                return output_error(EXIT_BUSY, "Run %s is being executed by hubopsctl (pid %d); stop it first", run->id,
                                    (int) pid);
        code = load_site(inv, &site);
        if (code != EXIT_OK)
                return code;
        bus_helper_api_init(&api, site);
        Exec x = { .run = run, .site = site, .def = def, .api = &api.api };
        if (resume) {
                report_plan(&x, true);
                code = execute(&x, inv);
        } else
                code = abandon(&x);
        bus_helper_api_done(&api);
        return code;
}

static int start_verb(const Invocation *inv) {
        const RunbookDef *def = inv->n_args > 0 ? runbook_find(inv->args[0]) : NULL;
        char names[256] = "";

        for (size_t i = 0, n = 0; i < runbook_count() && n < sizeof(names); i++)
                n += (size_t) snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "", runbook_nth(i)->name);
        if (inv->n_args == 0)
                return output_error(EXIT_USAGE, "Usage: hubopsctl runbook start NAME ARGS... (runbooks: %s)", names);
        if (!def)
                return output_error(EXIT_NOT_CONFIGURED, "No runbook \"%s\" (runbooks: %s)", inv->args[0], names);
        return start(inv, def, 1, false);
}

static int one_run(const Invocation *inv) {
        _cleanup_free_ Run *run = calloc(1, sizeof(Run));
        const RunbookDef *def;
        char err[512];
        int code;

        if (!run)
                return output_error(EXIT_FAILED, "Out of memory");
        code = run_load(inv->args[0], run, err, sizeof(err));
        if (code < 0)
                return output_error(code == -EINVAL ? EXIT_USAGE : EXIT_NOT_CONFIGURED, "%s", err);
        def = runbook_find(run->runbook);
        if (!def)
                return output_error(EXIT_NOT_CONFIGURED,
                                    "Run %s is of runbook \"%s\", which this hubopsctl does not "
                                    "know",
                                    run->id, run->runbook);
        if (strcmp(inv->verb, "show") == 0) {
                Exec x = { .run = run, .def = def };
                report_plan(&x, true);
                report_summary(&x);
                return EXIT_OK;
        }
        return resume_or_abandon(inv, run, def, strcmp(inv->verb, "resume") == 0);
}

int cmd_runbook(sd_bus *bus, const Invocation *inv) {
        (void) bus;
        if (strcmp(inv->verb, "start") == 0)
                return start_verb(inv);
        if (strcmp(inv->verb, "list") == 0) {
                if (inv->n_args != 0)
                        return output_error(EXIT_USAGE, "Usage: hubopsctl runbook list");
                return list_runs();
        }
        if (inv->n_args != 1)
                return output_error(EXIT_USAGE, "Usage: hubopsctl runbook %s RUN-ID", inv->verb);
        return one_run(inv);
}
