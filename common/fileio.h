/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Write-then-rename, with fsync: a crash leaves the old content or the new,
 * never half. The temporary file is PATH.tmp. Returns 0 or -errno. */
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);
