/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "macro.h"

/* A strict front-end for inih, shared by hubopsd's helper config and
 * hubopsctl's site config. inih reads the lines through us, so we know the
 * line of every key, see every section header (even empty sections, which
 * inih never reports), and refuse what inih would silently reinterpret:
 * continuation lines, inline " ;" comments, overlong lines, duplicate keys,
 * keys outside a section. Every error names file and line. */

typedef struct IniStrict IniStrict;
struct IniStrict {
        FILE *f;
        const char *path;
        unsigned line;
        /* "[NAME]": 0, or < 0 after ini_strict_error() (or -ENOMEM). */
        int (*section)(IniStrict *p, const char *name);
        /* Key=Value in a section, not a duplicate: what ini_strict_error() returns (0) or 1. */
        int (*key)(IniStrict *p, const char *key, const char *value);
        /* After a clean parse, the checks across sections (may be NULL): 0, or
         * < 0 after ini_strict_error() (or -ENOMEM). */
        int (*finish)(IniStrict *p);
        void *userdata;

        /* Internal. */
        bool in_section;
        char *keys_seen; /* "\nKey\nKey\n" of the current section */
        char *error;     /* "PATH:LINE: message", the first error */
        unsigned error_line;
};

/* Record the first error, at the current line; returns 0 (inih's "handler failed"). */
_printf_(2, 3) int ini_strict_error(IniStrict *p, const char *fmt, ...);

/* Parse p->f, then p->finish. Returns 0, or -EINVAL with *ret_error
 * ("PATH:LINE: ...", owned by the caller), or -ENOMEM. */
int ini_strict_parse(IniStrict *p, char **ret_error);
