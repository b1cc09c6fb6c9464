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
#include "verbs.h"

typedef struct Options {
        Invocation inv;
        bool ask_password;
        bool run_option; /* one of --yes, --dry-run, --detach, ... */
        bool help;       /* -h: the words (if any) say whose help */
        char **words;
        int n_words;
} Options;

static int parse_argv(int argc, char *argv[], Options *o) {
        enum { ARG_ADDRESS = 0x100, ARG_JSON, ARG_NO_ASK, ARG_NO_WAIT, ARG_TIMEOUT, ARG_VERSION, ARG_WAIT_IDLE,
               ARG_FOR, ARG_SITE, ARG_RUN, ARG_DRY_RUN, ARG_DETACH, ARG_TIDY_UP, ARG_ROLL_FORWARD, ARG_OUTSIDE_WINDOW,
               ARG_PROBE, ARG_FRESH, ARG_FROM, ARG_TO, ARG_PRESYNC_ONLY, ARG_CHECKSUM, ARG_NO_LEGEND };
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
                { "no-legend", no_argument, NULL, ARG_NO_LEGEND },
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
                case ARG_NO_LEGEND:
                        output.no_legend = true;
                        break;
                case 'h':
                        o->help = true;
                        break;
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
        const Verb *v = verb_find(o->words, o->n_words);
        int used;

        if (!v)
                return NULL;
        used = v->word2 ? 2 : 1;
        o->inv.verb = v->word2 ? v->word2 : v->word1;
        o->inv.args = o->words + used;
        o->inv.n_args = o->n_words - used;
        return v;
}

/* "hooks" alone, or "hooks frob": say what the group takes. */
static int unknown_command(const Options *o) {
        char words[256] = "";
        size_t n = 0;

        for (size_t i = 0; i < n_verbs && n < sizeof(words); i++)
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

/* Every option given must apply to the command: EXIT_OK, or the usage error. */
static int check_options(const Verb *verb, const Options *o) {
        if (!(verb->flags & VERB_TABLE) && output.no_legend)
                return output_error(EXIT_USAGE, "--no-legend applies only to commands that print a table");
        if (!(verb->flags & VERB_WAITS) && o->inv.no_wait)
                return output_error(EXIT_USAGE, "--no-wait applies only to commands that start a job");
        if (!(verb->flags & (VERB_WAITS | VERB_GATE)) && o->inv.timeout_usec)
                return output_error(EXIT_USAGE, "--timeout applies only to commands that wait");
        if (!(verb->flags & VERB_GATE) && (o->inv.wait_idle >= 0 || o->inv.hold_usec))
                return output_error(EXIT_USAGE, "--wait-idle and --for apply only to load");
        if (o->inv.probe && verb->run != cmd_health && verb->run != cmd_site_health)
                return output_error(EXIT_USAGE, "--probe applies only to health and site health");
        if (o->inv.fresh && verb->run != cmd_site_health)
                return output_error(EXIT_USAGE, "--fresh applies only to site health (health always samples afresh)");
        if (o->inv.hold_usec && o->inv.wait_idle < 0)
                return output_error(EXIT_USAGE, "--for needs --wait-idle");

        if (!(verb->flags & VERB_RUNS) && o->run_option)
                return output_error(EXIT_USAGE, "--yes, --dry-run, --detach, --tidy-up-on-failure, --roll-forward "
                                                "and --outside-window apply only to rebuild-tables and runbook resume "
                                                "(and runbook start)");
        if (o->inv.audit_run && verb->run != cmd_audit_list)
                return output_error(EXIT_USAGE, "--run applies only to audit list");
        if (!(verb->flags & VERB_SITE) && o->inv.site)
                return output_error(EXIT_USAGE, "--site applies only to site status, rebuild-tables and runbook commands");
        if (verb->flags & VERB_SITE) {
                if (!target_is_local(&o->inv.target))
                        return output_error(EXIT_USAGE, "Site commands reach their hosts through the site config "
                                                        "(Address=), not -H or --address");
                if (o->inv.run.roll_forward && strcmp(o->words[0], "runbook") != 0)
                        return output_error(EXIT_USAGE, "--roll-forward applies only to runbook resume");
        }
        return EXIT_OK;
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
        if (o.help) {
                if (o.n_words == 0)
                        return verbs_help(), EXIT_OK;
                return verbs_help_for(o.words, o.n_words) ? EXIT_OK : unknown_command(&o);
        }
        output_color_init();
        if (output_escape_streams() < 0)
                return EXIT_FAILED;

        if (o.n_words == 0)
                return output_error(EXIT_USAGE, "No command given (see --help)");
        verb = find_verb(&o);
        if (!verb)
                return unknown_command(&o);
        r = check_options(verb, &o);
        if (r != EXIT_OK)
                return r;
        if (verb->flags & VERB_SITE)
                return verb->run(NULL, &o.inv);

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
