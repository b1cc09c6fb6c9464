/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hubopsctl: the unprivileged operator's client for hubopsd. */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "commands.h"
#include "exit-codes.h"
#include "hosts.h"
#include "macro.h"
#include "output.h"
#include "timespan.h"
#include "transport.h"

typedef enum VerbFlags {
        VERB_PRIVILEGED = 1 << 0, /* may need polkit: start the agent first */
        VERB_WAITS = 1 << 1,      /* follows a job: --no-wait and --timeout apply */
        VERB_GATE = 1 << 2,       /* load: --wait-idle, --for and --timeout apply */
        VERB_SITE = 1 << 3,       /* runbooks: the site config names the hosts; no -H/--address */
        VERB_RUNS = 1 << 4,       /* starts or resumes a run: --yes, --dry-run, --detach ... apply */
} VerbFlags;

typedef struct Verb {
        const char *word1, *word2; /* "hooks", "run"; word2 NULL for one-word verbs */
        VerbFlags flags;
        int (*run)(sd_bus *bus, const Invocation *inv);
} Verb;

static const Verb verbs[] = {
        { "status", NULL, 0, cmd_status },
        { "load", NULL, VERB_GATE, cmd_load },
        { "can-run", NULL, 0, cmd_can_run },
        { "health", NULL, 0, cmd_health },
        { "mailbox", "survey", VERB_PRIVILEGED | VERB_WAITS, cmd_mailbox_survey },
        { "mailbox", "move", VERB_SITE | VERB_RUNS, cmd_mailbox_move },
        { "mailbox", "retire", VERB_PRIVILEGED | VERB_WAITS, cmd_mailbox_retire },
        { "hooks", "list", 0, cmd_hooks_list },
        { "hooks", "run", VERB_PRIVILEGED | VERB_WAITS, cmd_hooks_run },
        { "directory", "status", 0, cmd_directory_status },
        { "directory", "stop", VERB_PRIVILEGED | VERB_WAITS, cmd_directory_verb },
        { "directory", "kill-root", VERB_PRIVILEGED | VERB_WAITS, cmd_directory_verb },
        { "directory", "start", VERB_PRIVILEGED | VERB_WAITS, cmd_directory_verb },
        { "directory", "restart", VERB_PRIVILEGED | VERB_WAITS, cmd_directory_verb },
        { "service", "list", 0, cmd_service_list },
        { "service", "status", 0, cmd_service_status },
        { "service", "start", VERB_PRIVILEGED | VERB_WAITS, cmd_service_verb },
        { "service", "stop", VERB_PRIVILEGED | VERB_WAITS, cmd_service_verb },
        { "service", "restart", VERB_PRIVILEGED | VERB_WAITS, cmd_service_verb },
        { "rebuild", "start", VERB_PRIVILEGED | VERB_WAITS, cmd_rebuild },
        { "rebuild", "status", 0, cmd_rebuild },
        { "rebuild", "wait", VERB_WAITS, cmd_rebuild },
        { "rebuild", "cancel", VERB_PRIVILEGED, cmd_rebuild },
        { "jobs", NULL, 0, cmd_jobs },
        { "audit", "show", VERB_PRIVILEGED, cmd_audit_show },
        { "audit", "list", VERB_SITE, cmd_audit_list },
        { "job", "cancel", VERB_PRIVILEGED, cmd_job_cancel },
        { "job", "wait", VERB_WAITS, cmd_job_wait },
        { "job", "show", 0, cmd_job_show },
        { "rebuild-tables", NULL, VERB_SITE | VERB_RUNS, cmd_rebuild_tables },
        { "runbook", "list", VERB_SITE, cmd_runbook },
        { "runbook", "start", VERB_SITE | VERB_RUNS, cmd_runbook },
        { "runbook", "show", VERB_SITE, cmd_runbook },
        { "runbook", "resume", VERB_SITE | VERB_RUNS, cmd_runbook },
        { "runbook", "abandon", VERB_SITE, cmd_runbook },
        { "site", "status", VERB_SITE, cmd_site_status },
        { "site", "health", VERB_SITE, cmd_site_health },
};

