/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "names.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "hubops-bus.h"

bool name_is_valid(const char *s) {
        size_t l;

        if (!s)
                return false;
        l = strlen(s);
        if (l == 0 || l > HUBOPS_NAME_MAX || s[0] == '.' || s[0] == '-')
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_' || *p == '.' || *p == '-'))
                        return false;
        return true;
}

bool text_is_printable(const char *s, unsigned max) {
        size_t l;

        if (!s)
                return false;
        l = strlen(s);
        if (l > max)
                return false;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

bool path_is_safe_absolute(const char *s) {
        if (!s || s[0] != '/' || !text_is_printable(s, PATH_MAX - 1))
                return false;
        if (strstr(s, "//"))
                return false;
        /* Reject "." and ".." components: the path must mean what it says. */
        for (const char *p = s; (p = strchr(p, '/')); p++) {
                const char *c = p + 1;
                if ((c[0] == '.' && (c[1] == '/' || c[1] == '\0')) ||
                    (c[0] == '.' && c[1] == '.' && (c[2] == '/' || c[2] == '\0')))
                        return false;
        }
        return true;
}

bool unit_name_is_valid(const char *s) {
        static const char *const suffixes[] = { ".service", ".target", ".socket", ".timer", ".mount", ".path" };
        size_t l;

        if (!s || (l = strlen(s)) == 0 || l > 255 || s[0] == '.' || s[0] == '-')
                return false;
        if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_.@-") != l)
                return false;
        for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
                size_t sl = strlen(suffixes[i]);
                if (l > sl && strcmp(s + l - sl, suffixes[i]) == 0)
                        return true;
        }
        return false;
}

static bool label_is_valid(const char *s, size_t l) {
        if (l == 0 || l > 63 || s[0] == '-' || s[l - 1] == '-')
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") >= l;
}

bool domain_name_is_valid(const char *s) {
        size_t l;

        if (!s || (l = strlen(s)) == 0 || l > 253)
                return false;
        for (const char *p = s;;) {
                const char *dot = strchr(p, '.');
                size_t ll = dot ? (size_t) (dot - p) : strlen(p);

                if (!label_is_valid(p, ll))
                        return false;
                if (!dot)
                        return true;
                p = dot + 1;
        }
}

#define TEMPLATE_SUFFIX "@.service"

bool unit_template_is_valid(const char *s) {
        size_t l, sl = strlen(TEMPLATE_SUFFIX);

        if (!unit_name_is_valid(s) || (l = strlen(s)) <= sl)
                return false;
        /* Exactly one '@', the template's: "a@b@.service" is not a template. */
        return strcmp(s + l - sl, TEMPLATE_SUFFIX) == 0 && strchr(s, '@') == s + l - sl;
}

char *unit_template_instance(const char *template_unit, const char *instance) {
        size_t prefix, il;
        char *u;

        if (!unit_template_is_valid(template_unit) || !instance || (il = strlen(instance)) == 0)
                return NULL;
        prefix = strlen(template_unit) - strlen(".service");
        u = malloc(prefix + il + strlen(".service") + 1);
        if (!u)
                return NULL;
        memcpy(u, template_unit, prefix);
        memcpy(u + prefix, instance, il);
        strcpy(u + prefix + il, ".service");
        if (!unit_name_is_valid(u)) {
                free(u);
                return NULL;
        }
        return u;
}
