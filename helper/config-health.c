/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* [Health]: the thresholds (common/health.c parses them, as the site config
 * and Health.Check() do), the sampler's period, the disk probe, the backup,
 * SMART and where the Prometheus textfile goes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config-parser.h"
#include "names.h"
#include "strv.h"
#include "timespan.h"

#define SMART_DEVICES_MAX 8
#define PROBE_SIZE_MAX (4ULL << 30)
#define PROBE_SIZE_MIN (1ULL << 20)
#define PROBE_TIMEOUT_MAX_USEC (10ULL * 60 * USEC_PER_SEC)
#define SAMPLE_INTERVAL_MAX_USEC (86400ULL * USEC_PER_SEC)
#define HEALTH_PATH_MAX 200

void health_config_init(HealthConfig *h) {
        *h = (HealthConfig) {
                .sample_interval_usec = 60 * USEC_PER_SEC,
                .sample_timeout_usec = 10 * USEC_PER_SEC,
                .probe_size = 64ULL << 20,
                .probe_timeout_usec = 10 * USEC_PER_SEC,
                .smart_interval_usec = 3600 * USEC_PER_SEC,
        };
        health_thresholds_default(&h->thresholds);
}

void health_config_done(HealthConfig *h) {
        free(h->textfile_directory);
        free(h->probe_directory);
        free(h->probe_user);
        free(h->backup_path);
        free(h->backup_check_unit);
        strv_free(h->smart_devices);
        free(h->kernel_journal_directory);
}

static int set_span(Parser *p, const char *key, uint64_t *field, const char *value, uint64_t min, uint64_t max) {
        uint64_t t;

        if (timespan_parse(value, &t) < 0 || t < min || t > max)
                return parser_error(p, "invalid %s= \"%s\"", key, value);
        *field = t;
        return 1;
}

static int set_probe_size(Parser *p, const char *value) {
        HealthThresholds scratch;
        HealthLimit l;

        /* The same amount syntax as FreeSpaceWarn=, percentages excepted. */
        health_thresholds_default(&scratch);
        if (health_thresholds_set(&scratch, "FreeSpaceWarn", value, NULL) < 0 || scratch.free_space_warn.percent)
                return parser_error(p, "invalid ProbeSize= \"%s\" (an amount such as 64M)", value);
        l = scratch.free_space_warn;
        if (l.amount < PROBE_SIZE_MIN || l.amount > PROBE_SIZE_MAX)
                return parser_error(p, "ProbeSize= must be between 1M and 4G");
        p->config->health.probe_size = l.amount;
        return 1;
}

static int set_devices(Parser *p, const char *value) {
        _cleanup_free_ char *copy = strdup(value);
        HealthConfig *h = &p->config->health;
        char *save = NULL;

        if (!copy)
                return parser_error(p, "out of memory");
        strv_free(h->smart_devices);
        h->smart_devices = NULL;
        for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                if (strncmp(w, "/dev/", 5) != 0 || !path_is_safe_absolute(w) || strlen(w) > 64)
                        return parser_error(p, "SmartDevices=: \"%s\" is not a /dev path", w);
                if (strv_length(h->smart_devices) >= SMART_DEVICES_MAX)
                        return parser_error(p, "SmartDevices=: at most %d devices", SMART_DEVICES_MAX);
                if (strv_extend(&h->smart_devices, w) < 0)
                        return parser_error(p, "out of memory");
        }
        return 1;
}

int parse_health_key(Parser *p, const char *key, const char *value) {
        HealthConfig *h = &p->config->health;
        const char *reason = "";
        int r;

        r = health_thresholds_set(&h->thresholds, key, value, &reason);
        if (r == 0)
                return 1;
        if (r != -ENOENT)
                return parser_error(p, "invalid %s= \"%s\" (%s)", key, value, reason);
        if (strcmp(key, "SampleIntervalSec") == 0)
                return set_span(p, key, &h->sample_interval_usec, value, USEC_PER_SEC, SAMPLE_INTERVAL_MAX_USEC);
        if (strcmp(key, "SampleTimeoutSec") == 0)
                return set_span(p, key, &h->sample_timeout_usec, value, 100 * USEC_PER_MSEC, 600 * USEC_PER_SEC);
        if (strcmp(key, "SmartIntervalSec") == 0)
                return set_span(p, key, &h->smart_interval_usec, value, 60 * USEC_PER_SEC, SAMPLE_INTERVAL_MAX_USEC);
        if (strcmp(key, "ProbeTimeoutSec") == 0)
                return set_span(p, key, &h->probe_timeout_usec, value, USEC_PER_SEC, PROBE_TIMEOUT_MAX_USEC);
        if (strcmp(key, "ProbeSize") == 0)
                return set_probe_size(p, value);
        if (strcmp(key, "ProbeUser") == 0) {
                if (!name_is_valid(value) || strlen(value) > 31 || (value[0] >= '0' && value[0] <= '9'))
                        return parser_error(p, "invalid ProbeUser= \"%s\"", value);
                return parser_set_string(p, &h->probe_user, value);
        }
        if (strcmp(key, "TextfileDirectory") == 0)
                return parser_set_path_max(p, key, &h->textfile_directory, value, HEALTH_PATH_MAX);
        if (strcmp(key, "ProbeDirectory") == 0)
                return parser_set_path_max(p, key, &h->probe_directory, value, HEALTH_PATH_MAX);
        if (strcmp(key, "BackupPath") == 0)
                return parser_set_path_max(p, key, &h->backup_path, value, HEALTH_PATH_MAX);
        if (strcmp(key, "KernelJournalDirectory") == 0)
                return parser_set_path_max(p, key, &h->kernel_journal_directory, value, HEALTH_PATH_MAX);
        if (strcmp(key, "BackupCheckUnit") == 0) {
                if (!unit_name_is_valid(value))
                        return parser_error(p, "invalid BackupCheckUnit= \"%s\" (a unit name)", value);
                return parser_set_string(p, &h->backup_check_unit, value);
        }
        if (strcmp(key, "SmartDevices") == 0)
                return set_devices(p, value);
        return parser_error(p, "unknown key %s= in [Health]", key);
}

int finish_health(Parser *p) {
        HealthConfig *h = &p->config->health;
        const char *why = health_thresholds_check(&h->thresholds);

        if (why)
                return parser_error(p, "[Health]: %s", why), -EINVAL;
        if (h->backup_path && h->backup_check_unit)
                return parser_error(p, "[Health]: BackupPath= and BackupCheckUnit= exclude each other"), -EINVAL;
        if (!h->probe_user && !(h->probe_user = strdup("root")))
                return -ENOMEM;
        return 0;
}
