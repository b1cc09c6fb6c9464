/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "site-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "format.h"
#include "ini-strict.h"
#include "macro.h"
#include "names.h"
#include "timespan.h"

#define SITE_CONF_SYSTEM "/etc/hubops/site.conf"
#define SPAN_MAX_USEC (7ULL * 86400ULL * USEC_PER_SEC)

typedef enum SiteSection { SITE_NONE, SITE_HOST, SITE_REBUILD, SITE_HEALTH } SiteSection;

typedef struct SiteParser {
        IniStrict ini; /* first: the callbacks get &ini and cast back */
        SiteConfig *config;
        SiteSection section;
        SiteHost *host;
        bool rebuild_seen;
} SiteParser;

static int begin_section(IniStrict *ini, const char *name) {
        SiteParser *p = (SiteParser *) ini;

        if (strncmp(name, "Host ", 5) == 0) {
                const char *host = name + 5;
                if (!name_is_valid(host) || strlen(host) > SITE_NAME_MAX)
                        return ini_strict_error(ini, "invalid host name \"%s\"", host), -EINVAL;
                if (site_find_host(p->config, host))
                        return ini_strict_error(ini, "duplicate host \"%s\"", host), -EINVAL;
                if (p->config->n_hosts >= SITE_HOSTS_MAX)
                        return ini_strict_error(ini, "too many hosts (at most %d)", SITE_HOSTS_MAX), -E2BIG;
                p->host = &p->config->hosts[p->config->n_hosts++];
                (void) snprintf(p->host->name, sizeof(p->host->name), "%s", host);
                p->host->line = ini->line;
                p->section = SITE_HOST;
                return 0;
        }
        if (strcmp(name, "Runbook rebuild-tables") == 0) {
                if (p->rebuild_seen)
                        return ini_strict_error(ini, "duplicate section [%s]", name), -EINVAL;
                p->rebuild_seen = true;
                p->section = SITE_REBUILD;
                return 0;
        }
        if (strncmp(name, "Health", 6) == 0) {
                p->section = SITE_HEALTH;
                return site_health_section(&p->config->health, ini, name);
        }
        return ini_strict_error(ini, "unknown section [%s] (expected [Host NAME], [Runbook rebuild-tables] or [Health])",
                                name),
               -EINVAL;
}

/* "local", "ssh:[USER@]HOST[:PORT]", or an sd-bus address ("unix:path=..."). */
static bool address_is_valid(const char *a) {
        if (!text_is_printable(a, 1024) || a[0] == '\0' || strpbrk(a, " \t"))
                return false;
        if (strcmp(a, "local") == 0)
                return true;
        if (strncmp(a, "ssh:", 4) == 0)
                /* Never anything ssh could take for an option. */
                return a[4] != '\0' && a[4] != '-' && !strpbrk(a + 4, "/;,=");
        return strchr(a, ':') && strchr(a, '=');
}

static int parse_host_key(SiteParser *p, const char *key, const char *value) {
        SiteHost *h = p->host;

        if (strcmp(key, "Address") == 0) {
                if (!address_is_valid(value))
                        return ini_strict_error(&p->ini, "invalid Address=%s (local, ssh:[USER@]HOST[:PORT] or an "
                                                         "sd-bus address such as unix:path=/run/dbus/system_bus_socket)",
                                                value);
                h->address = strdup(value);
                return h->address ? 1 : ini_strict_error(&p->ini, "out of memory");
        }
        if (strcmp(key, "Roles") == 0) {
                _cleanup_free_ char *copy = strdup(value);
                char *save = NULL;

                if (!copy)
                        return ini_strict_error(&p->ini, "out of memory");
                h->n_roles = 0;
                for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                        if (!name_is_valid(w) || strlen(w) > SITE_NAME_MAX)
                                return ini_strict_error(&p->ini, "invalid role \"%s\"", w);
                        if (h->n_roles >= ELEMENTSOF(h->roles))
                                return ini_strict_error(&p->ini, "too many roles (at most %zu)", ELEMENTSOF(h->roles));
                        (void) snprintf(h->roles[h->n_roles++], sizeof(h->roles[0]), "%s", w);
                }
                return 1;
        }
        return ini_strict_error(&p->ini, "unknown key %s= in [Host %s] (expected Address=, Roles=)", key, h->name);
}

static int parse_span(SiteParser *p, const char *key, const char *value, uint64_t *ret) {
        if (timespan_parse(value, ret) < 0 || *ret > SPAN_MAX_USEC)
                return ini_strict_error(&p->ini, "invalid %s=%s (a time span such as 30s, 5min, 6h)", key, value);
        return 1;
}

