/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mailbox move's reports as JSON (mail-report.h). */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "mail-report.h"
#include "names.h"
#include "strv.h"

#define MAILBOXES_MAX 1000000

static json_object *mailbox_to_json(const MailboxScan *m) {
        json_object *o = json_object_new_object();
        char hex[2 * MAILSCAN_DIGEST_SIZE + 1];

        for (size_t i = 0; i < MAILSCAN_DIGEST_SIZE; i++)
                (void) snprintf(hex + 2 * i, 3, "%02x", m->digest[i]);
        json_object_object_add(o, "name", json_object_new_string(m->name));
        json_object_object_add(o, "files", json_object_new_uint64(m->files));
        json_object_object_add(o, "bytes", json_object_new_uint64(m->bytes));
        json_object_object_add(o, "largest", json_object_new_uint64(m->largest));
        json_object_object_add(o, "digest", json_object_new_string(hex));
        return o;
}

void mail_scan_done(MailScan *s) {
        for (size_t i = 0; s && i < s->n_mailboxes; i++)
                free(s->mailboxes[i].name);
        if (s)
                free(s->mailboxes);
}

char *mail_scan_to_json(const char *domain, bool checksum, const MailScan *s) {
        json_object *top = json_object_new_object(), *list = json_object_new_array();

        json_object_object_add(top, "domain", json_object_new_string(domain));
        json_object_object_add(top, "checksum", json_object_new_boolean(checksum));
        json_object_object_add(top, "files", json_object_new_uint64(s->files));
        json_object_object_add(top, "bytes", json_object_new_uint64(s->bytes));
        json_object_object_add(top, "skipped", json_object_new_uint64(s->skipped));
        for (size_t i = 0; i < s->n_mailboxes; i++)
                json_object_array_add(list, mailbox_to_json(&s->mailboxes[i]));
        json_object_object_add(top, "mailboxes", list);
        return mail_json_text(top);
}

char *mail_json_text(json_object *o) {
        char *text = o ? strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                                          JSON_C_TO_STRING_NOSLASHESCAPE))
                       : NULL;

        json_object_put(o);
        return text;
}

json_object *mail_json_object(const char *text, size_t size, int n_keys) {
        json_tokener *tok = json_tokener_new();
        json_object *top = NULL;
        size_t end;

        if (!tok)
                return NULL;
        if (size <= INT32_MAX)
                top = json_tokener_parse_ex(tok, text, (int) size);
        end = json_tokener_get_parse_end(tok);
        /* One object and nothing after it but whitespace (the line's newline). */
        while (end < size && (text[end] == '\n' || text[end] == ' ' || text[end] == '\t' || text[end] == '\r'))
                end++;
        if (top && (json_tokener_get_error(tok) != json_tokener_success || end != size ||
                    !json_object_is_type(top, json_type_object) || json_object_object_length(top) != n_keys)) {
                json_object_put(top);
                top = NULL;
        }
        json_tokener_free(tok);
        return top;
}

static int read_u64(json_object *o, const char *key, uint64_t *ret) {
        json_object *v;
        int64_t n;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return -EBADMSG;
        n = json_object_get_int64(v);
        if (n < 0 || n == INT64_MAX) /* json-c saturates: a huge number is not a count */
                return -EBADMSG;
        *ret = (uint64_t) n;
        return 0;
}

/* One of 0-9a-f, already checked. */
static unsigned hex_digit(char c) {
        return c >= 'a' ? (unsigned) (c - 'a' + 10) : (unsigned) (c - '0');
}

static int read_digest(json_object *o, uint8_t ret[MAILSCAN_DIGEST_SIZE]) {
        json_object *v;
        const char *hex;

        if (!json_object_object_get_ex(o, "digest", &v) || !json_object_is_type(v, json_type_string) ||
            json_object_get_string_len(v) != 2 * (int) MAILSCAN_DIGEST_SIZE)
                return -EBADMSG;
        hex = json_object_get_string(v);
        if (strspn(hex, "0123456789abcdef") != (size_t) 2 * MAILSCAN_DIGEST_SIZE)
                return -EBADMSG;
        for (size_t i = 0; i < MAILSCAN_DIGEST_SIZE; i++)
                ret[i] = (uint8_t) (hex_digit(hex[2 * i]) << 4 | hex_digit(hex[2 * i + 1]));
        return 0;
}

/* A mailbox name as the walk found it: a directory entry, so no '/', not
 * "." or "..", and not starting with '.'; printable, as it is shown. */
static bool mailbox_name_is_valid(const char *s, size_t len) {
        return len > 0 && len <= 255 && strlen(s) == len && s[0] != '.' && !strchr(s, '/') &&
               text_is_printable(s, 255);
}

