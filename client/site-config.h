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

typedef struct RebuildRunbook {
        double idle_threshold;        /* fraction, default 0.90 */
        uint64_t idle_hold_usec;      /* how long idle must hold at each gate */
        uint64_t gate_timeout_usec;   /* give up on a gate after this */
        uint64_t settle_hold_usec;    /* the last wait: delta files clearing */
        uint64_t settle_timeout_usec;
        uint64_t rebuild_timeout_usec; /* 0: as long as it takes */
        int window_from, window_to;   /* allowed local time, minutes since midnight; -1: any time */
        DateRange blackouts[SITE_BLACKOUTS_MAX];
        unsigned n_blackouts;
        uint64_t min_free_bytes, min_free_inodes; /* on the target hub's CheckPaths= */
        HookRef stop_student_thread, start_student_thread, check_ra, check_mailbox_service;
} RebuildRunbook;

typedef struct SiteConfig {
        char *path;
        SiteHost hosts[SITE_HOSTS_MAX];
        unsigned n_hosts;
        RebuildRunbook rebuild;
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

/* Inside the allowed window at local time t? If not, *ret_why says why. */
bool site_window_allows(const RebuildRunbook *rb, long t, char *ret_why, size_t size);
