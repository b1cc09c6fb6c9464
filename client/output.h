/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "macro.h"

/* All of hubopsctl's output goes through here, so --json really means only
 * JSON on stdout, errors included. */

typedef struct Output {
        bool json;
        bool tty;        /* stdout is a terminal: live status lines are allowed */
        bool timestamps; /* prefix lines with the local time (runbooks, when not on a terminal) */
} Output;

extern Output output;

/* The exit code (exit-codes.h) for a D-Bus error, or for errno r when none is set. */
int output_exit_code(const sd_bus_error *e, int r);

/* Map a D-Bus error (or errno) to an exit code, print it (JSON object on
 * stdout with --json, a sentence on stderr otherwise) and return the code. */
int output_bus_error(const sd_bus_error *e, int r, const char *doing);

/* A usage or local error: print and return `exit_code`. */
_printf_(2, 3) int output_error(int exit_code, const char *fmt, ...);

/* Print a JSON object followed by a newline, and drop it. */
void output_json(json_object *o);

/* A line of text on stdout (never with --json), timestamped if asked. */
_printf_(1, 2) void output_line(const char *fmt, ...);

/* Progress lines: on a terminal, rewrite one line; otherwise print a plain
 * line. Never with --json. */
_printf_(1, 2) void output_status(const char *fmt, ...);
void output_status_done(void);

/* What a printed "hubopsctl runbook resume ID" needs to work as shown: off a
 * terminal (or for a JSON reader) it cannot confirm, so it needs --yes. */
static inline const char *output_resume_yes(void) {
        return output.tty && !output.json ? "" : " --yes";
}
