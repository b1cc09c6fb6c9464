/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "strv.h"

#include <errno.h>
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

int strv_extend(char ***l, const char *value) {
        unsigned n = strv_length(*l);
        char *v = strdup(value);
        char **grown;

        if (!v)
                return -ENOMEM;
        grown = realloc(*l, (n + 2) * sizeof(char *));
        if (!grown) {
                free(v);
                return -ENOMEM;
        }
        grown[n] = v;
        grown[n + 1] = NULL;
        *l = grown;
        return 0;
}

const char *strv_pairs_get(char *const *pairs, const char *key) {
        for (; pairs && pairs[0] && pairs[1]; pairs += 2)
                if (strcmp(pairs[0], key) == 0)
                        return pairs[1];
        return NULL;
}
