/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "run-claim.h"

#include <errno.h>
#include <json-c/json.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "context.h"
#include "fileio.h"
#include "format.h"
#include "hubops-bus.h"
#include "json-read.h"
#include "macro.h"
#include "names.h"
#include "procfs.h"
#include "request.h"

#define CLAIM_FILE_MAX 4096

static int get_string(json_object *o, const char *key, char *dst, size_t size) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string) ||
            (size_t) json_object_get_string_len(v) >= size || !text_is_printable(json_object_get_string(v), (unsigned) size))
                return -EBADMSG;
        memcpy(dst, json_object_get_string(v), (size_t) json_object_get_string_len(v) + 1);
        return 0;
}

int run_claim_parse(const char *json, RunClaim *ret) {
        json_object *o = json_tokener_parse(json);
        RunClaim c = { .held = true };
        uint64_t uid = 0;
        int r = -EBADMSG;

        if (!o || !json_object_is_type(o, json_type_object))
                goto out;
        if (get_string(o, "run", c.run_id, sizeof(c.run_id)) < 0 || !name_is_valid(c.run_id) ||
            get_string(o, "owner", c.owner, sizeof(c.owner)) < 0 ||
            get_string(o, "description", c.description, sizeof(c.description)) < 0 ||
            json_read_u64(o, "uid", &uid) < 0 || uid > UINT32_MAX || json_read_u64(o, "since", &c.since) < 0)
                goto out;
        c.uid = (uint32_t) uid;
        *ret = c;
        r = 0;
out:
        json_object_put(o);
        return r;
}

char *run_claim_format(const RunClaim *c) {
        json_object *o = json_object_new_object();
        char *out;

        json_object_object_add(o, "run", json_object_new_string(c->run_id));
        json_object_object_add(o, "owner", json_object_new_string(c->owner));
        json_object_object_add(o, "uid", json_object_new_int64(c->uid));
        json_object_object_add(o, "since", json_object_new_int64((int64_t) c->since));
        json_object_object_add(o, "description", json_object_new_string(c->description));
        out = strdup_printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        return out;
}

static char *claim_path(const Context *c) {
        return strdup_printf("%s/run-claim.json", c->config->state_directory);
}

int run_claim_load(Context *c) {
        _cleanup_free_ char *path = claim_path(c), *buf = malloc(CLAIM_FILE_MAX);
        size_t len;
        int r;

        if (!path || !buf)
                return -ENOMEM;
        r = procfs_read_file(path, buf, CLAIM_FILE_MAX, &len);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        return run_claim_parse(buf, &c->run_claim);
}

static int claim_save(const Context *c) {
        _cleanup_free_ char *path = claim_path(c), *json = NULL;

        if (!path)
                return -ENOMEM;
        if (!c->run_claim.held)
                return unlink_durable(path);
        json = run_claim_format(&c->run_claim);
        if (!json)
                return -ENOMEM;
        return write_file_atomic(path, json, strlen(json), 0644);
}

static void describe_claim(const RunClaim *rc, char *buf, size_t size) {
        char when[32] = "?";
        time_t t = (time_t) (rc->since / USEC_PER_SEC);
        struct tm tm;

        if (localtime_r(&t, &tm))
                (void) strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
        (void) snprintf(buf, size, "run %s by %s (uid %u) since %s: %s", rc->run_id, rc->owner, rc->uid, when,
                        rc->description);
}

typedef struct ClaimArgs {
        char run_id[RUN_ID_MAX + 1];
        char description[RUN_DESCRIPTION_MAX + 1];
} ClaimArgs;

