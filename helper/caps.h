/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* Keep only the capabilities in `keep` (bit N = capability N): drop the rest
 * from the bounding set, set permitted = effective = keep, inheritable and
 * ambient empty, and set no_new_privs. Fails closed: any error is fatal to
 * the caller; -ENOTRECOVERABLE when `keep` is not all permitted (a unit that
 * does not grant what the configuration needs). */
int caps_reduce_to(uint64_t keep);

/* The process's permitted, effective and inheritable sets, as masks. */
int caps_current(uint64_t *ret_permitted, uint64_t *ret_effective, uint64_t *ret_inheritable);

/* "cap_kill,cap_sys_ptrace" or "none", for the start-up log line. */
char *caps_describe(uint64_t mask);
