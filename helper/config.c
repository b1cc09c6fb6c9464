/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "config-parser.h"
#include "execline.h"
#include "format.h"
#include "macro.h"
#include "names.h"
#include "timespan.h"

static int begin_service(Parser *p, const char *name) {
        ServiceConfig *sv;

        if (!name_is_valid(name))
                return parser_error(p, "invalid service name \"%s\"", name), -EINVAL;
        if (config_find_service(p->config, name))
                return parser_error(p, "duplicate service \"%s\"", name), -EINVAL;
        if (p->config->n_services >= SERVICES_MAX)
                return parser_error(p, "too many services (at most %d)", SERVICES_MAX), -E2BIG;
        sv = &p->config->services[p->config->n_services];
        *sv = (ServiceConfig) { .line = p->ini.line };
        sv->name = strdup(name);
        if (!sv->name)
                return -ENOMEM;
        p->config->n_services++;
        p->service = sv;
        p->section = SECTION_SERVICE;
        return 0;
}

static int begin_section(IniStrict *ini, const char *name) {
        Parser *p = (Parser *) ini;

        if (strcmp(name, "Helper") == 0) {
                if (p->helper_seen)
                        return parser_error(p, "duplicate section [Helper]"), -EINVAL;
                p->helper_seen = true;
                p->section = SECTION_HELPER;
                return 0;
        }

        if (strncmp(name, "Hook ", 5) == 0) {
                const char *hook = name + 5;
                HookConfig *h;

                if (!name_is_valid(hook))
                        return parser_error(p, "invalid hook name \"%s\"", hook), -EINVAL;
                if (config_find_hook(p->config, hook))
                        return parser_error(p, "duplicate hook \"%s\"", hook), -EINVAL;
                if (p->config->n_hooks >= HOOKS_MAX)
                        return parser_error(p, "too many hooks (at most %d)", HOOKS_MAX), -E2BIG;

                h = &p->config->hooks[p->config->n_hooks];
                *h = (HookConfig) { .timeout_usec = HOOK_TIMEOUT_DEFAULT_USEC, .line = p->ini.line };
                h->name = strdup(hook);
                if (!h->name)
                        return -ENOMEM;
                p->config->n_hooks++;
                p->hook = h;
                p->section = SECTION_HOOK;
                return 0;
        }

        if (strcmp(name, "Directory") == 0) {
                if (p->config->directory.present)
                        return parser_error(p, "duplicate section [Directory]"), -EINVAL;
                p->config->directory = (DirectoryConfig) {
                        .present = true,
                        .line = p->ini.line,
                        .uid = (uid_t) -1,
                        .stop_timeout_usec = DIRECTORY_STOP_TIMEOUT_DEFAULT_USEC,
                        .kill_timeout_usec = DIRECTORY_KILL_TIMEOUT_DEFAULT_USEC,
                        .start_timeout_usec = DIRECTORY_START_TIMEOUT_DEFAULT_USEC,
                };
                p->section = SECTION_DIRECTORY;
                return 0;
        }

        if (strncmp(name, "Service ", 8) == 0)
                return begin_service(p, name + 8);

        if (strcmp(name, "Rebuild") == 0) {
                if (p->config->rebuild.present)
                        return parser_error(p, "duplicate section [Rebuild]"), -EINVAL;
                p->config->rebuild = (RebuildConfig) {
                        .present = true,
                        .line = p->ini.line,
                        .runtime_max_usec = REBUILD_RUNTIME_MAX_DEFAULT_USEC,
                };
                p->section = SECTION_REBUILD;
                return 0;
        }

        if (strcmp(name, "Health") == 0) {
                if (p->health_seen)
                        return parser_error(p, "duplicate section [Health]"), -EINVAL;
                p->health_seen = true;
                p->section = SECTION_HEALTH;
                return 0;
        }

        if (strcmp(name, "Mailstore") == 0)
                return begin_mailstore(p);
        if (strncmp(name, "Peer ", 5) == 0)
                return begin_peer(p, name + 5);

        return parser_error(p, "unknown section [%s]", name), -EINVAL;
}

static int handle_key(IniStrict *ini, const char *key, const char *value) {
        Parser *p = (Parser *) ini;

        switch (p->section) {
        case SECTION_HELPER:
                return parse_helper_key(p, key, value);
        case SECTION_HOOK:
                return parse_hook_key(p, key, value);
        case SECTION_DIRECTORY:
                return parse_directory_key(p, key, value);
        case SECTION_REBUILD:
                return parse_rebuild_key(p, key, value);
        case SECTION_HEALTH:
                return parse_health_key(p, key, value);
        case SECTION_MAILSTORE:
                return parse_mailstore_key(p, key, value);
        case SECTION_PEER:
                return parse_peer_key(p, key, value);
        default:
                return parse_service_key(p, key, value);
        }
}

