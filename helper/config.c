/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ini.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include "execline.h"
#include "format.h"
#include "macro.h"
#include "names.h"
#include "timespan.h"

#define HOOKS_MAX 256
#define ROLES_MAX 16
#define TIMEOUT_MAX_USEC (7ULL * 86400ULL * USEC_PER_SEC)
#define CAP_NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"

typedef enum SectionKind { SECTION_NONE, SECTION_HELPER, SECTION_HOOK } SectionKind;

typedef struct Parser {
        FILE *f;
        const char *path;
        unsigned line;
        HelperConfig *config;
        SectionKind section;
        HookConfig *hook;    /* current [Hook NAME], when section == SECTION_HOOK */
        char *keys_seen;     /* "\nKey\nKey\n" of the current section, for duplicates */
        bool helper_seen;
        char *error;
        unsigned error_line;
} Parser;

_printf_(2, 3) static int parser_error(Parser *p, const char *fmt, ...) {
        va_list ap;
        char *msg = NULL;

        if (p->error)
                return 0;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        p->error = strdup_printf("%s:%u: %s", p->path, p->line, msg ? msg : "out of memory");
        p->error_line = p->line;
        free(msg);
        return 0; /* inih: handler failed */
}

static int begin_section(Parser *p, const char *name) {
        free(p->keys_seen);
        p->keys_seen = strdup("\n");
        if (!p->keys_seen)
                return -ENOMEM;

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
                *h = (HookConfig) { .timeout_usec = HOOK_TIMEOUT_DEFAULT_USEC, .line = p->line };
                h->name = strdup(hook);
                if (!h->name)
                        return -ENOMEM;
                p->config->n_hooks++;
                p->hook = h;
                p->section = SECTION_HOOK;
                return 0;
        }

        return parser_error(p, "unknown section [%s]", name), -EINVAL;
}

/* inih hands us lines through this reader, so we know the line number of
 * every key, see every section header (even empty ones, which inih's handler
 * never reports) and can refuse what inih would silently reinterpret. */
static char *reader(char *str, int num, void *stream) {
        Parser *p = stream;
        char *s, *end;
        size_t l;

        if (p->error)
                return NULL;
        s = fgets(str, num, p->f);
        if (!s)
                return NULL;
        p->line++;
        l = strlen(s);
        if (l > 0 && s[l - 1] != '\n' && !feof(p->f))
                return parser_error(p, "line too long (at most %d bytes)", num - 2), NULL;
        if (s[0] == ' ' || s[0] == '\t') {
                while (*s == ' ' || *s == '\t')
                        s++;
                if (*s != '\n' && *s != '\0' && *s != '\r')
                        return parser_error(p, "indented lines (continuations) are not supported"), NULL;
                return str;
        }
        if (s[0] == '#' || s[0] == ';')
                return str;
        /* inih would silently cut "Key=a ; b" to "a": refuse instead. */
        if (strstr(s, " ;") || strstr(s, "\t;"))
                return parser_error(p, "inline comments (\" ;\") are not supported"), NULL;
        if (s[0] != '[')
                return str;

        end = strchr(s, ']');
        if (!end)
                return parser_error(p, "section header without ']'"), NULL;
        *end = '\0';
        if (begin_section(p, s + 1) < 0) {
                if (!p->error)
                        (void) parser_error(p, "out of memory");
                return NULL;
        }
        *end = ']';
        return str;
}

static bool key_seen_before(Parser *p, const char *key) {
        _cleanup_free_ char *needle = strdup_printf("\n%s\n", key);
        char *n;

        if (!needle)
                return true; /* fail closed */
        if (strstr(p->keys_seen, needle))
                return true;
        n = realloc(p->keys_seen, strlen(p->keys_seen) + strlen(key) + 2);
        if (!n)
                return true;
        p->keys_seen = n;
        strcat(strcat(p->keys_seen, key), "\n");
        return false;
}

