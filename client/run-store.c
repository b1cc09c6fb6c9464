/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The run's state file: JSON both ways (today's version, and the version
 * 1 files of the rebuild-only client), where it lives, and its lock. */
#include "run-store.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "fileio.h"
#include "format.h"
#include "hubops-bus.h"
#include "macro.h"
#include "names.h"

#define RUN_FILE_MAX ((size_t) 256 * 1024)

static void put_str(json_object *o, const char *k, const char *v) {
        json_object_object_add(o, k, json_object_new_string(v));
}
static void put_u64(json_object *o, const char *k, uint64_t v) {
        json_object_object_add(o, k, json_object_new_int64((int64_t) v));
}
static void put_bool(json_object *o, const char *k, bool v) {
        json_object_object_add(o, k, json_object_new_boolean(v));
}

static json_object *gate_to_json(const Gate *g) {
        json_object *o;

        if (!g->host[0])
                return NULL;
        o = json_object_new_object();
        put_str(o, "host", g->host);
        put_str(o, "metric", g->metric);
        json_object_object_add(o, "threshold", json_object_new_double(g->threshold));
        put_u64(o, "hold_usec", g->hold_usec);
        put_u64(o, "timeout_usec", g->timeout_usec);
        return o;
}

static json_object *step_to_json(const Step *s) {
        json_object *o = json_object_new_object();

        put_str(o, "id", s->id);
        put_str(o, "kind", s->kind);
        put_str(o, "phase", s->phase);
        put_str(o, "host", s->host);
        put_str(o, "subject", s->subject);
        json_object_object_add(o, "gate", gate_to_json(&s->gate));
        put_u64(o, "timeout_usec", s->timeout_usec);
        put_bool(o, "tidy_up", s->tidy_up);
        put_str(o, "status", step_status_to_string(s->status));
        put_u64(o, "started_at", s->started_at);
        put_u64(o, "finished_at", s->finished_at);
        put_u64(o, "gate_usec", s->gate_usec);
        put_u64(o, "job_started_at", s->job_started_at);
        put_u64(o, "job_finished_at", s->job_finished_at);
        put_u64(o, "job_floor", s->job_floor);
        put_str(o, "job", s->job);
        put_str(o, "audit_id", s->audit_id);
        put_str(o, "message", s->message);
        return o;
}

