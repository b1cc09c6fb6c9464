/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mailscan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format.h"
#include "macro.h"
#include "names.h"
#include "strv.h"

#define RELPATH_MAX 4096

typedef struct Entry {
        char *path; /* relative to the mailbox */
        uint64_t size;
        int64_t mtime;
        uint8_t hash[MAILSCAN_DIGEST_SIZE];
} Entry;

typedef struct Walk {
        const MailScanOptions *o;
        MailScan *scan;
        Entry *entries; /* the current mailbox's */
        size_t n_entries, allocated;
        char **error;
} Walk;

static int fail(Walk *w, int r, const char *what, const char *path) {
        if (!*w->error)
                *w->error = strdup_printf("%s %s/%s: %s", what, w->o->domain, path, strerror(-r));
        return r;
}

static int open_dir_at(int dfd, const char *name) {
        return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static int hash_file(int dfd, const char *name, uint8_t ret[MAILSCAN_DIGEST_SIZE]) {
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        EVP_MD_CTX *ctx;
        char buf[65536];
        struct stat st;
        ssize_t n;
        int r = 0;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADF;
        ctx = EVP_MD_CTX_new();
        if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
                EVP_MD_CTX_free(ctx);
                return -ENOMEM;
        }
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                (void) EVP_DigestUpdate(ctx, buf, (size_t) n);
        if (n < 0)
                r = -errno;
        else if (EVP_DigestFinal_ex(ctx, ret, NULL) != 1)
                r = -EIO;
        EVP_MD_CTX_free(ctx);
        return r;
}

static int add_entry(Walk *w, int dfd, const char *path, const char *name, const struct stat *st) {
        Entry *e;

        if (w->n_entries == w->allocated) {
                size_t n = w->allocated ? w->allocated * 2 : 256;
                Entry *bigger = reallocarray(w->entries, n, sizeof(Entry));

                if (!bigger)
                        return -ENOMEM;
                w->entries = bigger;
                w->allocated = n;
        }
        e = &w->entries[w->n_entries];
        *e = (Entry) { .size = (uint64_t) st->st_size, .mtime = st->st_mtim.tv_sec };
        if (w->o->checksum) {
                int r = hash_file(dfd, name, e->hash);
                if (r < 0)
                        return fail(w, r, "cannot read", path);
        }
        e->path = strdup(path);
        if (!e->path)
                return -ENOMEM;
        w->n_entries++;
        return 0;
}

DIR *mailscan_opendir(int fd, int *ret_error) {
        int copy = dup(fd);
        DIR *d;

        if (copy < 0 || !(d = fdopendir(copy))) {
                *ret_error = -errno;
                if (copy >= 0)
                        close(copy);
                return NULL;
        }
        return d;
}

/* A file of the mailbox: counted, and an entry of its digest. */
static int visit_file(Walk *w, MailboxScan *m, int dfd, const char *path, const char *name, const struct stat *st) {
        if (!S_ISREG(st->st_mode)) {
                w->scan->skipped++;
                return 0;
        }
        m->files++;
        m->bytes += (uint64_t) st->st_size;
        m->largest = MAX(m->largest, (uint64_t) st->st_size);
        w->scan->files++;
        w->scan->bytes += (uint64_t) st->st_size;
        return add_entry(w, dfd, path, name, st);
}

/* The directories being read, the mailbox's at [0]: at most
 * MAILSCAN_DEPTH_MAX deep, each opened without following a link. */
typedef struct Level {
        DIR *d;
        int fd;         /* d's directory; [0]'s is the caller's */
        size_t rel_len; /* the length of the relative path up to this directory */
} Level;

/* Open name (rel: its path; parent_len: its parent's) as the next level. */
static int enter(Walk *w, Level *stack, unsigned *depth, const char *rel, size_t parent_len, const char *name) {
        Level *up = &stack[*depth], *l;
        int r = 0;

        if (*depth + 1 >= MAILSCAN_DEPTH_MAX)
                return fail(w, -ELOOP, "folders nested too deep at", rel);
        l = &stack[*depth + 1];
        l->fd = open_dir_at(up->fd, name);
        if (l->fd < 0)
                return errno == ENOENT ? 0 : fail(w, -errno, "cannot open", rel);
        l->d = mailscan_opendir(l->fd, &r);
        if (!l->d) {
                close(l->fd);
                return fail(w, r, "cannot read", rel);
        }
        l->rel_len = parent_len;
        (*depth)++;
        return 0;
}

/* Every regular file under the mailbox's directory, depth first, tmp/ left
 * out; one readdir() stream per level, so at most MAILSCAN_DEPTH_MAX open. */
