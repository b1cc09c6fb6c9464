/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "strv.h"

/* Split an ExecStart= value into an argv array. Words are separated by
 * spaces; "double" and 'single' quotes group, backslash escapes inside double
 * quotes only \" and \\. argv[0] must be an absolute path. Refused: '$' and
 * '%' anywhere (systemd would expand them at exec time, and we promise the
 * command runs exactly as written), systemd's special prefixes (-@:+!),
 * control characters, more than max_words words. */
int execline_parse(const char *s, unsigned max_words, char ***ret_argv, const char **ret_reason);
