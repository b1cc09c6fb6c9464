/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "execline.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "names.h"

/* Read one word starting at *p into a fresh string; advance *p past it. */
static int next_word(const char **p, char **ret, const char **ret_reason) {
        size_t len = strlen(*p);
        _cleanup_free_ char *w = malloc(len + 1);
        size_t n = 0;
        char quote = 0;
        const char *s = *p;

        if (!w) {
                *ret_reason = "out of memory";
                return -ENOMEM;
        }

        for (; *s; s++) {
                if (quote) {
                        if (*s == quote) {
                                quote = 0;
                                continue;
                        }
                        if (quote == '"' && *s == '\\' && (s[1] == '"' || s[1] == '\\'))
                                s++;
                        w[n++] = *s;
                } else if (*s == ' ')
                        break;
                else if (*s == '"' || *s == '\'')
                        quote = *s;
                else if (*s == '\\') {
                        *ret_reason = "backslash outside double quotes";
                        return -EINVAL;
                } else
                        w[n++] = *s;
        }
        if (quote) {
                *ret_reason = "unterminated quote";
                return -EINVAL;
        }
        w[n] = '\0';
        *p = s;
        *ret = TAKE_PTR(w);
        return 0;
}

int execline_parse(const char *s, unsigned max_words, char ***ret_argv, const char **ret_reason) {
        _cleanup_(strv_freep) char **argv = NULL;
        unsigned n = 0;
        const char *reason = NULL;

        if (!text_is_printable(s, 4096)) {
                *ret_reason = "control characters or too long";
                return -EINVAL;
        }
        if (strpbrk(s, "$%")) {
                *ret_reason = "'$' and '%' are not allowed (no expansion is done)";
                return -EINVAL;
        }

        argv = calloc(max_words + 1, sizeof(char *));
        if (!argv) {
                *ret_reason = "out of memory";
                return -ENOMEM;
        }

        for (const char *p = s;;) {
                int r;

                while (*p == ' ')
                        p++;
                if (*p == '\0')
                        break;
                if (n >= max_words) {
                        *ret_reason = "too many words";
                        return -E2BIG;
                }
                r = next_word(&p, &argv[n], &reason);
                if (r < 0) {
                        *ret_reason = reason;
                        return r;
                }
                n++;
        }

        if (n == 0) {
                *ret_reason = "empty command";
                return -EINVAL;
        }
        if (strchr("-@:+!", argv[0][0]) && argv[0][0] != '\0') {
                *ret_reason = "systemd's command prefixes are not supported";
                return -EINVAL;
        }
        if (!path_is_safe_absolute(argv[0])) {
                *ret_reason = "the program must be an absolute, normalized path";
                return -EINVAL;
        }

        *ret_argv = TAKE_PTR(argv);
        return 0;
}
