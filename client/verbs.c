/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hubopsctl's commands as one table: main.c dispatches on it, and --help
 * and "VERB --help" are printed from it, so the three never disagree. */
#include "verbs.h"

#include <stdio.h>
#include <string.h>

#include "macro.h"

#define WAIT_RUN (VERB_PRIVILEGED | VERB_WAITS)

const Verb verbs[] = {
        { "status", NULL, 0, cmd_status, "", "helper version, roles, CPU load, memory and jobs" },
        { "load", NULL, VERB_GATE, cmd_load, "[--wait-idle PCT [--for SPAN] [--timeout SPAN]]",
          "CPU idle, load averages, available memory; with --wait-idle,\n"
          "wait until CPU idle stays >= PCT% for SPAN" },
        { "can-run", NULL, 0, cmd_can_run, "OPERATION [SUBJECT]",
          "would polkit allow it (yes, no, challenge)? acts on nothing" },
        { "health", NULL, VERB_TABLE, cmd_health, "[--probe]",
          "the host's health checks (filesystems, kernel errors, disk probe,\n"
          "backup age, SMART); exit 1 on a FAIL" },
        { "mailbox", "survey", WAIT_RUN | VERB_TABLE, cmd_mailbox_survey, "DOMAIN",
          "per mailbox of a domain on this mail store: files, bytes,\nlargest; the estimated copy time" },
        { "mailbox", "retire", WAIT_RUN, cmd_mailbox_retire, "DOMAIN",
          "delete the domain's copy on this mail store; refused while\n"
          "the domain's mail routes here (the site's RoutedUnit=)" },
        { "hooks", "list", VERB_TABLE, cmd_hooks_list, "", "the site hooks this host offers" },
        { "hooks", "run", WAIT_RUN, cmd_hooks_run, "NAME", "run a hook and wait for its result" },
        { "directory", "status", 0, cmd_directory_status, "", "the directory server's state, PIDs and memory" },
        { "directory", "stop", WAIT_RUN, cmd_directory_verb, "", "stop the directory server, wait for it" },
        { "directory", "kill-root", WAIT_RUN, cmd_directory_verb, "", "kill the root process a stop leaves behind" },
        { "directory", "start", WAIT_RUN, cmd_directory_verb, "", "start the directory server, wait until ready" },
        { "directory", "restart", WAIT_RUN, cmd_directory_verb, "", "stop, kill-root and start, in one job" },
        { "service", "list", VERB_TABLE, cmd_service_list, "", "the configured services and their states" },
        { "service", "status", 0, cmd_service_status, "NAME", "a configured service's state" },
        { "service", "start", WAIT_RUN, cmd_service_verb, "NAME", "start a configured service" },
        { "service", "stop", WAIT_RUN, cmd_service_verb, "NAME", "stop a configured service" },
        { "service", "restart", WAIT_RUN, cmd_service_verb, "NAME", "restart a configured service" },
        { "rebuild", "start", WAIT_RUN, cmd_rebuild, "", "start the table rebuild and follow its progress" },
        { "rebuild", "status", 0, cmd_rebuild, "", "running or idle; the last run's result and duration" },
        { "rebuild", "wait", VERB_WAITS, cmd_rebuild, "",
          "re-attach to the running rebuild (Ctrl-C leaves it running)" },
        { "rebuild", "cancel", VERB_PRIVILEGED, cmd_rebuild, "", "stop the running rebuild" },
        { "jobs", NULL, VERB_TABLE, cmd_jobs, "", "recent and running jobs" },
        { "job", "show", 0, cmd_job_show, "ID", "one job's state and result" },
        { "job", "wait", VERB_WAITS, cmd_job_wait, "ID", "wait for a job (re-attach after a disconnect)" },
        { "job", "cancel", VERB_PRIVILEGED, cmd_job_cancel, "ID", "cancel a running job" },
        { "audit", "show", VERB_PRIVILEGED, cmd_audit_show, "ID...",
          "audit records by id (your own requests; others' need\norg.hubops.audit.read)" },
        { "site", "status", VERB_SITE | VERB_TABLE, cmd_site_status, "[HOST...]",
          "every host at once: reachable, roles, CPU idle, load, jobs" },
        { "site", "health", VERB_SITE | VERB_TABLE, cmd_site_health, "[HOST...] [--probe] [--fresh]",
          "every host's health checks in one table ([Health] thresholds),\n"
          "from each helper's last periodic sample (--fresh: a new one)" },
        { "runbook", "list", VERB_SITE | VERB_TABLE, cmd_runbook, "", "this user's runs and where each stands" },
        { "runbook", "start", VERB_SITE | VERB_RUNS, cmd_runbook, "NAME ARGS...",
          "run a runbook across the site: plan, preflight, confirm,\nthen every step (resumable)" },
        { "rebuild-tables", NULL, VERB_SITE | VERB_RUNS, cmd_rebuild_tables, "HUB",
          "runbook start rebuild-tables HUB: the mailhub table rebuild" },
        { "mailbox", "move", VERB_SITE | VERB_RUNS, cmd_mailbox_move,
          "DOMAIN --from STORE --to STORE [--presync-only] [--checksum]",
          "runbook start mailbox-move: pre-sync live, freeze, final pass,\n"
          "verify, switch, thaw (--presync-only: the pre-sync alone)" },
        { "runbook", "show", VERB_SITE, cmd_runbook, "RUN", "a run's plan, step statuses and summary" },
        { "runbook", "resume", VERB_SITE | VERB_RUNS, cmd_runbook, "RUN",
          "continue from the first unfinished step (a failed step is\n"
          "tried again; --roll-forward tidies up instead)" },
        { "runbook", "abandon", VERB_SITE, cmd_runbook, "RUN", "give up a stopped run and release the site" },
        { "audit", "list", VERB_SITE | VERB_TABLE, cmd_audit_list, "--run RUN",
          "the audit records of a run's steps, from every host it used" },
};
const size_t n_verbs = ELEMENTSOF(verbs);

