/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "output.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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
        if (output.tty)
                printf("\r\033[K%s", line);
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
