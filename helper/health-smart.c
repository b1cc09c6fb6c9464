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
#include "json-read.h"

#define SMART_JSON_MAX ((size_t) 1024 * 1024)
#define SMART_JSON_DEPTH 16

static int64_t ata_raw(json_object *table, int id) {
        for (size_t i = 0; table && i < json_object_array_length(table); i++) {
                json_object *a = json_object_array_get_idx(table, i), *v = json_member(a, "id", json_type_int);
                json_object *raw = json_member(json_member(a, "raw", json_type_object), "value", json_type_int);
                if (v && raw && json_object_get_int64(v) == id)
                        return json_object_get_int64(raw) < 0 ? -1 : json_object_get_int64(raw);
        }
        return -1;
}

static void first_message(json_object *root, char *buf, size_t size) {
        json_object *msgs = json_member(json_member(root, "smartctl", json_type_object), "messages", json_type_array);
        json_object *s = msgs && json_object_array_length(msgs) > 0
                                 ? json_member(json_object_array_get_idx(msgs, 0), "string", json_type_string)
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
        if (!json_member(root, "smartctl", json_type_object)) {
                json_object_put(root);
                return -EINVAL;
        }
        status = json_member(root, "smart_status", json_type_object);
        passed = json_member(status, "passed", json_type_boolean);
        if (!passed) {
                first_message(root, r.why, sizeof(r.why));
                json_object_put(root);
                *ret = r;
                return 0;
        }
        r.status = json_object_get_boolean(passed) ? SMART_PASSED : SMART_FAILED;
        table = json_member(json_member(root, "ata_smart_attributes", json_type_object), "table", json_type_array);
        r.reallocated = ata_raw(table, 5);
        r.pending = ata_raw(table, 197);
        r.uncorrectable = ata_raw(table, 198);
        nvme = json_member(json_member(root, "nvme_smart_health_information_log", json_type_object), "media_errors",
                      json_type_int);
        if (nvme && json_object_get_int64(nvme) >= 0)
                r.uncorrectable = json_object_get_int64(nvme);
        json_object_put(root);
        *ret = r;
        return 0;
}
