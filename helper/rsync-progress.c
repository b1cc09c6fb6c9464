/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rsync-progress.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define COUNT_DIGITS_MAX 19

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static size_t skip_spaces(const char *s, size_t i, size_t len) {
        while (i < len && s[i] == ' ')
                i++;
        return i;
}

/* Digits, with commas (or dots, in some locales) between groups. */
static int parse_number(const char *s, size_t *i, size_t len, bool groups, uint64_t *ret) {
        uint64_t n = 0;
        unsigned digits = 0;

        if (*i >= len || !is_digit(s[*i]))
                return -EINVAL;
        for (; *i < len; (*i)++) {
                if (is_digit(s[*i])) {
                        if (++digits > COUNT_DIGITS_MAX)
                                return -EINVAL;
                        n = n * 10 + (uint64_t) (s[*i] - '0');
                } else if (groups && (s[*i] == ',' || s[*i] == '.') && *i + 1 < len && is_digit(s[*i + 1]))
                        continue;
                else
                        break;
        }
        *ret = n;
        return 0;
}

static int expect(const char *s, size_t *i, size_t len, const char *word) {
        size_t l = strlen(word);

        if (len - *i < l || memcmp(s + *i, word, l) != 0)
                return -EINVAL;
        *i += l;
        return 0;
}

/* "(xfr#N, to-chk=R/T)" */
static int parse_counts(const char *s, size_t i, size_t len, RsyncProgress *p) {
        uint64_t remaining;

        if (expect(s, &i, len, "(xfr#") < 0 || parse_number(s, &i, len, false, &p->transferred) < 0 ||
            expect(s, &i, len, ", ") < 0)
                return -EINVAL;
        if (expect(s, &i, len, "to-chk=") == 0)
                p->total_known = true;
        else if (expect(s, &i, len, "ir-chk=") < 0)
                return -EINVAL;
        if (parse_number(s, &i, len, false, &remaining) < 0 || expect(s, &i, len, "/") < 0 ||
            parse_number(s, &i, len, false, &p->total) < 0 || expect(s, &i, len, ")") < 0 || remaining > p->total)
                return -EINVAL;
        p->checked = p->total - remaining;
        return skip_spaces(s, i, len) == len ? 0 : -EINVAL;
}

int rsync_progress_parse(const char *line, size_t len, RsyncProgress *ret) {
        RsyncProgress p = { .bytes = 0 };
        uint64_t percent;
        size_t i = skip_spaces(line, 0, len);

        if (parse_number(line, &i, len, true, &p.bytes) < 0)
                return -EINVAL;
        i = skip_spaces(line, i, len);
        if (parse_number(line, &i, len, false, &percent) < 0 || percent > 100 || expect(line, &i, len, "%") < 0)
                return -EINVAL;
        p.percent = (unsigned) percent;
        /* The rate and the time: words we do not need, but they must be there. */
        for (unsigned w = 0; w < 2; w++) {
                i = skip_spaces(line, i, len);
                if (i >= len || line[i] == '(')
                        return -EINVAL;
                while (i < len && line[i] != ' ')
                        i++;
        }
        i = skip_spaces(line, i, len);
        if (i < len && parse_counts(line, i, len, &p) < 0)
                return -EINVAL;
        *ret = p;
        return 0;
}

int rsync_progress_status(const RsyncProgress *p, char *buf, size_t size) {
        int n;

        if (p->total == 0)
                return -ENODATA;
        if (p->percent > 0 && p->bytes > 0) {
                /* percent = 100 * COPIED / SIZE, rounded down: SIZE is at most
                 * this, and never less than COPIED (percent <= 100). */
                uint64_t bytes_total = p->bytes > UINT64_MAX / 100 ? p->bytes : p->bytes * 100 / p->percent;
                n = snprintf(buf, size, "files %" PRIu64 "/%" PRIu64 " bytes %" PRIu64 "/%" PRIu64, p->checked,
                             p->total, p->bytes, bytes_total);
        } else
                n = snprintf(buf, size, "files %" PRIu64 "/%" PRIu64, p->checked, p->total);
        return n < 0 || (size_t) n >= size ? -ENOBUFS : 0;
}
