/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "mail-stamps.h"

typedef struct MailScanOptions MailScanOptions;

/* Record every folder of o's domain (o->checksum and o->progress unused):
 * a readdir() of each folder (its own files' stamp), two stats more per
 * folder; run as the mail user by hubops-mailscan --stamps. */
int mail_stamps_take(const MailScanOptions *o, uint64_t now_usec, MailStamps *ret, char **ret_error);
