/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What hubops-stress's two halves share (hubops-stress.c has the usage). */

#define HOOK "noop"
#define ERRORS_SHOWN 5
#define WINDOW_MAX 4096

/* The flood: 0 when every reply was a denial or a refusal, else negative. */
int run_flood(unsigned window, unsigned count, const char *hook);