static void help(void) {
        printf("Usage: hubopsctl [OPTIONS] COMMAND ...\n\n"
               "Run privileged mail-system operations through hubopsd, as an ordinary user.\n\n"
               "Commands:\n"
               "  status                    helper version, roles, CPU load, memory and jobs\n"
               "  load                      CPU idle, load averages, available memory\n"
               "  load --wait-idle PCT [--for SPAN] [--timeout SPAN]\n"
               "                            wait until CPU idle stays >= PCT%% for SPAN\n"
               "  can-run OPERATION [SUBJECT]  would polkit allow it (yes, no, challenge)? acts on nothing\n"
               "  health [--probe]          the host's health checks (filesystems, kernel errors, disk probe,\n"
               "                            backup age, SMART); exit 1 on a FAIL\n"
               "  mailbox survey DOMAIN     per mailbox of a domain on this mail store: files, bytes,\n"
               "                            largest; the estimated copy time\n"
               "  mailbox retire DOMAIN     delete the domain's copy on this mail store; refused while\n"
               "                            the domain's mail routes here (the site's RoutedUnit=)\n"
               "  hooks list                the site hooks this host offers\n"
               "  hooks run NAME            run a hook and wait for its result\n"
               "  directory status          the directory server's state, PIDs and memory\n"
               "  directory stop|kill-root|start|restart\n"
               "                            run that directory procedure and wait for it\n"
               "  service list              the configured services and their states\n"
               "  service status NAME       a configured service's state\n"
               "  service start|stop|restart NAME\n"
               "  rebuild start             start the table rebuild and follow its progress\n"
               "  rebuild status            running or idle; the last run's result and duration\n"
               "  rebuild wait              re-attach to the running rebuild (Ctrl-C leaves it running)\n"
               "  rebuild cancel            stop the running rebuild\n"
               "  jobs                      recent and running jobs\n"
               "  job show ID               one job's state and result\n"
               "  job wait ID               wait for a job (re-attach after a disconnect)\n"
               "  job cancel ID             cancel a running job\n"
               "  audit show ID...          audit records by id (your own requests; others' need\n"
               "                            org.hubops.audit.read)\n\n");
        printf("Site (hosts from the site config, see --site):\n"
               "  site status [HOST...]     every host at once: reachable, roles, CPU idle, load, jobs\n"
               "  site health [HOST...] [--probe] [--fresh]\n"
               "                            every host's health checks in one table ([Health] thresholds),\n"
               "                            from each helper's last periodic sample (--fresh: a new one)\n"
               "  runbook start NAME ARGS   run a runbook across the site: plan, preflight, confirm,\n"
               "                            then every step (resumable)\n"
               "  rebuild-tables HUB        runbook start rebuild-tables HUB: the mailhub table rebuild\n"
               "  mailbox move DOMAIN --from STORE --to STORE [--presync-only] [--checksum]\n"
               "                            runbook start mailbox-move: pre-sync live, freeze, final pass,\n"
               "                            verify, switch, thaw (--presync-only: the pre-sync alone)\n"
               "  runbook list              this user's runs and where each stands\n"
               "  runbook show RUN          a run's plan, step statuses and summary\n"
               "  runbook resume RUN        continue from the first unfinished step (a failed step is\n"
               "                            tried again; --roll-forward tidies up instead)\n"
               "  runbook abandon RUN       give up a stopped run and release the site\n"
               "  audit list --run RUN      the audit records of a run's steps, from every host it used\n\n"
               "Options:\n"
               "  -H, --host [USER@]HOST[:PORT]  the helper on another host, over ssh\n"
               "      --address ADDRESS     the helper on this sd-bus address\n"
               "      --json                JSON on stdout, one object per line, errors included\n"
               "      --no-ask-password     never start a polkit agent\n"
               "      --no-wait             return once the job has started\n"
               "      --timeout SPAN        stop waiting after SPAN (e.g. 90s, 5min); the job goes on\n"
               "      --wait-idle PERCENT   (load) the idle threshold of the gate\n"
               "      --for SPAN            (load) how long idle must hold (default: one sample)\n"
               "      --site FILE           the site config (default: $HUBOPS_SITE, ~/.config/hubops/site.conf,\n"
               "                            /etc/hubops/site.conf)\n"
               "      --dry-run             print the plan and run the preflight; change nothing\n"
               "  -y, --yes                 do not ask for confirmation (required without a terminal)\n"
               "      --detach              leave once a long step (the rebuild) runs; resume re-attaches\n"
               "      --tidy-up-on-failure  if a step fails, still restart the directory, bring the\n"
               "                            regclients back and run the final checks\n"
               "      --roll-forward        (resume) leave the failed step failed and tidy up\n"
               "      --outside-window      start outside AllowedTime=/Blackout= (recorded and audited)\n"
               "  -h, --help                show this help\n"
               "      --version             show the version\n\n"
               "Exit status:\n"
               "  0 success, 1 the operation failed or was canceled, 2 usage error,\n"
               "  3 not authorized, 4 helper unreachable, 5 timed out (job wait or load gate),\n"
               "  6 no such hook, service, directory, rebuild or job, 7 busy (another operation runs,\n"
               "  or too many of your calls are waiting for polkit).\n");
}

