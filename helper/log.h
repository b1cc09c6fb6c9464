/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* hubopsd's log: one line on stderr (the journal, under its unit) per
 * message. Each error is logged once, where it is handled; the _errno
 * forms set errno from a negative-errno r for "%m" and return r, so that
 * "return log_error_errno(r, "Failed to ...: %m");" logs and passes it on. */

typedef enum LogLevel {
        LOG_LEVEL_ERROR,
        LOG_LEVEL_WARNING,
        LOG_LEVEL_INFO,
        LOG_LEVEL_DEBUG,
} LogLevel;

/* Messages above max are dropped (default: info). */
void log_set_max_level(LogLevel max);
/* "error", "warning", "info" or "debug"; -EINVAL otherwise. */
int log_level_from_string(const char *s);

/* "%m" is glibc's: GCC checks it as gnu_printf, and under -Wpedantic only
 * inside __extension__; clang knows it as printf. */
#if defined(__clang__)
#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LOG_PRINTF(a, b) __attribute__((format(gnu_printf, a, b)))
#endif

int log_internal(LogLevel level, int error, const char *format, ...) LOG_PRINTF(3, 4);

#define log_full(level, r, ...) (__extension__ log_internal((level), (r), __VA_ARGS__))
#define log_error(...) log_full(LOG_LEVEL_ERROR, 0, __VA_ARGS__)
#define log_warning(...) log_full(LOG_LEVEL_WARNING, 0, __VA_ARGS__)
#define log_info(...) log_full(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_debug(...) log_full(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)
#define log_error_errno(r, ...) log_full(LOG_LEVEL_ERROR, (r), __VA_ARGS__)
#define log_warning_errno(r, ...) log_full(LOG_LEVEL_WARNING, (r), __VA_ARGS__)