static int walk_mailbox(Walk *w, MailboxScan *m, int mailbox_fd) {
        Level stack[MAILSCAN_DEPTH_MAX];
        char rel[RELPATH_MAX] = "";
        unsigned depth = 0;
        int r = 0;

        stack[0] = (Level) { .d = mailscan_opendir(mailbox_fd, &r), .fd = mailbox_fd };
        if (!stack[0].d)
                return fail(w, r, "cannot read", "");
        for (;;) {
                Level *l = &stack[depth];
                struct dirent *de;
                struct stat st;
                size_t len = strlen(rel);

                errno = 0;
                de = readdir(l->d);
                if (!de) {
                        if (errno != 0) {
                                r = fail(w, -errno, "cannot read", rel);
                                break;
                        }
                        if (depth == 0)
                                break;
                        closedir(l->d);
                        close(l->fd);
                        rel[l->rel_len] = '\0';
                        depth--;
                        continue;
                }
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (snprintf(rel + len, sizeof(rel) - len, "%s%s", len ? "/" : "", de->d_name) >= (int) (sizeof(rel) - len)) {
                        r = fail(w, -ENAMETOOLONG, "cannot walk", rel);
                        break;
                }
                if (fstatat(l->fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        rel[len] = '\0';
                        if (errno == ENOENT) /* gone since readdir(): a live store; the frozen pass is what counts */
                                continue;
                        r = fail(w, -errno, "cannot stat", de->d_name);
                        break;
                }
                if (!S_ISDIR(st.st_mode)) {
                        r = visit_file(w, m, l->fd, rel, de->d_name, &st);
                        rel[len] = '\0';
                } else if (strcmp(de->d_name, "tmp") == 0)
                        rel[len] = '\0';
                else {
                        unsigned before = depth;

                        r = enter(w, stack, &depth, rel, len, de->d_name);
                        if (depth == before) /* gone meanwhile, or refused */
                                rel[len] = '\0';
                }
                if (r < 0)
                        break;
        }
        for (; depth > 0; depth--) {
                closedir(stack[depth].d);
                close(stack[depth].fd);
        }
        closedir(stack[0].d);
        return r;
}

static int entry_compare(const void *a, const void *b) {
        return strcmp(((const Entry *) a)->path, ((const Entry *) b)->path);
}

/* SHA-256 over "PATH\0SIZE\0MTIME[\0HASH]\n", entries sorted by path: the
 * same files with the same sizes and times give the same digest on any host. */
static int digest_entries(Walk *w, MailboxScan *m) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        int r = 0;

        if (w->n_entries > 0)
                qsort(w->entries, w->n_entries, sizeof(Entry), entry_compare);
        if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
                r = -ENOMEM;
        for (size_t i = 0; r == 0 && i < w->n_entries; i++) {
                const Entry *e = &w->entries[i];
                char fields[64];
                int n = snprintf(fields, sizeof(fields), "%" PRIu64 "%c%" PRId64, e->size, '\0', e->mtime);

                (void) EVP_DigestUpdate(ctx, e->path, strlen(e->path) + 1);
                (void) EVP_DigestUpdate(ctx, fields, (size_t) n + 1);
                if (w->o->checksum)
                        (void) EVP_DigestUpdate(ctx, e->hash, sizeof(e->hash));
                (void) EVP_DigestUpdate(ctx, "\n", 1);
        }
        if (r == 0 && EVP_DigestFinal_ex(ctx, m->digest, NULL) != 1)
                r = -EIO;
        EVP_MD_CTX_free(ctx);
        for (size_t i = 0; i < w->n_entries; i++)
                free(w->entries[i].path);
        w->n_entries = 0;
        return r;
}

/* The layout's components after "%n/" (a mailbox's Maildir under its name). */
int mailscan_open_mailbox(int parent, const char *name, const char *suffix) {
        _cleanup_free_ char *copy = strdup(suffix);
        char *save = NULL;
        int fd = open_dir_at(parent, name);

        if (!copy) {
                if (fd >= 0)
                        close(fd);
                return -ENOMEM;
        }
        for (char *c = strtok_r(copy, "/", &save); fd >= 0 && c; c = strtok_r(NULL, "/", &save)) {
                int next = open_dir_at(fd, c);
                close(fd);
                fd = next;
        }
        return fd < 0 ? -errno : fd;
}

