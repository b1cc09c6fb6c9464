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

static uint64_t mask_of(cap_t caps, cap_flag_t flag) {
        uint64_t m = 0;

        for (cap_value_t v = 0; v <= 63 && CAP_IS_SUPPORTED(v); v++) {
                cap_flag_value_t f = CAP_CLEAR;
                if (cap_get_flag(caps, v, flag, &f) == 0 && f == CAP_SET)
                        m |= 1ULL << v;
        }
        return m;
}

int caps_current(uint64_t *ret_permitted, uint64_t *ret_effective, uint64_t *ret_inheritable) {
        _cleanup_(cap_freep) cap_t now = cap_get_proc();

        if (!now)
                return -errno;
        *ret_permitted = mask_of(now, CAP_PERMITTED);
        *ret_effective = mask_of(now, CAP_EFFECTIVE);
        *ret_inheritable = mask_of(now, CAP_INHERITABLE);
        return 0;
}

/* Permitted and effective become exactly `keep`, inheritable empty. Under
 * the shipped unit they already are (its CapabilityBoundingSet= is what the
 * config needs), and capset(2) is not even in its seccomp filter: so it is
 * called only when there is something to drop. */
static int set_proc(uint64_t keep) {
        _cleanup_(cap_freep) cap_t caps = NULL;
        cap_value_t list[64];
        uint64_t p = 0, e = 0, i = 0;
        unsigned n = 0;
        int r;

        r = caps_current(&p, &e, &i);
        if (r < 0)
                return r;
        if (p == keep && e == keep && i == 0)
                return 0;
        for (cap_value_t v = 0; v <= 63; v++)
                if (keep & (1ULL << v))
                        list[n++] = v;
        caps = cap_init(); /* all clear */
        if (!caps)
                return -errno;
        if (n > 0 && (cap_set_flag(caps, CAP_PERMITTED, (int) n, list, CAP_SET) < 0 ||
                      cap_set_flag(caps, CAP_EFFECTIVE, (int) n, list, CAP_SET) < 0))
                return -errno;
        return cap_set_proc(caps) < 0 ? -errno : 0;
}

int caps_reduce_to(uint64_t keep) {
        uint64_t p = 0, e = 0, i = 0;
        int r;

        r = caps_current(&p, &e, &i);
        if (r < 0)
                return r;
        if (keep & ~p)
                return -ENOTRECOVERABLE; /* needs what it does not hold: the caller says which */
        /* Bounding set first, while CAP_SETPCAP is still effective. Without
         * CAP_SETPCAP (a unit that already narrowed the bounding set) we
         * cannot and need not: we never exec, and permitted goes below. */
        bool can_drop_bound = has_effective(CAP_SETPCAP);
        for (cap_value_t v = 0; v <= 63 && CAP_IS_SUPPORTED(v); v++)
                if (!(keep & (1ULL << v)) && can_drop_bound && cap_get_bound(v) > 0 && cap_drop_bound(v) < 0)
                        return -errno;
        r = set_proc(keep);
        if (r < 0)
                return r;
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