static int read_mailbox(json_object *o, MailboxScan *ret) {
        json_object *name;

        if (!json_object_is_type(o, json_type_object) || json_object_object_length(o) != 5 ||
            !json_object_object_get_ex(o, "name", &name) || !json_object_is_type(name, json_type_string) ||
            !mailbox_name_is_valid(json_object_get_string(name), (size_t) json_object_get_string_len(name)) ||
            read_u64(o, "files", &ret->files) < 0 || read_u64(o, "bytes", &ret->bytes) < 0 ||
            read_u64(o, "largest", &ret->largest) < 0 || read_digest(o, ret->digest) < 0 ||
            ret->largest > ret->bytes || (ret->files == 0 && ret->bytes > 0))
                return -EBADMSG;
        ret->name = strdup(json_object_get_string(name));
        return ret->name ? 0 : -ENOMEM;
}

static int read_mailboxes(json_object *list, MailScan *s) {
        size_t n = json_object_array_length(list);
        uint64_t files = 0, bytes = 0;

        if (n > MAILBOXES_MAX)
                return -EBADMSG;
        s->mailboxes = calloc(n ? n : 1, sizeof(MailboxScan));
        if (!s->mailboxes)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                MailboxScan *m = &s->mailboxes[i];
                int r = read_mailbox(json_object_array_get_idx(list, i), m);

                if (r < 0)
                        return r;
                s->n_mailboxes++;
                if ((i > 0 && strcmp(s->mailboxes[i - 1].name, m->name) >= 0) || files + m->files < files ||
                    bytes + m->bytes < bytes)
                        return -EBADMSG;
                files += m->files;
                bytes += m->bytes;
        }
        /* The totals are the sums: a report that does not add up is not a report. */
        return files == s->files && bytes == s->bytes ? 0 : -EBADMSG;
}

int mail_scan_from_json(const char *text, size_t size, const char *domain, bool checksum, MailScan *ret) {
        json_object *top = mail_json_object(text, size, 6), *v, *list;
        MailScan s = { .files = 0 };
        int r = -EBADMSG;

        if (!top || !json_object_object_get_ex(top, "domain", &v) ||
            !json_object_is_type(v, json_type_string) || strcmp(json_object_get_string(v), domain) != 0 ||
            !json_object_object_get_ex(top, "checksum", &v) || !json_object_is_type(v, json_type_boolean) ||
            json_object_get_boolean(v) != checksum || read_u64(top, "files", &s.files) < 0 ||
            read_u64(top, "bytes", &s.bytes) < 0 || read_u64(top, "skipped", &s.skipped) < 0 ||
            !json_object_object_get_ex(top, "mailboxes", &list) || !json_object_is_type(list, json_type_array))
                goto out;
        r = read_mailboxes(list, &s);
        if (r < 0)
                goto out;
        *ret = s;
        s = (MailScan) { .files = 0 };
out:
        mail_scan_done(&s);
        json_object_put(top);
        return r;
}

int mail_sync_summary_from_json(const char *text, size_t size, MailSyncSummary *ret) {
        json_object *top = mail_json_object(text, size, 6), *mode, *vanished;
        MailSyncSummary s = { .final = false };
        int r = -EBADMSG;

        if (top && json_object_object_get_ex(top, "mode", &mode) &&
            json_object_is_type(mode, json_type_string) && json_object_object_get_ex(top, "vanished", &vanished) &&
            json_object_is_type(vanished, json_type_boolean) && read_u64(top, "files_checked", &s.files_checked) == 0 &&
            read_u64(top, "files_transferred", &s.files_transferred) == 0 &&
            read_u64(top, "bytes_transferred", &s.bytes_transferred) == 0 &&
            read_u64(top, "elapsed_usec", &s.elapsed_usec) == 0 && s.files_transferred <= s.files_checked &&
            (strcmp(json_object_get_string(mode), "full") == 0 || strcmp(json_object_get_string(mode), "final") == 0)) {
                s.final = strcmp(json_object_get_string(mode), "final") == 0;
                s.vanished = json_object_get_boolean(vanished);
                *ret = s;
                r = 0;
        }
        json_object_put(top);
        return r;
}

char *mail_sync_summary_to_json(const MailSyncSummary *s) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "mode", json_object_new_string(s->final ? "final" : "full"));
        json_object_object_add(o, "files_checked", json_object_new_uint64(s->files_checked));
        json_object_object_add(o, "files_transferred", json_object_new_uint64(s->files_transferred));
        json_object_object_add(o, "bytes_transferred", json_object_new_uint64(s->bytes_transferred));
        json_object_object_add(o, "vanished", json_object_new_boolean(s->vanished));
        json_object_object_add(o, "elapsed_usec", json_object_new_uint64(s->elapsed_usec));
        return mail_json_text(o);
}

