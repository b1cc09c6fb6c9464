/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The value syntaxes of the site config, shared by every section and by
 * the runbook definitions' own keys: time spans, sizes, percentages, hook
 * references, the allowed time window and blackout dates. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "ini-strict.h"
#include "macro.h"
#include "names.h"
#include "site-config.h"
#include "timespan.h"

#define SPAN_MAX_USEC (7ULL * 86400ULL * USEC_PER_SEC)

int site_parse_span(IniStrict *ini, const char *key, const char *value, uint64_t *ret) {
        uint64_t v;

        if (timespan_parse(value, &v) < 0 || v > SPAN_MAX_USEC)
                return ini_strict_error(ini, "invalid %s=%s (a time span such as 30s, 5min, 6h)", key, value);
        *ret = v;
        return 1;
}

int site_parse_hook_ref(IniStrict *ini, const char *key, const char *value, HookRef *ret) {
        const char *colon = strchr(value, ':');
        char host[SITE_NAME_MAX + 1];

        if (!colon || (size_t) (colon - value) > SITE_NAME_MAX)
                return ini_strict_error(ini, "invalid %s=%s (expected HOST:HOOK)", key, value);
        memcpy(host, value, (size_t) (colon - value));
        host[colon - value] = '\0';
        if (!name_is_valid(host) || !name_is_valid(colon + 1) || strlen(colon + 1) > SITE_NAME_MAX)
                return ini_strict_error(ini, "invalid %s=%s (expected HOST:HOOK)", key, value);
        (void) snprintf(ret->host, sizeof(ret->host), "%s", host);
        (void) snprintf(ret->hook, sizeof(ret->hook), "%s", colon + 1);
        return 1;
}

int site_check_hook_ref(IniStrict *ini, const SiteConfig *c, const char *key, const HookRef *h) {
        if (h->host[0] && !site_find_host(c, h->host))
                return ini_strict_error(ini, "%s=%s:%s names no [Host %s]", key, h->host, h->hook, h->host), -EINVAL;
        return 0;
}

int site_parse_percent(IniStrict *ini, const char *key, const char *value, double *ret) {
        char *end;
        double v = strtod(value, &end);

        if (end == value || (*end && strcmp(end, "%") != 0) || !(v > 0.0 && v <= 100.0))
                return ini_strict_error(ini, "invalid %s=%s (a percentage, e.g. 90%%)", key, value);
        *ret = v / 100.0;
        return 1;
}

/* Exactly n decimal digits at s; -1 if not. */
static int digits(const char *s, unsigned n) {
        int v = 0;

        for (unsigned i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        return v;
}

/* "HH:MM-HH:MM", local time; may wrap past midnight (20:00-06:00). */
static int parse_window(IniStrict *ini, RunWindow *w, const char *value) {
        int h1 = -1, m1 = -1, h2 = -1, m2 = -1;

        /* The length first: only then may we look at fixed offsets. */
        if (strlen(value) == 11 && value[2] == ':' && value[5] == '-' && value[8] == ':')
                h1 = digits(value, 2), m1 = digits(value + 3, 2), h2 = digits(value + 6, 2), m2 = digits(value + 9, 2);
        if (h1 < 0 || m1 < 0 || h2 < 0 || m2 < 0 || h1 > 23 || h2 > 24 || m1 > 59 || m2 > 59 || (h2 == 24 && m2 != 0))
                return ini_strict_error(ini, "invalid AllowedTime=%s (expected HH:MM-HH:MM, e.g. 20:00-06:00)", value);
        w->from = h1 * 60 + m1;
        w->to = h2 * 60 + m2;
        return 1;
}

static int parse_date(const char *s, int *ret) {
        int y, m, d;

        if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
                return -EINVAL;
        y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
        if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
                return -EINVAL;
        *ret = y * 10000 + m * 100 + d;
        return 0;
}

/* "YYYY-MM-DD..YYYY-MM-DD [...]": registration periods and the like. */
static int parse_blackouts(IniStrict *ini, RunWindow *w, const char *value) {
        _cleanup_free_ char *copy = strdup(value);
        char *save = NULL;

        if (!copy)
                return ini_strict_error(ini, "out of memory");
        for (char *word = strtok_r(copy, " \t", &save); word; word = strtok_r(NULL, " \t", &save)) {
                char *dots = strstr(word, "..");
                DateRange d;

                if (!dots)
                        return ini_strict_error(ini, "invalid Blackout= range \"%s\" (YYYY-MM-DD..YYYY-MM-DD)", word);
                *dots = '\0';
                if (parse_date(word, &d.from) < 0 || parse_date(dots + 2, &d.to) < 0 || d.to < d.from)
                        return ini_strict_error(ini, "invalid Blackout= range \"%s..%s\" (YYYY-MM-DD..YYYY-MM-DD)",
                                                word, dots + 2);
                if (w->n_blackouts >= SITE_BLACKOUTS_MAX)
                        return ini_strict_error(ini, "too many Blackout= ranges (at most %d)", SITE_BLACKOUTS_MAX);
                w->blackouts[w->n_blackouts++] = d;
        }
        return 1;
}

int site_parse_window_key(IniStrict *ini, RunWindow *w, const char *key, const char *value) {
        if (strcmp(key, "AllowedTime") == 0)
                return parse_window(ini, w, value);
        if (strcmp(key, "Blackout") == 0)
                return parse_blackouts(ini, w, value);
        return -ENOENT;
}

int site_parse_size(IniStrict *ini, const char *key, const char *value, uint64_t *ret) {
        static const char suffixes[] = "KMGT";
        unsigned long long v;
        char *end;

        errno = 0;
        v = strtoull(value, &end, 10);
        if (errno || end == value || value[0] == '-')
                return ini_strict_error(ini, "invalid %s=%s", key, value);
        if (*end) {
                const char *s = end[1] == '\0' ? strchr(suffixes, *end) : NULL;
                if (!s)
                        return ini_strict_error(ini, "invalid %s=%s (a number, optionally with K, M, G or T)", key,
                                                value);
                for (long i = 0; i <= s - suffixes; i++) {
                        if (v > UINT64_MAX / 1024)
                                return ini_strict_error(ini, "%s=%s is too large", key, value);
                        v *= 1024;
                }
        }
        *ret = v;
        return 1;
}

bool site_window_allows(const RunWindow *w, long t, char *ret_why, size_t size) {
        time_t tt = (time_t) t;
        struct tm tm;

        if (!localtime_r(&tt, &tm)) {
                (void) snprintf(ret_why, size, "cannot read the local time");
                return false;
        }
        int today = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
        for (unsigned i = 0; i < w->n_blackouts; i++)
                if (today >= w->blackouts[i].from && today <= w->blackouts[i].to) {
                        (void) snprintf(ret_why, size, "today is inside Blackout= %d-%02d-%02d..%d-%02d-%02d",
                                        w->blackouts[i].from / 10000, w->blackouts[i].from / 100 % 100,
                                        w->blackouts[i].from % 100, w->blackouts[i].to / 10000,
                                        w->blackouts[i].to / 100 % 100, w->blackouts[i].to % 100);
                        return false;
                }
        if (w->from < 0)
                return true;
        int now = tm.tm_hour * 60 + tm.tm_min, from = w->from, to = w->to;
        bool inside = from <= to ? now >= from && now < to : now >= from || now < to;
        if (!inside)
                (void) snprintf(ret_why, size, "%02d:%02d is outside AllowedTime=%02d:%02d-%02d:%02d", tm.tm_hour,
                                tm.tm_min, from / 60, from % 60, to / 60, to % 60);
        return inside;
}
