/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the cutover's final pass must carry, found without visiting every
 * message (DESIGN.md 2b). A maildir directory's mtime changes with every
 * add, remove or rename in it, so the mtimes of each folder's cur/ and new/,
 * recorded when a pre-sync begins and read again once the domain is frozen,
 * say which folders changed. Two traps: a change in the same tick as the
 * recording leaves the mtime equal, so a directory whose recorded mtime was
 * within MAILSTAMPS_TICK_USEC of the recording counts as changed; and a file
 * rewritten in place (maildirsize, an appended dovecot-uidlist) changes no
 * directory, so each folder's own files (its control files) have a stamp of
 * their own: the latest of the folder directory's mtime (a control file
 * created, renamed in or deleted) and each of its files' ctime (any write,
 * rename or chmod; unlike an mtime, no program can set a ctime back).
 *
 * Folders are Maildir++'s: the maildir itself (INBOX) and its ".NAME"
 * subdirectories. The stamps are taken by hubops-mailscan --stamps
 * (helper/mailstamps.c) and compared by hubopsd (this). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mail-report.h"

#define MAILSTAMPS_TICK_USEC (2ULL * 1000000ULL) /* ext4 is finer; FAT and some NFS are 2 s */

typedef struct FolderStamp {
        char *path;          /* relative to the domain: "alice/Maildir", "alice/Maildir/.Sent" */
        int64_t cur_usec, new_usec; /* mtimes of cur/ and new/; -1: missing */
        int64_t own_usec;    /* its own files' (above); MAILSTAMPS_OWN_UNKNOWN: recorded
                              * by a hubopsd before these stamps (always counts as changed) */
} FolderStamp;

#define MAILSTAMPS_OWN_UNKNOWN (-2)

typedef struct MailStamps {
        uint64_t taken_usec;  /* CLOCK_REALTIME when the recording began */
        FolderStamp *folders; /* sorted by path */
        size_t n_folders;
} MailStamps;

void mail_stamps_done(MailStamps *s);

char *mail_stamps_to_json(const MailStamps *s);
/* Strict: the stamps come back from a file written by a process running as
 * the mail user. -EBADMSG on anything but what mail_stamps_to_json() writes. */
int mail_stamps_from_json(const char *text, size_t size, MailStamps *ret);

/* The folders of now that must be synced with deletes: new ones, changed
 * ones (cur/, new/ or their own files), and those too close to the
 * recording. *ret_gone: folders of before that are no more (the pass
 * deletes them with the maildir above them, itself changed). Both are
 * NULL-terminated lists of paths (free with strv_free()). */
int mail_stamps_changed(const MailStamps *before, const MailStamps *now, char ***ret_changed, char ***ret_gone);
