/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "site-config.h"

/* [Runbook rebuild-tables]: the settings of the mailhub table rebuild
 * (README, "The site config and the runbook"). */
typedef struct RebuildConfig {
        double idle_threshold;      /* fraction, default 0.90 */
        uint64_t idle_hold_usec;    /* how long idle must hold at each gate */
        uint64_t gate_timeout_usec; /* give up on a gate after this */
        uint64_t settle_hold_usec;  /* the last wait: delta files clearing */
        uint64_t settle_timeout_usec;
        uint64_t rebuild_timeout_usec;            /* 0: as long as it takes */
        uint64_t min_free_bytes, min_free_inodes; /* on the target hub's CheckPaths= */
        HookRef stop_student_thread, start_student_thread, check_ra, check_mailbox_service;
} RebuildConfig;
