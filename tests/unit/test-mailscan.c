/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The domain walk of the mailbox move (helper/mailscan.c) on real trees:
 * counts, what is left out, and digests that match exactly when names,
 * sizes and mtimes (and with --checksum, contents) do. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "mkdirs.h"

#include "macro.h"
#include "mailscan.h"
#include "mailstamps.h"
#include "strv.h"

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

/* mkdir -p ROOT/REL */
static void make_dirs(const char *rel) {
        make_dirs_under(root, rel);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st, (void) flag, (void) ftw;
        return remove(path);
}

/* rm -rf ROOT/REL (REL "" for the root itself) */
static int remove_tree(const char *rel) {
        char path[512];

        (void) snprintf(path, sizeof(path), "%s%s%s", root, rel[0] ? "/" : "", rel);
        return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static time_t age_to = 100000;

static int age_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        const char *name = path + ftw->base;
        const struct timespec old[2] = { { .tv_sec = age_to }, { .tv_sec = age_to } };

        (void) st;
        if (flag == FTW_D && (strcmp(name, "cur") == 0 || strcmp(name, "new") == 0))
                return utimensat(AT_FDCWD, path, old, AT_SYMLINK_NOFOLLOW);
        return 0;
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
        return remove_tree("");
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
        char *json = mail_scan_to_json(o.domain, o.checksum, &s);

        assert_non_null(json);
        assert_non_null(strstr(json, "\"domain\":\"example.org\""));
        assert_non_null(strstr(json, "\"name\":\"alice\",\"files\":4,\"bytes\":31,\"largest\":12,\"digest\":\""));
        assert_non_null(strstr(json, "\"name\":\"bob\""));
        free(json);
        mail_scan_done(&s);
}

/* Every folder's cur/ and new/ back to an old time, so that only what a test
 * changes looks changed (the same-tick rule is tested on its own). */
static void age_folders_to(time_t when) {
        char path[512];

        age_to = when;
        (void) snprintf(path, sizeof(path), "%s/example.org", root);
        assert_int_equal(nftw(path, age_entry, 16, FTW_PHYS), 0);
}

static void age_folders(void) {
        age_folders_to(100000);
}

/* A recording 100 s from now: the folders' own stamps are ctimes, which no
 * test can set back, so the recording goes forward instead (MAILSTAMPS_TICK_USEC
 * after every ctime the tree has). */
static uint64_t later_usec(uint64_t plus_usec) {
        return ((uint64_t) time(NULL) + 100) * 1000000ULL + plus_usec;
}

static MailStamps take_stamps(uint64_t now_usec) {
        MailScanOptions o = { .root = root, .layout = "%d/%n/Maildir", .domain = "example.org" };
        MailStamps s;
        char *error = NULL;

        if (mail_stamps_take(&o, now_usec, &s, &error) < 0)
                fail_msg("mail_stamps_take: %s", error ? error : "(no message)");
        return s;
}

static void assert_strv(char **l, const char *const *expected) {
        size_t n = 0;

        for (; expected[n]; n++)
                if (!l[n] || strcmp(l[n], expected[n]) != 0)
                        fail_msg("item %zu: expected \"%s\", got \"%s\"", n, expected[n], l[n] ? l[n] : "(end)");
        if (l[n])
                fail_msg("unexpected item \"%s\"", l[n]);
}

static void test_stamps_record_maildir_plus_folders(_unused_ void **state) {
        MailStamps s;

        age_folders();
        s = take_stamps(200000ULL * 1000000);
        assert_int_equal(s.n_folders, 3);
        assert_string_equal(s.folders[0].path, "alice/Maildir");
        assert_string_equal(s.folders[1].path, "alice/Maildir/.Sent");
        assert_string_equal(s.folders[2].path, "bob/Maildir");
        assert_int_equal(s.folders[0].cur_usec, 100000LL * 1000000);
        assert_int_equal(s.folders[1].new_usec, -1); /* .Sent has no new/ */
        assert_true(s.folders[0].own_usec > 100000LL * 1000000); /* alice/Maildir's mtime or dovecot-uidlist's ctime */
        mail_stamps_done(&s);
}

