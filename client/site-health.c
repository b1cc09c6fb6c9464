/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "site-health.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "health.h"
#include "names.h"
#include "site-config.h"

int site_health_section(SiteHealth *h, IniStrict *ini, const char *section) {
        const char *rest = section + 6;

        if (*rest == '\0') {
                h->scope = SITE_HEALTH_ALL;
                h->name[0] = '\0';
                return 0;
        }
        if (strncmp(rest, " Role ", 6) == 0)
                h->scope = SITE_HEALTH_ROLE;
        else if (strncmp(rest, " Host ", 6) == 0)
                h->scope = SITE_HEALTH_HOST;
        else
                return ini_strict_error(ini, "unknown section [%s] (expected [Health], [Health Role NAME] or "
                                             "[Health Host NAME])", section), -EINVAL;
        if (!name_is_valid(rest + 6) || strlen(rest + 6) >= sizeof(h->name))
                return ini_strict_error(ini, "invalid name in [%s]", section), -EINVAL;
        (void) snprintf(h->name, sizeof(h->name), "%s", rest + 6);
        return 0;
}

int site_health_key(SiteHealth *h, IniStrict *ini, const char *key, const char *value) {
        HealthThresholds scratch;
        const char *why = "";
        SiteHealthSetting *s;
        int r;

        health_thresholds_default(&scratch);
        r = health_thresholds_set(&scratch, key, value, &why);
        if (r == -ENOENT)
                return ini_strict_error(ini, "unknown key %s= in [Health] (a health threshold)", key);
        if (r < 0 || strlen(value) >= sizeof(s->value))
                return ini_strict_error(ini, "invalid %s= \"%s\" (%s)", key, value, why);
        if (h->n >= SITE_HEALTH_SETTINGS_MAX)
                return ini_strict_error(ini, "too many [Health] settings (at most %d)", SITE_HEALTH_SETTINGS_MAX);
        s = &h->settings[h->n++];
        *s = (SiteHealthSetting) { .scope = h->scope };
        (void) snprintf(s->name, sizeof(s->name), "%s", h->name);
        (void) snprintf(s->key, sizeof(s->key), "%s", key);
        (void) snprintf(s->value, sizeof(s->value), "%s", value);
        return 1;
}

static bool applies(const SiteHealthSetting *s, const SiteHost *host, SiteHealthScope scope) {
        if (s->scope != scope)
                return false;
        if (scope == SITE_HEALTH_ALL)
                return true;
        if (scope == SITE_HEALTH_HOST)
                return strcmp(s->name, host->name) == 0;
        return site_host_has_role(host, s->name);
}

size_t site_health_for_host(const SiteHealth *h, const SiteHost *host, const SiteHealthSetting **ret, size_t max) {
        size_t n = 0;

        for (int scope = SITE_HEALTH_ALL; scope <= SITE_HEALTH_HOST; scope++)
                for (size_t i = 0; i < h->n && n < max; i++)
                        if (applies(&h->settings[i], host, (SiteHealthScope) scope))
                                ret[n++] = &h->settings[i];
        return n;
}
