/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* hubopsctl's exit status. Documented in --help, the README and
 * hubopsctl(1); tests/integration/test-cli-exit-codes.sh checks each one. */
enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,         /* the operation ran and failed, or was canceled */
        EXIT_USAGE = 2,          /* bad command line */
        EXIT_NOT_AUTHORIZED = 3, /* polkit said no, or would need authentication we cannot ask for */
        EXIT_UNREACHABLE = 4,    /* no helper at that address / host, or it went away */
        EXIT_TIMEOUT = 5,        /* --timeout passed before the job ended */
        EXIT_NOT_CONFIGURED = 6, /* the helper has no such hook, service, directory or job */
        EXIT_BUSY = 7,           /* another operation of that kind is running (its job is named), or
                                  * TooManyRequests: try again later */
};
