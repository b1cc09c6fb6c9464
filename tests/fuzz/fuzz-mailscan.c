/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mailbox move's two reports read back by hubopsd: hubops-mailscan's
 * survey/verify result and the folder stamps. Both are written by a process
 * running as the mail user, so their content is not trusted; and rsync's
 * progress lines, and hubopsd's "changes" report as hubopsctl reads it. The
 * first byte picks the reader. */

#include <string.h>

#include "fuzz.h"
#include "mailscan.h"
#include "mailstamps.h"
#include "rsync-progress.h"
#include "strv.h"

static void fuzz_scan(const char *text, size_t size) {
        MailScan s;
        uint64_t files = 0;

        if (mail_scan_from_json(text, size, "example.org", false, &s) < 0)
                return;
        for (size_t i = 0; i < s.n_mailboxes; i++) {
                if (s.mailboxes[i].largest > s.mailboxes[i].bytes || strchr(s.mailboxes[i].name, '/'))
                        __builtin_trap();
                files += s.mailboxes[i].files;
        }
        if (files != s.files)
                __builtin_trap();
        mail_scan_done(&s);
}

static void fuzz_stamps(const char *text, size_t size) {
        MailStamps s, empty = { .taken_usec = 0 };
        char **changed = NULL, **gone = NULL;

        if (mail_stamps_from_json(text, size, &s) < 0)
                return;
        /* A folder path becomes an rsync source: never absolute, never up. */
        for (size_t i = 0; i < s.n_folders; i++)
                if (s.folders[i].path[0] == '/' || strstr(s.folders[i].path, "/../") ||
                    strncmp(s.folders[i].path, "../", 3) == 0)
                        __builtin_trap();
        /* Against itself nothing is gone; against nothing everything is. */
        if (mail_stamps_changed(&s, &s, &changed, &gone) == 0 && strv_length(gone) != 0)
                __builtin_trap();
        strv_free(changed), strv_free(gone);
        if (mail_stamps_changed(&s, &empty, &changed, &gone) == 0 && strv_length(gone) != s.n_folders)
                __builtin_trap();
        strv_free(changed), strv_free(gone);
        mail_stamps_done(&s);
}

/* rsync's stdout, read by hubops-mailsync: the peer's rsync can say anything. */
static void fuzz_progress(const char *text, size_t size) {
        RsyncProgress p;

        if (rsync_progress_parse(text, size, &p) == 0 && (p.checked > p.total || p.percent > 100))
                __builtin_trap();
}

/* hubopsd's "changes" report, read by hubopsctl and turned into a Sync call. */
static void fuzz_changes(const char *text, size_t size) {
        MailChanges c;

        if (mail_changes_from_json(text, size, &c) < 0)
                return;
        for (char **p = c.folders; *p; p++)
                if ((*p)[0] == '/' || strstr(*p, "/../") || strncmp(*p, "../", 3) == 0)
                        __builtin_trap();
        mail_changes_done(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        switch (data[0] % 4) {
        case 0: fuzz_scan((const char *) data + 1, size - 1); break;
        case 1: fuzz_stamps((const char *) data + 1, size - 1); break;
        case 2: fuzz_progress((const char *) data + 1, size - 1); break;
        default: fuzz_changes((const char *) data + 1, size - 1); break;
        }
        return 0;
}
