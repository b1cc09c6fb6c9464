/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "strv.h"

#include <stdlib.h>

void strv_free(char **l) {
        if (!l)
                return;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
}

unsigned strv_length(char *const *l) {
        unsigned n = 0;

        if (l)
                while (l[n])
                        n++;
        return n;
}
