/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hubopsctl audit show ID...: the audit records hubopsctl names (every
 * summary and job report prints them), read back through the helper: the
 * log itself is root's. One's own requests need no authorization. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exit-codes.h"
#include "hubops-bus.h"
#include "macro.h"
#include "output.h"
#include "strv.h"

static const char *record_id(json_object *o) {
        json_object *v;

        return json_object_object_get_ex(o, "id", &v) ? json_object_get_string(v) : "";
}

static int print_records(char **lines, const Invocation *inv) {
        int found = 0;

        for (int a = 0; a < inv->n_args; a++) {
                bool seen = false;
                for (char **l = lines; l && *l; l++) {
                        json_object *o = json_tokener_parse(*l);
                        if (!o)
                                continue;
                        if (strcmp(record_id(o), inv->args[a]) != 0) {
                                json_object_put(o);
                                continue;
                        }
                        seen = true;
                        if (output.json)
                                output_json(o);
                        else {
                                printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                                        JSON_C_TO_STRING_NOSLASHESCAPE));
                                json_object_put(o);
                        }
                        break;
                }
                if (seen)
                        found++;
                else
                        (void) output_error(EXIT_NOT_CONFIGURED, "No audit record %s on this host", inv->args[a]);
        }
        return found == inv->n_args ? EXIT_OK : EXIT_NOT_CONFIGURED;
}

int cmd_audit_show(sd_bus *bus, const Invocation *inv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        _cleanup_(strv_freep) char **lines = NULL;
        int r;

        if (inv->n_args < 1)
                return output_error(EXIT_USAGE, "Usage: hubopsctl audit show ID...");
        for (int a = 0; a < inv->n_args; a++)
                if (strlen(inv->args[a]) != 32 || strspn(inv->args[a], "0123456789abcdef") != 32)
                        return output_error(EXIT_USAGE, "Invalid audit record id \"%s\" (32 hex digits)",
                                            inv->args[a]);
        r = sd_bus_message_new_method_call(bus, &call, HUBOPS_BUS_NAME, HUBOPS_OBJECT_PATH, HUBOPS_IFACE_MANAGER,
                                           "GetAuditRecords");
        if (r >= 0)
                r = sd_bus_message_append_strv(call, inv->args);
        if (r >= 0)
                r = sd_bus_call(bus, call, 0, &error, &reply);
        if (r >= 0)
                r = sd_bus_message_read_strv(reply, &lines);
        if (r < 0)
                return output_bus_error(&error, r, "Cannot read the audit records");
        return print_records(lines, inv);
}