typedef struct Options {
        Invocation inv;
        bool ask_password;
        bool run_option; /* one of --yes, --dry-run, --detach, ... */
        char **words;
        int n_words;
} Options;

static int parse_argv(int argc, char *argv[], Options *o) {
        enum { ARG_ADDRESS = 0x100, ARG_JSON, ARG_NO_ASK, ARG_NO_WAIT, ARG_TIMEOUT, ARG_VERSION, ARG_WAIT_IDLE,
               ARG_FOR, ARG_SITE, ARG_RUN, ARG_DRY_RUN, ARG_DETACH, ARG_TIDY_UP, ARG_ROLL_FORWARD, ARG_OUTSIDE_WINDOW,
               ARG_PROBE, ARG_FRESH, ARG_FROM, ARG_TO, ARG_PRESYNC_ONLY, ARG_CHECKSUM };
        static const struct option options[] = {
                { "host", required_argument, NULL, 'H' },
                { "address", required_argument, NULL, ARG_ADDRESS },
                { "json", no_argument, NULL, ARG_JSON },
                { "no-ask-password", no_argument, NULL, ARG_NO_ASK },
                { "no-wait", no_argument, NULL, ARG_NO_WAIT },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                { "wait-idle", required_argument, NULL, ARG_WAIT_IDLE },
                { "for", required_argument, NULL, ARG_FOR },
                { "site", required_argument, NULL, ARG_SITE },
                { "run", required_argument, NULL, ARG_RUN },
                { "dry-run", no_argument, NULL, ARG_DRY_RUN },
                { "yes", no_argument, NULL, 'y' },
                { "detach", no_argument, NULL, ARG_DETACH },
                { "tidy-up-on-failure", no_argument, NULL, ARG_TIDY_UP },
                { "roll-forward", no_argument, NULL, ARG_ROLL_FORWARD },
                { "outside-window", no_argument, NULL, ARG_OUTSIDE_WINDOW },
                { "probe", no_argument, NULL, ARG_PROBE },
                { "fresh", no_argument, NULL, ARG_FRESH },
                { "from", required_argument, NULL, ARG_FROM },
                { "to", required_argument, NULL, ARG_TO },
                { "presync-only", no_argument, NULL, ARG_PRESYNC_ONLY },
                { "checksum", no_argument, NULL, ARG_CHECKSUM },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { 0 },
        };
        int opt;

        /* --json must hold for errors in the options that follow it too. */
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--json") == 0)
                        output.json = true;

        opterr = 0;
        while ((opt = getopt_long(argc, argv, ":H:hy", options, NULL)) >= 0)
                switch (opt) {
                case 'H':
                        o->inv.target.host = optarg;
                        break;
                case ARG_ADDRESS:
                        o->inv.target.address = optarg;
                        break;
                case ARG_JSON:
                        output.json = true;
                        break;
                case ARG_NO_ASK:
                        o->ask_password = false;
                        break;
                case ARG_NO_WAIT:
                        o->inv.no_wait = true;
                        break;
                case ARG_TIMEOUT:
                        if (timespan_parse(optarg, &o->inv.timeout_usec) < 0 || o->inv.timeout_usec == 0)
                                return output_error(EXIT_USAGE, "Invalid --timeout \"%s\" (e.g. 30s, 5min)",
                                                    optarg),
                                       -EINVAL;
                        break;
                case ARG_WAIT_IDLE: {
                        char *end;
                        double v = strtod(optarg, &end);
                        /* "90" or "90%", as the site config's IdleThreshold= writes it. */
                        if (end != optarg && *end == '%')
                                end++;
                        if (end == optarg || *end != '\0' || !(v >= 0.0 && v <= 100.0))
                                return output_error(EXIT_USAGE, "Invalid --wait-idle \"%s\" (a percentage, 0-100)",
                                                    optarg),
                                       -EINVAL;
                        o->inv.wait_idle = v / 100.0;
                        break;
                }
                case ARG_FOR:
                        if (timespan_parse(optarg, &o->inv.hold_usec) < 0)
                                return output_error(EXIT_USAGE, "Invalid --for \"%s\" (e.g. 30s, 2min)", optarg),
                                       -EINVAL;
                        break;
                case ARG_SITE:
                        o->inv.site = optarg;
                        break;
                case ARG_RUN:
                        o->inv.audit_run = optarg;
                        break;
                case ARG_DRY_RUN:
                        o->inv.run.dry_run = o->run_option = true;
                        break;
                case 'y':
                        o->inv.run.yes = o->run_option = true;
                        break;
                case ARG_DETACH:
                        o->inv.run.detach = o->run_option = true;
                        break;
                case ARG_TIDY_UP:
                        o->inv.run.tidy_up_on_failure = o->run_option = true;
                        break;
                case ARG_ROLL_FORWARD:
                        o->inv.run.roll_forward = o->run_option = true;
                        break;
                case ARG_OUTSIDE_WINDOW:
                        o->inv.run.outside_window = o->run_option = true;
                        break;
                case ARG_PROBE:
                        o->inv.probe = true;
                        break;
                case ARG_FRESH:
                        o->inv.fresh = true;
                        break;
                case ARG_FROM:
                        o->inv.move.from = optarg;
                        break;
                case ARG_TO:
                        o->inv.move.to = optarg;
                        break;
                case ARG_PRESYNC_ONLY:
                        o->inv.move.presync_only = true;
                        break;
                case ARG_CHECKSUM:
                        o->inv.move.checksum = true;
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("hubopsctl %s\n", HUBOPS_VERSION);
                        return 0;
                case ':':
                        return output_error(EXIT_USAGE, "Option %s needs a value", argv[optind - 1]), -EINVAL;
                default:
                        return output_error(EXIT_USAGE, "Unknown option %s (see --help)", argv[optind - 1]),
                               -EINVAL;
                }

        if (o->inv.target.host && o->inv.target.address)
                return output_error(EXIT_USAGE, "-H and --address exclude each other"), -EINVAL;
        o->words = argv + optind;
        o->n_words = argc - optind;
        return 1;
}

