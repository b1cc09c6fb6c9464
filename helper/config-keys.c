/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The keys of each configuration section and the rules for their values. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "config-parser.h"
#include "execline.h"
#include "format.h"
#include "names.h"
#include "timespan.h"

#define ROLES_MAX 16
#define CHECK_PATHS_MAX 16
#define TIMEOUT_MAX_USEC (7ULL * 86400ULL * USEC_PER_SEC)
#define CAP_NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
/* A burst past a million records, or a reserve past 1 TiB, is a typo. */
#define AUDIT_REFUSAL_BURST_MAX 1000000UL
#define AUDIT_RESERVE_MAX (1ULL << 40)

int parser_set_string(Parser *p, char **field, const char *value) {
        char *v = strdup(value);

        if (!v)
                return parser_error(p, "out of memory");
        free(*field);
        *field = v;
        return 1;
}

static int set_path(Parser *p, const char *key, char **field, const char *value) {
        if (!path_is_safe_absolute(value))
                return parser_error(p, "%s= must be an absolute, normalized path", key);
        return parser_set_string(p, field, value);
}

int parser_set_path_max(Parser *p, const char *key, char **field, const char *value, size_t max) {
        if (!path_is_safe_absolute(value) || strlen(value) > max)
                return parser_error(p, "%s= must be an absolute, normalized path of at most %zu bytes", key, max);
        return parser_set_string(p, field, value);
}

/* Same rule as systemd's valid_user_group_name() in strict mode. */
static int set_account(Parser *p, const char *key, char **field, const char *value) {
        if (!name_is_valid(value) || strlen(value) > 31 || (value[0] >= '0' && value[0] <= '9'))
                return parser_error(p, "invalid %s= \"%s\"", key, value);
        return parser_set_string(p, field, value);
}

static int set_timeout(Parser *p, const char *key, uint64_t *field, const char *value) {
        uint64_t t;

        if (timespan_parse(value, &t) < 0 || t < USEC_PER_MSEC || t > TIMEOUT_MAX_USEC)
                return parser_error(p, "invalid %s= \"%s\" (a span from 1ms to 7d)", key, value);
        *field = t;
        return 1;
}

/* "N", "NK", "NM" or "NG" (powers of 1024), N at most 13 digits: nothing
 * else (no sign, space or fraction), and at most max. */
static int parse_size(const char *value, uint64_t max, uint64_t *ret) {
        static const char suffixes[] = "KMG";
        const char *end = value + strspn(value, "0123456789"), *suffix;
        uint64_t n = 0, unit = 1;

        if (end == value || end - value > 13)
                return -EINVAL;
        if (*end != '\0') {
                suffix = strchr(suffixes, *end);
                if (!suffix || end[1] != '\0')
                        return -EINVAL;
                unit = 1ULL << (10 * (suffix - suffixes + 1));
        }
        for (const char *d = value; d < end; d++)
                n = n * 10 + (uint64_t) (*d - '0');
        if (n > max / unit)
                return -ERANGE;
        *ret = n * unit;
        return 0;
}

static int set_argv(Parser *p, const char *key, char ***field, const char *value) {
        const char *reason = "invalid";
        char **argv = NULL;

        if (execline_parse(value, HOOK_ARGV_MAX, &argv, &reason) < 0)
                return parser_error(p, "invalid %s=: %s", key, reason);
        strv_free(*field);
        *field = argv;
        return 1;
}

static int set_unit(Parser *p, const char *key, char **field, const char *value) {
        if (!unit_name_is_valid(value))
                return parser_error(p, "invalid %s= \"%s\" (a unit name such as eddy.service)", key, value);
        return parser_set_string(p, field, value);
}

static int parse_roles(Parser *p, const char *value) {
        _cleanup_free_ char *copy = strdup(value);
        char **roles, *save = NULL;
        unsigned n = 0;

        if (!copy)
                return parser_error(p, "out of memory");
        roles = calloc(ROLES_MAX + 1, sizeof(char *));
        if (!roles)
                return parser_error(p, "out of memory");
        strv_free(p->config->roles);
        p->config->roles = roles;
        for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                if (!name_is_valid(w))
                        return parser_error(p, "invalid role \"%s\"", w);
                if (n >= ROLES_MAX)
                        return parser_error(p, "too many roles (at most %d)", ROLES_MAX);
                roles[n] = strdup(w);
                if (!roles[n++])
                        return parser_error(p, "out of memory");
        }
        return 1;
}

