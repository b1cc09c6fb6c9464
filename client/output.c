/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "output.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exit-codes.h"
#include "hubops-bus.h"

Output output;
static bool status_line_open;

int output_exit_code(const sd_bus_error *e, int r) {
        if (e && sd_bus_error_is_set(e)) {
                if (sd_bus_error_has_names(e, SD_BUS_ERROR_ACCESS_DENIED,
                                           SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED))
                        return EXIT_NOT_AUTHORIZED;
                if (sd_bus_error_has_names(e, HUBOPS_ERROR_NOT_CONFIGURED, HUBOPS_ERROR_NO_SUCH_JOB,
                                           SD_BUS_ERROR_UNKNOWN_OBJECT, SD_BUS_ERROR_UNKNOWN_INTERFACE,
                                           SD_BUS_ERROR_UNKNOWN_PROPERTY, SD_BUS_ERROR_UNKNOWN_METHOD))
                        return EXIT_NOT_CONFIGURED;
                if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                           SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_DISCONNECTED,
                                           SD_BUS_ERROR_NO_SERVER))
                        return EXIT_UNREACHABLE;
                if (sd_bus_error_has_names(e, HUBOPS_ERROR_BUSY, HUBOPS_ERROR_TOO_MANY_REQUESTS))
                        return EXIT_BUSY;
                if (sd_bus_error_has_names(e, HUBOPS_ERROR_TIMEOUT, SD_BUS_ERROR_TIMEOUT))
                        return EXIT_TIMEOUT;
                if (sd_bus_error_has_name(e, SD_BUS_ERROR_INVALID_ARGS))
                        return EXIT_USAGE;
                /* sd-bus reports local failures (the connection died, e.g. ssh
                 * could not connect) as System.Error.E*: judge those by errno. */
                if (!e->name || strncmp(e->name, "System.Error.", 13) != 0)
                        return EXIT_FAILED;
                r = -sd_bus_error_get_errno(e);
        }
        if (r == -EACCES || r == -EPERM)
                return EXIT_NOT_AUTHORIZED;
        if (r == -ENOENT || r == -ECONNREFUSED || r == -ECONNRESET || r == -ENOTCONN || r == -EHOSTUNREACH ||
            r == -ENXIO || r == -EPIPE)
                return EXIT_UNREACHABLE;
        if (r == -ETIMEDOUT)
                return EXIT_TIMEOUT;
        return EXIT_FAILED;
}

static void print_error(int code, const char *name, const char *message) {
        if (output.json) {
                json_object *o = json_object_new_object(), *err = json_object_new_object();
                if (name)
                        json_object_object_add(err, "name", json_object_new_string(name));
                json_object_object_add(err, "message", json_object_new_string(message));
                json_object_object_add(err, "exit_code", json_object_new_int(code));
                json_object_object_add(o, "error", err);
                output_json(o);
        } else {
                output_status_done();
                fprintf(stderr, "hubopsctl: %s\n", message);
        }
}

int output_bus_error(const sd_bus_error *e, int r, const char *doing) {
        int code = output_exit_code(e, r);
        char msg[1024];

        if (e && sd_bus_error_is_set(e))
                (void) snprintf(msg, sizeof(msg), "%s: %s", doing, e->message ? e->message : e->name);
        else
                (void) snprintf(msg, sizeof(msg), "%s: %s", doing, strerror(r < 0 ? -r : r));
        /* The operator wants the way in, not the action's name alone. */
        if (e && sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED))
                (void) snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
                                " (access is granted by the host's polkit rules in /etc/polkit-1/rules.d: "
                                "usually membership of the group hubops; ask its administrator)");
        if (code == EXIT_UNREACHABLE && !(e && sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY)))
                (void) snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
                                " (is hubopsd running and reachable at that address?)");
        print_error(code, e && sd_bus_error_is_set(e) ? e->name : NULL, msg);
        return code;
}

int output_error(int exit_code, const char *fmt, ...) {
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        print_error(exit_code, NULL, msg);
        return exit_code;
}

/* Length of the valid UTF-8 sequence at s (n bytes available): 1..4; 0 if
 * it is not valid UTF-8; -1 if it is a valid but incomplete start. */
static int utf8_sequence(const unsigned char *s, size_t n) {
        unsigned char lo = 0x80, hi = 0xbf;
        int len;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                len = 2;
        else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                len = 3;
                lo = s[0] == 0xe0 ? 0xa0 : 0x80; /* no overlong forms */
                hi = s[0] == 0xed ? 0x9f : 0xbf; /* no surrogates */
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                len = 4;
                lo = s[0] == 0xf0 ? 0x90 : 0x80;
                hi = s[0] == 0xf4 ? 0x8f : 0xbf;
        } else
                return 0;
        for (int i = 1; i < len; i++) {
                if ((size_t) i >= n)
                        return -1;
                if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xbf))
                        return 0;
        }
        return len;
}

static bool is_control(const unsigned char *s, int len) {
        if (len == 1)
                return (s[0] < 0x20 && s[0] != '\n' && s[0] != '\t') || s[0] == 0x7f;
        return len == 2 && s[0] == 0xc2 && s[1] <= 0x9f; /* U+0080..U+009F */
}

