/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Every state file goes through these two: a rename or an unlink is only
 * durable once its directory is fsync'd, and a crash before that may bring
 * back the old file (a released claim, a finished job) at the next start. */

/* Write-then-rename, with fsync of the file and then of its directory: a
 * crash leaves the old content or the new, never half, and once this
 * returns 0 the new content survives a crash. The temporary file is
 * PATH.tmp. Returns 0 or -errno. */
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);

/* unlink(path), then fsync its directory. A missing file is not an error. */
int unlink_durable(const char *path);

/* fsync the directory that holds path (its last component's parent). */
int fsync_parent_directory(const char *path);

/* path opened read-only as a regular file, never through a link, never
 * blocking on a FIFO: an fd, or -errno (-EBADFD: not a regular file). */
int open_regular_file(const char *path);

/* A regular file's content, at most max bytes (more is -EFBIG), opened
 * without following a link; NUL-terminated, *ret_len without the NUL. */
int read_file_bounded(const char *path, size_t max, char **ret, size_t *ret_len);
