/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "format.h"

#include <stdarg.h>
#include <stdio.h>

char *strdup_printf(const char *fmt, ...) {
        va_list ap;
        char *s = NULL;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}
