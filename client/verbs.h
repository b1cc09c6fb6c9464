/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

#include "commands.h"

typedef enum VerbFlags {
        VERB_PRIVILEGED = 1 << 0, /* may need polkit: start the agent first */
        VERB_WAITS = 1 << 1,      /* follows a job: --no-wait and --timeout apply */
        VERB_GATE = 1 << 2,       /* load: --wait-idle, --for and --timeout apply */
        VERB_SITE = 1 << 3,       /* runbooks: the site config names the hosts; no -H/--address */
        VERB_RUNS = 1 << 4,       /* starts or resumes a run: --yes, --dry-run, --detach ... apply */
        VERB_TABLE = 1 << 5,      /* prints a table: --no-legend applies */
} VerbFlags;

/* One row per command: what runs it, and what --help and "VERB --help" say
 * of it (hubopsctl(1) is held to the same list by tests/docs). */
typedef struct Verb {
        const char *word1, *word2; /* "hooks", "run"; word2 NULL for one-word verbs */
        VerbFlags flags;
        int (*run)(sd_bus *bus, const Invocation *inv);
        const char *args;    /* after the words: "NAME", "[HOST...] [--probe]" */
        const char *summary; /* lines after the first are indented by the printer */
} Verb;

extern const Verb verbs[];
extern const size_t n_verbs;

/* The verb the words name (one or two of them), or NULL. */
const Verb *verb_find(char **words, int n_words);

/* hubopsctl --help. */
void verbs_help(void);

/* hubopsctl VERB --help: its usage, summary and the options that apply.
 * Words naming a group ("hooks") list the group's verbs. Returns false if
 * the words name nothing. */
bool verbs_help_for(char **words, int n_words);
