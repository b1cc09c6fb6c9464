/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "ini-strict.h"

/* The site's health thresholds: [Health] for every host, [Health Role NAME]
 * for a role's hosts, [Health Host NAME] for one host, later overriding
 * earlier. The keys are the helper's [Health] threshold keys
 * (common/health.h); hubopsctl hands a host's effective list to its helper
 * with each Health.Check(), so one site-wide policy judges every host. */

#define SITE_HEALTH_SETTINGS_MAX 128

typedef enum SiteHealthScope { SITE_HEALTH_ALL, SITE_HEALTH_ROLE, SITE_HEALTH_HOST } SiteHealthScope;

typedef struct SiteHealthSetting {
        SiteHealthScope scope;
        char name[65];   /* the role or host */
        char key[32];
        char value[32];
} SiteHealthSetting;

typedef struct SiteHealth {
        SiteHealthSetting settings[SITE_HEALTH_SETTINGS_MAX];
        size_t n;
        SiteHealthScope scope; /* of the section being parsed */
        char name[65];
} SiteHealth;

typedef struct SiteHost SiteHost;

/* ini-strict callbacks for the site config's parser. */
int site_health_section(SiteHealth *h, IniStrict *ini, const char *section);
int site_health_key(SiteHealth *h, IniStrict *ini, const char *key, const char *value);

/* The settings that apply to host, in the order the helper must apply them:
 * [Health], then each role's, then the host's. Returns how many (<= max). */
size_t site_health_for_host(const SiteHealth *h, const SiteHost *host, const SiteHealthSetting **ret, size_t max);
