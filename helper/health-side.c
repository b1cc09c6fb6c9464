/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The checks that ask systemd rather than the kernel: smartctl, run as a
 * transient unit (it needs CAP_SYS_RAWIO and the device, which hubopsd's
 * own sandbox has neither of), and BackupCheckUnit='s last run. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/capability.h>

#include "clock.h"
#include "format.h"
#include "health-probe.h"
#include "health-sampler.h"
#include "macro.h"
#include "systemd-client.h"
#include "unit-run.h"

#define SMART_OUTPUT_MAX ((size_t) 1024 * 1024)
#define SMART_TIMEOUT_USEC (60 * USEC_PER_SEC)

typedef struct SmartRun {
        unsigned index;
        char *output;
} SmartRun;

static void smart_run_free(void *userdata) {
        SmartRun *run = userdata;

        free(run->output);
        free(run);
}

static void smart_failed(Context *c, unsigned index, int error, const char *text) {
        HealthSmartResult *s = &c->health->smart[index];

        s->at = now_usec(CLOCK_REALTIME);
        s->error = error;
        /* Cut to the buffer on purpose, and said so: -O2 with _FORTIFY_SOURCE
         * (the Debian package's build) warns about a bare "%s". */
        (void) snprintf(s->error_text, sizeof(s->error_text), "%.*s", (int) sizeof(s->error_text) - 1, text);
}

static void on_smart_started(Context *c, int error, const char *message, const char *systemd_job, void *userdata) {
        SmartRun *run = userdata;

        (void) systemd_job;
        if (error < 0) {
                smart_failed(c, run->index, error, message ? message : "smartctl did not start");
                smart_run_free(run);
        }
}

static void on_smart_done(Context *c, const UnitOutcome *o, void *userdata) {
        SmartRun *run = userdata;
        HealthSmartResult *s = &c->health->smart[run->index];
        _cleanup_free_ char *buf = malloc(SMART_OUTPUT_MAX);
        _cleanup_close_ int fd = open(run->output, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        ssize_t n = fd >= 0 && buf ? read(fd, buf, SMART_OUTPUT_MAX) : -1;
        SmartResult r;

        /* smartctl's exit status is a bit mask of findings: its JSON is the verdict. */
        if (n > 0 && smart_parse_json(buf, (size_t) n, &r) == 0) {
                s->at = now_usec(CLOCK_REALTIME);
                s->error = 0;
                s->smart = r;
        } else
                smart_failed(c, run->index, -EIO, o->exit_status == 203 ? "smartctl is not installed" : o->message);
        (void) unlink(run->output);
        smart_run_free(run);
}

static void smart_start(Context *c, unsigned index) {
        const char *dev = c->health->smart[index].device;
        char *argv[] = { (char *) HEALTH_SMARTCTL_PATH, (char *) "-j", (char *) "-H", (char *) "-A", (char *) dev, NULL };
        _cleanup_free_ char *unit = strdup_printf("%s-health-smart-%u-%" PRIu64 ".service", c->config->unit_prefix,
                                                  index, c->health->samples);
        SmartRun *run = calloc(1, sizeof(SmartRun));
        int fd;

        if (!run || !unit || !(run->output = strdup_printf("%s/smart-%u.json", c->config->state_directory, index))) {
                free(run);
                return;
        }
        run->index = index;
        /* Truncated now: the unit appends, and an old verdict must not pass for a new one. */
        fd = open(run->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0)
                (void) close(fd);
        TransientUnit u = {
                .name = unit,
                .description = "hubops SMART check (smartctl)",
                .argv = argv,
                .user = "root",
                .timeout_usec = SMART_TIMEOUT_USEC,
                .capability_mask = (1ULL << CAP_SYS_RAWIO) | (1ULL << CAP_SYS_ADMIN),
                .output_file = run->output,
        };
        if (unit_run_transient(c, &u, on_smart_started, on_smart_done, run, smart_run_free) < 0) {
                smart_failed(c, index, -ENOTCONN, "the systemd manager cannot be reached");
                smart_run_free(run);
        }
}

static int on_backup_unit(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Context *c = userdata;
        HealthBackupUnit *b = &c->health->backup_unit;
        ServiceOutcome o;

        (void) ret_error;
        *b = (HealthBackupUnit) { .at = now_usec(CLOCK_REALTIME), .exit_status = -1 };
        if (sd_bus_message_is_method_error(reply, NULL) || systemd_decode_outcome(reply, &o) < 0)
                return 0; /* not loaded: it has not run */
        (void) snprintf(b->result, sizeof(b->result), "%s", o.result);
        b->exit_status = o.exit_status;
        b->exited_at = o.exited_at;
        return 0;
}

void health_side_checks_start(Context *c) {
        Health *h = c->health;
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        if (c->config->health.backup_check_unit)
                (void) systemd_get_outcome(c, c->config->health.backup_check_unit, on_backup_unit, c);
        if (h->n_smart == 0 || (h->smart_started_at && now - h->smart_started_at < c->config->health.smart_interval_usec))
                return;
        h->smart_started_at = now;
        for (unsigned i = 0; i < h->n_smart; i++)
                smart_start(c, i);
}