static void act_claim(Request *req, void *userdata) {
        _cleanup_free_ ClaimArgs *a = userdata;
        Context *c = req->context;
        RunClaim *rc = &c->run_claim;
        char held[512];
        int r;

        if (rc->held) {
                /* The same run by the same user: a resume claims again. */
                if (strcmp(rc->run_id, a->run_id) == 0 && rc->uid == req->caller.uid) {
                        (void) request_reply_empty(req, NULL);
                        return;
                }
                describe_claim(rc, held, sizeof(held));
                (void) request_reply_error(req, HUBOPS_ERROR_BUSY, "This site is held by another runbook %s", held);
                return;
        }

        struct passwd *pw = getpwuid(req->caller.uid);
        *rc = (RunClaim) { .held = true, .uid = req->caller.uid, .since = now_usec(CLOCK_REALTIME) };
        (void) snprintf(rc->run_id, sizeof(rc->run_id), "%s", a->run_id);
        (void) snprintf(rc->description, sizeof(rc->description), "%s", a->description);
        if (pw && name_is_valid(pw->pw_name))
                (void) snprintf(rc->owner, sizeof(rc->owner), "%s", pw->pw_name);
        else
                (void) snprintf(rc->owner, sizeof(rc->owner), "uid-%u", rc->uid);
        r = claim_save(c);
        if (r < 0) {
                *rc = (RunClaim) { 0 };
                (void) request_reply_error(req, HUBOPS_ERROR_FAILED, "Cannot record the claim: %s", strerror(-r));
                return;
        }
        (void) sd_bus_emit_properties_changed(c->bus, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "CurrentRun", NULL);
        (void) request_reply_empty(req, NULL);
}

static void act_release(Request *req, void *userdata) {
        _cleanup_free_ ClaimArgs *a = userdata;
        Context *c = req->context;
        RunClaim *rc = &c->run_claim, old = *rc;
        char held[512];
        int r;

        if (!rc->held || strcmp(rc->run_id, a->run_id) != 0) {
                (void) request_reply_error(req, HUBOPS_ERROR_NOT_RUNNING, "Run %s holds no claim on this site",
                                           a->run_id);
                return;
        }
        /* Only its owner (or root) ends someone's run. */
        if (rc->uid != req->caller.uid && req->caller.uid != 0) {
                describe_claim(rc, held, sizeof(held));
                (void) request_reply_error(req, SD_BUS_ERROR_ACCESS_DENIED, "Not yours to release: %s", held);
                return;
        }
        *rc = (RunClaim) { 0 };
        r = claim_save(c);
        if (r < 0) {
                *rc = old;
                (void) request_reply_error(req, HUBOPS_ERROR_FAILED, "Cannot remove the claim: %s", strerror(-r));
                return;
        }
        (void) sd_bus_emit_properties_changed(c->bus, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER, "CurrentRun", NULL);
        (void) request_reply_empty(req, NULL);
}

static int handle(sd_bus_message *m, Context *c, bool claim, sd_bus_error *error) {
        const char *run_id, *description = "";
        ClaimArgs *a;
        Request *req;
        int r;

        r = claim ? sd_bus_message_read(m, "ss", &run_id, &description) : sd_bus_message_read(m, "s", &run_id);
        if (r < 0)
                return r;
        if (!name_is_valid(run_id) || strlen(run_id) > RUN_ID_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid run id");
        if (!text_is_printable(description, RUN_DESCRIPTION_MAX))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid description");

        const char *details[] = { "run", run_id, NULL };
        r = request_new(c, m, claim ? "run.claim" : "run.release", HUBOPS_ACTION_RUN_CLAIM, details, &req);
        if (r < 0)
                return r;
        a = calloc(1, sizeof(ClaimArgs));
        if (!a) {
                request_free(req);
                return -ENOMEM;
        }
        (void) snprintf(a->run_id, sizeof(a->run_id), "%s", run_id);
        (void) snprintf(a->description, sizeof(a->description), "%s", description);
        return request_authorize(req, claim ? act_claim : act_release, a, free);
}

int method_claim_run(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return handle(m, userdata, true, error);
}

int method_release_run(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return handle(m, userdata, false, error);
}

int property_get_current_run(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const RunClaim *rc = &((Context *) userdata)->run_claim;

        (void) bus, (void) path, (void) interface, (void) property, (void) error;
        return sd_bus_message_append(reply, "(ssuts)", rc->held ? rc->run_id : "", rc->held ? rc->owner : "",
                                     rc->held ? rc->uid : 0, rc->held ? rc->since : 0,
                                     rc->held ? rc->description : "");
}