static int parse_hook_ref(SiteParser *p, const char *key, const char *value, HookRef *ret) {
        const char *colon = strchr(value, ':');
        char host[SITE_NAME_MAX + 1];

        if (!colon || (size_t) (colon - value) > SITE_NAME_MAX)
                return ini_strict_error(&p->ini, "invalid %s=%s (expected HOST:HOOK)", key, value);
        memcpy(host, value, (size_t) (colon - value));
        host[colon - value] = '\0';
        if (!name_is_valid(host) || !name_is_valid(colon + 1) || strlen(colon + 1) > SITE_NAME_MAX)
                return ini_strict_error(&p->ini, "invalid %s=%s (expected HOST:HOOK)", key, value);
        (void) snprintf(ret->host, sizeof(ret->host), "%s", host);
        (void) snprintf(ret->hook, sizeof(ret->hook), "%s", colon + 1);
        return 1;
}

/* Exactly n decimal digits at s; -1 if not. */
static int digits(const char *s, unsigned n) {
        int v = 0;

        for (unsigned i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        return v;
}

/* "HH:MM-HH:MM", local time; may wrap past midnight (20:00-06:00). */
static int parse_window(SiteParser *p, const char *value) {
        int h1 = -1, m1 = -1, h2 = -1, m2 = -1;

        /* The length first: only then may we look at fixed offsets. */
        if (strlen(value) == 11 && value[2] == ':' && value[5] == '-' && value[8] == ':')
                h1 = digits(value, 2), m1 = digits(value + 3, 2), h2 = digits(value + 6, 2), m2 = digits(value + 9, 2);
        if (h1 < 0 || m1 < 0 || h2 < 0 || m2 < 0 || h1 > 23 || h2 > 24 || m1 > 59 || m2 > 59 || (h2 == 24 && m2 != 0))
                return ini_strict_error(&p->ini, "invalid AllowedTime=%s (expected HH:MM-HH:MM, e.g. 20:00-06:00)",
                                        value);
        p->config->rebuild.window_from = h1 * 60 + m1;
        p->config->rebuild.window_to = h2 * 60 + m2;
        return 1;
}

static int parse_date(const char *s, int *ret) {
        int y, m, d;

        if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
                return -EINVAL;
        y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
        if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
                return -EINVAL;
        *ret = y * 10000 + m * 100 + d;
        return 0;
}

/* "YYYY-MM-DD..YYYY-MM-DD [...]": registration periods and the like. */
static int parse_blackouts(SiteParser *p, const char *value) {
        _cleanup_free_ char *copy = strdup(value);
        RebuildRunbook *rb = &p->config->rebuild;
        char *save = NULL;

        if (!copy)
                return ini_strict_error(&p->ini, "out of memory");
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                char *dots = strstr(w, "..");
                DateRange d;

                if (!dots)
                        return ini_strict_error(&p->ini, "invalid Blackout= range \"%s\" (YYYY-MM-DD..YYYY-MM-DD)", w);
                *dots = '\0';
                if (parse_date(w, &d.from) < 0 || parse_date(dots + 2, &d.to) < 0 || d.to < d.from)
                        return ini_strict_error(&p->ini, "invalid Blackout= range \"%s..%s\" (YYYY-MM-DD..YYYY-MM-DD)",
                                                w, dots + 2);
                if (rb->n_blackouts >= SITE_BLACKOUTS_MAX)
                        return ini_strict_error(&p->ini, "too many Blackout= ranges (at most %d)", SITE_BLACKOUTS_MAX);
                rb->blackouts[rb->n_blackouts++] = d;
        }
        return 1;
}

/* A count with an optional binary suffix: 500M, 2G, 10000. */
static int parse_size(SiteParser *p, const char *key, const char *value, uint64_t *ret) {
        static const char suffixes[] = "KMGT";
        unsigned long long v;
        char *end;

        errno = 0;
        v = strtoull(value, &end, 10);
        if (errno || end == value || value[0] == '-')
                return ini_strict_error(&p->ini, "invalid %s=%s", key, value);
        if (*end) {
                const char *s = end[1] == '\0' ? strchr(suffixes, *end) : NULL;
                if (!s)
                        return ini_strict_error(&p->ini, "invalid %s=%s (a number, optionally with K, M, G or T)", key,
                                                value);
                for (long i = 0; i <= s - suffixes; i++) {
                        if (v > UINT64_MAX / 1024)
                                return ini_strict_error(&p->ini, "%s=%s is too large", key, value);
                        v *= 1024;
                }
        }
        *ret = v;
        return 1;
}

