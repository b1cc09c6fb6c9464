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
        bool color;      /* stdout is a terminal, not JSON, and neither NO_COLOR nor TERM=dumb says no */
        bool no_legend;  /* --no-legend: tables without their header and footer lines */
} Output;

extern Output output;

/* The exit code (exit-codes.h) for a D-Bus error, or for errno r when none is set. */
int output_exit_code(const sd_bus_error *e, int r);

/* Map a D-Bus error (or errno) to an exit code, print it (JSON object on
 * stdout with --json, a sentence on stderr otherwise) and return the code. */
int output_bus_error(const sd_bus_error *e, int r, const char *doing);

/* A usage or local error: print and return `exit_code`. */
_printf_(2, 3) int output_error(int exit_code, const char *fmt, ...);

/* Text from hubopsd (hook output, job messages, names, bus errors) may hold
 * terminal control sequences: a hook that prints ESC ] 52 or a CSI can
 * rewrite the operator's screen or clipboard. So, in text mode, stdout and
 * stderr pass through output_escape() on their way out: call once, after
 * the options are read. (JSON is escaped by json-c and written as is.) */
int output_escape_streams(void);

/* Escape C0 controls but newline and tab, DEL, C1 controls (U+0080..U+009F)
 * and bytes that are not UTF-8, each byte as \xNN. Reads len bytes of in;
 * an incomplete UTF-8 sequence at the very end is escaped only if final,
 * else left for the next call. Writes at most 4 * len + 1 bytes to out
 * (NUL-terminated); returns how many input bytes it consumed. */
size_t output_escape(const char *in, size_t len, bool final, char *out);

/* Decide output.color, from output.tty and .json and the environment
 * (https://no-color.org: NO_COLOR present and not empty disables colour). */
void output_color_init(void);

/* An SGR sequence ("\033[32m") when output.color, written past the escaping
 * of output_escape_streams(); nothing otherwise. */
void output_sgr(const char *sgr);

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
