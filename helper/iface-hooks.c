/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "iface-hooks.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubops-bus.h"
#include "job.h"
#include "macro.h"
#include "names.h"
#include "op-busy.h"
#include "op-start.h"
#include "request.h"
#include "systemd-client.h"

static void act_run(Request *req, void *userdata) {
        const HookConfig *h = userdata;
        char doing[HUBOPS_NAME_MAX + 16];
        Job *job;

        if (op_job_new(req, h->name, &job) < 0)
                return;

        TransientUnit u = {
                .name = job->unit,
                .description = h->description ? h->description : h->name,
                .argv = h->argv,
                .user = h->user,
                .group = h->group,
                .timeout_usec = h->timeout_usec,
                .capability_mask = h->capability_mask,
                .output_file = job->log_file,
        };
        (void) snprintf(doing, sizeof(doing), "to run hook %s", h->name);
        op_start_unit(req, job, &(OpUnit) { .transient = &u, .what = "the hook", .doing = doing });
}

static int method_run(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        const HookConfig *h;
        const char *name;
        Request *req = NULL;
        int r;

        (void) error;
        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;

        /* An invalid name is still a privileged request: audit it, without echoing it. */
        const char *details[] = { "hook", name_is_valid(name) ? name : "(invalid)", NULL };
        r = request_new(c, m, "hook.run", HUBOPS_ACTION_HOOK_RUN, details, &req);
        if (r < 0)
                return r;
        if (!name_is_valid(name))
                return request_reply_error(req, SD_BUS_ERROR_INVALID_ARGS,
                                           "Invalid hook name (1-%d of A-Z a-z 0-9 _ . -)", HUBOPS_NAME_MAX);

        h = config_find_hook(c->config, name);
        if (!h)
                return request_reply_error(req, HUBOPS_ERROR_NOT_CONFIGURED, "No hook \"%s\" is configured on %s",
                                           name, c->config->hostname);
        return op_authorize(req, h->name, act_run, (void *) h, NULL);
}

void hooks_restore(Context *c) {
        op_restore_transient(c, "hook.run", "hook", NULL, NULL);
}

static int method_list(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Context *c = userdata;
        int r;

        (void) error;
        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ss)");
        for (size_t i = 0; r >= 0 && i < c->config->n_hooks; i++)
                r = sd_bus_message_append(reply, "(ss)", c->config->hooks[i].name,
                                          c->config->hooks[i].description ? c->config->hooks[i].description : "");
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static const sd_bus_vtable hooks_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("List", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ss)", hooks), method_list,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Run", SD_BUS_ARGS("s", name), SD_BUS_RESULT("o", job), method_run,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int hooks_register(Context *c) {
        return sd_bus_add_object_vtable(c->bus, NULL, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_HOOKS, hooks_vtable, c);
}
