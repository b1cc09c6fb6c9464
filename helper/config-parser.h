/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internal to config.c and config-keys.c: the parser's state and the
 * per-section key parsers. Every key parser returns 1 (inih: fine) or the
 * result of parser_error() (0: inih records the line). */

#include <stdbool.h>

#include "config.h"
#include "ini-strict.h"
#include "macro.h"

#define HOOKS_MAX 256
#define SERVICES_MAX 64
#define PEERS_MAX 32

typedef enum SectionKind { SECTION_NONE, SECTION_HELPER, SECTION_HOOK, SECTION_DIRECTORY, SECTION_SERVICE, SECTION_REBUILD, SECTION_HEALTH,
                           SECTION_MAILSTORE, SECTION_PEER } SectionKind;

typedef struct Parser {
        IniStrict ini; /* first: the callbacks get &ini and cast back */
        HelperConfig *config;
        SectionKind section;
        HookConfig *hook;       /* the current [Hook NAME] */
        ServiceConfig *service; /* the current [Service NAME] */
        PeerConfig *peer;       /* the current [Peer NAME] */
        bool helper_seen;
        bool health_seen;
} Parser;

#define parser_error(p, ...) ini_strict_error(&(p)->ini, __VA_ARGS__)

/* The value setters every section uses (config-keys.c): 1, or parser_error(). */
int parser_set_string(Parser *p, char **field, const char *value);
/* An absolute, normalized path of at most max bytes. */
int parser_set_path_max(Parser *p, const char *key, char **field, const char *value, size_t max);

int parse_helper_key(Parser *p, const char *key, const char *value);
int parse_hook_key(Parser *p, const char *key, const char *value);
int parse_directory_key(Parser *p, const char *key, const char *value);
int parse_service_key(Parser *p, const char *key, const char *value);
int parse_rebuild_key(Parser *p, const char *key, const char *value);
int parse_health_key(Parser *p, const char *key, const char *value);
void health_config_init(HealthConfig *h);
void health_config_done(HealthConfig *h);
/* The checks across [Health]'s keys: 0, or < 0 after parser_error(). */
int finish_health(Parser *p);

/* helper/config-mailstore.c */
int begin_mailstore(Parser *p);
int begin_peer(Parser *p, const char *name);
int parse_mailstore_key(Parser *p, const char *key, const char *value);
int parse_peer_key(Parser *p, const char *key, const char *value);
int finish_mailstore(Parser *p);
void mailstore_config_done(HelperConfig *c);
bool mailstore_layout_is_valid(const char *layout);
bool peer_address_is_valid(const char *s);
