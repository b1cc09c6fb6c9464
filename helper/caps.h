/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* Keep only the capabilities in `keep` (bit N = capability N): drop the rest
 * from the bounding set, set permitted = effective = keep, inheritable and
 * ambient empty, and set no_new_privs. Fails closed: any error is fatal to
 * the caller. */
int caps_reduce_to(uint64_t keep);

/* "cap_kill,cap_sys_ptrace" or "none", for the start-up log line. */
char *caps_describe(uint64_t mask);
