/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hubopsctl load: the helper's CPU idle, load and memory; with --wait-idle,
 * the runbook's gate ("wait until the directory is 90% idle again"). */
#include <stdio.h>

#include "commands.h"
#include "helper-api.h"
#include "exit-codes.h"
#include "hubops-bus.h"
#include "macro.h"
#include "output.h"

#define LOAD_SAMPLE_MS 1000U

static void print_sample(const LoadSample *s) {
        if (output.json) {
                json_object *o = json_object_new_object();
                helper_load_to_json(o, s, false, 0, 0);
                output_json(o);
        } else
                printf("CPU idle: %.1f%%\nLoad:     %.2f %.2f %.2f\nMemory:   %.1f MiB available\n",
                       s->idle * 100.0, s->avg[0], s->avg[1], s->avg[2], (double) s->memory / (1024.0 * 1024.0));
}

int cmd_load(sd_bus *bus, const Invocation *inv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        LoadSample s;
        int r;

        if (inv->n_args != 0)
                return output_error(EXIT_USAGE, "Usage: hubopsctl load [--wait-idle PERCENT [--for SPAN] "
                                                "[--timeout SPAN]]");
        if (inv->wait_idle >= 0)
                return load_gate(bus, "", inv->wait_idle, inv->hold_usec, inv->timeout_usec, NULL);
        r = helper_load_sample(bus, LOAD_SAMPLE_MS, &s, &error);
        if (r < 0)
                return output_bus_error(&error, r, "Cannot read the load");
        print_sample(&s);
        return EXIT_OK;
}
