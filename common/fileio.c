/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "format.h"
#include "macro.h"

int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode) {
        _cleanup_free_ char *tmp = strdup_printf("%s.tmp", path);
        _cleanup_close_ int fd = -1;
        size_t done = 0;

        if (!tmp)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        while (done < len) {
                ssize_t n = write(fd, data + done, len - done);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                done += (size_t) n;
        }
        if (fsync(fd) < 0)
                return -errno;
        if (rename(tmp, path) < 0)
                return -errno;
        return 0;
}