bool mail_path_is_valid(const char *p, size_t len) {
        if (len == 0 || len >= MAIL_PATH_MAX || p[0] == '/' || p[len - 1] == '/' || strlen(p) != len)
                return false;
        for (const char *c = p; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                        return false;
        for (const char *c = p;; c++) {
                const char *slash = strchr(c, '/');
                size_t l = slash ? (size_t) (slash - c) : strlen(c);

                if (l == 0 || (l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                if (!slash)
                        return true;
                c = slash;
        }
}

void mail_changes_done(MailChanges *c) {
        if (!c)
                return;
        strv_free(c->folders);
        strv_free(c->changed);
        strv_free(c->gone);
        *c = (MailChanges) { .recorded_usec = 0 };
}

static json_object *strv_to_json(char **l) {
        json_object *a = json_object_new_array();

        for (char **s = l; s && *s; s++)
                json_object_array_add(a, json_object_new_string(*s));
        return a;
}

char *mail_changes_to_json(const MailChanges *c) {
        json_object *top = json_object_new_object();

        json_object_object_add(top, "recorded", json_object_new_uint64(c->recorded_usec));
        json_object_object_add(top, "frozen", json_object_new_uint64(c->frozen_usec));
        json_object_object_add(top, "folders", strv_to_json(c->folders));
        json_object_object_add(top, "changed", strv_to_json(c->changed));
        json_object_object_add(top, "gone", strv_to_json(c->gone));
        return mail_json_text(top);
}

/* An array of folder paths, sorted and unique, at most max. */
static int read_paths(json_object *top, const char *key, size_t max, char ***ret) {
        json_object *a;
        size_t n;
        char **l;

        if (!json_object_object_get_ex(top, key, &a) || !json_object_is_type(a, json_type_array) ||
            (n = json_object_array_length(a)) > max)
                return -EBADMSG;
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        *ret = l;
        for (size_t i = 0; i < n; i++) {
                json_object *v = json_object_array_get_idx(a, i);

                if (!json_object_is_type(v, json_type_string) ||
                    !mail_path_is_valid(json_object_get_string(v), (size_t) json_object_get_string_len(v)) ||
                    (i > 0 && strcmp(l[i - 1], json_object_get_string(v)) >= 0))
                        return -EBADMSG;
                l[i] = strdup(json_object_get_string(v));
                if (!l[i])
                        return -ENOMEM;
        }
        return 0;
}

/* Every path of sub in all (both sorted). */
static bool strv_sorted_subset(char **sub, char **all) {
        for (; sub && *sub; sub++) {
                while (all && *all && strcmp(*all, *sub) < 0)
                        all++;
                if (!all || !*all || strcmp(*all, *sub) != 0)
                        return false;
        }
        return true;
}

int mail_changes_from_json(const char *text, size_t size, MailChanges *ret) {
        json_object *top = mail_json_object(text, size, 5);
        MailChanges c = { .recorded_usec = 0 };
        int r = -EBADMSG;

        if (!top || read_u64(top, "recorded", &c.recorded_usec) < 0 ||
            read_u64(top, "frozen", &c.frozen_usec) < 0)
                goto out;
        if ((r = read_paths(top, "folders", MAIL_FOLDERS_MAX, &c.folders)) < 0 ||
            (r = read_paths(top, "changed", MAIL_FOLDERS_MAX, &c.changed)) < 0 ||
            (r = read_paths(top, "gone", MAIL_FOLDERS_MAX, &c.gone)) < 0)
                goto out;
        /* What changed is among the folders; what is gone is not. */
        r = -EBADMSG;
        if (!strv_sorted_subset(c.changed, c.folders))
                goto out;
        for (char **g = c.gone; *g; g++)
                if (strv_sorted_subset((char *[]) { *g, NULL }, c.folders))
                        goto out;
        *ret = c;
        c = (MailChanges) { .recorded_usec = 0 };
        r = 0;
out:
        mail_changes_done(&c);
        json_object_put(top);
        return r;
}

uint64_t mail_copy_estimate_usec(uint64_t files, uint64_t bytes) {
        /* rsync over ssh pays per file (a stat and a name on each side) and per byte. */
        return files * 1000000ULL / MAIL_COPY_FILES_PER_SEC + bytes / (MAIL_COPY_BYTES_PER_SEC / 1000000ULL);
}
