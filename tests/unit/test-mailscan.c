/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The domain walk of the mailbox move (helper/mailscan.c) on real trees:
 * counts, what is left out, and digests that match exactly when names,
 * sizes and mtimes (and with --checksum, contents) do. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "macro.h"
#include "mailscan.h"

static char root[64];

static void write_file(const char *rel, const char *content, time_t mtime) {
        char path[512];
        struct timeval tv[2] = { { .tv_sec = mtime }, { .tv_sec = mtime } };
        FILE *f;

        (void) snprintf(path, sizeof(path), "%s/%s", root, rel);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_true(fputs(content, f) >= 0);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(utimes(path, tv), 0);
}

static void make_dirs(const char *rel) {
        char path[512];

        (void) snprintf(path, sizeof(path), "mkdir -p '%s/%s'", root, rel);
        assert_int_equal(system(path), 0);
}

/* example.org with alice (cur, new, a folder, tmp) and bob (empty). */
static int setup(void **state) {
        (void) snprintf(root, sizeof(root), "/tmp/test-mailscan.XXXXXX");
        assert_non_null(mkdtemp(root));
        make_dirs("example.org/alice/Maildir/cur");
        make_dirs("example.org/alice/Maildir/new");
        make_dirs("example.org/alice/Maildir/tmp");
        make_dirs("example.org/alice/Maildir/.Sent/cur");
        make_dirs("example.org/bob/Maildir/cur");
        make_dirs("example.org/.hidden/Maildir/cur");
        write_file("example.org/alice/Maildir/cur/1.M1P1.pop02:2,S", "hello\n", 1000);
        write_file("example.org/alice/Maildir/new/2.M2P1.pop02", "hello world\n", 2000);
        write_file("example.org/alice/Maildir/.Sent/cur/3.M3P1.pop02:2,S", "sent\n", 3000);
        write_file("example.org/alice/Maildir/dovecot-uidlist", "3 V1 N4\n", 4000);
        write_file("example.org/alice/Maildir/tmp/4.M4P1.pop02", "in flight\n", 5000);
        write_file("example.org/.hidden/Maildir/cur/5", "not a mailbox\n", 5000);
        *state = root;
        return 0;
}

static int teardown(_unused_ void **state) {
        char cmd[128];

        (void) snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        return system(cmd);
}

static MailScan scan_domain(bool checksum) {
        MailScanOptions o = { .root = root, .layout = "%d/%n/Maildir", .domain = "example.org", .checksum = checksum };
        MailScan s;
        char *error = NULL;

        if (mail_scan(&o, &s, &error) < 0)
                fail_msg("mail_scan: %s", error ? error : "(no message)");
        assert_null(error);
        return s;
}

static void test_scan_counts_mailboxes_and_leaves_out_tmp(_unused_ void **state) {
        MailScan s = scan_domain(false);

        assert_int_equal(s.n_mailboxes, 2);
        assert_string_equal(s.mailboxes[0].name, "alice");
        assert_int_equal(s.mailboxes[0].files, 4);
        assert_int_equal(s.mailboxes[0].bytes, 6 + 12 + 5 + 8);
        assert_int_equal(s.mailboxes[0].largest, 12);
        assert_string_equal(s.mailboxes[1].name, "bob");
        assert_int_equal(s.mailboxes[1].files, 0);
        assert_int_equal(s.files, 4);
        assert_int_equal(s.skipped, 0);
        mail_scan_done(&s);
}

static void test_scan_skips_symlinks_without_following(_unused_ void **state) {
        char link[512];
        MailScan s;

        (void) snprintf(link, sizeof(link), "%s/example.org/bob/Maildir/cur/evil", root);
        assert_int_equal(symlink("/etc/shadow", link), 0);
        (void) snprintf(link, sizeof(link), "%s/example.org/bob/Maildir/.Trash", root);
        assert_int_equal(symlink("/etc", link), 0);
        s = scan_domain(true);
        assert_int_equal(s.mailboxes[1].files, 0);
        assert_int_equal(s.skipped, 2);
        mail_scan_done(&s);
}

