/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* NULL-terminated string arrays, as sd-bus hands them out. */
void strv_free(char **l);
static inline void strv_freep(char ***l) {
        strv_free(*l);
}
unsigned strv_length(char *const *l);

/* A deep copy; NULL when out of memory. A NULL list copies to an empty one. */
char **strv_copy(const char *const *l);

/* Append a copy of value; -ENOMEM leaves the list as it was. */
int strv_extend(char ***l, const char *value);

/* In a key, value, ..., NULL list (a job's details): key's value, or NULL. */
const char *strv_pairs_get(char *const *pairs, const char *key);
