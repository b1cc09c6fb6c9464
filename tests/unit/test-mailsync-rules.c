/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The final pass's rsync filter rules (helper/mailsync-rules.c): their text
 * for each shape of Layout=, literal folder names, and what they do to real
 * trees under the real rsync (a local copy: the rules are the same ones the
 * pull sends its sender): the changed folders carried with deletes, the
 * unchanged ones never visited nor emptied, a mailbox none of whose folders
 * changed not entered (its own files untouched), what lies outside the
 * maildirs carried, gone folders and mailboxes deleted whole, new ones
 * created, no tmp/ contents. */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "mkdirs.h"

#include "macro.h"
#include "mailsync-rules.h"

static char root[64];

static char *rules_text(const char *layout, char *const *changed) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        assert_non_null(f);
        assert_int_equal(mailsync_final_rules(f, layout, changed), 0);
        assert_int_equal(fclose(f), 0);
        return text;
}

static void test_rules_default_layout(void **state) {
        char *changed[] = { "u1/Maildir", "u1/Maildir/.Sent", NULL };
        _cleanup_free_ char *text = rules_text("%d/%n/Maildir", changed);

        (void) state;
        assert_string_equal(text, "+ /*/Maildir/cur/*\n"
                                  "+ /*/Maildir/.*/cur/*\n"
                                  "+ /*/Maildir/new/*\n"
                                  "+ /*/Maildir/.*/new/*\n"
                                  "-p /*/Maildir/tmp/*\n"
                                  "-p /*/Maildir/.*/tmp/*\n"
                                  "+ /u1/Maildir/cur/\n"
                                  "+ /u1/Maildir/new/\n"
                                  "+ /u1/Maildir/.Sent/cur/\n"
                                  "+ /u1/Maildir/.Sent/new/\n"
                                  "-p /*/Maildir/cur/\n"
                                  "-p /*/Maildir/.*/cur/\n"
                                  "-p /*/Maildir/new/\n"
                                  "-p /*/Maildir/.*/new/\n"
                                  "+ /u1/Maildir/\n"
                                  "-p /*/Maildir/\n");
}

/* A prefix is part of every pattern (the stamps name folders from below it);
 * no suffix: the mailbox is the maildir. */
static void test_rules_prefix_and_no_suffix(void **state) {
        char *changed[] = { "u1/Maildir", NULL }, *bare_changed[] = { "u1", NULL };
        _cleanup_free_ char *prefixed = rules_text("%d/mail/%n/Maildir", changed);
        _cleanup_free_ char *bare = rules_text("%d/%n", bare_changed);

        (void) state;
        assert_non_null(strstr(prefixed, "\n+ /mail/u1/Maildir/cur/\n"));
        assert_non_null(strstr(prefixed, "\n-p /mail/*/Maildir/.*/new/\n"));
        assert_non_null(strstr(prefixed, "\n+ /mail/u1/Maildir/\n-p /mail/*/Maildir/\n"));
        assert_non_null(strstr(bare, "\n+ /u1/new/\n"));
        assert_non_null(strstr(bare, "\n-p /*/cur/\n"));
        assert_non_null(strstr(bare, "\n-p /*/.*/tmp/*\n"));
        assert_non_null(strstr(bare, "\n+ /u1/\n-p /*/\n"));
}

/* The maildir is the folder's first names (the layout's after %n, plus one),
 * whatever they are called: a suffix may begin with a dot, like a folder. */
static void test_rules_maildir_of_a_dotted_suffix(void **state) {
        char *changed[] = { "u1/.maildir", "u1/.maildir/.Sent", "u2/.maildir/.Sent", NULL };
        _cleanup_free_ char *text = rules_text("%d/%n/.maildir", changed);

        (void) state;
        assert_non_null(strstr(text, "\n-p /*/.maildir/.*/new/\n+ /u1/.maildir/\n+ /u2/.maildir/\n-p /*/.maildir/\n"));
}