/* Each kind of change during a pre-sync shows in the final pass's list. */
static void test_stamps_find_every_change_and_nothing_else(_unused_ void **state) {
        static const char *const none[] = { NULL };
        MailStamps before, now;
        char **changed = NULL, **gone = NULL, from[512], to[512];

        age_folders();
        before = take_stamps(later_usec(0));
        now = take_stamps(later_usec(1000000));
        assert_int_equal(mail_stamps_changed(&before, &now, &changed, &gone), 0);
        assert_strv(changed, none);
        assert_strv(gone, none);
        strv_free(changed), strv_free(gone), mail_stamps_done(&now);

        /* A delivery to bob, a new/ to cur/ move and a flag rename for alice, a new folder. */
        make_dirs("example.org/bob/Maildir/tmp");
        write_file("example.org/bob/Maildir/tmp/7.M7P1.pop02", "new mail\n", 7000);
        (void) snprintf(from, sizeof(from), "%s/example.org/bob/Maildir/tmp/7.M7P1.pop02", root);
        (void) snprintf(to, sizeof(to), "%s/example.org/bob/Maildir/cur/7.M7P1.pop02", root);
        assert_int_equal(rename(from, to), 0);
        (void) snprintf(from, sizeof(from), "%s/example.org/alice/Maildir/new/2.M2P1.pop02", root);
        (void) snprintf(to, sizeof(to), "%s/example.org/alice/Maildir/cur/2.M2P1.pop02:2,", root);
        assert_int_equal(rename(from, to), 0);
        make_dirs("example.org/alice/Maildir/.Trash/cur");
        assert_int_equal(remove_tree("example.org/alice/Maildir/.Sent"), 0);
        now = take_stamps(later_usec(1000000));
        assert_int_equal(mail_stamps_changed(&before, &now, &changed, &gone), 0);
        assert_strv(changed, (const char *const[]) { "alice/Maildir", "alice/Maildir/.Trash", "bob/Maildir", NULL });
        assert_strv(gone, (const char *const[]) { "alice/Maildir/.Sent", NULL });
        strv_free(changed), strv_free(gone), mail_stamps_done(&now), mail_stamps_done(&before);
}

/* A directory whose mtime was within a tick of the recording cannot be
 * trusted to show a change made in that same tick: it counts as changed. */
static void test_stamps_count_a_recent_directory_as_changed(_unused_ void **state) {
        MailStamps before, now;
        char **changed = NULL, **gone = NULL;

        uint64_t at = later_usec(0);

        age_folders_to((time_t) (at / 1000000) - 1);
        before = take_stamps(at);
        now = take_stamps(at + 1000000);
        assert_int_equal(mail_stamps_changed(&before, &now, &changed, &gone), 0);
        assert_int_equal(strv_length(changed), 3);
        strv_free(changed), strv_free(gone), mail_stamps_done(&now), mail_stamps_done(&before);

        age_folders_to((time_t) (at / 1000000) - 3);
        before = take_stamps(at);
        now = take_stamps(at + 1000000);
        assert_int_equal(mail_stamps_changed(&before, &now, &changed, &gone), 0);
        assert_int_equal(strv_length(changed), 0);
        strv_free(changed), strv_free(gone), mail_stamps_done(&now), mail_stamps_done(&before);
}

/* A control file written in place changes no directory: its ctime shows it,
 * even with its mtime set back; a file added to a folder's top shows in the
 * folder's mtime. Nothing else counts as changed. */
static void test_stamps_see_own_files_changed_in_place(_unused_ void **state) {
        MailStamps before, now;
        char **changed = NULL, **gone = NULL;

        age_folders();
        before = take_stamps(later_usec(0));
        /* ctimes tick coarsely: let the clock move past the tree's last one. */
        (void) usleep(20000);
        write_file("example.org/alice/Maildir/dovecot-uidlist", "3 V1 N5\n", 4000);
        write_file("example.org/alice/Maildir/.Sent/maildirfolder", "", 4000);
        now = take_stamps(later_usec(1000000));
        assert_int_equal(mail_stamps_changed(&before, &now, &changed, &gone), 0);
        assert_strv(changed, (const char *const[]) { "alice/Maildir", "alice/Maildir/.Sent", NULL });
        assert_int_equal(strv_length(gone), 0);
        strv_free(changed), strv_free(gone), mail_stamps_done(&now), mail_stamps_done(&before);
}

