/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PKTTYAGENT "/usr/bin/pkttyagent"

static pid_t agent_pid;

bool agent_open(void) {
        int pipefd[2];
        char fdarg[16];
        pid_t pid;

        if (agent_pid > 0)
                return true;
        if (geteuid() == 0 || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) || access(PKTTYAGENT, X_OK) < 0)
                return false;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return false;

        pid = fork();
        if (pid < 0) {
                close(pipefd[0]);
                close(pipefd[1]);
                return false;
        }
        if (pid == 0) {
                /* The agent tells us it is registered by closing this fd. */
                int fd = fcntl(pipefd[1], F_DUPFD, 3);
                if (fd < 0)
                        _exit(127);
                (void) snprintf(fdarg, sizeof(fdarg), "%d", fd);
                execl(PKTTYAGENT, PKTTYAGENT, "--notify-fd", fdarg, "--fallback", (char *) NULL);
                _exit(127);
        }

        close(pipefd[1]);
        agent_pid = pid;
        /* Wait for registration (EOF), or the agent's death; not forever. */
        struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
        (void) poll(&p, 1, 10000);
        close(pipefd[0]);
        return true;
}

void agent_close(void) {
        if (agent_pid <= 0)
                return;
        (void) kill(agent_pid, SIGTERM);
        while (waitpid(agent_pid, NULL, 0) < 0 && errno == EINTR)
                ;
        agent_pid = 0;
}
