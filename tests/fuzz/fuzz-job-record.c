/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The durable jobs file (StateDirectory/jobs.json), read at every hubopsd
 * start after a crash: parse, and what parses must format and parse back
 * the same. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "job-record.h"

static bool same_record(const JobRecord *a, const JobRecord *b) {
        if (a->id != b->id || a->started_at != b->started_at || a->started_by != b->started_by ||
            a->n_details != b->n_details || strcmp(a->operation, b->operation) != 0 || strcmp(a->unit, b->unit) != 0 ||
            strcmp(a->cancel_action, b->cancel_action) != 0 || strcmp(a->phase, b->phase) != 0 ||
            strcmp(a->message, b->message) != 0 || strcmp(a->systemd_job, b->systemd_job) != 0 ||
            strcmp(a->audit_id, b->audit_id) != 0)
                return false;
        for (size_t i = 0; i < a->n_details; i++)
                if (strcmp(a->details[i], b->details[i]) != 0)
                        return false;
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_strndup(data, size);
        JobRecord *a = NULL, *b = NULL;
        size_t n = 0, m = 0;

        if (s && job_records_parse(s, &a, &n) == 0) {
                char *json = job_records_format(a, n);
                if (!json || job_records_parse(json, &b, &m) != 0 || m != n)
                        __builtin_trap();
                for (size_t i = 0; i < n; i++)
                        if (!same_record(&a[i], &b[i]))
                                __builtin_trap();
                free(json);
        }
        free(a);
        free(b);
        free(s);
        return 0;
}
