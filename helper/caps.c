/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "caps.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "macro.h"

static void cap_freep(cap_t *c) {
        if (*c)
                (void) cap_free(*c);
}

static bool has_effective(cap_value_t v) {
        _cleanup_(cap_freep) cap_t now = cap_get_proc();
        cap_flag_value_t f = CAP_CLEAR;

        return now && cap_get_flag(now, v, CAP_EFFECTIVE, &f) == 0 && f == CAP_SET;
}

int caps_reduce_to(uint64_t keep) {
        _cleanup_(cap_freep) cap_t caps = NULL;
        cap_value_t list[64];
        unsigned n = 0;

        /* Bounding set first, while CAP_SETPCAP is still effective. Without
         * CAP_SETPCAP (a unit that already narrowed the bounding set) we
         * cannot and need not: we never exec, and permitted goes below. */
        bool can_drop_bound = has_effective(CAP_SETPCAP);
        for (cap_value_t v = 0; v <= 63 && CAP_IS_SUPPORTED(v); v++) {
                if (keep & (1ULL << v))
                        list[n++] = v;
                else if (can_drop_bound && cap_get_bound(v) > 0 && cap_drop_bound(v) < 0)
                        return -errno;
        }

        caps = cap_init(); /* all clear */
        if (!caps)
                return -errno;
        if (n > 0 && (cap_set_flag(caps, CAP_PERMITTED, (int) n, list, CAP_SET) < 0 ||
                      cap_set_flag(caps, CAP_EFFECTIVE, (int) n, list, CAP_SET) < 0))
                return -errno;
        if (cap_set_proc(caps) < 0)
                return -errno;
        if (cap_reset_ambient() < 0)
                return -errno;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        return 0;
}

char *caps_describe(uint64_t mask) {
        size_t size = 16;
        char *s;

        for (cap_value_t v = 0; v <= 63; v++)
                if (mask & (1ULL << v))
                        size += 24;
        s = calloc(1, size);
        if (!s)
                return NULL;
        for (cap_value_t v = 0; v <= 63; v++) {
                if (!(mask & (1ULL << v)))
                        continue;
                char *name = cap_to_name(v);
                if (s[0])
                        strcat(s, ",");
                strncat(s, name ? name : "?", 22);
                cap_free(name);
        }
        if (!s[0])
                strcpy(s, "none");
        return s;
}
