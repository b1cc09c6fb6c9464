/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* asprintf() that returns the string, or NULL when out of memory. One
 * spelling for every formatted message, so no call site forgets the check. */
_printf_(1, 2) char *strdup_printf(const char *fmt, ...);