static int set_default(char **field, const char *value) {
        if (*field)
                return 0;
        *field = strdup(value);
        return *field ? 0 : -ENOMEM;
}

static int finish_directory(Parser *p, const DirectoryConfig *d) {
        p->ini.line = d->line;
        if (!d->unit == !(d->stop_command || d->start_command))
                return parser_error(p, "[Directory] needs either Unit= or StopCommand= and StartCommand="),
                       -EINVAL;
        if (!d->unit && (!d->stop_command || !d->start_command || !d->user))
                return parser_error(p, "[Directory] with commands needs StopCommand=, StartCommand= and User="),
                       -EINVAL;
        if (!d->root_process || !d->main_process)
                return parser_error(p, "[Directory] needs RootProcess= and MainProcess="), -EINVAL;
        return 0;
}

static int finish(IniStrict *ini) {
        Parser *p = (Parser *) ini;
        HelperConfig *c = p->config;
        char host[256] = "";

        for (size_t i = 0; i < c->n_hooks; i++) {
                p->ini.line = c->hooks[i].line;
                if (!c->hooks[i].argv)
                        return parser_error(p, "[Hook %s] has no ExecStart=", c->hooks[i].name), -EINVAL;
                /* Refuse an implicit root: whoever wants root says User=root. */
                if (!c->hooks[i].user)
                        return parser_error(p, "[Hook %s] has no User=", c->hooks[i].name), -EINVAL;
        }

        for (size_t i = 0; i < c->n_services; i++) {
                p->ini.line = c->services[i].line;
                if (!c->services[i].unit)
                        return parser_error(p, "[Service %s] has no Unit=", c->services[i].name), -EINVAL;
        }
        if (c->directory.present && finish_directory(p, &c->directory) < 0)
                return -EINVAL;
        if (finish_health(p) < 0 || finish_mailstore(p) < 0)
                return -EINVAL;
        if (c->rebuild.present) {
                p->ini.line = c->rebuild.line;
                /* The rebuild runs for hours as someone; say whom. */
                if (!c->rebuild.argv || !c->rebuild.user)
                        return parser_error(p, "[Rebuild] needs ExecStart= and User="), -EINVAL;
        }

        if (!c->hostname) {
                if (gethostname(host, sizeof(host) - 1) < 0 || !name_is_valid(host))
                        (void) strcpy(host, "localhost");
                if (set_default(&c->hostname, host) < 0)
                        return -ENOMEM;
        }
        if (!c->roles && !(c->roles = calloc(1, sizeof(char *))))
                return -ENOMEM;
        if (set_default(&c->audit_log, HELPER_AUDIT_LOG_DEFAULT) < 0 ||
            set_default(&c->state_directory, HELPER_STATE_DIRECTORY_DEFAULT) < 0 ||
            set_default(&c->cpu_stat_source, HELPER_CPU_STAT_SOURCE_DEFAULT) < 0 ||
            set_default(&c->unit_prefix, HELPER_UNIT_PREFIX_DEFAULT) < 0)
                return -ENOMEM;
        return 0;
}