char *run_format(const Run *r) {
        json_object *o = json_object_new_object(), *steps = json_object_new_array(), *params = json_object_new_object(),
                    *figures = json_object_new_object();
        char *out;

        put_u64(o, "version", RUN_STATE_VERSION);
        put_str(o, "id", r->id);
        put_str(o, "runbook", r->runbook);
        for (unsigned i = 0; i < r->n_params; i++)
                put_str(params, r->params[i].key, r->params[i].value);
        json_object_object_add(o, "params", params);
        put_str(o, "claim_host", r->claim_host);
        put_str(o, "owner", r->owner);
        put_u64(o, "uid", r->uid);
        put_str(o, "site", r->site);
        put_u64(o, "created_at", r->created_at);
        put_u64(o, "updated_at", r->updated_at);
        put_str(o, "status", run_status_to_string(r->status));
        put_bool(o, "tidy_up_on_failure", r->tidy_up_on_failure);
        put_bool(o, "outside_window", r->outside_window);
        put_str(o, "preflight_warnings", r->preflight_warnings);
        for (unsigned i = 0; i < r->n_figures; i++)
                put_u64(figures, r->figures[i].key, r->figures[i].value);
        json_object_object_add(o, "figures", figures);
        put_str(o, "message", r->message);
        for (unsigned i = 0; i < r->n_steps; i++)
                json_object_array_add(steps, step_to_json(&r->steps[i]));
        json_object_object_add(o, "steps", steps);
        out = strdup_printf(
                "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return out;
}

/* Readers: -EBADMSG for a missing key, a wrong type or a value out of range. */
static int check_str(json_object *v, char *dst, size_t size, bool name) {
        if (!v || !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        const char *s = json_object_get_string(v);
        size_t l = (size_t) json_object_get_string_len(v);
        if (l >= size || strlen(s) != l || !text_is_printable(s, (unsigned) size - 1) ||
            (name && l > 0 && !name_is_valid(s)))
                return -EBADMSG;
        memcpy(dst, s, l + 1);
        return 0;
}

static int get_str(json_object *o, const char *k, char *dst, size_t size, bool name) {
        json_object *v;

        return json_object_object_get_ex(o, k, &v) ? check_str(v, dst, size, name) : -EBADMSG;
}

static int check_u64(json_object *v, uint64_t *ret) {
        if (!v || !json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
                return -EBADMSG;
        *ret = (uint64_t) json_object_get_int64(v);
        return 0;
}

static int get_u64(json_object *o, const char *k, uint64_t *ret) {
        json_object *v;

        return json_object_object_get_ex(o, k, &v) ? check_u64(v, ret) : -EBADMSG;
}

static int get_bool(json_object *o, const char *k, bool *ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_boolean))
                return -EBADMSG;
        *ret = json_object_get_boolean(v);
        return 0;
}

/* A fraction in (0, 1]: an idle threshold. */
static int get_fraction(json_object *o, const char *k, double *ret) {
        json_object *v;
        double d;

        if (!json_object_object_get_ex(o, k, &v) ||
            !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
                return -EBADMSG;
        d = json_object_get_double(v);
        if (!(d > 0.0 && d <= 1.0))
                return -EBADMSG;
        *ret = d;
        return 0;
}

static int gate_from_json(json_object *o, Gate *g) {
        json_object *v;

        *g = (Gate) { 0 };
        if (!json_object_object_get_ex(o, "gate", &v))
                return -EBADMSG;
        if (!v)
                return 0; /* JSON null: no gate */
        if (!json_object_is_type(v, json_type_object) || get_str(v, "host", g->host, sizeof(g->host), true) < 0 ||
            !g->host[0] || get_str(v, "metric", g->metric, sizeof(g->metric), true) < 0 ||
            get_fraction(v, "threshold", &g->threshold) < 0 || get_u64(v, "hold_usec", &g->hold_usec) < 0 ||
            get_u64(v, "timeout_usec", &g->timeout_usec) < 0)
                return -EBADMSG;
        return 0;
}

/* What every version's steps share; version 1 lacks the rest. */
static int step_common_from_json(json_object *o, Step *s) {
        char status[32];

        if (!json_object_is_type(o, json_type_object) || get_str(o, "id", s->id, sizeof(s->id), false) < 0 ||
            get_str(o, "kind", s->kind, sizeof(s->kind), true) < 0 ||
            get_str(o, "host", s->host, sizeof(s->host), true) < 0 ||
            get_str(o, "subject", s->subject, sizeof(s->subject), true) < 0 ||
            get_bool(o, "tidy_up", &s->tidy_up) < 0 || get_str(o, "status", status, sizeof(status), false) < 0 ||
            get_u64(o, "started_at", &s->started_at) < 0 || get_u64(o, "finished_at", &s->finished_at) < 0 ||
            get_u64(o, "gate_usec", &s->gate_usec) < 0 || get_u64(o, "job_floor", &s->job_floor) < 0 ||
            get_str(o, "job", s->job, sizeof(s->job), false) < 0 ||
            get_str(o, "audit_id", s->audit_id, sizeof(s->audit_id), false) < 0 ||
            get_str(o, "message", s->message, sizeof(s->message), false) < 0)
                return -EBADMSG;
        s->status = step_status_from_string(status);
        if ((int) s->status < 0 || !s->host[0] || !s->id[0] || !s->kind[0])
                return -EBADMSG;
        /* Paths we will call methods on: only the helper's job objects. */
        if (s->job[0] &&
            (strncmp(s->job, HUBOPS_JOB_PATH_PREFIX "/", strlen(HUBOPS_JOB_PATH_PREFIX "/")) != 0 ||
             !sd_bus_object_path_is_valid(s->job)))
                return -EBADMSG;
        return 0;
}

static int step_from_json(json_object *o, Step *s) {
        *s = (Step) { 0 };
        if (step_common_from_json(o, s) < 0 || get_str(o, "phase", s->phase, sizeof(s->phase), false) < 0 ||
            gate_from_json(o, &s->gate) < 0 || get_u64(o, "timeout_usec", &s->timeout_usec) < 0 ||
            get_u64(o, "job_started_at", &s->job_started_at) < 0 ||
            get_u64(o, "job_finished_at", &s->job_finished_at) < 0)
                return -EBADMSG;
        return 0;
}

static int steps_from_json(json_object *o, Run *r, int (*one)(json_object *, Step *)) {
        json_object *steps;

        if (!json_object_object_get_ex(o, "steps", &steps) || !json_object_is_type(steps, json_type_array) ||
            json_object_array_length(steps) > RUN_STEPS_MAX)
                return -EBADMSG;
        r->n_steps = (unsigned) json_object_array_length(steps);
        for (unsigned i = 0; i < r->n_steps; i++)
                if (one(json_object_array_get_idx(steps, i), &r->steps[i]) < 0)
                        return -EBADMSG;
        return 0;
}

/* What every version's runs share. */
static int run_common_from_json(json_object *o, Run *r) {
        char status[32];
        uint64_t uid;

        if (get_str(o, "id", r->id, sizeof(r->id), true) < 0 ||
            get_str(o, "runbook", r->runbook, sizeof(r->runbook), true) < 0 || !r->runbook[0] ||
            get_str(o, "owner", r->owner, sizeof(r->owner), false) < 0 || get_u64(o, "uid", &uid) < 0 ||
            uid > UINT32_MAX || get_str(o, "site", r->site, sizeof(r->site), false) < 0 ||
            get_u64(o, "created_at", &r->created_at) < 0 || get_str(o, "status", status, sizeof(status), false) < 0 ||
            get_bool(o, "tidy_up_on_failure", &r->tidy_up_on_failure) < 0 ||
            get_bool(o, "outside_window", &r->outside_window) < 0 ||
            /* Runs written before health preflights lack it. */
            (json_object_object_get_ex(o, "preflight_warnings", NULL) &&
             get_str(o, "preflight_warnings", r->preflight_warnings, sizeof(r->preflight_warnings), false) < 0) ||
            get_str(o, "message", r->message, sizeof(r->message), false) < 0)
                return -EBADMSG;
        r->uid = (uint32_t) uid;
        r->status = run_status_from_string(status);
        return (int) r->status < 0 ? -EBADMSG : 0;
}

/* {"key": value, ...} of names, each value read by one(). */
static int map_from_json(json_object *o, const char *k, unsigned max, int (*one)(Run *, const char *, json_object *),
                         Run *r) {
        json_object *m;
        unsigned n = 0;

        if (!json_object_object_get_ex(o, k, &m) || !json_object_is_type(m, json_type_object))
                return -EBADMSG;
        json_object_object_foreach(m, key, v) {
                if (++n > max || strlen(key) >= RUN_NAME_MAX || !name_is_valid(key) || one(r, key, v) < 0)
                        return -EBADMSG;
        }
        return 0;
}

static int param_from_json(Run *r, const char *key, json_object *v) {
        char value[RUN_VALUE_MAX + 1];

        if (check_str(v, value, sizeof(value), true) < 0 || !value[0] || run_param(r, key))
                return -EBADMSG;
        return run_set_param(r, key, value);
}

static int figure_from_json(Run *r, const char *key, json_object *v) {
        uint64_t value;

        if (check_u64(v, &value) < 0)
                return -EBADMSG;
        return run_set_figure(r, key, value);
}

static int run_from_json_v2(json_object *o, Run *r) {
        if (run_common_from_json(o, r) < 0 || map_from_json(o, "params", RUN_PARAMS_MAX, param_from_json, r) < 0 ||
            get_str(o, "claim_host", r->claim_host, sizeof(r->claim_host), true) < 0 || !r->claim_host[0] ||
            get_u64(o, "updated_at", &r->updated_at) < 0 ||
            map_from_json(o, "figures", RUN_FIGURES_MAX, figure_from_json, r) < 0)
                return -EBADMSG;
        return steps_from_json(o, r, step_from_json);
}

/* Version 1, rebuild-tables only: the gates were the directory host's
 * idle gate with the run's settings (the settle step's own hold and
 * timeout), the phases were implied by the step kinds, and the hub and
 * the directory's memory readings had fields of their own. */
static int step_from_json_v1(json_object *o, Step *s) {
        *s = (Step) { 0 };
        if (step_common_from_json(o, s) < 0 || get_bool(o, "gate", &(bool) { false }) < 0)
                return -EBADMSG;
        return 0;
}

static int run_from_json_v1(json_object *o, Run *r) {
        char hub[SITE_NAME_MAX + 1];
        uint64_t idle_hold, gate_timeout, settle_hold, settle_timeout, rebuild_timeout, mem[3];
        double threshold;

        if (run_common_from_json(o, r) < 0 || strcmp(r->runbook, "rebuild-tables") != 0 ||
            get_str(o, "hub", hub, sizeof(hub), true) < 0 || !hub[0] ||
            get_str(o, "directory_host", r->claim_host, sizeof(r->claim_host), true) < 0 || !r->claim_host[0] ||
            get_fraction(o, "idle_threshold", &threshold) < 0 || get_u64(o, "idle_hold_usec", &idle_hold) < 0 ||
            get_u64(o, "gate_timeout_usec", &gate_timeout) < 0 || get_u64(o, "settle_hold_usec", &settle_hold) < 0 ||
            get_u64(o, "settle_timeout_usec", &settle_timeout) < 0 ||
            get_u64(o, "rebuild_timeout_usec", &rebuild_timeout) < 0 || get_u64(o, "memory_before", &mem[0]) < 0 ||
            get_u64(o, "memory_peak", &mem[1]) < 0 || get_u64(o, "memory_after", &mem[2]) < 0 ||
            steps_from_json(o, r, step_from_json_v1) < 0)
                return -EBADMSG;
        (void) run_set_param(r, "hub", hub);
        (void) run_set_figure(r, "memory_before", mem[0]);
        (void) run_set_figure(r, "memory_peak", mem[1]);
        /* Version 1 read "after" at the end of the run: say so by its name. */
        (void) run_set_figure(r, "memory_end", mem[2]);

        json_object *steps = NULL;
        (void) json_object_object_get_ex(o, "steps", &steps);
        for (unsigned i = 0; i < r->n_steps; i++) {
                Step *s = &r->steps[i];
                json_object *v = NULL;
                bool settle = strcmp(s->kind, "settle") == 0, rebuild = strcmp(s->kind, "rebuild") == 0;

                (void) snprintf(s->phase, sizeof(s->phase), "%s",
                                s->tidy_up        ? "tidy up"
                                        : rebuild ? "rebuild"
                                                  : "prepare");
                if (rebuild)
                        s->timeout_usec = rebuild_timeout;
                (void) json_object_object_get_ex(json_object_array_get_idx(steps, i), "gate", &v);
                if (!json_object_get_boolean(v) && !settle)
                        continue;
                s->gate = (Gate) { .metric = "cpu-idle",
                                   .threshold = threshold,
                                   .hold_usec = settle ? settle_hold : idle_hold,
                                   .timeout_usec = settle ? settle_timeout : gate_timeout };
                (void) snprintf(s->gate.host, sizeof(s->gate.host), "%s", r->claim_host);
        }
        return 0;
}

int run_parse(const char *json, Run *ret) {
        _cleanup_free_ Run *r = calloc(1, sizeof(Run));
        json_object *o = json_tokener_parse(json), *v;
        uint64_t version = 1;
        int k = -EBADMSG;

        if (!r) {
                json_object_put(o);
                return -ENOMEM;
        }
        if (o && json_object_is_type(o, json_type_object)) {
                if (json_object_object_get_ex(o, "version", &v) && check_u64(v, &version) < 0)
                        version = 0;
                k = version == RUN_STATE_VERSION      ? run_from_json_v2(o, r)
                        : version == 1                ? run_from_json_v1(o, r)
                        : version > RUN_STATE_VERSION ? -EPROTONOSUPPORT
                                                      : -EBADMSG;
        }
        json_object_put(o);
        if (k < 0)
                return k;
        *ret = *r;
        return 0;
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

/* DIR/ID.SUFFIX; create: make DIR first. NULL (errno set) if there is no home or no memory. */
static char *run_path(const char *id, const char *suffix, bool create) {
        char dir[512];
        int k = run_dir(dir, sizeof(dir), create);

        if (k < 0) {
                errno = -k;
                return NULL;
        }
        return strdup_printf("%s/%s.%s", dir, id, suffix);
}

int run_save(const Run *r) {
        _cleanup_free_ char *json = run_format(r), *path = NULL;

        if (!json)
                return -ENOMEM;
        path = run_path(r->id, "json", true);
        if (!path)
                return -errno;
        return write_file_atomic(path, json, strlen(json), 0600);
}

int run_delete(const char *id) {
        _cleanup_free_ char *path = run_path(id, "json", false), *lock = run_path(id, "lock", false);

        if (!path || !lock)
                return -errno;
        (void) unlink(lock);
        return unlink_durable(path);
}

static int read_run_file(const char *path, char **ret) {
        _cleanup_free_ char *buf = malloc(RUN_FILE_MAX + 1);
        _cleanup_close_ int fd = -1;
        ssize_t n;

        if (!buf)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, RUN_FILE_MAX + 1);
        if (n < 0)
                return -errno;
        if ((size_t) n > RUN_FILE_MAX)
                return -EFBIG;
        buf[n] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

int run_load(const char *id, Run *ret, char *err, size_t err_size) {
        _cleanup_free_ char *path = NULL, *buf = NULL;
        int k;

        if (!name_is_valid(id) || strlen(id) > RUN_ID_LEN) {
                (void) snprintf(err, err_size, "\"%s\" is not a run id (see hubopsctl runbook list)", id);
                return -EINVAL;
        }
        path = run_path(id, "json", false);
        if (!path) {
                (void) snprintf(err, err_size, "cannot find the run directory");
                return -errno;
        }
        k = read_run_file(path, &buf);
        if (k == -ENOENT) {
                (void) snprintf(err, err_size, "no run %s (%s: %s; see hubopsctl runbook list)", id, path,
                                strerror(-k));
                return k;
        }
        if (k < 0) {
                (void) snprintf(err, err_size, "%s: %s", path, strerror(-k));
                return -EBADMSG;
        }
        k = run_parse(buf, ret);
        if (k == -EPROTONOSUPPORT) {
                (void) snprintf(err, err_size,
                                "%s: written by a newer hubopsctl (state version above %d); resume it "
                                "with that version",
                                path, RUN_STATE_VERSION);
                return -EBADMSG;
        }
        if (k < 0 || strcmp(ret->id, id) != 0) {
                (void) snprintf(err, err_size,
                                "%s: malformed run state; refusing to guess (move it aside to start over)", path);
                return -EBADMSG;
        }
        return 0;
}

static pid_t read_pid(int fd) {
        char buf[24] = "";
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

        return n > 0 ? (pid_t) strtol(buf, NULL, 10) : 0;
}

int run_lock(const char *id, int *ret_fd, pid_t *ret_holder) {
        _cleanup_free_ char *path = run_path(id, "lock", true);
        _cleanup_close_ int fd = -1;
        char pid[24];

        if (!path)
                return -errno;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK)
                        return -errno;
                *ret_holder = read_pid(fd);
                return -EBUSY;
        }
        (void) snprintf(pid, sizeof(pid), "%d\n", (int) getpid());
        if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, strlen(pid), 0) < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int run_lock_holder(const char *id, pid_t *ret_pid) {
        _cleanup_free_ char *path = run_path(id, "lock", false);
        _cleanup_close_ int fd = -1;

        if (!path)
                return 0;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return 0;
        if (flock(fd, LOCK_SH | LOCK_NB) == 0)
                return 0; /* nobody holds it; closing the fd lets go of ours */
        *ret_pid = read_pid(fd);
        return 1;
}

const char *run_status_display(const Run *r, pid_t *ret_pid) {
        pid_t pid = 0;

        if (r->status != RUN_RUNNING)
                return run_status_to_string(r->status);
        if (run_lock_holder(r->id, &pid) == 0)
                return "interrupted";
        if (ret_pid)
                *ret_pid = pid;
        return "running";
}
