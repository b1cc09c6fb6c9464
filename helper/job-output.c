/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "job-output.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hubops-bus.h"
#include "job.h"
#include "fileio.h"
#include "macro.h"
#include "request.h"

/* The job's command writes its log and may, through a slip in its own
 * setup, put something else there: a FIFO would block this read (the event
 * loop, in a property getter) until someone writes to it; a device or a
 * symlink would show what is not the job's output. Only a regular file is read. */
void job_output_read_tail(const char *path, char *buf) {
        _cleanup_close_ int fd = -1;
        ssize_t n = 0;
        off_t size;

        if (path && (fd = open_regular_file(path)) >= 0) {
                size = lseek(fd, 0, SEEK_END);
                if (size > 0) {
                        off_t from = size > JOB_OUTPUT_TAIL_MAX ? size - JOB_OUTPUT_TAIL_MAX : 0;
                        n = pread(fd, buf, JOB_OUTPUT_TAIL_MAX, from);
                }
        }
        buf[n > 0 ? n : 0] = '\0';
        for (char *p = buf; *p; p++)
                if ((unsigned char) *p >= 0x80 || ((unsigned char) *p < 0x20 && *p != '\n' && *p != '\t'))
                        *p = '?';
}

/* Root, or the uid that started the job, asking through the message being
 * answered (Get, GetAll or GetManagedObjects alike). Credentials come from
 * the bus for the sender's unique name, never from a PID. */
static bool current_caller_is_starter_or_root(sd_bus *bus, const Job *j) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        sd_bus_message *m = sd_bus_get_current_message(bus);
        uid_t uid;

        if (!m || sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds) < 0 ||
            sd_bus_creds_get_euid(creds, &uid) < 0)
                return false;
        return uid == 0 || uid == j->started_by_uid;
}

int job_output_property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        char buf[JOB_OUTPUT_TAIL_MAX + 1] = "";

        (void) path, (void) interface, (void) property, (void) error;
        /* Everyone else sees "": the property cannot say no without failing GetAll. */
        if (current_caller_is_starter_or_root(bus, j))
                job_output_read_tail(j->log_file, buf);
        return sd_bus_message_append(reply, "s", buf);
}

static void act_get_output(Request *req, void *userdata) {
        uint64_t id = (uint64_t) (uintptr_t) userdata;
        Job *j = job_find(req->context, id);
        char buf[JOB_OUTPUT_TAIL_MAX + 1] = "";

        /* The job may have been pruned while polkit was deciding. */
        if (!j) {
                (void) request_reply_error(req, HUBOPS_ERROR_NO_SUCH_JOB, "Job %" PRIu64 " is gone", id);
                return;
        }
        job_output_read_tail(j->log_file, buf);
        (void) request_reply_string(req, j->path, buf);
}

int job_output_method_get(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        Request *req = NULL;
        int r;

        (void) error;
        r = request_new(j->context, m, "job.output", HUBOPS_ACTION_JOB_OUTPUT, (const char *const *) j->details,
                        &req);
        if (r < 0)
                return r;
        return request_authorize(req, act_get_output, (void *) (uintptr_t) j->id, NULL);
}