static int parse_rebuild_key(SiteParser *p, const char *key, const char *value) {
        RebuildRunbook *rb = &p->config->rebuild;
        const struct {
                const char *key;
                uint64_t *field;
        } spans[] = {
                { "IdleHoldSec", &rb->idle_hold_usec },         { "GateTimeoutSec", &rb->gate_timeout_usec },
                { "SettleHoldSec", &rb->settle_hold_usec },     { "SettleTimeoutSec", &rb->settle_timeout_usec },
                { "RebuildTimeoutSec", &rb->rebuild_timeout_usec },
        };
        const struct {
                const char *key;
                HookRef *field;
        } hooks[] = {
                { "StopStudentThread", &rb->stop_student_thread },
                { "StartStudentThread", &rb->start_student_thread },
                { "CheckRA", &rb->check_ra },
                { "CheckMailboxService", &rb->check_mailbox_service },
        };

        for (size_t i = 0; i < ELEMENTSOF(spans); i++)
                if (strcmp(key, spans[i].key) == 0)
                        return parse_span(p, key, value, spans[i].field);
        for (size_t i = 0; i < ELEMENTSOF(hooks); i++)
                if (strcmp(key, hooks[i].key) == 0)
                        return parse_hook_ref(p, key, value, hooks[i].field);
        if (strcmp(key, "IdleThreshold") == 0) {
                char *end;
                double v = strtod(value, &end);
                if (end == value || (*end && strcmp(end, "%") != 0) || !(v > 0.0 && v <= 100.0))
                        return ini_strict_error(&p->ini, "invalid IdleThreshold=%s (a percentage, e.g. 90%%)", value);
                rb->idle_threshold = v / 100.0;
                return 1;
        }
        if (strcmp(key, "AllowedTime") == 0)
                return parse_window(p, value);
        if (strcmp(key, "Blackout") == 0)
                return parse_blackouts(p, value);
        if (strcmp(key, "MinFreeSpace") == 0)
                return parse_size(p, key, value, &rb->min_free_bytes);
        if (strcmp(key, "MinFreeInodes") == 0)
                return parse_size(p, key, value, &rb->min_free_inodes);
        return ini_strict_error(&p->ini, "unknown key %s= in [Runbook rebuild-tables]", key);
}

static int handle_key(IniStrict *ini, const char *key, const char *value) {
        SiteParser *p = (SiteParser *) ini;

        if (p->section == SITE_HEALTH)
                return site_health_key(&p->config->health, ini, key, value);
        return p->section == SITE_HOST ? parse_host_key(p, key, value) : parse_rebuild_key(p, key, value);
}

static int check_hook_ref(SiteParser *p, const char *key, const HookRef *h) {
        if (h->host[0] && !site_find_host(p->config, h->host))
                return ini_strict_error(&p->ini, "%s=%s:%s names no [Host %s]", key, h->host, h->hook, h->host),
                       -EINVAL;
        return 0;
}

static int finish(IniStrict *ini) {
        SiteParser *p = (SiteParser *) ini;
        SiteConfig *c = p->config;
        const RebuildRunbook *rb = &c->rebuild;

        for (unsigned i = 0; i < c->n_hosts; i++)
                if (!c->hosts[i].address) {
                        p->ini.line = c->hosts[i].line;
                        return ini_strict_error(&p->ini, "[Host %s] has no Address=", c->hosts[i].name), -EINVAL;
                }
        p->ini.line = 0;
        if (check_hook_ref(p, "StopStudentThread", &rb->stop_student_thread) < 0 ||
            check_hook_ref(p, "StartStudentThread", &rb->start_student_thread) < 0 ||
            check_hook_ref(p, "CheckRA", &rb->check_ra) < 0 ||
            check_hook_ref(p, "CheckMailboxService", &rb->check_mailbox_service) < 0)
                return -EINVAL;
        return 0;
}

