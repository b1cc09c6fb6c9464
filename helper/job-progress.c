/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A job's progress from its unit's own report (its StatusText), for the
 * operations whose row says so (op-table.h); the Job object exposes it
 * (job.c: Counters, Progress, ExpectedEndAt, EstimateBasis). */
#include <string.h>

#include "hubops-bus.h"
#include "job.h"
#include "log.h"

static bool same_status(const UnitStatus *a, const UnitStatus *b) {
        if (a->n_counters != b->n_counters)
                return false;
        for (size_t i = 0; i < a->n_counters; i++)
                if (strcmp(a->counters[i].name, b->counters[i].name) != 0 ||
                    a->counters[i].done != b->counters[i].done || a->counters[i].total != b->counters[i].total)
                        return false;
        return true;
}

static void job_set_unit_status(Job *j, const char *text) {
        UnitStatus s;

        if (unit_status_parse(text, &s) < 0) {
                /* An empty text is where every unit starts: not worth a line. */
                if (text[0] != '\0')
                        log_debug("hubopsd: %s's status is not progress, ignoring: %.80s", j->unit, text);
                return;
        }
        if (same_status(&j->status, &s))
                return;
        j->status = s;
        (void) sd_bus_emit_properties_changed(j->context->bus, j->path, HUBOPS_IFACE_JOB, "Counters", NULL);
}

void jobs_on_unit_status(Context *c, const char *unit, const char *text) {
        for (Job *j = c->jobs; j; j = j->next)
                if (j->state == JOB_RUNNING && j->progress_from_status && strcmp(j->unit, unit) == 0)
                        job_set_unit_status(j, text);
}