int config_parse(FILE *f, const char *path, HelperConfig **ret, char **ret_error) {
        _cleanup_(config_freep) HelperConfig *c = calloc(1, sizeof(HelperConfig));
        Parser p = { .ini = { .f = f, .path = path, .section = begin_section, .key = handle_key, .finish = finish } };
        int r;

        if (!c)
                return -ENOMEM;
        c->hooks = calloc(HOOKS_MAX, sizeof(HookConfig));
        c->services = calloc(SERVICES_MAX, sizeof(ServiceConfig));
        c->peers = calloc(PEERS_MAX, sizeof(PeerConfig));
        if (!c->hooks || !c->services || !c->peers)
                return -ENOMEM;
        c->audit_refusal_burst = AUDIT_REFUSAL_BURST_DEFAULT;
        c->audit_refusal_interval_usec = AUDIT_REFUSAL_INTERVAL_DEFAULT_USEC;
        c->audit_reserve_bytes = AUDIT_RESERVE_DEFAULT_BYTES;
        health_config_init(&c->health);
        p.config = c;

        r = ini_strict_parse(&p.ini, ret_error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

/* Root's, and only root may write it: what may run and where records go
 * must not be anyone else's to change. what: "PATH" or "Key=PATH". */
static int check_root_owned(const struct stat *st, const char *what, char **ret_error) {
        if (st->st_uid != 0) {
                *ret_error = strdup_printf("%s: not owned by root (owner uid %u); refusing", what,
                                           (unsigned) st->st_uid);
                return -EPERM;
        }
        if (st->st_mode & (S_IWGRP | S_IWOTH)) {
                *ret_error = strdup_printf("%s: group- or world-writable (mode %04o); refusing", what,
                                           (unsigned) (st->st_mode & 07777));
                return -EPERM;
        }
        return 0;
}

int config_check_file_safe(int fd, const char *path, char **ret_error) {
        struct stat st;

        if (fstat(fd, &st) < 0) {
                int r = -errno;
                *ret_error = strdup_printf("%s: cannot stat: %s", path, strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                *ret_error = strdup_printf("%s: not a regular file", path);
                return -EINVAL;
        }
        return check_root_owned(&st, path, ret_error);
}

static int verify_accounts(const HelperConfig *c, const char *path, char **ret_error) {
        for (size_t i = 0; i < c->n_hooks; i++) {
                const HookConfig *h = &c->hooks[i];

                if (!getpwnam(h->user)) {
                        *ret_error = strdup_printf("%s:%u: [Hook %s] User=%s does not exist", path, h->line,
                                                   h->name, h->user);
                        return -ENOENT;
                }
                if (h->group && !getgrnam(h->group)) {
                        *ret_error = strdup_printf("%s:%u: [Hook %s] Group=%s does not exist", path, h->line,
                                                   h->name, h->group);
                        return -ENOENT;
                }
        }
        return 0;
}

static int verify_section_accounts(HelperConfig *c, const char *path, char **ret_error) {
        if (c->directory.user) {
                const struct passwd *pw = getpwnam(c->directory.user);

                if (!pw) {
                        *ret_error = strdup_printf("%s:%u: [Directory] User=%s does not exist", path,
                                                   c->directory.line, c->directory.user);
                        return -ENOENT;
                }
                /* Resolved once: the directory's processes are matched by uid on every look. */
                c->directory.uid = pw->pw_uid;
        }
        if (c->rebuild.user && !getpwnam(c->rebuild.user)) {
                *ret_error = strdup_printf("%s:%u: [Rebuild] User=%s does not exist", path, c->rebuild.line,
                                           c->rebuild.user);
                return -ENOENT;
        }
        if (c->mailstore.user && !getpwnam(c->mailstore.user)) {
                *ret_error = strdup_printf("%s:%u: [Mailstore] User=%s does not exist", path, c->mailstore.line,
                                           c->mailstore.user);
                return -ENOENT;
        }
        if (c->mailstore.group && !getgrnam(c->mailstore.group)) {
                *ret_error = strdup_printf("%s:%u: [Mailstore] Group=%s does not exist", path,
                                           c->mailstore.line, c->mailstore.group);
                return -ENOENT;
        }
        if (c->rebuild.group && !getgrnam(c->rebuild.group)) {
                *ret_error = strdup_printf("%s:%u: [Rebuild] Group=%s does not exist", path, c->rebuild.line,
                                           c->rebuild.group);
                return -ENOENT;
        }
        return 0;
}

/* A directory root writes in (hubopsd itself, or systemd appending a job's
 * output, which follows symlinks): whoever else may create or swap entries
 * in it can point root's writes anywhere. One that does not exist yet is
 * created by hubopsd at start, root-owned. */
static int check_directory_safe(const char *key, const char *dir, mode_t *ret_mode, char **ret_error) {
        _cleanup_free_ char *what = NULL;
        struct stat st;
        int r;

        *ret_mode = 0;
        if (lstat(dir, &st) < 0) {
                if (errno == ENOENT)
                        return 0;
                r = -errno;
                *ret_error = strdup_printf("%s=%s: cannot stat: %s", key, dir, strerror(-r));
                return r;
        }
        if (!S_ISDIR(st.st_mode)) {
                *ret_error = strdup_printf("%s=%s: not a directory; refusing", key, dir);
                return -ENOTDIR;
        }
        what = strdup_printf("%s=%s", key, dir);
        if (!what)
                return -ENOMEM;
        r = check_root_owned(&st, what, ret_error);
        if (r < 0)
                return r;
        *ret_mode = st.st_mode & 07777;
        return 0;
}

/* hubopsd runs as root without capabilities: to check that a caller's
 * domain is a directory under Root= it needs search permission there. */
static int verify_mail_root(const MailstoreConfig *m, char **ret_error) {
        struct stat st;

        if (!m->present)
                return 0;
        if (stat(m->root, &st) < 0 || !S_ISDIR(st.st_mode)) {
                *ret_error = strdup_printf("[Mailstore] Root=%s: not a directory; refusing", m->root);
                return -ENOTDIR;
        }
        if (!(st.st_mode & S_IXOTH)) {
                *ret_error = strdup_printf("[Mailstore] Root=%s: mode %04o; hubopsd (root without capabilities) "
                                           "needs search permission for others to find a domain there (e.g. "
                                           "chmod 0751: it still cannot list the domains)",
                                           m->root, (unsigned) (st.st_mode & 07777));
                return -EPERM;
        }
        return 0;
}

static int verify_directories(const HelperConfig *c, char **ret_error) {
        mode_t mode;
        int r;

        r = verify_mail_root(&c->mailstore, ret_error);
        if (r < 0)
                return r;
        if (c->job_log_directory) {
                r = check_directory_safe("JobLogDirectory", c->job_log_directory, &mode, ret_error);
                if (r < 0)
                        return r;
        }
        /* What systemd's StateDirectory= makes (0700), or a packager's 0755: no
         * setgid or sticky bit, nothing a group could have been given on purpose. */
        r = check_directory_safe("StateDirectory", c->state_directory, &mode, ret_error);
        if (r < 0)
                return r;
        if (mode != 0 && mode != 0700 && mode != 0755) {
                *ret_error = strdup_printf("StateDirectory=%s: mode %04o, must be 0700 or 0755; refusing",
                                           c->state_directory, (unsigned) mode);
                return -EPERM;
        }
        return 0;
}

int config_load(const char *path, HelperConfig **ret, char **ret_error) {
        _cleanup_(config_freep) HelperConfig *c = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        int fd, r;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd < 0) {
                r = -errno;
                *ret_error = strdup_printf("%s: cannot open: %s", path, strerror(-r));
                return r;
        }
        f = fdopen(fd, "re");
        if (!f) {
                r = -errno;
                close(fd);
                *ret_error = strdup_printf("%s: %s", path, strerror(-r));
                return r;
        }

        r = config_check_file_safe(fd, path, ret_error);
        if (r < 0)
                return r;
        r = config_parse(f, path, &c, ret_error);
        if (r < 0)
                return r;
        r = verify_accounts(c, path, ret_error);
        if (r >= 0)
                r = verify_section_accounts(c, path, ret_error);
        if (r >= 0)
                r = verify_directories(c, ret_error);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(c);
        return 0;
}

const ServiceConfig *config_find_service(const HelperConfig *c, const char *name) {
        for (size_t i = 0; c && i < c->n_services; i++)
                if (strcmp(c->services[i].name, name) == 0)
                        return &c->services[i];
        return NULL;
}

const HookConfig *config_find_hook(const HelperConfig *c, const char *name) {
        for (size_t i = 0; c && i < c->n_hooks; i++)
                if (strcmp(c->hooks[i].name, name) == 0)
                        return &c->hooks[i];
        return NULL;
}

void config_free(HelperConfig *c) {
        if (!c)
                return;
        for (size_t i = 0; i < c->n_hooks; i++) {
                free(c->hooks[i].name);
                free(c->hooks[i].description);
                strv_free(c->hooks[i].argv);
                free(c->hooks[i].user);
                free(c->hooks[i].group);
        }
        free(c->hooks);
        for (size_t i = 0; i < c->n_services; i++) {
                free(c->services[i].name);
                free(c->services[i].unit);
        }
        free(c->services);
        free(c->directory.unit);
        strv_free(c->directory.stop_command);
        strv_free(c->directory.start_command);
        free(c->directory.user);
        strv_free(c->directory.root_process);
        strv_free(c->directory.main_process);
        free(c->directory.ready_socket);
        strv_free(c->rebuild.argv);
        free(c->rebuild.user);
        free(c->rebuild.group);
        free(c->rebuild.working_directory);
        free(c->rebuild.io_scheduling_class);
        free(c->hostname);
        strv_free(c->roles);
        strv_free(c->check_paths);
        free(c->systemd_address);
        free(c->audit_log);
        free(c->state_directory);
        free(c->cpu_stat_source);
        free(c->unit_prefix);
        free(c->job_log_directory);
        health_config_done(&c->health);
        mailstore_config_done(c);
        free(c);
}
