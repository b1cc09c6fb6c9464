/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The [Health] threshold keys (common/health.c), as the helper's config,
 * the site config and Health.Check()'s a{ss} from any local caller give
 * them: "Key=Value" lines; then the judging of a sample under them. */

#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "health-judge.h"
#include "health.h"

static void judge_under(const HealthThresholds *t) {
        static HealthSample s = { .n_fs = 1, .kernel_done = true, .backup_done = true };
        static HealthRow rows[HEALTH_ROWS_MAX];
        HealthProbeResult p = { .at = 1, .ok = true, .write_mbps = 15.0, .sync_p50_usec = 1000, .sync_p99_usec = 9000 };
        HealthInputs in = { .sample = &s, .thresholds = t, .now = 2000000000ULL * 1000000ULL,
                            .probe_directory = "/x", .probe = &p, .backup_path = "/b" };

        s.fs[0] = (HealthFsSample) { .path = "/x", .done = true, .bytes_free = 10, .bytes_total = 100,
                                     .inodes_free = 5, .inodes_total = 100, .fs_errors = 0, .device = "sda1" };
        s.backup_newest_usec = 1;
        if (health_judge(&in, rows, HEALTH_ROWS_MAX) > HEALTH_ROWS_MAX)
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_strndup(data, size), *save = NULL;
        HealthThresholds t;

        health_thresholds_default(&t);
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *eq = strchr(line, '=');
                const char *why = NULL;
                int r;
                if (!eq)
                        continue;
                *eq = '\0';
                r = health_thresholds_set(&t, line, eq + 1, &why);
                if (r != 0 && r != -ENOENT && (r != -EINVAL || !why))
                        __builtin_trap(); /* every refusal says what is expected */
        }
        if (!health_thresholds_check(&t))
                judge_under(&t);
        free(text);
        return 0;
}
