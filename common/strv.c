/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "strv.h"

#include <stdlib.h>
#include <string.h>

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

char **strv_copy(const char *const *l) {
        unsigned n = strv_length((char *const *) l);
        char **copy = calloc(n + 1, sizeof(char *));

        if (!copy)
                return NULL;
        for (unsigned i = 0; i < n; i++)
                if (!(copy[i] = strdup(l[i]))) {
                        strv_free(copy);
                        return NULL;
                }
        return copy;
}
