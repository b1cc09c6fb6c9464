/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-sender.h"

#include <errno.h>
#include <string.h>

bool bus_message_sent_by(sd_bus_message *m, const char *unique) {
        const char *sender = sd_bus_message_get_sender(m);

        return unique && unique[0] != '\0' && sender && strcmp(sender, unique) == 0;
}

int bus_name_owner_changed(sd_bus_message *m, const char *name, const char **ret_new_owner) {
        const char *changed, *old_owner, *new_owner;
        int r;

        if (!bus_message_sent_by(m, BUS_DAEMON_NAME) ||
            sd_bus_message_is_signal(m, BUS_DAEMON_NAME, "NameOwnerChanged") <= 0)
                return 0;
        r = sd_bus_message_read(m, "sss", &changed, &old_owner, &new_owner);
        if (r == 0)
                return -EBADMSG; /* no arguments at all: nothing was read */
        if (r < 0)
                return r;
        if (strcmp(changed, name) != 0)
                return 0;
        *ret_new_owner = new_owner;
        return 1;
}
