/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

/* rsync filter rules for hubops-mailsync, from the helper's Layout=
 * ("%d/PREFIX%n/SUFFIX"), anchored at the domain (the transfer's root).
 * Every mailbox's maildir is "/PREFIX*[/SUFFIX]" and its Maildir++ folders
 * "/PREFIX*[/SUFFIX]/.*" (mailstamps.c's notion of a folder). */

/* "/PREFIX*[/SUFFIX]/DIR" for the maildirs, with "/.*" before "/DIR" for
 * their folders (DIR: "cur/" for the directory, "cur/" and a star for its
 * entries, "" for the maildir itself): 0, or -ENOMEM. */
int mailsync_folder_pattern(const char *layout, bool subfolders, const char *dir, char **ret);

/* The final pass's rules, one per line, for `--filter="merge FILE"`: the
 * `cur/` and `new/` of the CHANGED folders (paths relative to the mailbox
 * parent, as the stamps name them) with every file in them, no other
 * folder's `cur/` or `new/`, and no `tmp/` contents; of the maildirs, only
 * those with a changed folder (in them, every folder's directories and own
 * files go through); everything outside the maildirs goes through. The
 * excludes are perishable, so a folder or mailbox gone at the source is
 * still deleted whole at the destination. 0, or a negative errno. */
int mailsync_final_rules(FILE *f, const char *layout, char *const *changed);
