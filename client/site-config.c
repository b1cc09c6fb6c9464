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
#include "engine.h"

#define SITE_CONF_SYSTEM "/etc/hubops/site.conf"

typedef struct SiteParser {
        IniStrict ini; /* first: the callbacks get &ini and cast back */
        SiteConfig *config;
        SiteHost *host;       /* in [Host NAME] */
        SiteRunbook *runbook; /* in [Runbook NAME] */
        bool in_health;       /* in [Health], [Health Role NAME] or [Health Host NAME] */
} SiteParser;

static int begin_host(SiteParser *p, const char *host) {
        if (!name_is_valid(host) || strlen(host) > SITE_NAME_MAX)
                return ini_strict_error(&p->ini, "invalid host name \"%s\"", host), -EINVAL;
        if (site_find_host(p->config, host))
                return ini_strict_error(&p->ini, "duplicate host \"%s\"", host), -EINVAL;
        if (p->config->n_hosts >= SITE_HOSTS_MAX)
                return ini_strict_error(&p->ini, "too many hosts (at most %d)", SITE_HOSTS_MAX), -E2BIG;
        p->host = &p->config->hosts[p->config->n_hosts++];
        (void) snprintf(p->host->name, sizeof(p->host->name), "%s", host);
        p->host->line = p->ini.line;
        return 0;
}

static int begin_section(IniStrict *ini, const char *name) {
        SiteParser *p = (SiteParser *) ini;

        p->host = NULL;
        p->runbook = NULL;
        p->in_health = false;
        if (strncmp(name, "Host ", 5) == 0)
                return begin_host(p, name + 5);
        if (strncmp(name, "Runbook ", 8) == 0) {
                SiteRunbook *rb = (SiteRunbook *) site_runbook(p->config, name + 8);
                if (rb && rb->seen)
                        return ini_strict_error(ini, "duplicate section [%s]", name), -EINVAL;
                if (rb) {
                        rb->seen = true;
                        p->runbook = rb;
                        return 0;
                }
        }
        if (strncmp(name, "Health", 6) == 0) {
                p->in_health = true;
                return site_health_section(&p->config->health, ini, name);
        }
        char known[256] = "";
        for (size_t i = 0, n = 0; i < runbook_count() && n < sizeof(known); i++)
                n += (size_t) snprintf(known + n, sizeof(known) - n, "%s[Runbook %s]", i ? ", " : "",
                                       runbook_nth(i)->name);
        return ini_strict_error(ini, "unknown section [%s] (expected [Host NAME], %s or [Health])", name, known),
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

static int parse_roles(SiteParser *p, SiteHost *h, const char *value) {
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

static int parse_host_key(SiteParser *p, const char *key, const char *value) {
        SiteHost *h = p->host;

        if (strcmp(key, "Address") == 0) {
                if (!address_is_valid(value))
                        return ini_strict_error(&p->ini,
                                                "invalid Address=%s (local, ssh:[USER@]HOST[:PORT] or an "
                                                "sd-bus address such as unix:path=/run/dbus/system_bus_socket)",
                                                value);
                h->address = strdup(value);
                return h->address ? 1 : ini_strict_error(&p->ini, "out of memory");
        }
        if (strcmp(key, "Roles") == 0)
                return parse_roles(p, h, value);
        return ini_strict_error(&p->ini, "unknown key %s= in [Host %s] (expected Address=, Roles=)", key, h->name);
}

/* The keys every runbook has, then the definition's own. */
static int parse_runbook_key(SiteParser *p, const char *key, const char *value) {
        SiteRunbook *rb = p->runbook;
        int r = site_parse_window_key(&p->ini, &rb->window, key, value);

        if (r == -ENOENT)
                r = rb->def->config_key ? rb->def->config_key(rb->config, &p->ini, key, value) : -ENOENT;
        if (r == -ENOENT)
                return ini_strict_error(&p->ini, "unknown key %s= in [Runbook %s]", key, rb->def->name);
        return r;
}

static int handle_key(IniStrict *ini, const char *key, const char *value) {
        SiteParser *p = (SiteParser *) ini;

        if (p->in_health)
                return site_health_key(&p->config->health, ini, key, value);
        return p->host ? parse_host_key(p, key, value) : parse_runbook_key(p, key, value);
}

static int finish(IniStrict *ini) {
        SiteParser *p = (SiteParser *) ini;
        SiteConfig *c = p->config;

        for (unsigned i = 0; i < c->n_hosts; i++)
                if (!c->hosts[i].address) {
                        p->ini.line = c->hosts[i].line;
                        return ini_strict_error(&p->ini, "[Host %s] has no Address=", c->hosts[i].name), -EINVAL;
                }
        p->ini.line = 0;
        for (unsigned i = 0; i < c->n_runbooks; i++) {
                const SiteRunbook *rb = &c->runbooks[i];
                int r = rb->def->config_check ? rb->def->config_check(rb->config, c, &p->ini) : 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Every definition's settings at their defaults, before any section is read. */
static int runbooks_init(SiteConfig *c) {
        for (size_t i = 0; i < runbook_count() && i < SITE_RUNBOOKS_MAX; i++) {
                SiteRunbook *rb = &c->runbooks[c->n_runbooks];
                *rb = (SiteRunbook) { .def = runbook_nth(i), .window = { .from = -1, .to = -1 } };
                rb->config = rb->def->config_new ? rb->def->config_new() : NULL;
                if (rb->def->config_new && !rb->config)
                        return -ENOMEM;
                c->n_runbooks++;
        }
        return 0;
}

int site_config_parse(FILE *f, const char *path, SiteConfig **ret, char **ret_error) {
        _cleanup_(site_config_freep) SiteConfig *c = calloc(1, sizeof(SiteConfig));
        SiteParser p = {
                .ini = { .f = f, .path = path, .section = begin_section, .key = handle_key, .finish = finish }
        };
        int r;

        if (!c || !(c->path = strdup(path)) || runbooks_init(c) < 0)
                return -ENOMEM;
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
        for (unsigned i = 0; i < c->n_runbooks; i++)
                if (c->runbooks[i].def->config_free)
                        c->runbooks[i].def->config_free(c->runbooks[i].config);
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

const SiteRunbook *site_runbook(const SiteConfig *c, const char *name) {
        for (unsigned i = 0; i < c->n_runbooks; i++)
                if (strcmp(c->runbooks[i].def->name, name) == 0)
                        return &c->runbooks[i];
        return NULL;
}
