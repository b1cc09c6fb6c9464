/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hubopsctl rebuild-tables HUB, and runbook list|show|resume|abandon. */
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
#include "exit-codes.h"
#include "output.h"
#include "runbook.h"

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
                (void) snprintf(interrupt_text, sizeof(interrupt_text),
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
                return output_error(r == -ENOENT ? EXIT_NOT_CONFIGURED : EXIT_USAGE, "%s",
                                    err ? err : strerror(-r));
        return EXIT_OK;
}

/* On a terminal, show the plan and ask; elsewhere insist on --yes rather than hang on a prompt. */
static int confirm(const Invocation *inv, const Run *r, const char *what) {
        char answer[16];

        if (inv->run.yes)
                return EXIT_OK;
        if (output.json || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
                return output_error(EXIT_USAGE, "Refusing to %s without confirmation: not on a terminal. "
                                                "Check the plan with --dry-run, then pass --yes",
                                    what);
        printf("\n%s %s on %s as planned above? [y/N] ", what, r->runbook, r->hub);
        (void) fflush(stdout);
        if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
                return output_error(EXIT_FAILED, "Not confirmed; nothing was changed");
        return EXIT_OK;
}

/* DATE-TIME-HUB-XXXX: sorts by time, says what it is, and two runs started
 * in the same second (two operators at once) still differ. */
static void new_run_id(Run *r) {
        time_t t = time(NULL);
        struct tm tm;
        char stamp[32] = "0";
        sd_id128_t rnd = SD_ID128_NULL;

        if (localtime_r(&t, &tm))
                (void) strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
        (void) sd_id128_randomize(&rnd);
        (void) snprintf(r->id, sizeof(r->id), "%.15s-%.40s-%02x%02x", stamp, r->hub, rnd.bytes[0], rnd.bytes[1]);
}

static void set_owner(Run *r) {
        struct passwd *pw = getpwuid(getuid());

        r->uid = (uint32_t) getuid();
        (void) snprintf(r->owner, sizeof(r->owner), "%s", pw ? pw->pw_name : "?");
}

static int execute(Exec *x, const Invocation *inv) {
        int code;

        output.timestamps = !output.tty;
        x->opts = inv->run;
        code = runbook_preflight(x);
        if (code != EXIT_OK || inv->run.dry_run)
                return code;
        return EXIT_OK;
}

int cmd_rebuild_tables(sd_bus *bus, const Invocation *inv) {
        _cleanup_(site_config_freep) SiteConfig *site = NULL;
        Run *run = calloc(1, sizeof(Run));
        Exec x = { .run = run, .fresh = true };
        char err[512];
        int code;

        (void) bus;
        if (!run)
                return output_error(EXIT_FAILED, "Out of memory");
        if (inv->n_args != 1) {
                free(run);
                return output_error(EXIT_USAGE, "Usage: hubopsctl rebuild-tables HUB [--dry-run] [--yes] [--detach] "
                                                "[--tidy-up-on-failure] [--outside-window] [--site FILE]");
        }
        code = load_site(inv, &site);
        if (code == EXIT_OK) {
                /* An unknown host is "no such" (6), as in site status; a host of the wrong kind is usage (2). */
                int r = plan_rebuild_tables(site, inv->args[0], run, err, sizeof(err));
                if (r < 0)
                        code = output_error(r == -ENOENT ? EXIT_NOT_CONFIGURED : EXIT_USAGE, "%s", err);
        }
        if (code != EXIT_OK) {
                free(run);
                return code;
        }
        x.site = site;
        x.hosts.site = site;
        set_owner(run);
        run->created_at = now_usec(CLOCK_REALTIME);
        run->tidy_up_on_failure = inv->run.tidy_up_on_failure;
        if (!inv->run.dry_run)
                new_run_id(run);

        runbook_print_plan(run, false);
        code = execute(&x, inv);
        if (code == EXIT_OK && !inv->run.dry_run)
                code = confirm(inv, run, "Run");
        if (code == EXIT_OK && !inv->run.dry_run) {
                /* The state file first: a claim is never left without the run that owns it. */
                int k = run_save(run);
                if (k < 0)
                        code = output_error(EXIT_FAILED, "Cannot write the run's state file: %s", strerror(-k));
                if (code == EXIT_OK) {
                        catch_interrupts(run);
                        code = runbook_claim(&x);
                        if (code != EXIT_OK)
                                (void) run_delete(run->id);
                        else {
                                runbook_emit(run, NULL, "run-started", "Run %s started (state: hubopsctl runbook show %s)",
                                             run->id, run->id);
                                code = runbook_execute(&x);
                        }
                }
        }
        hosts_close(&x.hosts);
        free(run);
        return code;
}

/* Run ids begin with their start time (YYYYMMDD-HHMMSS-...): newest first. */
static int newest_first(const struct dirent **a, const struct dirent **b) {
        return -alphasort(a, b);
}

static int list_runs(void) {
        struct dirent **entries = NULL;
        json_object *a = json_object_new_array();
        char dir[512];
        int n = 0;

        if (run_dir(dir, sizeof(dir), false) >= 0)
                n = scandir(dir, &entries, NULL, newest_first);
        if (!output.json)
                printf("%-32s %-16s %-10s %-18s %s\n", "RUN", "RUNBOOK", "HUB", "STATUS", "NEXT STEP");
        for (int e = 0; e < n; e++) {
                const struct dirent *de = entries[e];
                char id[RUN_ID_LEN + 8], err[512];
                size_t l = strlen(de->d_name);
                Run *r;

                if (l < 6 || l - 5 > RUN_ID_LEN || strcmp(de->d_name + l - 5, ".json") != 0)
                        continue;
                memcpy(id, de->d_name, l - 5);
                id[l - 5] = '\0';
                r = calloc(1, sizeof(Run));
                if (!r || run_load(id, r, err, sizeof(err)) < 0) {
                        free(r);
                        continue;
                }
                const char *next = "-";
                for (unsigned i = 0; i < r->n_steps; i++)
                        if (!step_finished(&r->steps[i]) && r->status != RUN_DONE &&
                            r->status != RUN_DONE_WITH_FAILURE && r->status != RUN_ABANDONED) {
                                next = r->steps[i].id;
                                break;
                        }
                json_object *o = json_object_new_object();
                json_object_object_add(o, "run", json_object_new_string(r->id));
                json_object_object_add(o, "runbook", json_object_new_string(r->runbook));
                json_object_object_add(o, "hub", json_object_new_string(r->hub));
                json_object_object_add(o, "status", json_object_new_string(run_status_to_string(r->status)));
                json_object_object_add(o, "next_step", json_object_new_string(next));
                json_object_object_add(o, "created_at", json_object_new_int64((int64_t) r->created_at));
                json_object_array_add(a, o);
                if (!output.json)
                        printf("%-32s %-16s %-10s %-18s %s\n", r->id, r->runbook, r->hub,
                               run_status_to_string(r->status), next);
                free(r);
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

static int resume_or_abandon(const Invocation *inv, Run *run, bool resume) {
        _cleanup_(site_config_freep) SiteConfig *site = NULL;
        Exec x = { .run = run };
        int code;

        if (run->status == RUN_DONE || run->status == RUN_DONE_WITH_FAILURE || run->status == RUN_ABANDONED)
                return output_error(run->status == RUN_ABANDONED ? EXIT_FAILED : EXIT_OK, "Run %s is %s; nothing to %s",
                                    run->id, run_status_to_string(run->status), resume ? "resume" : "abandon");
        code = load_site(inv, &site);
        if (code != EXIT_OK)
                return code;
        x.site = site;
        x.hosts.site = site;
        if (!resume) {
                code = runbook_release(&x);
                if (code == EXIT_OK) {
                        run->status = RUN_ABANDONED;
                        (void) snprintf(run->message, sizeof(run->message), "abandoned by its owner");
                        (void) run_save(run);
                        runbook_emit(run, NULL, "run-abandoned",
                                     "Run %s abandoned and the site released. Jobs it started go on; check the site "
                                     "(hubopsctl status) before another run.",
                                     run->id);
                }
                hosts_close(&x.hosts);
                return code;
        }
        runbook_print_plan(run, true);
        code = execute(&x, inv);
        if (code == EXIT_OK && !inv->run.dry_run)
                code = confirm(inv, run, "Resume");
        if (code == EXIT_OK && !inv->run.dry_run) {
                catch_interrupts(run);
                code = runbook_claim(&x);
                if (code == EXIT_OK)
                        code = runbook_execute(&x);
        }
        hosts_close(&x.hosts);
        return code;
}

int cmd_runbook(sd_bus *bus, const Invocation *inv) {
        char err[512];
        Run *run;
        int code;

        (void) bus;
        if (strcmp(inv->verb, "list") == 0) {
                if (inv->n_args != 0)
                        return output_error(EXIT_USAGE, "Usage: hubopsctl runbook list");
                return list_runs();
        }
        if (inv->n_args != 1)
                return output_error(EXIT_USAGE, "Usage: hubopsctl runbook %s RUN-ID", inv->verb);
        run = calloc(1, sizeof(Run));
        if (!run)
                return output_error(EXIT_FAILED, "Out of memory");
        code = run_load(inv->args[0], run, err, sizeof(err));
        if (code < 0) {
                free(run);
                return output_error(code == -EINVAL ? EXIT_USAGE : EXIT_NOT_CONFIGURED, "%s", err);
        }
        if (strcmp(inv->verb, "show") == 0) {
                runbook_print_plan(run, true);
                runbook_print_summary(run);
                code = EXIT_OK;
        } else
                code = resume_or_abandon(inv, run, strcmp(inv->verb, "resume") == 0);
        free(run);
        return code;
}
