/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The runbook definitions hubopsctl knows, as client/runbooks/meson.build lists them. */
#include <string.h>

#include "engine.h"
#include "macro.h"
#include "runbook-registry.h"

static const RunbookDef *const definitions[] = { RUNBOOK_DEFINITIONS };

const RunbookDef *runbook_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(definitions); i++)
                if (strcmp(definitions[i]->name, name) == 0)
                        return definitions[i];
        return NULL;
}

const RunbookDef *runbook_nth(size_t i) {
        return i < ELEMENTSOF(definitions) ? definitions[i] : NULL;
}

size_t runbook_count(void) {
        return ELEMENTSOF(definitions);
}
