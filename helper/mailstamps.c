/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mailstamps.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format.h"
#include "macro.h"
#include "mailscan.h"
#include "strv.h"

static int64_t usec_of(const struct timespec *ts) {
        return (int64_t) ts->tv_sec * 1000000 + ts->tv_nsec / 1000;
}

static int64_t mtime_usec_at(int dfd, const char *name) {
        struct stat st;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                return -1;
        return usec_of(&st.st_mtim);
}

/* The folder's own files' stamp (mail-stamps.h): the latest of the folder
 * directory's mtime and each of its files' ctime; its subdirectories (cur/,
 * new/, tmp/, the ".NAME" folders) have stamps of their own. */
static int own_usec_at(int folder, int64_t *ret) {
        /* A description of its own: a dup would share the directory's offset. */
        _cleanup_close_ int fd = openat(folder, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent *de;
        struct stat st;
        int64_t latest;
        DIR *d;
        int r = 0;

        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        latest = usec_of(&st.st_mtim);
        d = fdopendir(fd);
        if (!d)
                return -errno;
        (void) TAKE_FD(fd); /* the DIR owns it now */
        while ((errno = 0, de = readdir(d))) {
                if (de->d_type == DT_DIR)
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno == ENOENT)
                                continue; /* gone meanwhile: the directory's mtime shows it */
                        r = -errno;
                        break;
                }
                if (!S_ISDIR(st.st_mode) && usec_of(&st.st_ctim) > latest)
                        latest = usec_of(&st.st_ctim);
        }
        if (r == 0 && errno != 0)
                r = -errno;
        closedir(d);
        *ret = latest;
        return r;
}

static int add_folder(MailStamps *s, size_t *allocated, int dfd, const char *path) {
        FolderStamp *f;
        int r;

        if (s->n_folders >= MAIL_FOLDERS_MAX)
                return -E2BIG;
        if (s->n_folders == *allocated) {
                size_t n = *allocated ? *allocated * 2 : 64;
                FolderStamp *bigger = reallocarray(s->folders, n, sizeof(FolderStamp));

                if (!bigger)
                        return -ENOMEM;
                s->folders = bigger;
                *allocated = n;
        }
        f = &s->folders[s->n_folders];
        *f = (FolderStamp) { .cur_usec = mtime_usec_at(dfd, "cur"), .new_usec = mtime_usec_at(dfd, "new") };
        r = own_usec_at(dfd, &f->own_usec);
        if (r < 0)
                return r;
        f->path = strdup(path);
        if (!f->path)
                return -ENOMEM;
        s->n_folders++;
        return 0;
}

/* The maildir (INBOX) and its ".NAME" folders: a readdir() of each folder
 * (its own files), two stats more per folder; the messages in cur/ and new/
 * are never listed. */
static int stamp_mailbox(MailStamps *s, size_t *allocated, int maildir, const char *path) {
        DIR *d;
        struct dirent *de;
        int r;

        r = add_folder(s, allocated, maildir, path);
        if (r < 0)
                return r;
        d = mailscan_opendir(maildir, &r);
        if (!d)
                return r;
        while (r >= 0 && (errno = 0, de = readdir(d))) {
                char sub[MAIL_PATH_MAX];
                int folder;

                if (de->d_name[0] != '.' || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                folder = openat(maildir, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (folder < 0)
                        continue; /* a file (".dovecot.lda-dupes"), a link, or gone */
                if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= (int) sizeof(sub))
                        r = -ENAMETOOLONG;
                else
                        r = add_folder(s, allocated, folder, sub);
                close(folder);
        }
        if (r >= 0 && errno != 0)
                r = -errno;
        closedir(d);
        return r;
}

static int folder_compare(const void *a, const void *b) {
        return strcmp(((const FolderStamp *) a)->path, ((const FolderStamp *) b)->path);
}

int mail_stamps_take(const MailScanOptions *o, uint64_t now_usec, MailStamps *ret, char **ret_error) {
        _cleanup_close_ int parent = -1;
        _cleanup_(strv_freep) char **names = NULL;
        const char *suffix = NULL;
        size_t allocated = 0;
        int r;

        *ret = (MailStamps) { .taken_usec = now_usec };
        r = mailscan_mailboxes(o, &parent, &suffix, &names, ret_error);
        if (r < 0)
                return r;
        for (char **name = names; r >= 0 && name && *name; name++) {
                _cleanup_close_ int maildir = mailscan_open_mailbox(parent, *name, suffix);
                char path[MAIL_PATH_MAX];

                if (maildir < 0) {
                        r = maildir == -ENOENT || maildir == -ENOTDIR || maildir == -ELOOP ? 0 : maildir;
                        continue;
                }
                if (snprintf(path, sizeof(path), "%s%s%s", *name, suffix[0] ? "/" : "", suffix) >= (int) sizeof(path))
                        r = -ENAMETOOLONG;
                else
                        r = stamp_mailbox(ret, &allocated, maildir, path);
        }
        if (r < 0) {
                *ret_error = strdup_printf("cannot record the folders of %s: %s", o->domain, strerror(-r));
                mail_stamps_done(ret);
                return r;
        }
        if (ret->n_folders > 0)
                qsort(ret->folders, ret->n_folders, sizeof(FolderStamp), folder_compare);
        return 0;
}
