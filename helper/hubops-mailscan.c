/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hubops-mailscan: hubopsd's survey and verify walk of one domain, run as a
 * transient unit as the mail user (never in hubopsd itself: mail is the
 * outside world's data). Prints one JSON object on stdout; reports progress
 * with sd_notify("STATUS=mailboxes DONE/TOTAL"). With --stamps, records the
 * folders' cur/ and new/ mtimes instead (mailstamps.h). Exit 0, 1 on a walk error (the
 * reason on stderr), 2 on bad usage. Every argument comes from hubopsd's
 * config and a domain name it has already checked; this checks it again. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "macro.h"
#include "mailscan.h"
#include "mailstamps.h"
#include "names.h"

/* hubopsd's grammar (unit-status.h) wants counters with totals: the
 * mailboxes are known at the start, the files and bytes only at the end. */
static void report_progress(const MailScan *s, size_t done, size_t total, _unused_ void *userdata) {
        static struct timespec last;
        struct timespec now;

        (void) s;
        if (total == 0)
                return;
        (void) clock_gettime(CLOCK_MONOTONIC, &now);
        if (done < total && now.tv_sec == last.tv_sec)
                return; /* at most once a second, and always the last */
        last = now;
        (void) sd_notifyf(0, "STATUS=mailboxes %zu/%zu", done, total);
}

static int print_stamps(const MailScanOptions *o) {
        _cleanup_free_ char *error = NULL, *json = NULL;
        struct timespec ts;
        MailStamps s;
        int r;

        /* The time before the walk: anything changed after it is after the recording. */
        (void) clock_gettime(CLOCK_REALTIME, &ts);
        r = mail_stamps_take(o, (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000, &s, &error);
        if (r < 0) {
                fprintf(stderr, "hubops-mailscan: %s\n", error ? error : strerror(-r));
                return 1;
        }
        json = mail_stamps_to_json(&s);
        mail_stamps_done(&s);
        if (!json || puts(json) < 0 || fflush(stdout) != 0)
                return 1;
        return 0;
}

static int usage(void) {
        fputs("usage: hubops-mailscan --root DIR --layout LAYOUT --domain DOMAIN [--checksum | --stamps]\n", stderr);
        return 2;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "root", required_argument, NULL, 'r' },   { "layout", required_argument, NULL, 'l' },
                { "domain", required_argument, NULL, 'd' }, { "checksum", no_argument, NULL, 'c' },
                { "stamps", no_argument, NULL, 's' },
                { NULL, 0, NULL, 0 },
        };
        MailScanOptions o = { .layout = "%d/%n/Maildir", .progress = report_progress };
        MailScan scan;
        _cleanup_free_ char *error = NULL, *json = NULL;
        bool stamps = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'r': o.root = optarg; break;
                case 'l': o.layout = optarg; break;
                case 'd': o.domain = optarg; break;
                case 'c': o.checksum = true; break;
                case 's': stamps = true; break;
                default: return usage();
                }
        if (optind != argc || !o.root || !path_is_safe_absolute(o.root) || !domain_name_is_valid(o.domain) ||
            (stamps && o.checksum))
                return usage();
        if (stamps)
                return print_stamps(&o);

        r = mail_scan(&o, &scan, &error);
        if (r < 0) {
                fprintf(stderr, "hubops-mailscan: %s\n", error ? error : strerror(-r));
                return 1;
        }
        json = mail_scan_to_json(o.domain, o.checksum, &scan);
        mail_scan_done(&scan);
        if (!json || puts(json) < 0 || fflush(stdout) != 0)
                return 1;
        return 0;
}
