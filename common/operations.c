/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "operations.h"

#include <string.h>

#include "macro.h"

const OperationName operation_names[] = {
        { "hook.run", "hook" },
        { "service.start", "service" },
        { "service.stop", "service" },
        { "service.restart", "service" },
        { "directory.stop", NULL },
        { "directory.kill-root", NULL },
        { "directory.start", NULL },
        { "directory.restart", NULL },
        { "rebuild.start", NULL },
        { "rebuild.cancel", NULL },
        { "health.probe", NULL },
        { "mailbox.survey", "domain" },
        { "mailbox.stamp", "domain" },
        { "mailbox.verify", "domain" },
        { "mailbox.sync", "domain" },
        { "mailbox.freeze", "domain" },
        { "mailbox.thaw", "domain" },
        { "mailbox.switch", "domain" },
        { "mailbox.routed", "domain" },
        { "mailbox.retire", "domain" },
        { "run.claim", "run", true },
};
const size_t n_operation_names = ELEMENTSOF(operation_names);

const OperationName *operation_name_find(const char *name) {
        for (size_t i = 0; i < n_operation_names; i++)
                if (strcmp(operation_names[i].name, name) == 0)
                        return &operation_names[i];
        return NULL;
}
