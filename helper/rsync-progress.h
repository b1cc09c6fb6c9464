/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One line of rsync's --info=progress2 output (lines end in '\r'):
 *     "  1,234,567  12%   10.00MB/s    0:00:05 (xfr#123, to-chk=456/789)"
 * The parenthesis is missing until the first file is done; "ir-chk" replaces
 * "to-chk" while the file list is still growing (incremental recursion). */
typedef struct RsyncProgress {
        uint64_t bytes;        /* transferred so far */
        unsigned percent;      /* rsync's own estimate, 0..100 */
        uint64_t transferred;  /* files transferred (xfr#) */
        uint64_t checked;      /* files checked: total - to-chk */
        uint64_t total;        /* files in the list so far */
        bool total_known;      /* to-chk (the list is complete), not ir-chk */
} RsyncProgress;

/* 0 and *ret filled, or -EINVAL for anything that is not such a line. */
int rsync_progress_parse(const char *line, size_t len, RsyncProgress *ret);

/* The line as a unit's progress (helper/unit-status.h), files first, as they
 * measure how far the pass is: "files CHECKED/TOTAL bytes COPIED/SIZE".
 * SIZE is rsync's own figure, the size of every file listed so far (its
 * percent is COPIED of it), so a pass over a tree that is mostly there
 * already ends with COPIED far below SIZE. The bytes counter is left out
 * until rsync gives a percent to derive SIZE from. 0, or -ENODATA while no
 * file is listed, or -ENOBUFS. */
int rsync_progress_status(const RsyncProgress *p, char *buf, size_t size);
