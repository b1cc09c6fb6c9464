/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static LogLevel max_level = LOG_LEVEL_INFO;

void log_set_max_level(LogLevel max) {
        max_level = max;
}

int log_level_from_string(const char *s) {
        static const char *const names[] = { "error", "warning", "info", "debug" };

        for (size_t i = 0; s && i < ELEMENTSOF(names); i++)
                if (strcmp(s, names[i]) == 0)
                        return (int) i;
        return -EINVAL;
}

int log_internal(LogLevel level, int error, const char *format, ...) {
        int saved = errno;
        va_list ap;

        if (level > max_level)
                return error;
        /* For "%m": the error being logged, not whatever errno says now. */
        errno = error < 0 ? -error : error != 0 ? error : saved;
        va_start(ap, format);
        (void) vfprintf(stderr, format, ap);
        va_end(ap);
        (void) fputc('\n', stderr);
        errno = saved;
        return error;
}
