/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rebuild.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"
#include "macro.h"
#include "timespan.h"

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

uint64_t rebuild_estimate(const RebuildState *s, uint64_t configured, char *basis, size_t basis_size) {
        uint64_t last[REBUILD_ESTIMATE_RUNS];
        size_t n = s->n_history < REBUILD_ESTIMATE_RUNS ? s->n_history : REBUILD_ESTIMATE_RUNS;
        uint64_t median;

        if (n == 0) {
                (void) snprintf(basis, basis_size, "%s", configured ? "the configured ExpectedDurationSec=" : "");
                return configured;
        }
        memcpy(last, s->history + (s->n_history - n), n * sizeof(uint64_t));
        qsort(last, n, sizeof(uint64_t), cmp_u64);
        /* The median, not the mean: one run that hung for hours must not skew it. */
        median = n % 2 ? last[n / 2] : last[n / 2 - 1] / 2 + last[n / 2] / 2;
        (void) snprintf(basis, basis_size, "the median of the last %zu run%s", n, n == 1 ? "" : "s");
        return median;
}

void rebuild_history_add(RebuildState *s, uint64_t duration) {
        if (s->n_history == REBUILD_HISTORY_MAX) {
                memmove(s->history, s->history + 1, (REBUILD_HISTORY_MAX - 1) * sizeof(uint64_t));
                s->n_history--;
        }
        s->history[s->n_history++] = duration;
}

static int get_u64(json_object *o, const char *key, uint64_t *ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v))
                return 0; /* absent: keep the default */
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
                return -EBADMSG;
        *ret = (uint64_t) json_object_get_int64(v);
        return 0;
}

int rebuild_state_parse(const char *json, RebuildState *ret) {
        json_object *o = json_tokener_parse(json), *v;
        RebuildState s = { 0 };
        uint64_t by = 0;
        int r = -EBADMSG;

        if (!o || !json_object_is_type(o, json_type_object))
                goto out;
        if (get_u64(o, "job", &s.job_id) < 0 || get_u64(o, "started_at", &s.started_at) < 0 ||
            get_u64(o, "started_by", &by) < 0 || by > UINT32_MAX ||
            get_u64(o, "last_started_at", &s.last_started_at) < 0 ||
            get_u64(o, "last_duration", &s.last_duration) < 0)
                goto out;
        s.started_by = (uint32_t) by;
        if (json_object_object_get_ex(o, "last_result", &v)) {
                if (!json_object_is_type(v, json_type_string) ||
                    (size_t) json_object_get_string_len(v) >= sizeof(s.last_result))
                        goto out;
                memcpy(s.last_result, json_object_get_string(v), (size_t) json_object_get_string_len(v) + 1);
        }
        if (json_object_object_get_ex(o, "history", &v)) {
                size_t n;
                if (!json_object_is_type(v, json_type_array) || (n = json_object_array_length(v)) > REBUILD_HISTORY_MAX)
                        goto out;
                for (size_t i = 0; i < n; i++) {
                        json_object *d = json_object_array_get_idx(v, i);
                        if (!json_object_is_type(d, json_type_int) || json_object_get_int64(d) <= 0)
                                goto out;
                        s.history[s.n_history++] = (uint64_t) json_object_get_int64(d);
                }
        }
        *ret = s;
        r = 0;
out:
        json_object_put(o);
        return r;
}

char *rebuild_state_format(const RebuildState *s) {
        json_object *o = json_object_new_object(), *h = json_object_new_array();
        char *out;

        /* Only in the rebuild.json of a hubopsd before jobs.json (and its tests): today's
         * rebuild-history.json has no running job. */
        if (s->job_id != 0 || s->started_at != 0 || s->started_by != 0) {
                json_object_object_add(o, "job", json_object_new_int64((int64_t) s->job_id));
                json_object_object_add(o, "started_at", json_object_new_int64((int64_t) s->started_at));
                json_object_object_add(o, "started_by", json_object_new_int64(s->started_by));
        }
        json_object_object_add(o, "last_result", json_object_new_string(s->last_result));
        json_object_object_add(o, "last_started_at", json_object_new_int64((int64_t) s->last_started_at));
        json_object_object_add(o, "last_duration", json_object_new_int64((int64_t) s->last_duration));
        for (size_t i = 0; i < s->n_history; i++)
                json_object_array_add(h, json_object_new_int64((int64_t) s->history[i]));
        json_object_object_add(o, "history", h);
        out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        return out;
}
