/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mailstamps.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format.h"
#include "macro.h"
#include "mailscan.h"
#include "strv.h"


static int64_t mtime_usec_at(int dfd, const char *name) {
        struct stat st;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                return -1;
        return (int64_t) st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000;
}

static int add_folder(MailStamps *s, size_t *allocated, int dfd, const char *path) {
        FolderStamp *f;

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
        f->path = strdup(path);
        if (!f->path)
                return -ENOMEM;
        s->n_folders++;
        return 0;
}

/* The maildir (INBOX) and its ".NAME" folders: one readdir() of the maildir,
 * two stats per folder; the messages in cur/ and new/ are never listed. */
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
        const char *suffix = NULL;
        size_t allocated = 0;
        DIR *d;
        struct dirent *de;
        int r = 0;

        *ret = (MailStamps) { .taken_usec = now_usec };
        *ret_error = NULL;
        parent = mailscan_open_parent(o, &suffix, ret_error);
        if (parent < 0)
                return parent;
        d = mailscan_opendir(parent, &r);
        if (!d)
                return r;
        while (r >= 0 && (errno = 0, de = readdir(d))) {
                _cleanup_close_ int maildir = -1;
                char path[MAIL_PATH_MAX];

                if (de->d_name[0] == '.')
                        continue;
                maildir = mailscan_open_mailbox(parent, de->d_name, suffix);
                if (maildir < 0) {
                        r = maildir == -ENOENT || maildir == -ENOTDIR || maildir == -ELOOP ? 0 : maildir;
                        continue;
                }
                if (snprintf(path, sizeof(path), "%s%s%s", de->d_name, suffix[0] ? "/" : "", suffix) >=
                    (int) sizeof(path))
                        r = -ENAMETOOLONG;
                else
                        r = stamp_mailbox(ret, &allocated, maildir, path);
        }
        if (r >= 0 && errno != 0)
                r = -errno;
        closedir(d);
        if (r < 0) {
                *ret_error = strdup_printf("cannot record the folders of %s: %s", o->domain, strerror(-r));
                mail_stamps_done(ret);
                return r;
        }
        qsort(ret->folders, ret->n_folders, sizeof(FolderStamp), folder_compare);
        return 0;
}

void mail_stamps_done(MailStamps *s) {
        for (size_t i = 0; s && i < s->n_folders; i++)
                free(s->folders[i].path);
        if (s) {
                free(s->folders);
                *s = (MailStamps) { .taken_usec = 0 };
        }
}

/* {"taken":USEC,"folders":[["PATH",CUR,NEW],...]}: compact, for a million folders. */
char *mail_stamps_to_json(const MailStamps *s) {
        json_object *top = json_object_new_object(), *list = json_object_new_array();
        char *text;

        json_object_object_add(top, "taken", json_object_new_uint64(s->taken_usec));
        for (size_t i = 0; i < s->n_folders; i++) {
                json_object *f = json_object_new_array();

                json_object_array_add(f, json_object_new_string(s->folders[i].path));
                json_object_array_add(f, json_object_new_int64(s->folders[i].cur_usec));
                json_object_array_add(f, json_object_new_int64(s->folders[i].new_usec));
                json_object_array_add(list, f);
        }
        json_object_object_add(top, "folders", list);
        text = strdup(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(top);
        return text;
}

static int read_stamp(json_object *f, FolderStamp *ret) {
        json_object *path, *cur, *new_;
        int64_t c, n;

        if (!json_object_is_type(f, json_type_array) || json_object_array_length(f) != 3)
                return -EBADMSG;
        path = json_object_array_get_idx(f, 0);
        cur = json_object_array_get_idx(f, 1);
        new_ = json_object_array_get_idx(f, 2);
        if (!json_object_is_type(path, json_type_string) || !json_object_is_type(cur, json_type_int) ||
            !json_object_is_type(new_, json_type_int))
                return -EBADMSG;
        c = json_object_get_int64(cur);
        n = json_object_get_int64(new_);
        if (c < -1 || n < -1 ||
            !mail_path_is_valid(json_object_get_string(path), (size_t) json_object_get_string_len(path)))
                return -EBADMSG;
        ret->path = strdup(json_object_get_string(path));
        ret->cur_usec = c;
        ret->new_usec = n;
        return ret->path ? 0 : -ENOMEM;
}

int mail_stamps_from_json(const char *text, size_t size, MailStamps *ret) {
        json_object *top = mail_json_object(text, size, 2), *taken, *list;
        MailStamps s = { .taken_usec = 0 };
        int r = -EBADMSG;
        size_t n;

        if (!top || !json_object_object_get_ex(top, "taken", &taken) ||
            !json_object_is_type(taken, json_type_int) || json_object_get_int64(taken) < 0 ||
            !json_object_object_get_ex(top, "folders", &list) || !json_object_is_type(list, json_type_array) ||
            (n = json_object_array_length(list)) > MAIL_FOLDERS_MAX)
                goto out;
        s.taken_usec = (uint64_t) json_object_get_int64(taken);
        s.folders = calloc(n ? n : 1, sizeof(FolderStamp));
        if (!s.folders) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                r = read_stamp(json_object_array_get_idx(list, i), &s.folders[i]);
                if (r < 0)
                        goto out;
                s.n_folders++;
                /* Sorted and unique, as written: the compare walks both in step. */
                if (i > 0 && strcmp(s.folders[i - 1].path, s.folders[i].path) >= 0) {
                        r = -EBADMSG;
                        goto out;
                }
        }
        *ret = s;
        s = (MailStamps) { .taken_usec = 0 };
        r = 0;
out:
        mail_stamps_done(&s);
        json_object_put(top);
        return r;
}

static bool stamp_is_stale(const MailStamps *before, int64_t was, int64_t is) {
        /* Changed, or too close to the recording to tell (the same tick). */
        return was != is || (was >= 0 && (uint64_t) was + MAILSTAMPS_TICK_USEC >= before->taken_usec);
}

int mail_stamps_changed(const MailStamps *before, const MailStamps *now, char ***ret_changed, char ***ret_gone) {
        _cleanup_(strv_freep) char **changed = NULL, **gone = NULL;
        size_t i = 0, j = 0;

        while (i < before->n_folders || j < now->n_folders) {
                const FolderStamp *b = i < before->n_folders ? &before->folders[i] : NULL;
                const FolderStamp *n = j < now->n_folders ? &now->folders[j] : NULL;
                int c = !b ? 1 : !n ? -1 : strcmp(b->path, n->path);
                int r = 0;

                if (c < 0) /* gone since the recording */
                        r = strv_extend(&gone, b->path), i++;
                else if (c > 0) /* new since the recording */
                        r = strv_extend(&changed, n->path), j++;
                else {
                        if (stamp_is_stale(before, b->cur_usec, n->cur_usec) ||
                            stamp_is_stale(before, b->new_usec, n->new_usec))
                                r = strv_extend(&changed, n->path);
                        i++, j++;
                }
                if (r < 0)
                        return r;
        }
        if ((!changed && !(changed = calloc(1, sizeof(char *)))) || (!gone && !(gone = calloc(1, sizeof(char *)))))
                return -ENOMEM;
        *ret_changed = TAKE_PTR(changed);
        *ret_gone = TAKE_PTR(gone);
        return 0;
}
