/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ini-strict.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

int ini_strict_error(IniStrict *p, const char *fmt, ...) {
        va_list ap;
        char *msg = NULL;

        if (p->error)
                return 0;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        p->error = strdup_printf("%s:%u: %s", p->path, p->line, msg ? msg : "out of memory");
        p->error_line = p->line;
        free(msg);
        return 0;
}

static int begin_section(IniStrict *p, const char *name) {
        free(p->keys_seen);
        p->keys_seen = strdup("\n");
        if (!p->keys_seen)
                return -ENOMEM;
        p->in_section = true;
        return p->section(p, name);
}

static char *reader(char *str, int num, void *stream) {
        IniStrict *p = stream;
        char *s, *end;
        size_t l;

        if (p->error)
                return NULL;
        s = fgets(str, num, p->f);
        if (!s)
                return NULL;
        p->line++;
        l = strlen(s);
        if (l > 0 && s[l - 1] != '\n' && !feof(p->f))
                return ini_strict_error(p, "line too long (at most %d bytes)", num - 2), NULL;
        if (s[0] == ' ' || s[0] == '\t') {
                while (*s == ' ' || *s == '\t')
                        s++;
                if (*s != '\n' && *s != '\0' && *s != '\r')
                        return ini_strict_error(p, "indented lines (continuations) are not supported"), NULL;
                return str;
        }
        if (s[0] == '#' || s[0] == ';')
                return str;
        /* inih would silently cut "Key=a ; b" to "a": refuse instead. */
        if (strstr(s, " ;") || strstr(s, "\t;"))
                return ini_strict_error(p, "inline comments (\" ;\") are not supported"), NULL;
        if (s[0] != '[')
                return str;

        end = strchr(s, ']');
        if (!end)
                return ini_strict_error(p, "section header without ']'"), NULL;
        *end = '\0';
        if (begin_section(p, s + 1) < 0) {
                if (!p->error)
                        (void) ini_strict_error(p, "out of memory");
                return NULL;
        }
        *end = ']';
        return str;
}

static bool key_seen_before(IniStrict *p, const char *key) {
        _cleanup_free_ char *needle = strdup_printf("\n%s\n", key);
        char *n;

        if (!needle)
                return true; /* fail closed */
        if (strstr(p->keys_seen, needle))
                return true;
        n = realloc(p->keys_seen, strlen(p->keys_seen) + strlen(key) + 2);
        if (!n)
                return true;
        p->keys_seen = n;
        strcat(strcat(p->keys_seen, key), "\n");
        return false;
}

static int handler(void *user, const char *section, const char *key, const char *value) {
        IniStrict *p = user;

        (void) section; /* tracked by reader(), which also sees empty sections */
        if (p->error)
                return 0;
        if (!p->in_section)
                return ini_strict_error(p, "%s= outside of any section", key);
        if (key_seen_before(p, key))
                return ini_strict_error(p, "duplicate key %s=", key);
        return p->key(p, key, value);
}

int ini_strict_parse(IniStrict *p, char **ret_error) {
        int r;

        r = ini_parse_stream(reader, p, handler, p);
        /* inih reports its own syntax errors by line; keep whichever came first. */
        if (r > 0 && (!p->error || (unsigned) r < p->error_line)) {
                free(p->error);
                p->error = strdup_printf("%s:%d: syntax error (expected [Section] or Key=Value)", p->path, r);
                if (!p->error)
                        r = -ENOMEM;
        } else if (r < 0 && !p->error)
                p->error = strdup_printf("%s: out of memory while parsing", p->path);
        free(p->keys_seen);
        p->keys_seen = NULL;
        if (!p->error && r == 0 && p->finish)
                r = p->finish(p);
        if (p->error) {
                *ret_error = p->error;
                p->error = NULL;
                return -EINVAL;
        }
        return r < 0 ? -ENOMEM : 0;
}
