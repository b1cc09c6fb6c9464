/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "unit-status.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static bool is_digit(char ch) {
        return ch >= '0' && ch <= '9';
}

/* *p at a number; on success *p just past it. */
static int parse_u64(const char **p, uint64_t *ret) {
        const char *s = *p;
        uint64_t v = 0;
        size_t n = 0;

        if (!is_digit(s[0]) || (s[0] == '0' && is_digit(s[1])))
                return -EINVAL;
        for (; is_digit(s[n]); n++) {
                uint64_t d = (uint64_t) (s[n] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -EINVAL;
                v = v * 10 + d;
        }
        *p = s + n;
        *ret = v;
        return 0;
}

static int parse_counter(const char **p, UnitCounter *ret) {
        const char *s = *p;
        size_t n = 0;

        while (s[n] >= 'a' && s[n] <= 'z')
                n++;
        if (n == 0 || n > UNIT_STATUS_NAME_MAX || s[n] != ' ')
                return -EINVAL;
        memcpy(ret->name, s, n);
        ret->name[n] = '\0';
        s += n + 1;
        if (parse_u64(&s, &ret->done) < 0 || *s++ != '/' || parse_u64(&s, &ret->total) < 0)
                return -EINVAL;
        if (ret->total == 0 || ret->done > ret->total)
                return -EINVAL;
        *p = s;
        return 0;
}

static bool name_seen(const UnitStatus *s, const char *name) {
        for (size_t i = 0; i < s->n_counters; i++)
                if (strcmp(s->counters[i].name, name) == 0)
                        return true;
        return false;
}

int unit_status_parse(const char *text, UnitStatus *ret) {
        UnitStatus s = { .n_counters = 0 };
        const char *p = text;

        if (!text || strnlen(text, UNIT_STATUS_TEXT_MAX + 1) > UNIT_STATUS_TEXT_MAX)
                return -EINVAL;
        for (;;) {
                UnitCounter counter = { .done = 0 };

                if (s.n_counters == UNIT_STATUS_COUNTERS_MAX || parse_counter(&p, &counter) < 0 ||
                    name_seen(&s, counter.name))
                        return -EINVAL;
                s.counters[s.n_counters++] = counter;
                if (*p == '\0')
                        break;
                if (*p++ != ' ')
                        return -EINVAL;
        }
        *ret = s;
        return 0;
}

double unit_status_fraction(const UnitStatus *s) {
        return s->n_counters > 0 ? (double) s->counters[0].done / (double) s->counters[0].total : 0.0;
}
