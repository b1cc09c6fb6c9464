/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The run's state file: JSON both ways, and where it lives. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "fileio.h"
#include "format.h"
#include "macro.h"
#include "names.h"
#include "run.h"

#define RUN_FILE_MAX ((size_t) 256 * 1024)

static void put_str(json_object *o, const char *k, const char *v) {
        json_object_object_add(o, k, json_object_new_string(v));
}
static void put_u64(json_object *o, const char *k, uint64_t v) {
        json_object_object_add(o, k, json_object_new_int64((int64_t) v));
}

static json_object *step_to_json(const Step *s) {
        json_object *o = json_object_new_object();

        put_str(o, "id", s->id);
        put_str(o, "kind", step_kind_to_string(s->kind));
        put_str(o, "host", s->host);
        put_str(o, "subject", s->subject);
        json_object_object_add(o, "gate", json_object_new_boolean(s->gate));
        json_object_object_add(o, "tidy_up", json_object_new_boolean(s->tidy_up));
        put_str(o, "status", step_status_to_string(s->status));
        put_u64(o, "started_at", s->started_at);
        put_u64(o, "finished_at", s->finished_at);
        put_u64(o, "gate_usec", s->gate_usec);
        put_u64(o, "job_floor", s->job_floor);
        put_str(o, "job", s->job);
        put_str(o, "audit_id", s->audit_id);
        put_str(o, "message", s->message);
        return o;
}

char *run_format(const Run *r) {
        json_object *o = json_object_new_object(), *steps = json_object_new_array();
        char *out;

        put_str(o, "id", r->id);
        put_str(o, "runbook", r->runbook);
        put_str(o, "hub", r->hub);
        put_str(o, "directory_host", r->directory_host);
        put_str(o, "owner", r->owner);
        put_u64(o, "uid", r->uid);
        put_str(o, "site", r->site);
        put_u64(o, "created_at", r->created_at);
        put_str(o, "status", run_status_to_string(r->status));
        json_object_object_add(o, "tidy_up_on_failure", json_object_new_boolean(r->tidy_up_on_failure));
        json_object_object_add(o, "outside_window", json_object_new_boolean(r->outside_window));
        put_str(o, "preflight_warnings", r->preflight_warnings);
        json_object_object_add(o, "idle_threshold", json_object_new_double(r->idle_threshold));
        put_u64(o, "idle_hold_usec", r->idle_hold_usec);
        put_u64(o, "gate_timeout_usec", r->gate_timeout_usec);
        put_u64(o, "settle_hold_usec", r->settle_hold_usec);
        put_u64(o, "settle_timeout_usec", r->settle_timeout_usec);
        put_u64(o, "rebuild_timeout_usec", r->rebuild_timeout_usec);
        put_u64(o, "memory_before", r->memory_before);
        put_u64(o, "memory_peak", r->memory_peak);
        put_u64(o, "memory_after", r->memory_after);
        put_str(o, "message", r->message);
        for (unsigned i = 0; i < r->n_steps; i++)
                json_object_array_add(steps, step_to_json(&r->steps[i]));
        json_object_object_add(o, "steps", steps);
        out = strdup_printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                                           JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return out;
}

/* Readers: -EBADMSG for a missing key, a wrong type or a value out of range. */
static int get_str(json_object *o, const char *k, char *dst, size_t size, bool name) {
        json_object *v;

        if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        const char *s = json_object_get_string(v);
        size_t l = (size_t) json_object_get_string_len(v);
        if (l >= size || strlen(s) != l || !text_is_printable(s, (unsigned) size - 1) ||
            (name && l > 0 && !name_is_valid(s)))
                return -EBADMSG;
        memcpy(dst, s, l + 1);
        return 0;
}

static int get_u64(json_object *o, const char *k, uint64_t *ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int) ||
            json_object_get_int64(v) < 0)
                return -EBADMSG;
        *ret = (uint64_t) json_object_get_int64(v);
        return 0;
}

static int get_bool(json_object *o, const char *k, bool *ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_boolean))
                return -EBADMSG;
        *ret = json_object_get_boolean(v);
        return 0;
}