static const Verb *find_verb(Options *o) {
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                const Verb *v = &verbs[i];
                int used = v->word2 ? 2 : 1;

                if (o->n_words < used || strcmp(o->words[0], v->word1) != 0 ||
                    (v->word2 && strcmp(o->words[1], v->word2) != 0))
                        continue;
                o->inv.verb = v->word2 ? v->word2 : v->word1;
                o->inv.args = o->words + used;
                o->inv.n_args = o->n_words - used;
                return v;
        }
        return NULL;
}

/* "hooks" alone, or "hooks frob": say what the group takes. */
static int unknown_command(const Options *o) {
        char words[256] = "";
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(verbs) && n < sizeof(words); i++)
                if (verbs[i].word2 && strcmp(verbs[i].word1, o->words[0]) == 0)
                        n += (size_t) snprintf(words + n, sizeof(words) - n, "%s%s", n ? "|" : "", verbs[i].word2);
        if (words[0] == '\0')
                return output_error(EXIT_USAGE, "Unknown command \"%s%s%s\" (see --help)", o->words[0],
                                    o->n_words > 1 ? " " : "", o->n_words > 1 ? o->words[1] : "");
        if (o->n_words > 1)
                return output_error(EXIT_USAGE, "Unknown command \"%s %s\"; hubopsctl %s takes %s (see --help)",
                                    o->words[0], o->words[1], o->words[0], words);
        return output_error(EXIT_USAGE, "Usage: hubopsctl %s %s ... (see --help)", o->words[0], words);
}

