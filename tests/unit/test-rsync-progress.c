/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rsync --info=progress2 lines, as rsync 3.2+ prints them. */
#include <errno.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "macro.h"
#include "rsync-progress.h"

static void test_progress_lines(_unused_ void **state) {
        static const struct {
                const char *line;
                int r;
                uint64_t bytes, transferred, checked, total;
                unsigned percent;
                bool total_known;
        } cases[] = {
                { "              7   0%    0.00kB/s    0:00:00", 0, 7, 0, 0, 0, 0, false },
                { "             15   0%    7.81kB/s    0:00:00 (xfr#2, to-chk=3001/3007)", 0, 15, 2, 6, 3007, 0, true },
                { " 31,457,280 100%   90.12MB/s    0:00:00 (xfr#3007, to-chk=0/3007)", 0, 31457280, 3007, 3007,
                  3007, 100, true },
                { "  1.234.567  12%   10,00MB/s    0:00:05 (xfr#123, ir-chk=1000/5000)", 0, 1234567, 123, 4000, 5000,
                  12, false },
                { "", -EINVAL },
                { "sending incremental file list", -EINVAL },
                { "deleting a/Maildir/cur/x", -EINVAL },
                { "  15 101%  1kB/s 0:00:00", -EINVAL },
                { "  15 0%", -EINVAL },
                { "  15 0% 1kB/s 0:00:00 (xfr#1, to-chk=5/4)", -EINVAL },
                { "  15 0% 1kB/s 0:00:00 (xfr#1, to-chk=5/6", -EINVAL },
                { "  15 0% 1kB/s 0:00:00 (xfr#1, to-chk=1/6) junk", -EINVAL },
                { "  -15 0% 1kB/s 0:00:00", -EINVAL },
                { "  99999999999999999999 0% 1kB/s 0:00:00", -EINVAL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                RsyncProgress p = { .bytes = 0 };
                int r = rsync_progress_parse(cases[i].line, strlen(cases[i].line), &p);

                if (r != cases[i].r)
                        fail_msg("\"%s\": %d, expected %d", cases[i].line, r, cases[i].r);
                if (r < 0)
                        continue;
                if (p.bytes != cases[i].bytes || p.transferred != cases[i].transferred ||
                    p.checked != cases[i].checked || p.total != cases[i].total || p.percent != cases[i].percent ||
                    p.total_known != cases[i].total_known)
                        fail_msg("\"%s\": bytes %lu xfr %lu checked %lu/%lu %u%%", cases[i].line,
                                 (unsigned long) p.bytes, (unsigned long) p.transferred, (unsigned long) p.checked,
                                 (unsigned long) p.total, p.percent);
        }
}

/* As the unit's progress: files lead, bytes copied of rsync's size so far. */
static void test_progress_as_status(_unused_ void **state) {
        static const struct {
                const char *line;
                int r;
                const char *status;
        } cases[] = {
                /* A second pass: 30 files copied of 331, 9% of the tree's bytes. */
                { "      1,500,000   9%  199.89MB/s    0:00:00 (xfr#30, to-chk=0/331)", 0,
                  "files 331/331 bytes 1500000/16666666" },
                { " 31,457,280 100%   90.12MB/s    0:00:00 (xfr#3007, to-chk=0/3007)", 0,
                  "files 3007/3007 bytes 31457280/31457280" },
                /* No percent yet: no size to tell. */
                { "             15   0%    7.81kB/s    0:00:00 (xfr#2, to-chk=3001/3007)", 0, "files 6/3007" },
                /* Before the first file is done there is no list. */
                { "              7   0%    0.00kB/s    0:00:00", -ENODATA, NULL },
        };
        char buf[256];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                RsyncProgress p = { .bytes = 0 };

                assert_int_equal(rsync_progress_parse(cases[i].line, strlen(cases[i].line), &p), 0);
                assert_int_equal(rsync_progress_status(&p, buf, sizeof(buf)), cases[i].r);
                if (cases[i].status)
                        assert_string_equal(buf, cases[i].status);
        }
        assert_int_equal(rsync_progress_status(&(RsyncProgress) { .bytes = 5, .percent = 1, .checked = 1, .total = 2 },
                                               buf, 10),
                         -ENOBUFS);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_progress_lines),
                cmocka_unit_test(test_progress_as_status),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