static int parse_check_paths(Parser *p, const char *value) {
        _cleanup_free_ char *copy = strdup(value);
        char **paths, *save = NULL;
        unsigned n = 0;

        if (!copy || !(paths = calloc(CHECK_PATHS_MAX + 1, sizeof(char *))))
                return parser_error(p, "out of memory");
        strv_free(p->config->check_paths);
        p->config->check_paths = paths;
        for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                if (!path_is_safe_absolute(w))
                        return parser_error(p, "CheckPaths=: \"%s\" is not an absolute, normalized path", w);
                if (n >= CHECK_PATHS_MAX)
                        return parser_error(p, "CheckPaths=: at most %d paths", CHECK_PATHS_MAX);
                if (!(paths[n++] = strdup(w)))
                        return parser_error(p, "out of memory");
        }
        return 1;
}

static int parse_audit_limit(Parser *p, const char *key, const char *value) {
        HelperConfig *c = p->config;
        uint64_t n;

        if (strcmp(key, "AuditRefusalBurst") == 0) {
                /* A count: digits only, no size suffix. */
                if (strspn(value, "0123456789") != strlen(value) ||
                    parse_size(value, AUDIT_REFUSAL_BURST_MAX, &n) < 0 || n < 1)
                        return parser_error(p, "invalid AuditRefusalBurst= \"%s\" (1 to %lu records)", value,
                                            AUDIT_REFUSAL_BURST_MAX);
                c->audit_refusal_burst = (unsigned) n;
                return 1;
        }
        if (strcmp(key, "AuditRefusalIntervalSec") == 0)
                return set_timeout(p, key, &c->audit_refusal_interval_usec, value);
        if (strcmp(key, "AuditReserve") == 0) {
                if (parse_size(value, AUDIT_RESERVE_MAX, &c->audit_reserve_bytes) < 0)
                        return parser_error(p, "invalid AuditReserve= \"%s\" (bytes, or with K, M, G; at most 1T)",
                                            value);
                return 1;
        }
        return parser_error(p, "unknown key %s= in [Helper]", key);
}

int parse_helper_key(Parser *p, const char *key, const char *value) {
        HelperConfig *c = p->config;

        if (strcmp(key, "Hostname") == 0) {
                if (!name_is_valid(value))
                        return parser_error(p, "invalid Hostname= \"%s\"", value);
                return parser_set_string(p, &c->hostname, value);
        }
        if (strcmp(key, "Roles") == 0)
                return parse_roles(p, value);
        if (strcmp(key, "SystemdAddress") == 0) {
                if (!text_is_printable(value, 1024) || value[0] == '\0')
                        return parser_error(p, "invalid SystemdAddress=");
                return parser_set_string(p, &c->systemd_address, value);
        }
        if (strcmp(key, "UnitPrefix") == 0) {
                if (!name_is_valid(value) || strlen(value) > 32)
                        return parser_error(p, "invalid UnitPrefix= \"%s\"", value);
                return parser_set_string(p, &c->unit_prefix, value);
        }
        if (strcmp(key, "AuditLog") == 0)
                return set_path(p, key, &c->audit_log, value);
        if (strncmp(key, "Audit", 5) == 0)
                return parse_audit_limit(p, key, value);
        if (strcmp(key, "StateDirectory") == 0)
                return set_path(p, key, &c->state_directory, value);
        if (strcmp(key, "CPUStatSource") == 0)
                return set_path(p, key, &c->cpu_stat_source, value);
        if (strcmp(key, "JobLogDirectory") == 0)
                return set_path(p, key, &c->job_log_directory, value);
        if (strcmp(key, "CheckPaths") == 0)
                return parse_check_paths(p, value);

        return parser_error(p, "unknown key %s= in [Helper]", key);
}

static int parse_capabilities(Parser *p, HookConfig *h, const char *value) {
        _cleanup_free_ char *copy = strdup(value);
        char *save = NULL;
        uint64_t mask = 0;

        if (!copy)
                return parser_error(p, "out of memory");
        for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                cap_value_t cap;

                /* cap_from_name() accepts numbers, and ignores what follows a
                 * name ("CAP_KILL,CAP_X" is CAP_KILL): we want exact names only. */
                if (strncmp(w, "CAP_", 4) != 0 || w[4 + strspn(w + 4, CAP_NAME_CHARS)] != '\0' ||
                    cap_from_name(w, &cap) < 0 || cap < 0 || cap > 63)
                        return parser_error(p, "unknown capability \"%s\"", w);
                mask |= 1ULL << cap;
        }
        h->capability_mask = mask;
        return 1;
}

