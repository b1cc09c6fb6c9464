/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lab's stand-in for /opt/isode/sbin/isode.eddy. Run as
 *   isode.eddy -D DIR
 * With DIR ending in "/root" it is the leftover root process: it idles, and
 * ignores SIGTERM when DIR/../stubborn exists. Otherwise it is the main
 * directory process: it leaks memory while it serves (as the real one does,
 * which is why the runbook restarts it) and, after a start-up delay, accepts
 * connections on DIR/../ready.sock; not while DIR/../ready-hold exists, so
 * a test can hold a start in its wait for readiness. A real binary, so
 * /proc/PID/exe is its own path and hubopsd can match it exactly. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define GROW_BYTES_PER_TICK ((size_t) 512 * 1024)
#define GROW_MAX_BYTES ((size_t) 48 * 1024 * 1024)
#define TICK_MS 100
#define READY_DELAY_TICKS 3

static volatile sig_atomic_t stop;

static void on_term(int sig) {
        (void) sig;
        stop = 1;
}

static void sleep_tick(void) {
        struct timespec ts = { .tv_sec = 0, .tv_nsec = TICK_MS * 1000000L };
        (void) nanosleep(&ts, NULL);
}

static int listen_ready(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -1;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        (void) unlink(path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 16) < 0)
                return -1;
        return fd;
}

static int run_root(const char *dir) {
        char flag[4096];

        (void) snprintf(flag, sizeof(flag), "%s/../stubborn", dir);
        if (access(flag, F_OK) == 0)
                (void) signal(SIGTERM, SIG_IGN);
        else
                (void) signal(SIGTERM, on_term);
        while (!stop)
                (void) pause();
        return 0;
}

static int run_main(const char *dir) {
        char sock[4096], hold[4096];
        size_t grown = 0;
        bool listening = false;
        int fd = -1;

        (void) snprintf(sock, sizeof(sock), "%s/../ready.sock", dir);
        (void) snprintf(hold, sizeof(hold), "%s/../ready-hold", dir);
        (void) signal(SIGTERM, on_term);
        for (unsigned tick = 0; !stop; tick++) {
                if (!listening && tick >= READY_DELAY_TICKS && access(hold, F_OK) < 0) {
                        listening = true;
                        if ((fd = listen_ready(sock)) < 0)
                                fprintf(stderr, "isode.eddy: cannot listen on %s: %s\n", sock, strerror(errno));
                }
                if (grown < GROW_MAX_BYTES) {
                        char *p = malloc(GROW_BYTES_PER_TICK);
                        if (p) {
                                memset(p, 0x5a, GROW_BYTES_PER_TICK); /* touched: it counts in RSS */
                                grown += GROW_BYTES_PER_TICK;
                        }
                }
                sleep_tick();
        }
        if (fd >= 0)
                (void) unlink(sock);
        return 0;
}

int main(int argc, char *argv[]) {
        const char *dir;
        size_t l;

        if (argc != 3 || strcmp(argv[1], "-D") != 0) {
                fprintf(stderr, "usage: isode.eddy -D DIR\n");
                return 2;
        }
        dir = argv[2];
        l = strlen(dir);
        if (l >= 5 && strcmp(dir + l - 5, "/root") == 0)
                return run_root(dir);
        return run_main(dir);
}