/* rsync reads '*', '?' and '[' as wildcards, and then '\' as an escape. */
static void test_rules_folder_names_are_literal(void **state) {
        char *changed[] = { "u1/Maildir/.A[1]*", "u1/Maildir/.back\\slash", NULL };
        _cleanup_free_ char *text = rules_text("%d/%n/Maildir", changed);

        (void) state;
        assert_non_null(strstr(text, "\n+ /u1/Maildir/.A\\[1]\\*/cur/\n"));
        /* no wildcard: plain text, the backslash as it is */
        assert_non_null(strstr(text, "\n+ /u1/Maildir/.back\\slash/new/\n"));
        /* their maildir, once */
        assert_non_null(strstr(text, "\n-p /*/Maildir/.*/new/\n+ /u1/Maildir/\n-p /*/Maildir/\n"));
        assert_int_equal(mailsync_final_rules(stdout, "%n/Maildir", changed), -EINVAL);
}

static void path_of(char *buf, size_t size, const char *rel) {
        (void) snprintf(buf, size, "%s/%s", root, rel);
}

static void make_dirs(const char *rel) {
        make_dirs_under(root, rel);
}

static void write_file(const char *rel, const char *content) {
        char path[512];
        FILE *f;

        path_of(path, sizeof(path), rel);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_true(fputs(content, f) >= 0);
        assert_int_equal(fclose(f), 0);
}

static bool exists(const char *rel) {
        char path[512];

        path_of(path, sizeof(path), rel);
        return access(path, F_OK) == 0;
}

static const char *read_all(const char *rel) {
        static char buf[256];
        char path[512];
        FILE *f;
        size_t n;

        path_of(path, sizeof(path), rel);
        f = fopen(path, "re");
        assert_non_null(f);
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        (void) fclose(f);
        return buf;
}

static void maildir(const char *side, const char *folder) {
        const char *dirs[] = { "cur", "new", "tmp" };
        char rel[256];

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                (void) snprintf(rel, sizeof(rel), "%s/%s/%s", side, folder, dirs[i]);
                make_dirs(rel);
        }
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st, (void) flag, (void) ftw;
        return remove(path);
}