const Verb *verb_find(char **words, int n_words) {
        for (size_t i = 0; i < n_verbs; i++) {
                const Verb *v = &verbs[i];

                if (n_words < (v->word2 ? 2 : 1) || strcmp(words[0], v->word1) != 0 ||
                    (v->word2 && strcmp(words[1], v->word2) != 0))
                        continue;
                return v;
        }
        return NULL;
}

/* "  hooks run NAME            run a hook ...": the summary in a column,
 * on the next line when the command is too long for it. */
static void print_row(const Verb *v) {
        char cmd[128];
        const char *s = v->summary;
        int n;

        n = snprintf(cmd, sizeof(cmd), "%s%s%s%s%s", v->word1, v->word2 ? " " : "", v->word2 ? v->word2 : "",
                     v->args[0] ? " " : "", v->args);
        printf(n > 24 ? "  %s\n%28s" : "  %-25s ", cmd, "");
        for (const char *nl; (nl = strchr(s, '\n')); s = nl + 1)
                printf("%.*s\n%28s", (int) (nl - s), s, "");
        printf("%s\n", s);
}

static const char options_help[] =
        "Options:\n"
        "  -H, --host [USER@]HOST[:PORT]  the helper on another host, over ssh\n"
        "      --address ADDRESS     the helper on this sd-bus address\n"
        "      --json                JSON on stdout, one object per line, errors included\n"
        "      --no-ask-password     never start a polkit agent\n"
        "      --no-legend           tables without their header and footer lines\n"
        "      --no-wait             return once the job has started\n"
        "      --timeout SPAN        stop waiting after SPAN (e.g. 90s, 5min); the job goes on\n"
        "      --wait-idle PERCENT   (load) the idle threshold of the gate\n"
        "      --for SPAN            (load) how long idle must hold (default: one sample)\n"
        "      --probe               (health, site health) run the disk probe first\n"
        "      --fresh               (site health) a new sample from every host\n"
        "      --from STORE          (mailbox move) the source mail store\n"
        "      --to STORE            (mailbox move) the destination mail store\n"
        "      --presync-only        (mailbox move) the pre-sync alone, no cutover\n"
        "      --checksum            (mailbox move) verify by content digests, not sizes alone\n"
        "      --run RUN             (audit list) the run whose records to list\n"
        "      --site FILE           the site config (default: $HUBOPS_SITE, ~/.config/hubops/site.conf,\n"
        "                            /etc/hubops/site.conf)\n"
        "      --dry-run             print the plan and run the preflight; change nothing\n"
        "  -y, --yes                 do not ask for confirmation (required without a terminal)\n"
        "      --detach              leave once a long step (the rebuild) runs; resume re-attaches\n"
        "      --tidy-up-on-failure  if a step fails, still restart the directory, bring the\n"
        "                            regclients back and run the final checks\n"
        "      --roll-forward        (resume) leave the failed step failed and tidy up\n"
        "      --outside-window      start outside AllowedTime=/Blackout= (recorded and audited)\n"
        "  -h, --help                show this help (after a command: that command's)\n"
        "      --version             show the version\n\n";