int site_config_parse(FILE *f, const char *path, SiteConfig **ret, char **ret_error) {
        _cleanup_(site_config_freep) SiteConfig *c = calloc(1, sizeof(SiteConfig));
        SiteParser p = { .ini = { .f = f, .path = path, .section = begin_section, .key = handle_key, .finish = finish } };
        int r;

        if (!c || !(c->path = strdup(path)))
                return -ENOMEM;
        c->rebuild = (RebuildRunbook) {
                .idle_threshold = 0.90,
                .idle_hold_usec = 30ULL * USEC_PER_SEC,
                .gate_timeout_usec = 30ULL * 60 * USEC_PER_SEC,
                .settle_hold_usec = 2ULL * 60 * USEC_PER_SEC,
                .settle_timeout_usec = 2ULL * 3600 * USEC_PER_SEC,
                .window_from = -1,
                .window_to = -1,
                .min_free_bytes = 1024ULL * 1024 * 1024,
                .min_free_inodes = 10000,
        };
        p.config = c;
        r = ini_strict_parse(&p.ini, ret_error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

static int check_file_safe(int fd, const char *path, char **ret_error) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode)) {
                *ret_error = strdup_printf("%s: not a regular file", path);
                return -EINVAL;
        }
        /* Whoever can write the site config can point the runbook at another host. */
        if (st.st_uid != 0 && st.st_uid != geteuid()) {
                *ret_error = strdup_printf("%s: owned by uid %u, neither root nor you; refusing", path,
                                           (unsigned) st.st_uid);
                return -EPERM;
        }
        if (st.st_mode & (S_IWGRP | S_IWOTH)) {
                *ret_error = strdup_printf("%s: group- or world-writable (mode %04o); refusing", path,
                                           (unsigned) (st.st_mode & 07777));
                return -EPERM;
        }
        return 0;
}

static char *default_path(void) {
        const char *env = getenv("HUBOPS_SITE"), *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
        char *user = NULL;

        if (env && env[0])
                return strdup(env);
        if (xdg && xdg[0] == '/')
                user = strdup_printf("%s/hubops/site.conf", xdg);
        else if (home && home[0] == '/')
                user = strdup_printf("%s/.config/hubops/site.conf", home);
        if (user && access(user, F_OK) == 0)
                return user;
        free(user);
        return strdup(SITE_CONF_SYSTEM);
}

int site_config_load(const char *explicit_path, SiteConfig **ret, char **ret_error) {
        _cleanup_free_ char *path = explicit_path ? strdup(explicit_path) : default_path();
        _cleanup_fclose_ FILE *f = NULL;
        int fd, r;

        if (!path)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = -errno;
                *ret_error = strdup_printf("%s: cannot open the site config: %s%s", path, strerror(-r),
                                           explicit_path ? "" : " (or give --site FILE, or set $HUBOPS_SITE)");
                return r;
        }
        f = fdopen(fd, "re");
        if (!f) {
                r = -errno;
                close(fd);
                return r;
        }
        r = check_file_safe(fd, path, ret_error);
        if (r < 0)
                return r;
        return site_config_parse(f, path, ret, ret_error);
}

void site_config_free(SiteConfig *c) {
        if (!c)
                return;
        for (unsigned i = 0; i < c->n_hosts; i++)
                free(c->hosts[i].address);
        free(c->path);
        free(c);
}

const SiteHost *site_find_host(const SiteConfig *c, const char *name) {
        for (unsigned i = 0; c && i < c->n_hosts; i++)
                if (strcmp(c->hosts[i].name, name) == 0)
                        return &c->hosts[i];
        return NULL;
}

bool site_host_has_role(const SiteHost *h, const char *role) {
        for (unsigned i = 0; i < h->n_roles; i++)
                if (strcmp(h->roles[i], role) == 0)
                        return true;
        return false;
}

const SiteHost *site_find_role(const SiteConfig *c, const char *role) {
        for (unsigned i = 0; i < c->n_hosts; i++)
                if (site_host_has_role(&c->hosts[i], role))
                        return &c->hosts[i];
        return NULL;
}

bool site_window_allows(const RebuildRunbook *rb, long t, char *ret_why, size_t size) {
        time_t tt = (time_t) t;
        struct tm tm;

        if (!localtime_r(&tt, &tm)) {
                (void) snprintf(ret_why, size, "cannot read the local time");
                return false;
        }
        int today = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
        for (unsigned i = 0; i < rb->n_blackouts; i++)
                if (today >= rb->blackouts[i].from && today <= rb->blackouts[i].to) {
                        (void) snprintf(ret_why, size, "today is inside Blackout= %d-%02d-%02d..%d-%02d-%02d",
                                        rb->blackouts[i].from / 10000, rb->blackouts[i].from / 100 % 100,
                                        rb->blackouts[i].from % 100, rb->blackouts[i].to / 10000,
                                        rb->blackouts[i].to / 100 % 100, rb->blackouts[i].to % 100);
                        return false;
                }
        if (rb->window_from < 0)
                return true;
        int now = tm.tm_hour * 60 + tm.tm_min, from = rb->window_from, to = rb->window_to;
        bool inside = from <= to ? now >= from && now < to : now >= from || now < to;
        if (!inside)
                (void) snprintf(ret_why, size, "%02d:%02d is outside AllowedTime=%02d:%02d-%02d:%02d", tm.tm_hour,
                                tm.tm_min, from / 60, from % 60, to / 60, to % 60);
        return inside;
}