/* Each change a move must notice changes that mailbox's digest and no other. */
static void test_digest_follows_names_sizes_and_mtimes(_unused_ void **state) {
        MailScan before = scan_domain(false), after;
        char from[512], to[512];

        /* A flag change: the same file under a new name. */
        (void) snprintf(from, sizeof(from), "%s/example.org/alice/Maildir/cur/1.M1P1.pop02:2,S", root);
        (void) snprintf(to, sizeof(to), "%s/example.org/alice/Maildir/cur/1.M1P1.pop02:2,RS", root);
        assert_int_equal(rename(from, to), 0);
        after = scan_domain(false);
        assert_memory_not_equal(before.mailboxes[0].digest, after.mailboxes[0].digest, MAILSCAN_DIGEST_SIZE);
        assert_memory_equal(before.mailboxes[1].digest, after.mailboxes[1].digest, MAILSCAN_DIGEST_SIZE);
        assert_int_equal(rename(to, from), 0);
        mail_scan_done(&after);

        /* Back as it was: the same digest again. */
        after = scan_domain(false);
        assert_memory_equal(before.mailboxes[0].digest, after.mailboxes[0].digest, MAILSCAN_DIGEST_SIZE);
        mail_scan_done(&after);

        /* An mtime. */
        write_file("example.org/alice/Maildir/dovecot-uidlist", "3 V1 N4\n", 4001);
        after = scan_domain(false);
        assert_memory_not_equal(before.mailboxes[0].digest, after.mailboxes[0].digest, MAILSCAN_DIGEST_SIZE);
        mail_scan_done(&after);

        /* A size, at the same mtime. */
        write_file("example.org/alice/Maildir/dovecot-uidlist", "3 V1 N45\n", 4000);
        after = scan_domain(false);
        assert_memory_not_equal(before.mailboxes[0].digest, after.mailboxes[0].digest, MAILSCAN_DIGEST_SIZE);
        mail_scan_done(&after);
        write_file("example.org/alice/Maildir/dovecot-uidlist", "3 V1 N4\n", 4000);

        /* tmp/ is not part of it. */
        write_file("example.org/alice/Maildir/tmp/6", "more in flight\n", 6000);
        after = scan_domain(false);
        assert_memory_equal(before.mailboxes[0].digest, after.mailboxes[0].digest, MAILSCAN_DIGEST_SIZE);
        mail_scan_done(&after);
        mail_scan_done(&before);
}

/* Content with the same size and mtime (a corrupted copy): only --checksum sees it. */
static void test_checksum_sees_same_size_same_mtime_corruption(_unused_ void **state) {
        MailScan plain = scan_domain(false), sums = scan_domain(true), plain2, sums2;

        write_file("example.org/alice/Maildir/cur/1.M1P1.pop02:2,S", "hellO\n", 1000);
        plain2 = scan_domain(false);
        sums2 = scan_domain(true);
        assert_memory_equal(plain.mailboxes[0].digest, plain2.mailboxes[0].digest, MAILSCAN_DIGEST_SIZE);
        assert_memory_not_equal(sums.mailboxes[0].digest, sums2.mailboxes[0].digest, MAILSCAN_DIGEST_SIZE);
        write_file("example.org/alice/Maildir/cur/1.M1P1.pop02:2,S", "hello\n", 1000);
        mail_scan_done(&plain);
        mail_scan_done(&plain2);
        mail_scan_done(&sums);
        mail_scan_done(&sums2);
}

static void test_scan_refuses_bad_domains_and_reports_missing_ones(_unused_ void **state) {
        MailScanOptions o = { .root = root, .layout = "%d/%n/Maildir", .domain = "../etc" };
        MailScan s;
        char *error = NULL;

        assert_int_equal(mail_scan(&o, &s, &error), -EINVAL);
        o.domain = "example.net";
        assert_int_equal(mail_scan(&o, &s, &error), -ENOENT);
        assert_non_null(error);
        assert_non_null(strstr(error, "example.net"));
        free(error);
}

static void test_scan_json_names_every_mailbox(_unused_ void **state) {
        MailScanOptions o = { .root = root, .layout = "%d/%n/Maildir", .domain = "example.org" };
        MailScan s = scan_domain(false);
        char *json = mail_scan_to_json(&o, &s);

        assert_non_null(json);
        assert_non_null(strstr(json, "\"domain\":\"example.org\""));
        assert_non_null(strstr(json, "\"name\":\"alice\",\"files\":4,\"bytes\":31,\"largest\":12,\"digest\":\""));
        assert_non_null(strstr(json, "\"name\":\"bob\""));
        free(json);
        mail_scan_done(&s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scan_counts_mailboxes_and_leaves_out_tmp),
                cmocka_unit_test(test_digest_follows_names_sizes_and_mtimes),
                cmocka_unit_test(test_checksum_sees_same_size_same_mtime_corruption),
                cmocka_unit_test(test_scan_refuses_bad_domains_and_reports_missing_ones),
                cmocka_unit_test(test_scan_json_names_every_mailbox),
                cmocka_unit_test(test_scan_skips_symlinks_without_following),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