void verbs_help(void) {
        printf("Usage: hubopsctl [OPTIONS] COMMAND ...\n\n"
               "Run privileged mail-system operations through hubopsd, as an ordinary user.\n\n"
               "Commands:\n");
        for (size_t i = 0; i < n_verbs; i++)
                if (!(verbs[i].flags & VERB_SITE))
                        print_row(&verbs[i]);
        printf("\nSite (hosts from the site config, see --site):\n");
        for (size_t i = 0; i < n_verbs; i++)
                if (verbs[i].flags & VERB_SITE)
                        print_row(&verbs[i]);
        printf("\n%s", options_help);
        printf("Exit status:\n"
               "  0 success, 1 the operation failed or was canceled, 2 usage error,\n"
               "  3 not authorized, 4 helper unreachable, 5 timed out (job wait or load gate),\n"
               "  6 no such hook, service, directory, rebuild or job, 7 busy (another operation runs,\n"
               "  or too many of your calls are waiting for polkit).\n\n"
               "See hubopsctl(1).\n");
}

/* The options a verb takes, from its flags (main.c refuses the others). */
static void print_verb_options(const Verb *v) {
        static const struct {
                VerbFlags flag;
                bool absent; /* the options apply when the flag is not set */
                const char *text;
        } groups[] = {
                { VERB_SITE, true, "  -H, --host HOST, --address ADDRESS   the helper to ask\n" },
                { VERB_SITE, false, "      --site FILE           the site config\n" },
                { VERB_PRIVILEGED, false, "      --no-ask-password     never start a polkit agent\n" },
                { VERB_WAITS, false,
                  "      --no-wait             return once the job has started\n"
                  "      --timeout SPAN        stop waiting after SPAN; the job goes on\n" },
                { VERB_GATE, false,
                  "      --wait-idle PERCENT   wait until CPU idle stays at least PERCENT\n"
                  "      --for SPAN            how long idle must hold\n"
                  "      --timeout SPAN        give up the wait after SPAN (exit 5)\n" },
                { VERB_RUNS, false,
                  "      --dry-run             print the plan and run the preflight; change nothing\n"
                  "  -y, --yes                 do not ask for confirmation\n"
                  "      --detach              leave once a long step runs\n"
                  "      --tidy-up-on-failure  still tidy up the site if a step fails\n"
                  "      --roll-forward        (runbook resume) leave the failed step failed\n"
                  "      --outside-window      start outside AllowedTime=/Blackout=\n" },
                { VERB_TABLE, false, "      --no-legend           no header and footer lines\n" },
        };

        printf("\nOptions:\n");
        for (size_t i = 0; i < ELEMENTSOF(groups); i++)
                if (!(v->flags & groups[i].flag) == groups[i].absent)
                        fputs(groups[i].text, stdout);
        printf("      --json                JSON on stdout, errors included\n"
               "  -h, --help                show this help\n");
}

bool verbs_help_for(char **words, int n_words) {
        const Verb *v = verb_find(words, n_words);
        bool any = false;

        if (v) {
                printf("Usage: hubopsctl [OPTIONS] %s%s%s%s%s\n\n", v->word1, v->word2 ? " " : "",
                       v->word2 ? v->word2 : "", v->args[0] ? " " : "", v->args);
                for (const char *s = v->summary; *s; s++)
                        putchar(*s == '\n' ? ' ' : *s);
                printf(".\n");
                print_verb_options(v);
                printf("\nSee hubopsctl(1).\n");
                return true;
        }
        for (size_t i = 0; i < n_verbs; i++)
                if (strcmp(verbs[i].word1, words[0]) == 0) {
                        if (!any)
                                printf("Usage: hubopsctl [OPTIONS] %s COMMAND ...\n\nCommands:\n", words[0]);
                        print_row(&verbs[i]);
                        any = true;
                }
        if (any)
                printf("\nSee hubopsctl %s COMMAND --help, and hubopsctl(1).\n", words[0]);
        return any;
}
