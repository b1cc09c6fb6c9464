/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The final pass in one rsync session (mailsync-rules.h): a session costs
 * an ssh login and rrsync's python start-up on the source, and a second
 * session over the folder directories cost more than the walk it did
 * (BENCHMARKS.md, "The mailbox move"). */
#include "mailsync-rules.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "macro.h"

#define WILD "*?["

/* A literal part of a wildcard pattern: rsync's wildmatch reads '\' as an escape. */
static char *escape(const char *s, size_t len) {
        char *out = malloc(2 * len + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                if (strchr(WILD "\\", s[i]))
                        *o++ = '\\';
                *o++ = s[i];
        }
        *o = '\0';
        return out;
}

int mailsync_folder_pattern(const char *layout, bool subfolders, const char *dir, char **ret) {
        const char *n = strstr(layout, "%n");
        const char *suffix = n[2] == '/' ? n + 3 : n + 2;
        _cleanup_free_ char *prefix = escape(layout + 3, (size_t) (n - (layout + 3)));
        _cleanup_free_ char *tail = escape(suffix, strlen(suffix));

        if (!prefix || !tail)
                return -ENOMEM;
        *ret = strdup_printf("/%s*%s%s%s/%s", prefix, tail[0] ? "/" : "", tail, subfolders ? "/.*" : "", dir);
        return *ret ? 0 : -ENOMEM;
}

/* "+ RAW", RAW taken literally: rsync reads a pattern without '*', '?' or
 * '[' as plain text, and one with them as a wildcard. Frees RAW. */
static int write_include(FILE *f, char *raw) {
        _cleanup_free_ char *owned = raw, *escaped = NULL;

        if (!owned)
                return -ENOMEM;
        if (strpbrk(owned, WILD) && !(escaped = escape(owned, strlen(owned))))
                return -ENOMEM;
        return fprintf(f, "+ %s\n", escaped ? escaped : owned) < 0 ? -EIO : 0;
}

/* One changed folder's DIR ("cur", "new"). */
static int write_changed(FILE *f, const char *prefix, size_t prefix_len, const char *path, const char *dir) {
        return write_include(f, strdup_printf("/%.*s%s/%s/", (int) prefix_len, prefix, path, dir));
}

/* The length of a changed folder's maildir, "NAME[/SUFFIX]": its first
 * DEPTH names (the layout's after %n, plus one), up to the DEPTH-th '/'. */
static size_t maildir_len(const char *folder, unsigned depth) {
        unsigned slashes = 0;
        size_t len = 0;

        for (; folder[len]; len++)
                if (folder[len] == '/' && ++slashes == depth)
                        break;
        return len;
}

/* The names in the layout's SUFFIX (what follows %n), plus one: a
 * maildir's depth below the mailbox parent. */
static unsigned maildir_depth(const char *suffix) {
        unsigned depth = 1;

        for (; *suffix; suffix++)
                depth += *suffix == '/';
        return depth;
}

/* RULE for DIR of every maildir and of every folder. */
static int write_everywhere(FILE *f, const char *layout, const char *rule, const char *dir) {
        for (int sub = 0; sub < 2; sub++) {
                _cleanup_free_ char *p = NULL;
                int r = mailsync_folder_pattern(layout, sub, dir, &p);

                if (r < 0)
                        return r;
                if (fprintf(f, "%s %s\n", rule, p) < 0)
                        return -EIO;
        }
        return 0;
}

int mailsync_final_rules(FILE *f, const char *layout, char *const *changed) {
        const char *n = strstr(layout, "%n");
        int r;

        if (strncmp(layout, "%d/", 3) != 0 || !n)
                return -EINVAL;
        /* What lies between the domain and the mailbox name: every path below starts with it. */
        const char *prefix = layout + 3;
        size_t prefix_len = (size_t) (n - prefix);
        /* First match wins, and every name the walk meets is tried against the
         * list until one does: the files of the changed cur/ and new/ (the only
         * ones the walk enters) match at once, so the per-folder lines below
         * cost per directory, not per message. */
        r = write_everywhere(f, layout, "+", "cur/*");
        if (r >= 0)
                r = write_everywhere(f, layout, "+", "new/*");
        /* Deliveries in flight. */
        if (r >= 0)
                r = write_everywhere(f, layout, "-p", "tmp/*");
        for (char *const *c = changed; r >= 0 && c && *c; c++) {
                r = write_changed(f, prefix, prefix_len, *c, "cur");
                if (r >= 0)
                        r = write_changed(f, prefix, prefix_len, *c, "new");
        }
        /* Excluded, so protected at the destination: an unchanged folder's
         * messages are neither listed nor deleted. Perishable: a folder or a
         * mailbox gone at the source is deleted whole all the same. */
        if (r >= 0)
                r = write_everywhere(f, layout, "-p", "cur/");
        if (r >= 0)
                r = write_everywhere(f, layout, "-p", "new/");
        /* A mailbox none of whose folders changed (cur/, new/ or their own
         * files: mail-stamps.h) is not entered at all: 0.2 s of a warm final
         * pass at 1,000 mailboxes went on walking them (BENCHMARKS.md). The
         * rest of the domain is walked, so whatever lies outside the maildirs
         * is carried, and a mailbox gone at the source is deleted. The
         * changed folders' maildirs are included, each once (a maildir's
         * folders come one after another), then every other one excluded. */
        unsigned depth = maildir_depth(n + 2);
        const char *last = NULL;
        size_t last_len = 0;
        for (char *const *c = changed; r >= 0 && c && *c; c++) {
                size_t len = maildir_len(*c, depth);

                if (last && len == last_len && strncmp(last, *c, len) == 0)
                        continue;
                last = *c, last_len = len;
                r = write_include(f, strdup_printf("/%.*s%.*s/", (int) prefix_len, prefix, (int) len, *c));
        }
        if (r >= 0) {
                _cleanup_free_ char *maildirs = NULL;
                r = mailsync_folder_pattern(layout, false, "", &maildirs);
                if (r >= 0 && fprintf(f, "-p %s\n", maildirs) < 0)
                        r = -EIO;
        }
        if (r >= 0 && fflush(f) != 0)
                r = -errno;
        return r;
}