static int set_string(Parser *p, char **field, const char *value) {
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
        return set_string(p, field, value);
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

static int parse_helper_key(Parser *p, const char *key, const char *value) {
        HelperConfig *c = p->config;

        if (strcmp(key, "Hostname") == 0) {
                if (!name_is_valid(value))
                        return parser_error(p, "invalid Hostname= \"%s\"", value);
                return set_string(p, &c->hostname, value);
        }
        if (strcmp(key, "Roles") == 0)
                return parse_roles(p, value);
        if (strcmp(key, "SystemdAddress") == 0) {
                if (!text_is_printable(value, 1024) || value[0] == '\0')
                        return parser_error(p, "invalid SystemdAddress=");
                return set_string(p, &c->systemd_address, value);
        }
        if (strcmp(key, "UnitPrefix") == 0) {
                if (!name_is_valid(value) || strlen(value) > 32)
                        return parser_error(p, "invalid UnitPrefix= \"%s\"", value);
                return set_string(p, &c->unit_prefix, value);
        }
        if (strcmp(key, "AuditLog") == 0)
                return set_path(p, key, &c->audit_log, value);
        if (strcmp(key, "StateDirectory") == 0)
                return set_path(p, key, &c->state_directory, value);
        if (strcmp(key, "CPUStatSource") == 0)
                return set_path(p, key, &c->cpu_stat_source, value);
        if (strcmp(key, "JobLogDirectory") == 0)
                return set_path(p, key, &c->job_log_directory, value);

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

static int parse_hook_key(Parser *p, const char *key, const char *value) {
        HookConfig *h = p->hook;

        if (strcmp(key, "ExecStart") == 0) {
                const char *reason = "invalid";
                char **argv = NULL;

                if (execline_parse(value, HOOK_ARGV_MAX, &argv, &reason) < 0)
                        return parser_error(p, "invalid ExecStart=: %s", reason);
                h->argv = argv;
                return 1;
        }
        if (strcmp(key, "User") == 0 || strcmp(key, "Group") == 0) {
                /* Same rule as systemd's valid_user_group_name() in strict mode. */
                if (!name_is_valid(value) || strlen(value) > 31 || value[0] == '.' ||
                    (value[0] >= '0' && value[0] <= '9'))
                        return parser_error(p, "invalid %s= \"%s\"", key, value);
                return set_string(p, key[0] == 'U' ? &h->user : &h->group, value);
        }
        if (strcmp(key, "Description") == 0) {
                if (!text_is_printable(value, 200))
                        return parser_error(p, "invalid Description= (control characters or over 200 bytes)");
                return set_string(p, &h->description, value);
        }
        if (strcmp(key, "TimeoutSec") == 0) {
                uint64_t t;

                if (timespan_parse(value, &t) < 0 || t < USEC_PER_MSEC || t > TIMEOUT_MAX_USEC)
                        return parser_error(p, "invalid TimeoutSec= \"%s\" (a span from 1ms to 7d)", value);
                h->timeout_usec = t;
                return 1;
        }
        if (strcmp(key, "CapabilityBoundingSet") == 0)
                return parse_capabilities(p, h, value);

        return parser_error(p, "unknown key %s= in [Hook %s]", key, h->name);
}

static int handler(void *user, const char *section, const char *key, const char *value) {
        Parser *p = user;

        (void) section; /* tracked by reader(), which also sees empty sections */
        if (p->error)
                return 0;
        if (p->section == SECTION_NONE)
                return parser_error(p, "%s= outside of any section", key);
        if (key_seen_before(p, key))
                return parser_error(p, "duplicate key %s=", key);

        return p->section == SECTION_HELPER ? parse_helper_key(p, key, value) : parse_hook_key(p, key, value);
}

static int set_default(char **field, const char *value) {
        if (*field)
                return 0;
        *field = strdup(value);
        return *field ? 0 : -ENOMEM;
}

static int finish(Parser *p) {
        HelperConfig *c = p->config;
        char host[256] = "";

        for (size_t i = 0; i < c->n_hooks; i++) {
                p->line = c->hooks[i].line;
                if (!c->hooks[i].argv)
                        return parser_error(p, "[Hook %s] has no ExecStart=", c->hooks[i].name), -EINVAL;
                /* Refuse an implicit root: whoever wants root says User=root. */
                if (!c->hooks[i].user)
                        return parser_error(p, "[Hook %s] has no User=", c->hooks[i].name), -EINVAL;
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
        Parser p = { .f = f, .path = path };
        int r;

        if (!c)
                return -ENOMEM;
        c->hooks = calloc(HOOKS_MAX, sizeof(HookConfig));
        if (!c->hooks)
                return -ENOMEM;
        p.config = c;

        r = ini_parse_stream(reader, &p, handler, &p);
        /* inih reports its own syntax errors by line; keep whichever came first. */
        if (r > 0 && (!p.error || (unsigned) r < p.error_line)) {
                free(p.error);
                p.error = strdup_printf("%s:%d: syntax error (expected [Section] or Key=Value)", path, r);
        } else if (r < 0 && !p.error)
                p.error = strdup_printf("%s: out of memory while parsing", path);
        if (!p.error && finish(&p) < 0 && !p.error)
                p.error = strdup_printf("%s: out of memory", path);

        free(p.keys_seen);
        if (p.error) {
                *ret_error = p.error;
                return -EINVAL;
        }
        *ret = TAKE_PTR(c);
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
        if (st.st_uid != 0) {
                *ret_error = strdup_printf("%s: not owned by root (owner uid %u); refusing", path,
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
        if (r < 0)
                return r;

        *ret = TAKE_PTR(c);
        return 0;
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
        free(c->hostname);
        strv_free(c->roles);
        free(c->systemd_address);
        free(c->audit_log);
        free(c->state_directory);
        free(c->cpu_stat_source);
        free(c->unit_prefix);
        free(c->job_log_directory);
        free(c);
}
