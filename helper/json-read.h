/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdint.h>

/* The state files' strict field readers: key must be there, of the right
 * type and range, else -EBADMSG. */
int json_read_u64(json_object *o, const char *key, uint64_t *ret);

/* o's member key if it has that type; NULL otherwise (also for a NULL o), so
 * lookups chain through reports of unknown shape (fio's, smartctl's). */
json_object *json_member(json_object *o, const char *key, json_type type);