size_t output_escape(const char *in, size_t len, bool final, char *out) {
        const unsigned char *s = (const unsigned char *) in;
        size_t i = 0;

        while (i < len) {
                int n = utf8_sequence(s + i, len - i);
                if (n < 0 && !final)
                        break;
                if (n <= 0 || is_control(s + i, n)) {
                        for (int k = 0; k < (n > 0 ? n : 1); k++)
                                out += sprintf(out, "\\x%02x", s[i++]);
                        continue;
                }
                memcpy(out, s + i, (size_t) n);
                out += n;
                i += (size_t) n;
        }
        *out = '\0';
        return i;
}

typedef struct EscapingStream {
        int fd;
        char held[4]; /* an incomplete UTF-8 sequence, until the rest comes */
        size_t n_held;
} EscapingStream;

static int write_all(int fd, const char *s, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, s, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                s += k;
                n -= (size_t) k;
        }
        return 0;
}

static ssize_t escaping_flush(EscapingStream *e, const char *buf, size_t size, bool final) {
        size_t n = e->n_held + size, used;
        char *in = malloc(n), *out = malloc(4 * n + 1);
        int r = -ENOMEM;

        if (in && out) {
                memcpy(in, e->held, e->n_held);
                memcpy(in + e->n_held, buf, size);
                used = output_escape(in, n, final, out);
                e->n_held = n - used; /* at most 3: one incomplete sequence */
                memcpy(e->held, in + used, e->n_held);
                r = write_all(e->fd, out, strlen(out));
        }
        free(in);
        free(out);
        return r < 0 ? -1 : (ssize_t) size;
}

static ssize_t escaping_write(void *cookie, const char *buf, size_t size) {
        return escaping_flush(cookie, buf, size, false);
}

static int escaping_close(void *cookie) {
        EscapingStream *e = cookie;

        (void) escaping_flush(e, "", 0, true);
        free(e);
        return 0;
}

static FILE *escaping_stream(int fd, int buffering) {
        EscapingStream *e = calloc(1, sizeof(EscapingStream));
        FILE *f;

        if (!e)
                return NULL;
        e->fd = fd;
        f = fopencookie(e, "w", (cookie_io_functions_t) { .write = escaping_write, .close = escaping_close });
        if (!f) {
                free(e);
                return NULL;
        }
        (void) setvbuf(f, NULL, buffering, 0);
        return f;
}

static FILE *plain_stdout, *plain_stderr;

/* At exit: what is held goes out, and the streams (and their cookies) are
 * closed rather than left to the process's end. */
static void close_escape_streams(void) {
        FILE *out = stdout, *err = stderr;

        if (!plain_stdout)
                return;
        stdout = plain_stdout;
        stderr = plain_stderr;
        plain_stdout = plain_stderr = NULL;
        (void) fclose(out);
        (void) fclose(err);
}

/* Every printf of every command goes through these: the boundary is the
 * stream, not each call site. */
int output_escape_streams(void) {
        FILE *out, *err;

        if (output.json)
                return 0;
        (void) fflush(stdout);
        (void) fflush(stderr);
        out = escaping_stream(STDOUT_FILENO, output.tty ? _IOLBF : _IOFBF);
        err = escaping_stream(STDERR_FILENO, _IOLBF);
        if (!out || !err) {
                if (out)
                        (void) fclose(out);
                if (err)
                        (void) fclose(err);
                return -ENOMEM;
        }
        plain_stdout = stdout;
        plain_stderr = stderr;
        stdout = out;
        stderr = err;
        (void) atexit(close_escape_streams);
        return 0;
}

/* Our own control sequences (the live status line), past the escaping. */
static void put_raw(const char *s) {
        (void) fflush(stdout);
        (void) write_all(STDOUT_FILENO, s, strlen(s));
}

void output_color_init(void) {
        const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

        output.color = output.tty && !output.json && !(no && no[0]) && !(term && strcmp(term, "dumb") == 0);
}

void output_sgr(const char *sgr) {
        if (output.color)
                put_raw(sgr);
}

void output_json(json_object *o) {
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        (void) fflush(stdout);
        json_object_put(o);
}

static const char *stamp(void) {
        static char buf[16];
        time_t t = time(NULL);
        struct tm tm;

        if (!output.timestamps || !localtime_r(&t, &tm) || strftime(buf, sizeof(buf), "%H:%M:%S ", &tm) == 0)
                return "";
        return buf;
}

void output_line(const char *fmt, ...) {
        va_list ap;

        if (output.json)
                return;
        output_status_done();
        fputs(stamp(), stdout);
        va_start(ap, fmt);
        (void) vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        (void) fflush(stdout);
}

void output_status(const char *fmt, ...) {
        static char last[512];
        char line[512];
        va_list ap;

        if (output.json)
                return;
        va_start(ap, fmt);
        (void) vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        /* A log (not a terminal) gets a line only when something changed. */
        if (!output.tty && strcmp(line, last) == 0)
                return;
        memcpy(last, line, sizeof(last));
        if (output.tty) {
                put_raw("\r\033[K");
                fputs(line, stdout);
        }
        else
                printf("%s%s\n", stamp(), line);
        status_line_open = output.tty;
        (void) fflush(stdout);
}

void output_status_done(void) {
        if (status_line_open) {
                putchar('\n');
                status_line_open = false;
        }
}
