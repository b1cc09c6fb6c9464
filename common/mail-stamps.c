/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The folder stamps read back and compared (mail-stamps.h). */
#include "mail-stamps.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "strv.h"

void mail_stamps_done(MailStamps *s) {
        for (size_t i = 0; s && i < s->n_folders; i++)
                free(s->folders[i].path);
        if (s) {
                free(s->folders);
                *s = (MailStamps) { .taken_usec = 0 };
        }
}

/* {"taken":USEC,"folders":[["PATH",CUR,NEW,OWN],...]}: compact, for a million
 * folders. Read back, [PATH,CUR,NEW] too: a recording made before OWN was. */
char *mail_stamps_to_json(const MailStamps *s) {
        json_object *top = json_object_new_object(), *list = json_object_new_array();

        json_object_object_add(top, "taken", json_object_new_uint64(s->taken_usec));
        for (size_t i = 0; i < s->n_folders; i++) {
                json_object *f = json_object_new_array();

                json_object_array_add(f, json_object_new_string(s->folders[i].path));
                json_object_array_add(f, json_object_new_int64(s->folders[i].cur_usec));
                json_object_array_add(f, json_object_new_int64(s->folders[i].new_usec));
                json_object_array_add(f, json_object_new_int64(s->folders[i].own_usec));
                json_object_array_add(list, f);
        }
        json_object_object_add(top, "folders", list);
        return mail_json_text(top);
}

static int read_stamp(json_object *f, FolderStamp *ret) {
        json_object *path, *cur, *new_, *own = NULL;
        int64_t c, n, o = MAILSTAMPS_OWN_UNKNOWN;
        size_t len;

        if (!json_object_is_type(f, json_type_array) || (len = json_object_array_length(f)) < 3 || len > 4)
                return -EBADMSG;
        path = json_object_array_get_idx(f, 0);
        cur = json_object_array_get_idx(f, 1);
        new_ = json_object_array_get_idx(f, 2);
        if (len == 4)
                own = json_object_array_get_idx(f, 3);
        if (!json_object_is_type(path, json_type_string) || !json_object_is_type(cur, json_type_int) ||
            !json_object_is_type(new_, json_type_int) || (own && !json_object_is_type(own, json_type_int)))
                return -EBADMSG;
        c = json_object_get_int64(cur);
        n = json_object_get_int64(new_);
        if (own)
                o = json_object_get_int64(own);
        if (c < -1 || n < -1 || (own && o < -1) ||
            !mail_path_is_valid(json_object_get_string(path), (size_t) json_object_get_string_len(path)))
                return -EBADMSG;
        ret->path = strdup(json_object_get_string(path));
        ret->cur_usec = c;
        ret->new_usec = n;
        ret->own_usec = o;
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

                if (c < 0 && b) /* gone since the recording */
                        r = strv_extend(&gone, b->path), i++;
                else if (c > 0 && n) /* new since the recording */
                        r = strv_extend(&changed, n->path), j++;
                else if (!b || !n)
                        break; /* not reached: one of them is there while the loop runs */
                else {
                        if (stamp_is_stale(before, b->cur_usec, n->cur_usec) ||
                            stamp_is_stale(before, b->new_usec, n->new_usec) ||
                            stamp_is_stale(before, b->own_usec, n->own_usec))
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