static int step_from_json(json_object *o, Step *s) {
        char kind[32], status[32];

        *s = (Step) { 0 };
        if (!json_object_is_type(o, json_type_object) || get_str(o, "id", s->id, sizeof(s->id), false) < 0 ||
            get_str(o, "kind", kind, sizeof(kind), false) < 0 || get_str(o, "host", s->host, sizeof(s->host), true) < 0 ||
            get_str(o, "subject", s->subject, sizeof(s->subject), true) < 0 || get_bool(o, "gate", &s->gate) < 0 ||
            get_bool(o, "tidy_up", &s->tidy_up) < 0 || get_str(o, "status", status, sizeof(status), false) < 0 ||
            get_u64(o, "started_at", &s->started_at) < 0 || get_u64(o, "finished_at", &s->finished_at) < 0 ||
            get_u64(o, "gate_usec", &s->gate_usec) < 0 || get_u64(o, "job_floor", &s->job_floor) < 0 ||
            get_str(o, "job", s->job, sizeof(s->job), false) < 0 ||
            get_str(o, "audit_id", s->audit_id, sizeof(s->audit_id), false) < 0 ||
            get_str(o, "message", s->message, sizeof(s->message), false) < 0)
                return -EBADMSG;
        s->kind = step_kind_from_string(kind);
        s->status = step_status_from_string(status);
        if ((int) s->kind < 0 || (int) s->status < 0 || !s->host[0] || !s->id[0])
                return -EBADMSG;
        /* Paths we will call methods on: only the helper's job objects. */
        if (s->job[0] && (strncmp(s->job, "/org/hubops/Helper1/job/", 24) != 0 || !sd_bus_object_path_is_valid(s->job)))
                return -EBADMSG;
        return 0;
}