/* -H NAME: operators know their hosts by the site's names, so a [Host NAME]
 * of the site config (if there is one) gives the address; anything else
 * (user@host, host:port, a name the site lacks) goes to ssh as given. */
static void resolve_site_host(Target *t, SiteConfig **site) {
        _cleanup_free_ char *err = NULL;
        const SiteHost *h;

        if (!t->host || strpbrk(t->host, "@:") || site_config_load(NULL, site, &err) < 0)
                return;
        h = site_find_host(*site, t->host);
        if (h)
                *t = hosts_target_of(h);
}

static int run(int argc, char *argv[]) {
        _cleanup_(site_config_freep) SiteConfig *site = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        Options o = { .ask_password = true, .inv.wait_idle = -1 };
        const Verb *verb;
        bool interactive = false;
        int r;

        output.tty = isatty(STDOUT_FILENO);
        r = parse_argv(argc, argv, &o);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_OK;
        if (output_escape_streams() < 0)
                return EXIT_FAILED;

        if (o.n_words == 0)
                return output_error(EXIT_USAGE, "No command given (see --help)");
        verb = find_verb(&o);
        if (!verb)
                return unknown_command(&o);
        if (!(verb->flags & VERB_WAITS) && o.inv.no_wait)
                return output_error(EXIT_USAGE, "--no-wait applies only to commands that start a job");
        if (!(verb->flags & (VERB_WAITS | VERB_GATE)) && o.inv.timeout_usec)
                return output_error(EXIT_USAGE, "--timeout applies only to commands that wait");
        if (!(verb->flags & VERB_GATE) && (o.inv.wait_idle >= 0 || o.inv.hold_usec))
                return output_error(EXIT_USAGE, "--wait-idle and --for apply only to load");
        if (o.inv.probe && verb->run != cmd_health && verb->run != cmd_site_health)
                return output_error(EXIT_USAGE, "--probe applies only to health and site health");
        if (o.inv.fresh && verb->run != cmd_site_health)
                return output_error(EXIT_USAGE, "--fresh applies only to site health (health always samples afresh)");
        if (o.inv.hold_usec && o.inv.wait_idle < 0)
                return output_error(EXIT_USAGE, "--for needs --wait-idle");

        if (!(verb->flags & VERB_RUNS) && o.run_option)
                return output_error(EXIT_USAGE, "--yes, --dry-run, --detach, --tidy-up-on-failure, --roll-forward "
                                                "and --outside-window apply only to rebuild-tables and runbook resume "
                                                "(and runbook start)");
        if (o.inv.audit_run && verb->run != cmd_audit_list)
                return output_error(EXIT_USAGE, "--run applies only to audit list");
        if (!(verb->flags & VERB_SITE) && o.inv.site)
                return output_error(EXIT_USAGE, "--site applies only to site status, rebuild-tables and runbook commands");
        if (verb->flags & VERB_SITE) {
                if (!target_is_local(&o.inv.target))
                        return output_error(EXIT_USAGE, "Site commands reach their hosts through the site config "
                                                        "(Address=), not -H or --address");
                if (o.inv.run.roll_forward && strcmp(o.words[0], "runbook") != 0)
                        return output_error(EXIT_USAGE, "--roll-forward applies only to runbook resume");
                return verb->run(NULL, &o.inv);
        }

        resolve_site_host(&o.inv.target, &site);
        /* As systemctl: an agent only for a local, non-root user on a terminal who may be asked. */
        if ((verb->flags & VERB_PRIVILEGED) && o.ask_password && !output.json && target_is_local(&o.inv.target))
                interactive = agent_open();

        r = transport_open(&o.inv.target, interactive, &bus);
        if (r < 0) {
                agent_close();
                return output_error(EXIT_UNREACHABLE, "Cannot connect to %s: %s", target_describe(&o.inv.target),
                                    strerror(-r));
        }

        r = verb->run(bus, &o.inv);
        agent_close();
        return r;
}

int main(int argc, char *argv[]) {
        /* A closed pipe on stdout (hubopsctl ... | head) is the reader's choice, not a crash. */
        (void) signal(SIGPIPE, SIG_IGN);
        /* Fractions and loads to their precision: 0.67, not 0.67000000000000004. */
        (void) json_c_set_serialization_double_format("%.6g", JSON_C_OPTION_GLOBAL);
        return run(argc, argv);
}