static void test_stamps_json_round_trip_and_refusals(_unused_ void **state) {
        static const char *const bad[] = {
                "",
                "[]",
                "{\"taken\":1}",
                "{\"taken\":1,\"folders\":[],\"x\":1}",
                "{\"taken\":-1,\"folders\":[]}",
                "{\"taken\":1,\"folders\":[[\"/etc\",1,1]]}",
                "{\"taken\":1,\"folders\":[[\"a/../b\",1,1]]}",
                "{\"taken\":1,\"folders\":[[\"a//b\",1,1]]}",
                "{\"taken\":1,\"folders\":[[\"a/\",1,1]]}",
                "{\"taken\":1,\"folders\":[[\"a\\nb\",1,1]]}",
                "{\"taken\":1,\"folders\":[[\"a\\u0000b\",1,1]]}",
                "{\"taken\":1,\"folders\":[[\"a\",-2,1]]}",
                "{\"taken\":1,\"folders\":[[\"a\",1]]}",
                "{\"taken\":1,\"folders\":[[\"a\",1,1,-2]]}",
                "{\"taken\":1,\"folders\":[[\"a\",1,1,\"1\"]]}",
                "{\"taken\":1,\"folders\":[[\"a\",1,1,1,1]]}",
                "{\"taken\":1,\"folders\":[[\"a\",1,\"1\"]]}",
                "{\"taken\":1,\"folders\":[[\"b\",1,1],[\"a\",1,1]]}",
                "{\"taken\":1,\"folders\":[[\"a\",1,1],[\"a\",1,1]]}",
                /* one report, and nothing after it but whitespace */
                "{\"taken\":1,\"folders\":[]}{}",
                "{\"taken\":1,\"folders\":[]}\nx",
        };
        MailStamps s, back;
        char *json;

        s = take_stamps(123456789);
        json = mail_stamps_to_json(&s);
        assert_non_null(json);
        assert_int_equal(mail_stamps_from_json(json, strlen(json), &back), 0);
        assert_int_equal(back.taken_usec, 123456789);
        assert_int_equal(back.n_folders, s.n_folders);
        for (size_t i = 0; i < s.n_folders; i++) {
                assert_string_equal(back.folders[i].path, s.folders[i].path);
                assert_int_equal(back.folders[i].cur_usec, s.folders[i].cur_usec);
                assert_int_equal(back.folders[i].new_usec, s.folders[i].new_usec);
                assert_int_equal(back.folders[i].own_usec, s.folders[i].own_usec);
        }
        free(json), mail_stamps_done(&back), mail_stamps_done(&s);

        /* A recording from before the own stamps: read, its folders always changed. */
        json = strdup("{\"taken\":1,\"folders\":[[\"a\",1,1]]}");
        assert_int_equal(mail_stamps_from_json(json, strlen(json), &back), 0);
        assert_int_equal(back.folders[0].own_usec, MAILSTAMPS_OWN_UNKNOWN);
        s = back;
        free(json);
        json = strdup("{\"taken\":1,\"folders\":[[\"a\",1,1,5]]}");
        assert_int_equal(mail_stamps_from_json(json, strlen(json), &back), 0);
        {
                char **changed = NULL, **gone = NULL;

                assert_int_equal(mail_stamps_changed(&s, &back, &changed, &gone), 0);
                assert_strv(changed, (const char *const[]) { "a", NULL });
                strv_free(changed), strv_free(gone);
        }
        free(json), mail_stamps_done(&back), mail_stamps_done(&s);

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (mail_stamps_from_json(bad[i], strlen(bad[i]), &back) != -EBADMSG)
                        fail_msg("accepted: %s", bad[i]);
}

