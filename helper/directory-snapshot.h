/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The directory server as /proc shows it (see directory-observe.h). */
typedef struct DirectorySnapshot {
        pid_t main_pid;        /* 0: not running */
        pid_t root_pid;        /* 0: not running */
        uint64_t memory_bytes; /* RSS of both */
        bool exe_deleted;      /* either runs a binary since deleted or replaced (an upgrade) */
        const char *state;     /* running, stopped, root-only, degraded */
} DirectorySnapshot;