static int scan_mailbox(Walk *w, int parent, const char *name, const char *suffix) {
        MailScan *s = w->scan;
        MailboxScan *m, *bigger;
        _cleanup_close_ int fd = -1;
        int r;

        fd = mailscan_open_mailbox(parent, name, suffix);
        if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP) /* no maildir (yet), or not a directory */
                return 0;
        if (fd < 0)
                return fail(w, fd, "cannot open mailbox", name);
        bigger = reallocarray(s->mailboxes, s->n_mailboxes + 1, sizeof(MailboxScan));
        if (!bigger)
                return -ENOMEM;
        s->mailboxes = bigger;
        m = &s->mailboxes[s->n_mailboxes];
        *m = (MailboxScan) { .name = strdup(name) };
        if (!m->name)
                return -ENOMEM;
        s->n_mailboxes++;
        r = walk_mailbox(w, m, fd);
        if (r < 0)
                return r;
        return digest_entries(w, m);
}

static int mailbox_compare(const void *a, const void *b) {
        return strcmp(((const MailboxScan *) a)->name, ((const MailboxScan *) b)->name);
}

static int open_failed(char **ret_error, int r, const char *what, const char *path, const char *sub) {
        *ret_error = strdup_printf("cannot open %s%s%s%s%s: %s", what, what[0] ? " " : "", path, sub[0] ? "/" : "",
                                   sub, strerror(-r));
        return r;
}

/* Layout "%d/PREFIX.../%n/SUFFIX...": open the domain and its prefix, where
 * every entry not starting with '.' is a mailbox. */
int mailscan_open_parent(const MailScanOptions *o, const char **ret_suffix, char **ret_error) {
        const char *layout = o->layout + 3, *n = strstr(layout, "%n");
        _cleanup_close_ int root = -1;
        _cleanup_free_ char *prefix = NULL;
        char *save = NULL;
        int fd;

        if (!domain_name_is_valid(o->domain) || strncmp(o->layout, "%d/", 3) != 0 || !n)
                return -EINVAL;
        prefix = strndup(layout, (size_t) (n - layout));
        if (!prefix)
                return -ENOMEM;
        root = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return open_failed(ret_error, -errno, "the mail root", o->root, "");
        fd = open_dir_at(root, o->domain);
        if (fd < 0)
                return open_failed(ret_error, -errno, "the domain", o->domain, "");
        for (char *c = strtok_r(prefix, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                int next = open_dir_at(fd, c);
                close(fd);
                if (next < 0)
                        return open_failed(ret_error, -errno, "", o->domain, c);
                fd = next;
        }
        *ret_suffix = n[2] == '/' ? n + 3 : n + 2;
        return fd;
}

int mailscan_mailboxes(const MailScanOptions *o, int *ret_parent, const char **ret_suffix, char ***ret_names,
                       char **ret_error) {
        _cleanup_close_ int parent = -1;
        _cleanup_(strv_freep) char **names = NULL;
        struct dirent *de;
        DIR *d;
        int r = 0;

        *ret_error = NULL;
        parent = mailscan_open_parent(o, ret_suffix, ret_error);
        if (parent < 0)
                return parent;
        d = mailscan_opendir(parent, &r);
        if (!d)
                return r;
        while (r >= 0 && (errno = 0, de = readdir(d)))
                if (de->d_name[0] != '.')
                        r = strv_extend(&names, de->d_name);
        if (r >= 0 && errno != 0)
                r = -errno;
        closedir(d);
        if (r < 0) {
                *ret_error = strdup_printf("cannot read the domain %s: %s", o->domain, strerror(-r));
                return r;
        }
        *ret_parent = TAKE_FD(parent);
        *ret_names = TAKE_PTR(names);
        return 0;
}

int mail_scan(const MailScanOptions *o, MailScan *ret, char **ret_error) {
        Walk w = { .o = o, .scan = ret, .error = ret_error };
        const char *suffix = NULL;
        _cleanup_close_ int parent = -1;
        _cleanup_(strv_freep) char **names = NULL;
        size_t total;
        int r;

        *ret = (MailScan) { .files = 0 };
        /* The names first, so progress can say "mailbox i of n". */
        r = mailscan_mailboxes(o, &parent, &suffix, &names, ret_error);
        if (r < 0)
                return r;
        total = strv_length(names);
        for (size_t i = 0; names && r >= 0 && i < total; i++) {
                r = scan_mailbox(&w, parent, names[i], suffix);
                if (r >= 0 && o->progress)
                        o->progress(ret, i + 1, total, o->userdata);
        }
        free(w.entries);
        if (r < 0) {
                mail_scan_done(ret);
                return r;
        }
        if (ret->n_mailboxes > 0)
                qsort(ret->mailboxes, ret->n_mailboxes, sizeof(MailboxScan), mailbox_compare);
        return 0;
}

