/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hubops-mailsync: one copy pass of a domain from a peer mail store, run by
 * hubopsd as a transient unit as the mail user on the destination (DESIGN.md
 * 2b). The engine is rsync, pulling over ssh with the peer's dedicated key;
 * the peer's authorized_keys allows that key only `rrsync -ro` on its mail
 * root, so every remote path here is relative to that root.
 *
 *   --mode full   the whole domain, with deletes (a pre-sync; live mail is
 *                 expected to move meanwhile, so vanished files are normal)
 *   --mode final  after the freeze: stdin lists the source's folders as
 *                 "F\tPATH" and the changed ones as "C\tPATH" (paths relative
 *                 to the mailbox parent of the layout, as the stamps name them).
 *                 One rsync session over the domain with deletes, whose
 *                 filter rules (mailsync-rules.h) leave out every maildir
 *                 with no changed folder, and the cur/ and new/ of every
 *                 folder that did not change: the changed folders' messages,
 *                 the directories and own files (control files) of every
 *                 folder of their maildirs, what lies outside the maildirs,
 *                 and the deletes of gone folders and mailboxes. The walk
 *                 finds the folders itself, so the F lines are only checked.
 *                 Through the connection a connect left open (ssh logs in
 *                 itself if none answers on its socket), which it then closes.
 *   --mode connect  before the freeze: open the final pass's ssh connection
 *                 (an ssh ControlMaster at $RUNTIME_DIRECTORY/ssh, the
 *                 directory hubopsd gives the connect and final units of
 *                 this domain and peer), and end once it is open. It outlives this
 *                 program's unit and closes itself after CONTROL_PERSIST_SEC of
 *                 disuse. The login is half of an rsync session's fixed
 *                 cost (tests/bench/mailbox), and a source that refuses it
 *                 is found before the freeze, not in it.
 *
 * Progress: sd_notify("STATUS=files CHECKED/TOTAL bytes COPIED/SIZE"), at
 * most once a second (rsync-progress.h: the files lead). Result: one JSON
 * object on stdout. Exit 0, 1 when the copy failed (rsync's reason on
 * stderr), 2 on bad usage or input. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "format.h"
#include "macro.h"
#include "mail-report.h"
#include "mailsync-rules.h"
#include "names.h"
#include "rsync-progress.h"
#include "strv.h"
#include "unit-status.h"

#define RSYNC "/usr/bin/rsync"
#define SSH "/usr/bin/ssh"
#define RSYNC_VANISHED 24
#define LINE_MAX_BYTES 4096
#define FOLLOW_PAUSE_NSEC (10L * 1000 * 1000)
#define FOLLOW_PIPE_BYTES (1024 * 1024)
/* The held connection's idle limit: the freeze between a connect and the
 * final pass is seconds; a run left at that point must not keep it for days. */
#define CONTROL_PERSIST_SEC 900
#define CONTROL_SOCKET "ssh"
#define SUN_PATH_MAX 107

typedef struct Args {
        const char *peer, *identity, *known_hosts, *root, *layout, *domain, *mode;
        unsigned port;
        char control[SUN_PATH_MAX + 1]; /* the held connection's socket, or "" */
} Args;

typedef struct Totals {
        RsyncProgress last; /* rsync's last progress line */
        bool vanished;
} Totals;

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* What goes into rsync's -e string, which rsync splits on spaces: no
 * spaces, quotes or anything else it would read. */
static bool word_is_plain(const char *s) {
        return s && s[0] && s[0] != '-' &&
               strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._-@:") == strlen(s);
}

static void notify(const RsyncProgress *p, uint64_t *last_usec, bool force) {
        char status[UNIT_STATUS_TEXT_MAX + 1];
        uint64_t now = now_usec();

        if (!force && now - *last_usec < 1000000)
                return;
        *last_usec = now;
        if (rsync_progress_status(p, status, sizeof(status)) == 0)
                (void) sd_notifyf(0, "STATUS=%s", status);
}