static int run_from_json(json_object *o, Run *r) {
        json_object *v, *steps;
        char status[32];
        uint64_t uid;

        if (!json_object_is_type(o, json_type_object) || get_str(o, "id", r->id, sizeof(r->id), true) < 0 ||
            get_str(o, "runbook", r->runbook, sizeof(r->runbook), true) < 0 ||
            get_str(o, "hub", r->hub, sizeof(r->hub), true) < 0 ||
            get_str(o, "directory_host", r->directory_host, sizeof(r->directory_host), true) < 0 ||
            get_str(o, "owner", r->owner, sizeof(r->owner), false) < 0 || get_u64(o, "uid", &uid) < 0 ||
            uid > UINT32_MAX || get_str(o, "site", r->site, sizeof(r->site), false) < 0 ||
            get_u64(o, "created_at", &r->created_at) < 0 || get_str(o, "status", status, sizeof(status), false) < 0 ||
            get_bool(o, "tidy_up_on_failure", &r->tidy_up_on_failure) < 0 ||
            get_bool(o, "outside_window", &r->outside_window) < 0 ||
            /* Runs written before health preflights lack it. */
            (json_object_object_get_ex(o, "preflight_warnings", NULL) &&
             get_str(o, "preflight_warnings", r->preflight_warnings, sizeof(r->preflight_warnings), false) < 0) ||
            get_u64(o, "idle_hold_usec", &r->idle_hold_usec) < 0 ||
            get_u64(o, "gate_timeout_usec", &r->gate_timeout_usec) < 0 ||
            get_u64(o, "settle_hold_usec", &r->settle_hold_usec) < 0 ||
            get_u64(o, "settle_timeout_usec", &r->settle_timeout_usec) < 0 ||
            get_u64(o, "rebuild_timeout_usec", &r->rebuild_timeout_usec) < 0 ||
            get_u64(o, "memory_before", &r->memory_before) < 0 || get_u64(o, "memory_peak", &r->memory_peak) < 0 ||
            get_u64(o, "memory_after", &r->memory_after) < 0 ||
            get_str(o, "message", r->message, sizeof(r->message), false) < 0)
                return -EBADMSG;
        r->uid = (uint32_t) uid;
        r->status = run_status_from_string(status);
        if ((int) r->status < 0 || strcmp(r->runbook, "rebuild-tables") != 0)
                return -EBADMSG;
        if (!json_object_object_get_ex(o, "idle_threshold", &v) ||
            !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
                return -EBADMSG;
        r->idle_threshold = json_object_get_double(v);
        if (!(r->idle_threshold > 0.0 && r->idle_threshold <= 1.0))
                return -EBADMSG;
        if (!json_object_object_get_ex(o, "steps", &steps) || !json_object_is_type(steps, json_type_array) ||
            json_object_array_length(steps) > RUN_STEPS_MAX)
                return -EBADMSG;
        r->n_steps = (unsigned) json_object_array_length(steps);
        for (unsigned i = 0; i < r->n_steps; i++)
                if (step_from_json(json_object_array_get_idx(steps, i), &r->steps[i]) < 0)
                        return -EBADMSG;
        return 0;
}

int run_parse(const char *json, Run *ret) {
        json_object *o = json_tokener_parse(json);
        int r;

        *ret = (Run) { 0 };
        r = o ? run_from_json(o, ret) : -EBADMSG;
        json_object_put(o);
        return r;
}

int run_dir(char *buf, size_t size, bool create) {
        const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
        char parent[512];

        if (xdg && xdg[0] == '/')
                (void) snprintf(parent, sizeof(parent), "%s/hubops", xdg);
        else if (home && home[0] == '/')
                (void) snprintf(parent, sizeof(parent), "%s/.local/state/hubops", home);
        else
                return -ENOENT;
        (void) snprintf(buf, size, "%s/runs", parent);
        if (!create)
                return 0;
        /* mkdir -p, private: run files name hosts and jobs. */
        for (char *p = buf + 1; *p; p++)
                if (*p == '/') {
                        *p = '\0';
                        if (mkdir(buf, 0700) < 0 && errno != EEXIST) {
                                *p = '/';
                                return -errno;
                        }
                        *p = '/';
                }
        return mkdir(buf, 0700) < 0 && errno != EEXIST ? -errno : 0;
}

/* DIR/ID.json; create: make DIR first. NULL (errno set) if there is no home or no memory. */
static char *run_path(const char *id, bool create) {
        char dir[512];
        int k = run_dir(dir, sizeof(dir), create);

        if (k < 0) {
                errno = -k;
                return NULL;
        }
        return strdup_printf("%s/%s.json", dir, id);
}

int run_save(const Run *r) {
        _cleanup_free_ char *json = run_format(r), *path = NULL;

        if (!json)
                return -ENOMEM;
        path = run_path(r->id, true);
        if (!path)
                return -errno;
        return write_file_atomic(path, json, strlen(json), 0600);
}

int run_delete(const char *id) {
        _cleanup_free_ char *path = run_path(id, false);

        if (!path)
                return -errno;
        return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int run_load(const char *id, Run *ret, char *err, size_t err_size) {
        _cleanup_free_ char *path = NULL, *buf = NULL;
        _cleanup_close_ int fd = -1;
        ssize_t n;
        int k;

        if (!name_is_valid(id) || strlen(id) > RUN_ID_LEN) {
                (void) snprintf(err, err_size, "\"%s\" is not a run id (see hubopsctl runbook list)", id);
                return -EINVAL;
        }
        path = run_path(id, false);
        buf = malloc(RUN_FILE_MAX + 1);
        if (!path || !buf) {
                k = !path ? -errno : -ENOMEM;
                (void) snprintf(err, err_size, "cannot find the run directory");
                return k;
        }
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                k = -errno;
                (void) snprintf(err, err_size, "no run %s (%s: %s; see hubopsctl runbook list)", id, path,
                                strerror(-k));
                return k;
        }
        n = read(fd, buf, RUN_FILE_MAX + 1);
        if (n < 0 || (size_t) n > RUN_FILE_MAX) {
                (void) snprintf(err, err_size, "%s: %s", path, n < 0 ? strerror(errno) : "too large");
                return -EBADMSG;
        }
        buf[n] = '\0';
        if (run_parse(buf, ret) < 0 || strcmp(ret->id, id) != 0) {
                (void) snprintf(err, err_size, "%s: malformed run state; refusing to guess (move it aside to start over)",
                                path);
                return -EBADMSG;
        }
        return 0;
}
