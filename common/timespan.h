/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Parse a systemd-style time span: "90", "90s", "5min", "1h 30min", "250ms".
 * A bare number means seconds, as in systemd unit files. Returns 0 and the
 * span in microseconds, or -EINVAL (malformed) / -ERANGE (overflow). */
int timespan_parse(const char *s, uint64_t *ret_usec);

/* Format a span for humans ("4h 2min", "12.5s"); always NUL-terminates. */
char *timespan_format(char *buf, size_t size, uint64_t usec);
