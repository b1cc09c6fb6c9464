/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-bus in a PID namespace of its own (see fuzz-bus.h). Every look at
 * the directory scans /proc for its two programs: a few scans per Directory
 * call and per read of its properties, each reading every process of the
 * machine, made directory inputs cost milliseconds. In a PID namespace with
 * its own /proc there is one process to read, and the scan finds what it
 * finds on the machine: nothing, as the config names programs that do not
 * exist. */

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz-bus.h"
#include "macro.h"

/* Defined by libFuzzer, not by replay.c: the corpus replay needs no speed. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size) __attribute__((weak));

static pid_t namespace_child;

static void forward_signal(int sig) {
        (void) kill(namespace_child, sig);
}

/* The parent: pass on what a user or a script sends, then exit as the child did. */
static _Noreturn void wait_for_child(pid_t pid) {
        static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGXCPU };
        struct sigaction sa = { .sa_handler = forward_signal };
        int status = 0;

        namespace_child = pid;
        for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
                (void) sigaction(forwarded[i], &sa, NULL);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        _exit(1);
        if (WIFSIGNALED(status)) {
                (void) signal(WTERMSIG(status), SIG_DFL);
                (void) raise(WTERMSIG(status));
        }
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

void fuzz_bus_enter_own_pid_namespace(void) {
        pid_t pid;

        if (!LLVMFuzzerMutate || getenv("FUZZ_BUS_HOST_PROC"))
                return;
        if (unshare(CLONE_NEWPID | CLONE_NEWNS) < 0) {
                fprintf(stderr, "fuzz-bus: no PID namespace of our own (%s): each /proc scan reads the whole machine\n",
                        strerror(errno));
                return;
        }
        pid = fork();
        if (pid < 0)
                abort();
        if (pid > 0)
                wait_for_child(pid);
        /* PID 1 here. Mounts made private first: the new /proc is ours alone. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
                fprintf(stderr, "fuzz-bus: cannot mount /proc for the PID namespace: %s\n", strerror(errno));
                abort();
        }
}
