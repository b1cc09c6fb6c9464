/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "timespan.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"

static const struct {
        const char *suffix;
        uint64_t usec;
} units[] = {
        /* Longest suffixes first so "ms" is not read as "m" + "s". */
        { "usec", 1 },
        { "msec", USEC_PER_MSEC },
        { "days", 86400 * USEC_PER_SEC },
        { "hours", 3600 * USEC_PER_SEC },
        { "minutes", 60 * USEC_PER_SEC },
        { "min", 60 * USEC_PER_SEC },
        { "sec", USEC_PER_SEC },
        { "us", 1 },
        { "ms", USEC_PER_MSEC },
        { "hr", 3600 * USEC_PER_SEC },
        { "h", 3600 * USEC_PER_SEC },
        { "m", 60 * USEC_PER_SEC },
        { "s", USEC_PER_SEC },
        { "d", 86400 * USEC_PER_SEC },
};

static int parse_unit(const char **p, uint64_t *ret_mult) {
        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                size_t l = strlen(units[i].suffix);
                if (strncmp(*p, units[i].suffix, l) == 0 && !isalpha((unsigned char) (*p)[l])) {
                        *p += l;
                        *ret_mult = units[i].usec;
                        return 0;
                }
        }
        if (**p == '\0' || isspace((unsigned char) **p)) {
                *ret_mult = USEC_PER_SEC;
                return 0;
        }
        return -EINVAL;
}

int timespan_parse(const char *s, uint64_t *ret_usec) {
        uint64_t total = 0;
        bool any = false;

        if (!s)
                return -EINVAL;

        for (const char *p = s;;) {
                uint64_t n = 0, mult;
                unsigned digits = 0;

                while (isspace((unsigned char) *p))
                        p++;
                if (*p == '\0')
                        break;
                while (isdigit((unsigned char) *p)) {
                        if (n > (UINT64_MAX - 9) / 10)
                                return -ERANGE;
                        n = n * 10 + (uint64_t) (*p - '0');
                        p++;
                        digits++;
                }
                if (digits == 0)
                        return -EINVAL;
                while (*p == ' ')
                        p++;
                if (parse_unit(&p, &mult) < 0)
                        return -EINVAL;
                if (n > UINT64_MAX / mult || total > UINT64_MAX - n * mult)
                        return -ERANGE;
                total += n * mult;
                any = true;
        }

        if (!any)
                return -EINVAL;
        *ret_usec = total;
        return 0;
}

char *timespan_format(char *buf, size_t size, uint64_t usec) {
        uint64_t s = usec / USEC_PER_SEC;

        if (usec < USEC_PER_SEC)
                (void) snprintf(buf, size, "%llums", (unsigned long long) (usec / USEC_PER_MSEC));
        else if (s < 60)
                (void) snprintf(buf, size, "%llu.%llus", (unsigned long long) s,
                                (unsigned long long) ((usec % USEC_PER_SEC) / 100000));
        else if (s < 3600)
                (void) snprintf(buf, size, "%llumin %llus", (unsigned long long) (s / 60),
                                (unsigned long long) (s % 60));
        else
                (void) snprintf(buf, size, "%lluh %llumin", (unsigned long long) (s / 3600),
                                (unsigned long long) ((s % 3600) / 60));
        return buf;
}
