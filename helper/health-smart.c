/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* smartctl -j -H -A DEV: the overall verdict and the counters that say a
 * disk is going (reallocated, pending and uncorrectable sectors). A device
 * without SMART (a loop device, a VM's virtio disk) is "not available": a
 * plain state, not a failure. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "health-parse.h"

#define SMART_JSON_MAX ((size_t) 1024 * 1024)
#define SMART_JSON_DEPTH 16

static json_object *member(json_object *o, const char *key, json_type type) {
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
                return NULL;
        return v;
}

static int64_t ata_raw(json_object *table, int id) {
        for (size_t i = 0; table && i < json_object_array_length(table); i++) {
                json_object *a = json_object_array_get_idx(table, i), *v = member(a, "id", json_type_int);
                json_object *raw = member(member(a, "raw", json_type_object), "value", json_type_int);
                if (v && raw && json_object_get_int64(v) == id)
                        return json_object_get_int64(raw) < 0 ? -1 : json_object_get_int64(raw);
        }
        return -1;
}

static void first_message(json_object *root, char *buf, size_t size) {
        json_object *msgs = member(member(root, "smartctl", json_type_object), "messages", json_type_array);
        json_object *s = msgs && json_object_array_length(msgs) > 0
                                 ? member(json_object_array_get_idx(msgs, 0), "string", json_type_string)
                                 : NULL;

        (void) snprintf(buf, size, "%s", s ? json_object_get_string(s) : "the device reports no SMART status");
        for (char *c = buf; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                        *c = ' ';
}

int smart_parse_json(const char *buf, size_t len, SmartResult *ret) {
        SmartResult r = { .reallocated = -1, .pending = -1, .uncorrectable = -1 };
        json_object *root, *status, *passed, *table, *nvme;
        json_tokener *tok;

        if (len == 0 || len > SMART_JSON_MAX)
                return -EINVAL;
        tok = json_tokener_new_ex(SMART_JSON_DEPTH);
        if (!tok)
                return -ENOMEM;
        root = json_tokener_parse_ex(tok, buf, (int) len);
        json_tokener_free(tok);
        if (!member(root, "smartctl", json_type_object)) {
                json_object_put(root);
                return -EINVAL;
        }
        status = member(root, "smart_status", json_type_object);
        passed = member(status, "passed", json_type_boolean);
        if (!passed) {
                first_message(root, r.why, sizeof(r.why));
                json_object_put(root);
                *ret = r;
                return 0;
        }
        r.status = json_object_get_boolean(passed) ? SMART_PASSED : SMART_FAILED;
        table = member(member(root, "ata_smart_attributes", json_type_object), "table", json_type_array);
        r.reallocated = ata_raw(table, 5);
        r.pending = ata_raw(table, 197);
        r.uncorrectable = ata_raw(table, 198);
        nvme = member(member(root, "nvme_smart_health_information_log", json_type_object), "media_errors",
                      json_type_int);
        if (nvme && json_object_get_int64(nvme) >= 0)
                r.uncorrectable = json_object_get_int64(nvme);
        json_object_put(root);
        *ret = r;
        return 0;
}
