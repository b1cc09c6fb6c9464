/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "site-health.h"

/* hubopsctl's site config: which hosts make up the site, how to reach each
 * helper, and the settings of the runbooks. Found at --site FILE,
 * $HUBOPS_SITE, ~/.config/hubops/site.conf or /etc/hubops/site.conf (the
 * first that exists). Parsed as strictly as the helper's config
 * (common/ini-strict.c): unknown sections or keys, duplicates and malformed
 * values are errors that name file and line. */

#define SITE_HOSTS_MAX 64
#define SITE_BLACKOUTS_MAX 16
#define SITE_NAME_MAX 64

typedef struct SiteHost {
        char name[SITE_NAME_MAX + 1];
        char *address; /* "local", "ssh:[USER@]HOST[:PORT]", or an sd-bus address */
        char roles[4][SITE_NAME_MAX + 1];
        unsigned n_roles;
        unsigned line;
} SiteHost;

/* A site hook reference, HOST:HOOK. Empty host: not configured. */
typedef struct HookRef {
        char host[SITE_NAME_MAX + 1];
        char hook[SITE_NAME_MAX + 1];
} HookRef;

typedef struct DateRange {
        int from, to; /* YYYYMMDD, inclusive */
} DateRange;

/* When a runbook may start: AllowedTime= and Blackout=, in every [Runbook NAME]. */
typedef struct RunWindow {
        int from, to; /* allowed local time, minutes since midnight; -1: any time */
        DateRange blackouts[SITE_BLACKOUTS_MAX];
        unsigned n_blackouts;
} RunWindow;

typedef struct RunbookDef RunbookDef;

/* A runbook's settings: [Runbook NAME], or its defaults if absent. */
typedef struct SiteRunbook {
        const RunbookDef *def;
        void *config; /* the definition's own keys (its config_new()) */
        RunWindow window;
        bool seen;
} SiteRunbook;

#define SITE_RUNBOOKS_MAX 8

typedef struct SiteConfig {
        char *path;
        SiteHost hosts[SITE_HOSTS_MAX];
        unsigned n_hosts;
        SiteRunbook runbooks[SITE_RUNBOOKS_MAX]; /* one per definition (runbook_nth()) */
        unsigned n_runbooks;
        SiteHealth health; /* [Health], [Health Role NAME], [Health Host NAME] */
} SiteConfig;

/* Parse (no file checks): 0, or -EINVAL with *ret_error "PATH:LINE: ...". */
int site_config_parse(FILE *f, const char *path, SiteConfig **ret, char **ret_error);
/* Find and load: --site (may be NULL), then the defaults. The file must be
 * a regular file owned by root or the caller, not group- or world-writable. */
int site_config_load(const char *explicit_path, SiteConfig **ret, char **ret_error);
void site_config_free(SiteConfig *c);
static inline void site_config_freep(SiteConfig **c) {
        site_config_free(*c);
}

const SiteHost *site_find_host(const SiteConfig *c, const char *name);
bool site_host_has_role(const SiteHost *h, const char *role);
/* The first (and for "directory", "ra": the only) host with a role. */
const SiteHost *site_find_role(const SiteConfig *c, const char *role);

/* A runbook's settings; NULL if no such definition. */
const SiteRunbook *site_runbook(const SiteConfig *c, const char *name);

/* Inside the allowed window at local time t? If not, *ret_why says why. */
bool site_window_allows(const RunWindow *w, long t, char *ret_why, size_t size);

/* The value syntaxes of the site config (site-values.c), for the
 * definitions' keys too: 1, or what ini_strict_error() returns (0). */
typedef struct IniStrict IniStrict;
int site_parse_span(IniStrict *ini, const char *key, const char *value, uint64_t *ret);
/* A count with an optional binary suffix: 500M, 2G, 10000. */
int site_parse_size(IniStrict *ini, const char *key, const char *value, uint64_t *ret);
/* "90" or "90%", above 0, as a fraction. */
int site_parse_percent(IniStrict *ini, const char *key, const char *value, double *ret);
/* HOST:HOOK. */
int site_parse_hook_ref(IniStrict *ini, const char *key, const char *value, HookRef *ret);
/* AllowedTime= and Blackout=: 1 or 0 as above, -ENOENT for another key. */
int site_parse_window_key(IniStrict *ini, RunWindow *w, const char *key, const char *value);
/* After the parse: the hook's host is a [Host]. 0, or < 0 after ini_strict_error(). */
int site_check_hook_ref(IniStrict *ini, const SiteConfig *c, const char *key, const HookRef *h);
