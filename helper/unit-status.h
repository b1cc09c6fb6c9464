/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A unit's own report of how far it is, in its StatusText (sd_notify
 * "STATUS=…", systemd-notify --status=…), for the operations whose row
 * takes progress from it (op-table.h). The grammar, strict so that a
 * service's free-form status is never misread as progress:
 *
 *   status  = counter *( SP counter )     ; 1 to UNIT_STATUS_COUNTERS_MAX
 *   counter = name SP done "/" total
 *   name    = 1*16( "a"-"z" )             ; each name at most once
 *   done, total = 1*20 DIGIT              ; no leading zero, fit 64 bits,
 *                                         ; 0 < total, done <= total
 *
 * e.g. "files 1200/5000 bytes 10485760/52428800", at most
 * UNIT_STATUS_TEXT_MAX bytes. The job's Progress is the first counter's
 * fraction: the unit leads with the one that measures how far it is (a
 * copy's bytes copied do not, when most files are there already). */

#define UNIT_STATUS_COUNTERS_MAX 4
#define UNIT_STATUS_NAME_MAX 16
#define UNIT_STATUS_TEXT_MAX 256

typedef struct UnitCounter {
        char name[UNIT_STATUS_NAME_MAX + 1];
        uint64_t done;
        uint64_t total;
} UnitCounter;

typedef struct UnitStatus {
        UnitCounter counters[UNIT_STATUS_COUNTERS_MAX];
        size_t n_counters;
} UnitStatus;

/* 0 and *ret, or -EINVAL (not this grammar: *ret untouched). */
int unit_status_parse(const char *text, UnitStatus *ret);

/* In [0, 1]; 0 when there are no counters. */
double unit_status_fraction(const UnitStatus *s);