static void test_scan_json_reads_back_strictly(_unused_ void **state) {
        MailScanOptions o = { .root = root, .layout = "%d/%n/Maildir", .domain = "example.org" };
        static const char *const bad[] = {
                "{}",
                /* another domain, another checksum setting */
                "{\"domain\":\"example.net\",\"checksum\":false,\"files\":0,\"bytes\":0,\"skipped\":0,\"mailboxes\":[]}",
                "{\"domain\":\"example.org\",\"checksum\":true,\"files\":0,\"bytes\":0,\"skipped\":0,\"mailboxes\":[]}",
                /* totals that are not the sums */
                "{\"domain\":\"example.org\",\"checksum\":false,\"files\":1,\"bytes\":0,\"skipped\":0,\"mailboxes\":[]}",
                "{\"domain\":\"example.org\",\"checksum\":false,\"files\":-1,\"bytes\":0,\"skipped\":0,\"mailboxes\":[]}",
                "{\"domain\":\"example.org\",\"checksum\":false,\"files\":0,\"bytes\":0,\"skipped\":0,\"mailboxes\":[],\"x\":1}",
        };
        MailScan s = scan_domain(false), back;
        char *json = mail_scan_to_json(o.domain, o.checksum, &s), *evil;

        assert_int_equal(mail_scan_from_json(json, strlen(json), "example.org", false, &back), 0);
        assert_int_equal(back.n_mailboxes, 2);
        assert_string_equal(back.mailboxes[0].name, "alice");
        assert_int_equal(back.mailboxes[0].bytes, 31);
        assert_memory_equal(back.mailboxes[0].digest, s.mailboxes[0].digest, MAILSCAN_DIGEST_SIZE);
        assert_int_equal(back.files, s.files);
        mail_scan_done(&back);
        assert_int_equal(mail_scan_from_json(json, strlen(json), "example.org", true, &back), -EBADMSG);

        /* A mailbox name that is a path, or out of order. */
        evil = strdup(json);
        memcpy(strstr(evil, "\"alice\""), "\"../e\"", 7);
        assert_int_equal(mail_scan_from_json(evil, strlen(evil), "example.org", false, &back), -EBADMSG);
        memcpy(strstr(evil, "\"../e\""), "\"zlice\"", 7);
        assert_int_equal(mail_scan_from_json(evil, strlen(evil), "example.org", false, &back), -EBADMSG);
        free(evil);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (mail_scan_from_json(bad[i], strlen(bad[i]), "example.org", false, &back) != -EBADMSG)
                        fail_msg("accepted: %s", bad[i]);
        free(json);
        mail_scan_done(&s);
}

static void test_changes_json_round_trip_and_refusals(_unused_ void **state) {
        static const char *const bad[] = {
                /* changed but not a folder; gone but still a folder; unsorted; a path out */
                "{\"recorded\":1,\"frozen\":2,\"folders\":[\"a/M\"],\"changed\":[\"b/M\"],\"gone\":[]}",
                "{\"recorded\":1,\"frozen\":2,\"folders\":[\"a/M\"],\"changed\":[],\"gone\":[\"a/M\"]}",
                "{\"recorded\":1,\"frozen\":2,\"folders\":[\"b/M\",\"a/M\"],\"changed\":[],\"gone\":[]}",
                "{\"recorded\":1,\"frozen\":2,\"folders\":[\"../M\"],\"changed\":[],\"gone\":[]}",
                "{\"recorded\":1,\"frozen\":2,\"folders\":[],\"changed\":[]}",
                "{\"recorded\":1,\"frozen\":2,\"folders\":[],\"changed\":[],\"gone\":[]} trailing",
        };
        char *folders[] = { "alice/Maildir", "alice/Maildir/.Sent", "bob/Maildir", NULL };
        char *changed[] = { "alice/Maildir/.Sent", NULL }, *gone[] = { "alice/Maildir/.Trash", NULL };
        MailChanges c = { .recorded_usec = 10, .frozen_usec = 20, .folders = folders, .changed = changed, .gone = gone };
        MailChanges back;
        char *json = mail_changes_to_json(&c);

        assert_int_equal(mail_changes_from_json(json, strlen(json), &back), 0);
        assert_int_equal(back.frozen_usec, 20);
        assert_int_equal(strv_length(back.folders), 3);
        assert_string_equal(back.changed[0], "alice/Maildir/.Sent");
        assert_string_equal(back.gone[0], "alice/Maildir/.Trash");
        mail_changes_done(&back);
        free(json);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (mail_changes_from_json(bad[i], strlen(bad[i]), &back) != -EBADMSG)
                        fail_msg("accepted: %s", bad[i]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_changes_json_round_trip_and_refusals),
                cmocka_unit_test_setup_teardown(test_scan_counts_mailboxes_and_leaves_out_tmp, setup, teardown),
                cmocka_unit_test_setup_teardown(test_digest_follows_names_sizes_and_mtimes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_checksum_sees_same_size_same_mtime_corruption, setup, teardown),
                cmocka_unit_test_setup_teardown(test_scan_refuses_bad_domains_and_reports_missing_ones, setup, teardown),
                cmocka_unit_test_setup_teardown(test_scan_json_names_every_mailbox, setup, teardown),
                cmocka_unit_test_setup_teardown(test_scan_json_reads_back_strictly, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stamps_record_maildir_plus_folders, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stamps_count_a_recent_directory_as_changed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stamps_json_round_trip_and_refusals, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stamps_find_every_change_and_nothing_else, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stamps_see_own_files_changed_in_place, setup, teardown),
                cmocka_unit_test_setup_teardown(test_scan_skips_symlinks_without_following, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
