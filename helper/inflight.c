/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "inflight.h"

#include "macro.h"

bool inflight_take(Inflight *f, uid_t uid, unsigned per_user, unsigned total) {
        InflightUser *free_slot = NULL;

        if (f->total >= total)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(f->users); i++) {
                InflightUser *u = &f->users[i];
                if (u->n > 0 && u->uid == uid) {
                        if (u->n >= per_user)
                                return false;
                        u->n++;
                        f->total++;
                        return true;
                }
                if (u->n == 0 && !free_slot)
                        free_slot = u;
        }
        if (!free_slot)
                return false; /* that many users waiting at once: the rest wait their turn */
        *free_slot = (InflightUser) { .uid = uid, .n = 1 };
        f->total++;
        return true;
}

void inflight_release(Inflight *f, uid_t uid) {
        for (size_t i = 0; i < ELEMENTSOF(f->users); i++)
                if (f->users[i].n > 0 && f->users[i].uid == uid) {
                        f->users[i].n--;
                        f->total--;
                        return;
                }
}