/* The real rsync, as the pull runs it (no shell): its exit status. */
static int run_rsync(char **argv) {
        int status;
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                execvp(argv[0], argv);
                _exit(127);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int setup(void **state) {
        (void) state;
        (void) snprintf(root, sizeof(root), "/tmp/test-mailsync-rules.XXXXXX");
        assert_non_null(mkdtemp(root));
        return 0;
}

static int teardown(void **state) {
        (void) state;
        return nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_rules_under_rsync(void **state) {
        char *changed[] = { "u1/Maildir", "u1/Maildir/.A[1]*", "u3/Maildir", NULL };
        char rules[512], merge[600], from[512], to[512];
        _cleanup_fclose_ FILE *f = NULL;

        (void) state;
        /* The source, frozen. u1's INBOX changed: a delivery, a flag change
         * (a rename), a delete; u1's .A[1]* changed; u1's .Sent and u2 did
         * not; u3 is new; tmp/ holds a delivery in flight. */
        maildir("src", "u1/Maildir");
        write_file("src/u1/Maildir/cur/m1:2,S", "kept");
        write_file("src/u1/Maildir/cur/m2:2,RS", "flagged");
        write_file("src/u1/Maildir/new/m3", "delivered");
        write_file("src/u1/Maildir/tmp/m4", "in flight");
        write_file("src/u1/Maildir/dovecot-uidlist", "3 V1 N4\n");
        maildir("src", "u1/Maildir/.Sent");
        write_file("src/u1/Maildir/.Sent/cur/s1:2,S", "sent");
        maildir("src", "u1/Maildir/.A[1]*");
        write_file("src/u1/Maildir/.A[1]*/cur/w1:2,", "wild");
        maildir("src", "u2/Maildir");
        write_file("src/u2/Maildir/cur/o1:2,S", "other");
        write_file("src/u2/Maildir/dovecot-uidlist", "source");
        write_file("src/u2/.forward", "outside the maildir");
        write_file("src/passwd", "the domain's own file");
        maildir("src", "u3/Maildir");
        write_file("src/u3/Maildir/cur/n1:2,S", "new mailbox");

        /* The destination after the pre-sync. The unchanged folders hold what
         * the source does not ("left"): a pass that visited them would delete
         * it, and would copy .Sent's s1. */
        maildir("dst", "u1/Maildir");
        write_file("dst/u1/Maildir/cur/m1:2,S", "kept");
        write_file("dst/u1/Maildir/cur/m2:2,S", "flagged");
        write_file("dst/u1/Maildir/cur/gone:2,S", "deleted at the source");
        write_file("dst/u1/Maildir/dovecot-uidlist", "3 V1 N3\n");
        maildir("dst", "u1/Maildir/.Sent");
        write_file("dst/u1/Maildir/.Sent/cur/left:2,S", "left");
        maildir("dst", "u1/Maildir/.A[1]*");
        maildir("dst", "u1/Maildir/.Trash");
        write_file("dst/u1/Maildir/.Trash/cur/t1:2,S", "a folder gone at the source");
        maildir("dst", "u2/Maildir");
        write_file("dst/u2/Maildir/cur/left:2,S", "left");
        write_file("dst/u2/Maildir/new/left", "left");
        write_file("dst/u2/Maildir/dovecot-uidlist", "left");
        maildir("dst", "u9/Maildir");
        write_file("dst/u9/Maildir/cur/x:2,S", "a mailbox gone at the source");

        (void) snprintf(rules, sizeof(rules), "%s/rules", root);
        f = fopen(rules, "we");
        assert_non_null(f);
        assert_int_equal(mailsync_final_rules(f, "%d/%n/Maildir", changed), 0);
        (void) snprintf(merge, sizeof(merge), "merge %s", rules);
        (void) snprintf(from, sizeof(from), "%s/src/", root);
        (void) snprintf(to, sizeof(to), "%s/dst/", root);
        assert_int_equal(run_rsync((char *[]) { "rsync", "-rlpt", "--delete", "--modify-window=-1", "--filter",
                                                merge, from, to, NULL }),
                         0);

        /* the changed folders: as the source, deletes included */
        assert_true(exists("dst/u1/Maildir/cur/m2:2,RS"));
        assert_false(exists("dst/u1/Maildir/cur/m2:2,S"));
        assert_false(exists("dst/u1/Maildir/cur/gone:2,S"));
        assert_true(exists("dst/u1/Maildir/new/m3"));
        assert_true(exists("dst/u1/Maildir/.A[1]*/cur/w1:2,"));
        assert_true(exists("dst/u3/Maildir/cur/n1:2,S"));
        assert_true(exists("dst/u3/Maildir/tmp"));
        /* every folder's own files (rewritten at the same size) */
        assert_string_equal(read_all("dst/u1/Maildir/dovecot-uidlist"), "3 V1 N4\n");
        /* the unchanged folders: neither emptied nor visited */
        assert_true(exists("dst/u1/Maildir/.Sent/cur/left:2,S"));
        assert_false(exists("dst/u1/Maildir/.Sent/cur/s1:2,S"));
        assert_true(exists("dst/u2/Maildir/cur/left:2,S"));
        assert_true(exists("dst/u2/Maildir/new/left"));
        assert_false(exists("dst/u2/Maildir/cur/o1:2,S"));
        /* a mailbox with no changed folder: not entered, its own files as they were */
        assert_string_equal(read_all("dst/u2/Maildir/dovecot-uidlist"), "left");
        /* outside the maildirs: carried */
        assert_string_equal(read_all("dst/u2/.forward"), "outside the maildir");
        assert_string_equal(read_all("dst/passwd"), "the domain's own file");
        /* gone at the source: deleted whole, despite the excludes */
        assert_false(exists("dst/u1/Maildir/.Trash"));
        assert_false(exists("dst/u9"));
        /* deliveries in flight stay out */
        assert_false(exists("dst/u1/Maildir/tmp/m4"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rules_default_layout),
                cmocka_unit_test(test_rules_prefix_and_no_suffix),
                cmocka_unit_test(test_rules_folder_names_are_literal),
                cmocka_unit_test(test_rules_maildir_of_a_dotted_suffix),
                cmocka_unit_test_setup_teardown(test_rules_under_rsync, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