/* Read rsync's stdout: progress lines end in '\r', messages in '\n'. In
 * chunks, and a pause after each: progress2 writes a line per file, 200,000
 * lines for a big domain, and a reader woken for each one cost the copy a
 * quarter of its time on two CPUs (tests/bench/mailbox). The pause lets the
 * pipe gather lines, so rsync's writes wake no one; at the end it delays the
 * result by at most one pause. */
static void follow_progress(int fd, Totals *t) {
        static const struct timespec pause = { .tv_sec = 0, .tv_nsec = FOLLOW_PAUSE_NSEC };
        char buf[65536], line[LINE_MAX_BYTES];
        RsyncProgress p = { .bytes = 0 }, last = { .bytes = 0 };
        uint64_t last_notify = 0;
        size_t n = 0;
        ssize_t k;

        while ((k = read(fd, buf, sizeof(buf))) > 0) {
                for (ssize_t i = 0; i < k; i++) {
                        char c = buf[i];

                        if (c != '\r' && c != '\n') {
                                if (n < sizeof(line) - 1)
                                        line[n++] = c;
                                continue;
                        }
                        if (n > 0 && rsync_progress_parse(line, n, &p) == 0) {
                                last = p;
                                notify(&last, &last_notify, false);
                        } else if (n > 0)
                                fprintf(stderr, "%.*s\n", (int) n, line);
                        n = 0;
                }
                (void) nanosleep(&pause, NULL);
        }
        t->last = last;
        notify(&last, &last_notify, true);
}

/* PATH with ARGV, its stdout and stderr on out_fd and err_fd (-1: ours).
 * Its PID, or -1 with errno set. */
static pid_t spawn(const char *path, char **argv, int out_fd, int err_fd) {
        pid_t pid = fork();

        if (pid == 0) {
                if ((out_fd >= 0 && dup2(out_fd, STDOUT_FILENO) < 0) ||
                    (err_fd >= 0 && dup2(err_fd, STDERR_FILENO) < 0))
                        _exit(127);
                execv(path, argv);
                _exit(127);
        }
        return pid;
}

/* Its exit status; -EINTR if a signal ended it, -errno if it cannot be waited for. */
static int wait_exit_status(pid_t pid) {
        int status;

        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -EINTR;
}

static int run_rsync(char **argv, Totals *t) {
        int pipefd[2], r;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        /* Room for the lines of a pause at the fastest rate (best effort: the
         * default 64 KiB only makes rsync wait for the reader now and then). */
        (void) fcntl(pipefd[0], F_SETPIPE_SZ, FOLLOW_PIPE_BYTES);
        pid = spawn(RSYNC, argv, pipefd[1], -1);
        r = pid < 0 ? -errno : 0;
        close(pipefd[1]);
        if (r < 0) {
                close(pipefd[0]);
                return r;
        }
        follow_progress(pipefd[0], t);
        close(pipefd[0]);
        return wait_exit_status(pid);
}

/* The anchored filters that leave out tmp/ contents (deliveries in flight). */
static int tmp_filters(const char *layout, char **ret_inbox, char **ret_folders) {
        _cleanup_free_ char *inbox = NULL, *folders = NULL;

        if (mailsync_folder_pattern(layout, false, "tmp/*", &inbox) < 0 ||
            mailsync_folder_pattern(layout, true, "tmp/*", &folders) < 0)
                return -ENOMEM;
        *ret_inbox = strdup_printf("- %s", inbox);
        *ret_folders = strdup_printf("- %s", folders);
        return *ret_inbox && *ret_folders ? 0 : -ENOMEM;
}

static int add(char ***argv, const char *s) {
        return strv_extend(argv, s);
}

/* The ssh command, one string as rsync's -e takes it (rsync splits it on
 * spaces, so every word is plain: parse_args): the peer's key and host key,
 * nothing from ~/.ssh or /etc/ssh. master: "yes" (a connect opening the held
 * connection), "no" (a client of it), NULL (no held connection). */
static char *ssh_command(const Args *a, const char *master) {
        char *ssh = NULL;

        if (asprintf(&ssh,
                     SSH " -F /dev/null -i %s -p %u -o IdentitiesOnly=yes -o BatchMode=yes "
                         "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=%s -o GlobalKnownHostsFile=/dev/null "
                         "-o ConnectTimeout=30 -o ServerAliveInterval=15%s%s%s%s",
                     a->identity, a->port, a->known_hosts, master ? " -o ControlMaster=" : "", master ? master : "",
                     master ? " -o ControlPath=" : "", master ? a->control : "") < 0)
                return NULL;
        return ssh;
}