int parse_hook_key(Parser *p, const char *key, const char *value) {
        HookConfig *h = p->hook;

        if (strcmp(key, "ExecStart") == 0)
                return set_argv(p, key, &h->argv, value);
        if (strcmp(key, "User") == 0 || strcmp(key, "Group") == 0)
                return set_account(p, key, key[0] == 'U' ? &h->user : &h->group, value);
        if (strcmp(key, "Description") == 0) {
                if (!text_is_printable(value, 200))
                        return parser_error(p, "invalid Description= (control characters or over 200 bytes)");
                return parser_set_string(p, &h->description, value);
        }
        if (strcmp(key, "TimeoutSec") == 0)
                return set_timeout(p, key, &h->timeout_usec, value);
        if (strcmp(key, "CapabilityBoundingSet") == 0)
                return parse_capabilities(p, h, value);

        return parser_error(p, "unknown key %s= in [Hook %s]", key, h->name);
}

int parse_directory_key(Parser *p, const char *key, const char *value) {
        DirectoryConfig *d = &p->config->directory;

        if (strcmp(key, "Unit") == 0)
                return set_unit(p, key, &d->unit, value);
        if (strcmp(key, "StopCommand") == 0)
                return set_argv(p, key, &d->stop_command, value);
        if (strcmp(key, "StartCommand") == 0)
                return set_argv(p, key, &d->start_command, value);
        if (strcmp(key, "User") == 0)
                return set_account(p, key, &d->user, value);
        if (strcmp(key, "RootProcess") == 0)
                return set_argv(p, key, &d->root_process, value);
        if (strcmp(key, "MainProcess") == 0)
                return set_argv(p, key, &d->main_process, value);
        if (strcmp(key, "ReadySocket") == 0)
                return set_path(p, key, &d->ready_socket, value);
        if (strcmp(key, "StopTimeoutSec") == 0)
                return set_timeout(p, key, &d->stop_timeout_usec, value);
        if (strcmp(key, "KillTimeoutSec") == 0)
                return set_timeout(p, key, &d->kill_timeout_usec, value);
        if (strcmp(key, "StartTimeoutSec") == 0)
                return set_timeout(p, key, &d->start_timeout_usec, value);

        return parser_error(p, "unknown key %s= in [Directory]", key);
}

int parse_service_key(Parser *p, const char *key, const char *value) {
        if (strcmp(key, "Unit") == 0)
                return set_unit(p, key, &p->service->unit, value);

        return parser_error(p, "unknown key %s= in [Service %s]", key, p->service->name);
}

int parse_rebuild_key(Parser *p, const char *key, const char *value) {
        RebuildConfig *b = &p->config->rebuild;

        if (strcmp(key, "ExecStart") == 0)
                return set_argv(p, key, &b->argv, value);
        if (strcmp(key, "User") == 0)
                return set_account(p, key, &b->user, value);
        if (strcmp(key, "Group") == 0)
                return set_account(p, key, &b->group, value);
        if (strcmp(key, "WorkingDirectory") == 0)
                return set_path(p, key, &b->working_directory, value);
        if (strcmp(key, "Nice") == 0) {
                char *end;
                long n = strtol(value, &end, 10);
                if (end == value || *end != '\0' || n < -20 || n > 19)
                        return parser_error(p, "invalid Nice= \"%s\" (-20..19)", value);
                b->nice = (int) n;
                return 1;
        }
        if (strcmp(key, "IOSchedulingClass") == 0) {
                if (strcmp(value, "realtime") != 0 && strcmp(value, "best-effort") != 0 && strcmp(value, "idle") != 0)
                        return parser_error(p, "invalid IOSchedulingClass= \"%s\" (realtime, best-effort, idle)",
                                            value);
                return parser_set_string(p, &b->io_scheduling_class, value);
        }
        if (strcmp(key, "RuntimeMaxSec") == 0)
                return set_timeout(p, key, &b->runtime_max_usec, value);
        if (strcmp(key, "ExpectedDurationSec") == 0)
                return set_timeout(p, key, &b->expected_usec, value);

        return parser_error(p, "unknown key %s= in [Rebuild]", key);
}
