/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hubopsctl mailbox survey DOMAIN [-H HOST]: per mailbox the files, bytes
 * and largest file of a domain on a mail store, with the copy time they
 * would take (DESIGN.md 2b). The walk runs on the store, as the mail user;
 * this reads its report.
 * hubopsctl mailbox retire DOMAIN [-H HOST]: the domain's copy on a store
 * deleted, once its mail routes elsewhere (the helper asks the site). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "exit-codes.h"
#include "hubops-bus.h"
#include "job-wait.h"
#include "macro.h"
#include "mail-report.h"
#include "names.h"
#include "output.h"
#include "timespan.h"

static void print_survey(const char *domain, const MailScan *s) {
        char eta[32];
        int w = 7;

        for (size_t i = 0; i < s->n_mailboxes; i++)
                w = MAX(w, (int) strlen(s->mailboxes[i].name));
        if (!output.no_legend)
                printf("%-*s %10s %12s %12s\n", w, "MAILBOX", "FILES", "MIB", "LARGEST MIB");
        for (size_t i = 0; i < s->n_mailboxes; i++) {
                const MailboxScan *m = &s->mailboxes[i];
                printf("%-*s %10llu %12.1f %12.2f\n", w, m->name, (unsigned long long) m->files,
                       (double) m->bytes / 1048576.0, (double) m->largest / 1048576.0);
        }
        if (output.no_legend)
                return;
        (void) timespan_format(eta, sizeof(eta), mail_copy_estimate_usec(s->files, s->bytes));
        printf("\n%s: %zu mailboxes, %llu files, %.1f MiB; a full copy takes about %s at the reference rates\n", domain,
               s->n_mailboxes, (unsigned long long) s->files, (double) s->bytes / 1048576.0, eta);
        if (s->skipped)
                printf("(%llu entries that are not regular files were left out: links, sockets)\n",
                       (unsigned long long) s->skipped);
}

static int check_domain_argument(const Invocation *inv, const char *usage) {
        if (inv->n_args != 1)
                return output_error(EXIT_USAGE, "Usage: %s", usage);
        if (!domain_name_is_valid(inv->args[0]))
                return output_error(EXIT_USAGE, "Invalid domain \"%s\" (lowercase letters, digits, '-' and '.')",
                                    inv->args[0]);
        return EXIT_OK;
}

int cmd_mailbox_retire(sd_bus *bus, const Invocation *inv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = check_domain_argument(inv, "hubopsctl mailbox retire DOMAIN [-H HOST]");

        if (r != EXIT_OK)
                return r;
        r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MAILSTORE, "Retire", &error,
                               &reply, "s", inv->args[0]);
        if (r < 0)
                return output_bus_error(&error, r, "Cannot retire the domain");
        return job_follow(bus, inv, reply);
}

int cmd_mailbox_survey(sd_bus *bus, const Invocation *inv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *json = NULL;
        const char *domain, *path, *text;
        MailScan s;
        JobInfo j = { 0 };
        int r;

        r = check_domain_argument(inv, "hubopsctl mailbox survey DOMAIN [-H HOST] [--json]");
        if (r != EXIT_OK)
                return r;
        domain = inv->args[0];

        r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MAILSTORE, "Survey", &error,
                               &reply, "s", domain);
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return output_bus_error(&error, r, "Cannot survey the domain");
        r = job_wait(bus, path, inv->timeout_usec, &j);
        if (r != EXIT_OK)
                return r;
        if (strcmp(j.state, HUBOPS_JOB_DONE) != 0) {
                r = job_report(&j);
                job_info_done(&j);
                return r;
        }
        job_info_done(&j);

        reply = sd_bus_message_unref(reply);
        r = sd_bus_call_method(bus, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MAILSTORE, "GetReport", &error,
                               &reply, "ss", domain, "survey");
        if (r >= 0)
                r = sd_bus_message_read(reply, "s", &text);
        if (r < 0)
                return output_bus_error(&error, r, "Cannot read the survey");
        r = mail_scan_from_json(text, strlen(text), domain, false, &s);
        if (r < 0)
                return output_error(EXIT_FAILED, "The helper's survey report is malformed");
        if (output.json) {
                json_object *o = json_tokener_parse(text);

                json_object_object_add(o, "copy_estimate_usec",
                                       json_object_new_uint64(mail_copy_estimate_usec(s.files, s.bytes)));
                output_json(o);
        } else
                print_survey(domain, &s);
        mail_scan_done(&s);
        return EXIT_OK;
}