/* ssh [the common options, master] EXTRA... PEER; its status, or -errno.
 * quiet: stdout and stderr to /dev/null (-O check's "Master running"). */
static int run_ssh(const Args *a, const char *master, const char *const *extra, bool quiet) {
        _cleanup_free_ char *ssh = ssh_command(a, master);
        _cleanup_(strv_freep) char **argv = NULL;
        char *save = NULL;
        int null = -1, r;
        pid_t pid;

        if (!ssh)
                return -ENOMEM;
        for (char *w = strtok_r(ssh, " ", &save); w; w = strtok_r(NULL, " ", &save))
                if (add(&argv, w) < 0)
                        return -ENOMEM;
        for (; *extra; extra++)
                if (add(&argv, *extra) < 0)
                        return -ENOMEM;
        if (add(&argv, a->peer) < 0)
                return -ENOMEM;
        if (quiet && (null = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
                return -errno;
        pid = spawn(SSH, argv, null, null);
        r = pid < 0 ? -errno : 0;
        if (null >= 0)
                close(null);
        return r < 0 ? r : wait_exit_status(pid);
}

/* A connect left its socket. No check that a master answers on it: inside
 * the freeze, an ssh client that finds none logs in itself anyway. */
static bool held_connection_exists(const Args *a) {
        struct stat st;

        return a->control[0] && lstat(a->control, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* The held connection is open and answers (ssh -O check). */
static bool held_connection_answers(const Args *a) {
        return held_connection_exists(a) && run_ssh(a, "no", (const char *const[]) { "-O", "check", NULL }, true) == 0;
}

/* rsync's common arguments, up to (not including) the sources. */
static int common_argv(const Args *a, const char *shape, char ***ret) {
        _cleanup_free_ char *ssh = NULL;
        char **argv = NULL;

        ssh = ssh_command(a, strcmp(a->mode, "final") == 0 && held_connection_exists(a) ? "no" : NULL);
        if (!ssh)
                return -ENOMEM;
        /* --modify-window=-1: nanosecond mtimes, or a file rewritten at the same size
         * within the second a pass read it (maildirsize) is skipped by the next
         * (tests/lab/MAILSTORE.md). Incremental recursion stays on: the copy
         * starts while the list is built (the total grows as it is, "ir-chk"). */
        if (add(&argv, "rsync") < 0 || add(&argv, shape) < 0 || add(&argv, "--delete") < 0 ||
            add(&argv, "--modify-window=-1") < 0 || add(&argv, "--info=progress2") < 0 || add(&argv, "-e") < 0 ||
            add(&argv, ssh) < 0) {
                strv_free(argv);
                return -ENOMEM;
        }
        *ret = argv;
        return 0;
}

static int add_endpoints(const Args *a, char ***argv) {
        _cleanup_free_ char *src = NULL, *dst = NULL;

        if (asprintf(&src, "%s:%s/", a->peer, a->domain) < 0 || asprintf(&dst, "%s/%s/", a->root, a->domain) < 0)
                return -ENOMEM;
        if (add(argv, src) < 0 || add(argv, dst) < 0)
                return -ENOMEM;
        return 0;
}

static int pass_full(const Args *a, Totals *t) {
        _cleanup_(strv_freep) char **argv = NULL;
        _cleanup_free_ char *inbox = NULL, *folders = NULL;
        int r;

        r = common_argv(a, "-rlpt", &argv);
        if (r >= 0)
                r = tmp_filters(a->layout, &inbox, &folders);
        if (r >= 0 && (add(&argv, "--filter") < 0 || add(&argv, inbox) < 0 || add(&argv, "--filter") < 0 ||
                       add(&argv, folders) < 0))
                r = -ENOMEM;
        if (r >= 0)
                r = add_endpoints(a, &argv);
        if (r < 0)
                return r;
        r = run_rsync(argv, t);
        if (r == RSYNC_VANISHED) { /* live mail moved (new/ to cur/, deleted): the final pass carries it */
                t->vanished = true;
                return 0;
        }
        return r;
}

static int write_rules(const char *layout, char **changed, char *template, bool *ret_created) {
        _cleanup_fclose_ FILE *f = NULL;
        int fd = mkstemp(template);

        if (fd < 0)
                return -errno;
        *ret_created = true;
        f = fdopen(fd, "w");
        if (!f) {
                close(fd);
                return -errno;
        }
        return mailsync_final_rules(f, layout, changed);
}

/* stdin: "F\tPATH" and "C\tPATH" lines; refuse anything else. */
static int read_folders(char ***ret_changed) {
        _cleanup_(strv_freep) char **changed = NULL;
        char line[LINE_MAX_BYTES + 4];

        while (fgets(line, sizeof(line), stdin)) {
                size_t l = strlen(line);
                const char *path = line + 2;

                if (l < 4 || line[l - 1] != '\n' || line[1] != '\t' || (line[0] != 'F' && line[0] != 'C'))
                        return -EBADMSG;
                line[--l] = '\0';
                if (!mail_path_is_valid(path, l - 2))
                        return -EBADMSG;
                if (line[0] == 'C' && strv_extend(&changed, path) < 0)
                        return -ENOMEM;
        }
        if (ferror(stdin))
                return -EIO;
        *ret_changed = TAKE_PTR(changed);
        return 0;
}

static int pass_final(const Args *a, Totals *t) {
        _cleanup_(strv_freep) char **argv = NULL, **changed = NULL;
        _cleanup_free_ char *merge = NULL;
        char rules_file[] = "/tmp/hubops-mailsync-rules.XXXXXX";
        bool created = false;
        int r;

        r = read_folders(&changed);
        if (r < 0)
                return r;
        r = common_argv(a, "-rlpt", &argv);
        if (r < 0)
                return r;
        /* A file, not the command line: a cutover may find thousands of folders changed. */
        r = write_rules(a->layout, changed, rules_file, &created);
        if (r >= 0 && (!(merge = strdup_printf("merge %s", rules_file)) || add(&argv, "--filter") < 0 ||
                       add(&argv, merge) < 0))
                r = -ENOMEM;
        if (r >= 0)
                r = add_endpoints(a, &argv);
        /* Frozen: nothing may vanish now, so rsync's 24 is a failure here. */
        if (r >= 0)
                r = run_rsync(argv, t);
        if (created)
                (void) unlink(rules_file);
        /* The held connection's work is done: close it now, not when idle. */
        if (held_connection_exists(a))
                (void) run_ssh(a, "no", (const char *const[]) { "-O", "exit", NULL }, true);
        return r;
}

/* Open the held connection, unless it is open: ssh -f returns once it is
 * logged in and listening on the socket (255 and its reason on stderr if
 * not), and goes on in the background. */
static int pass_connect(const Args *a) {
        char persist[32];
        int r;

        if (!a->control[0]) {
                fputs("hubops-mailsync: a connect needs $RUNTIME_DIRECTORY, which hubopsd's unit sets, short "
                      "enough for a socket's address (86 characters) and plain\n",
                      stderr);
                return -EINVAL;
        }
        if (held_connection_answers(a))
                return 0;
        /* A socket no master answers on (one killed): ssh would not replace it. */
        if (unlink(a->control) < 0 && errno != ENOENT)
                return -errno;
        (void) snprintf(persist, sizeof(persist), "ControlPersist=%d", CONTROL_PERSIST_SEC);
        r = run_ssh(a, "yes", (const char *const[]) { "-o", persist, "-f", "-N", NULL }, false);
        if (r == 0)
                printf("hubops-mailsync: the connection to %s is open (it closes after %d s unused)\n", a->peer,
                       CONTROL_PERSIST_SEC);
        return r;
}

/* $RUNTIME_DIRECTORY/ssh, if systemd gave this unit the directory and the
 * path fits a socket address with the suffix ssh adds while it binds
 * (".XXXXXXXXXXXXXXXX"); else "" and the final pass logs in itself. */
static void held_connection_path(Args *a) {
        const char *dir = getenv("RUNTIME_DIRECTORY");

        a->control[0] = '\0';
        if (dir && path_is_safe_absolute(dir) && !strchr(dir, ':') && word_is_plain(dir) &&
            strlen(dir) + strlen("/" CONTROL_SOCKET) + 17 <= SUN_PATH_MAX)
                (void) snprintf(a->control, sizeof(a->control), "%s/" CONTROL_SOCKET, dir);
}

static int parse_args(int argc, char **argv, Args *a) {
        static const struct option options[] = {
                { "peer", required_argument, NULL, 'p' },        { "port", required_argument, NULL, 'P' },
                { "identity", required_argument, NULL, 'i' },    { "known-hosts", required_argument, NULL, 'k' },
                { "root", required_argument, NULL, 'r' },        { "layout", required_argument, NULL, 'l' },
                { "domain", required_argument, NULL, 'd' },      { "mode", required_argument, NULL, 'm' },
                { NULL, 0, NULL, 0 },
        };
        int c;

        *a = (Args) { .layout = "%d/%n/Maildir", .port = 22 };
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'p': a->peer = optarg; break;
                case 'P': a->port = (unsigned) strtoul(optarg, NULL, 10); break;
                case 'i': a->identity = optarg; break;
                case 'k': a->known_hosts = optarg; break;
                case 'r': a->root = optarg; break;
                case 'l': a->layout = optarg; break;
                case 'd': a->domain = optarg; break;
                case 'm': a->mode = optarg; break;
                default: return -EINVAL;
                }
        if (optind != argc || !word_is_plain(a->peer) || !word_is_plain(a->identity) ||
            !word_is_plain(a->known_hosts) || !path_is_safe_absolute(a->root) || !domain_name_is_valid(a->domain) ||
            a->port < 1 || a->port > 65535 || strncmp(a->layout, "%d/", 3) != 0 || !strstr(a->layout, "%n") ||
            !a->mode ||
            (strcmp(a->mode, "full") != 0 && strcmp(a->mode, "connect") != 0 && strcmp(a->mode, "final") != 0))
                return -EINVAL;
        held_connection_path(a);
        return 0;
}

int main(int argc, char **argv) {
        Totals t = { .vanished = false };
        uint64_t started = now_usec();
        Args a;
        int r;

        if (parse_args(argc, argv, &a) < 0) {
                fputs("usage: hubops-mailsync --peer [USER@]HOST --port N --identity FILE --known-hosts FILE "
                      "--root DIR --layout LAYOUT --domain DOMAIN --mode full|connect|final\n",
                      stderr);
                return 2;
        }
        if (strcmp(a.mode, "connect") == 0) {
                r = pass_connect(&a);
                if (r != 0)
                        fprintf(stderr, "hubops-mailsync: cannot open the connection to %s: %s %d\n", a.peer,
                                r > 0 ? "ssh exit status" : "error", r > 0 ? r : -r);
                return r == 0 ? 0 : 1;
        }
        r = strcmp(a.mode, "full") == 0 ? pass_full(&a, &t) : pass_final(&a, &t);
        if (r == -EBADMSG) {
                fputs("hubops-mailsync: the folder list on stdin is not \"F|C<TAB>PATH\" lines of folder paths\n",
                      stderr);
                return 2;
        }
        if (r != 0) {
                fprintf(stderr, "hubops-mailsync: %s pass from %s failed: %s %d\n", a.mode, a.peer,
                        r > 0 ? "rsync exit status" : "error", r > 0 ? r : -r);
                return 1;
        }
        printf("{\"mode\":\"%s\",\"files_checked\":%" PRIu64 ",\"files_transferred\":%" PRIu64
               ",\"bytes_transferred\":%" PRIu64 ",\"vanished\":%s,\"elapsed_usec\":%" PRIu64 "}\n",
               a.mode, t.last.checked, t.last.transferred, t.last.bytes, t.vanished ? "true" : "false",
               now_usec() - started);
        return fflush(stdout) == 0 ? 0 : 1;
}
