/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "health-textfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "clock.h"
#include "fileio.h"
#include "format.h"
#include "health-sampler.h"
#include "log.h"
#include "macro.h"

/* Label values escape backslash, double quote and newline (the exposition format's rule). */
static void put_label(FILE *f, const char *name, const char *value) {
        fprintf(f, "%s=\"", name);
        for (const char *p = value; *p; p++) {
                if (*p == '\\' || *p == '"')
                        fprintf(f, "\\%c", *p);
                else if (*p == '\n')
                        fputs("\\n", f);
                else
                        fputc(*p, f);
        }
        fputc('"', f);
}

static void put_labels(FILE *f, const char *host, const HealthRow *r, bool with_unit) {
        fputc('{', f);
        put_label(f, "host", host);
        fputc(',', f);
        put_label(f, "check", r->check);
        fputc(',', f);
        put_label(f, "subject", r->subject);
        if (with_unit) {
                fputc(',', f);
                put_label(f, "unit", r->unit);
        }
        fputc('}', f);
}

char *health_textfile_format(const char *host, const HealthRow *rows, size_t n, uint64_t sampled_at,
                             uint64_t samples) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        fputs("# HELP hubops_health_check_state hubops health check state: 0 ok, 1 warn, 2 fail, 3 unknown.\n"
              "# TYPE hubops_health_check_state gauge\n", f);
        for (size_t i = 0; i < n; i++) {
                fputs("hubops_health_check_state", f);
                put_labels(f, host, &rows[i], false);
                fprintf(f, " %d\n", (int) rows[i].state);
        }
        fputs("# HELP hubops_health_check_value The figure each hubops health check judged, in its unit.\n"
              "# TYPE hubops_health_check_value gauge\n", f);
        for (size_t i = 0; i < n; i++) {
                fputs("hubops_health_check_value", f);
                put_labels(f, host, &rows[i], true);
                fprintf(f, " %.6g\n", rows[i].value);
        }
        fputs("# HELP hubops_health_last_sample_timestamp_seconds When hubopsd last sampled its health checks.\n"
              "# TYPE hubops_health_last_sample_timestamp_seconds gauge\n", f);
        fprintf(f, "hubops_health_last_sample_timestamp_seconds{");
        put_label(f, "host", host);
        fprintf(f, "} %.3f\n", (double) sampled_at / 1e6);
        fputs("# HELP hubops_health_samples_total Health samples taken since hubopsd started.\n"
              "# TYPE hubops_health_samples_total counter\n", f);
        fprintf(f, "hubops_health_samples_total{");
        put_label(f, "host", host);
        fprintf(f, "} %" PRIu64 "\n", samples);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

int health_textfile_write(Context *c, const HealthRow *rows, size_t n) {
        const char *dir = c->config->health.textfile_directory;
        _cleanup_free_ char *text = NULL, *path = NULL;
        int r;

        if (!dir)
                return 0;
        text = health_textfile_format(c->config->hostname, rows, n, now_usec(CLOCK_REALTIME), c->health->samples);
        path = strdup_printf("%s/" HEALTH_TEXTFILE_NAME, dir);
        if (!text || !path)
                return -ENOMEM;
        /* node_exporter runs as its own user: the file must be readable by it. */
        r = write_file_atomic(path, text, strlen(text), 0644);
        if (r >= 0 && chmod(path, 0644) < 0) /* past hubopsd's UMask=0077 */
                r = -errno;
        if (r < 0)
                log_error_errno(r, "hubopsd: cannot write %s: %m", path);
        return r;
}
