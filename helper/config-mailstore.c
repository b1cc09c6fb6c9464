/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* [Mailstore] and [Peer NAME]: the mail store of this host and the stores it
 * may pull a domain from (DESIGN.md 2b). Every path and unit here is the
 * operator's; a caller only ever names a domain, checked against these. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config-parser.h"
#include "names.h"
#include "timespan.h"

#define MAILSTORE_PATH_MAX 200
#define SYNC_TIMEOUT_DEFAULT_USEC (12ULL * 3600 * USEC_PER_SEC)
#define SYNC_TIMEOUT_MAX_USEC (7ULL * 86400 * USEC_PER_SEC)
#define LAYOUT_DEFAULT "%d/%n/Maildir"

static int set_template(Parser *p, const char *key, char **field, const char *value) {
        if (!unit_template_is_valid(value))
                return parser_error(p, "invalid %s= \"%s\" (a template unit such as pop-freeze@.service)", key,
                                    value);
        return parser_set_string(p, field, value);
}

/* "N" from min to max, digits only. */
static int parse_count(const char *value, unsigned min, unsigned max, unsigned *ret) {
        unsigned long n;
        char *end;

        if (value[0] < '0' || value[0] > '9' || strlen(value) > 5)
                return -EINVAL;
        n = strtoul(value, &end, 10);
        if (*end != '\0' || n < min || n > max)
                return -ERANGE;
        *ret = (unsigned) n;
        return 0;
}

/* "%d/" then components: exactly one "%n", the others literal names. The
 * domain is always the first level under Root=, as DESIGN.md 2b has it. */
bool mailstore_layout_is_valid(const char *layout) {
        _cleanup_free_ char *copy = NULL;
        char *save = NULL;
        unsigned mailboxes = 0;

        if (!layout || strncmp(layout, "%d/", 3) != 0 || strlen(layout) > MAILSTORE_PATH_MAX ||
            strstr(layout, "//") || layout[strlen(layout) - 1] == '/')
                return false;
        copy = strdup(layout + 3);
        if (!copy)
                return false;
        for (char *w = strtok_r(copy, "/", &save); w; w = strtok_r(NULL, "/", &save)) {
                if (strcmp(w, "%n") == 0)
                        mailboxes++;
                else if (!name_is_valid(w) || strchr(w, '%') || strcmp(w, "..") == 0)
                        return false;
        }
        return mailboxes == 1;
}

int parse_mailstore_key(Parser *p, const char *key, const char *value) {
        MailstoreConfig *m = &p->config->mailstore;

        if (strcmp(key, "Root") == 0)
                return parser_set_path_max(p, key, &m->root, value, MAILSTORE_PATH_MAX);
        if (strcmp(key, "Layout") == 0) {
                if (!mailstore_layout_is_valid(value))
                        return parser_error(p, "invalid Layout= \"%s\" (\"%%d/\" then names and one \"%%n\", "
                                               "such as %s)", value, LAYOUT_DEFAULT);
                return parser_set_string(p, &m->layout, value);
        }
        if (strcmp(key, "User") == 0 || strcmp(key, "Group") == 0) {
                if (!name_is_valid(value) || strlen(value) > 31 || (value[0] >= '0' && value[0] <= '9'))
                        return parser_error(p, "invalid %s= \"%s\"", key, value);
                return parser_set_string(p, key[0] == 'U' ? &m->user : &m->group, value);
        }
        if (strcmp(key, "FreezeUnit") == 0)
                return set_template(p, key, &m->freeze_unit, value);
        if (strcmp(key, "ThawUnit") == 0)
                return set_template(p, key, &m->thaw_unit, value);
        if (strcmp(key, "SwitchUnit") == 0)
                return set_template(p, key, &m->switch_unit, value);
        if (strcmp(key, "RoutedUnit") == 0)
                return set_template(p, key, &m->routed_unit, value);
        if (strcmp(key, "SyncTimeoutSec") == 0) {
                uint64_t t;

                if (timespan_parse(value, &t) < 0 || t < USEC_PER_SEC || t > SYNC_TIMEOUT_MAX_USEC)
                        return parser_error(p, "invalid SyncTimeoutSec= \"%s\" (a span from 1s to 7d)", value);
                m->sync_timeout_usec = t;
                return 1;
        }
        return parser_error(p, "unknown key %s= in [Mailstore]", key);
}

int begin_mailstore(Parser *p) {
        MailstoreConfig *m = &p->config->mailstore;

        if (m->present)
                return parser_error(p, "duplicate section [Mailstore]"), -EINVAL;
        *m = (MailstoreConfig) {
                .present = true,
                .line = p->ini.line,
                .sync_timeout_usec = SYNC_TIMEOUT_DEFAULT_USEC,
        };
        p->section = SECTION_MAILSTORE;
        return 0;
}

/* [USER@]HOST for ssh: HOST a name or an address, never starting with '-'
 * (an ssh option), nothing a shell or ssh would read twice. */
bool peer_address_is_valid(const char *s) {
        const char *at, *host;

        if (!s || strlen(s) > 255)
                return false;
        at = strchr(s, '@');
        host = at ? at + 1 : s;
        if (at) {
                char user[32];
                size_t ul = (size_t) (at - s);

                if (ul == 0 || ul >= sizeof(user))
                        return false;
                memcpy(user, s, ul);
                user[ul] = '\0';
                if (!name_is_valid(user) || (user[0] >= '0' && user[0] <= '9'))
                        return false;
        }
        if (host[0] == '\0' || host[0] == '-' || host[0] == '.' || host[0] == ':')
                return false;
        return strspn(host, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-:") == strlen(host);
}

int begin_peer(Parser *p, const char *name) {
        PeerConfig *peer;

        if (!name_is_valid(name))
                return parser_error(p, "invalid peer name \"%s\"", name), -EINVAL;
        if (config_find_peer(p->config, name))
                return parser_error(p, "duplicate peer \"%s\"", name), -EINVAL;
        if (p->config->n_peers >= PEERS_MAX)
                return parser_error(p, "too many peers (at most %d)", PEERS_MAX), -E2BIG;
        peer = &p->config->peers[p->config->n_peers];
        *peer = (PeerConfig) { .port = 22, .line = p->ini.line };
        peer->name = strdup(name);
        if (!peer->name)
                return -ENOMEM;
        p->config->n_peers++;
        p->peer = peer;
        p->section = SECTION_PEER;
        return 0;
}

int parse_peer_key(Parser *p, const char *key, const char *value) {
        PeerConfig *peer = p->peer;

        if (strcmp(key, "Address") == 0) {
                if (!peer_address_is_valid(value))
                        return parser_error(p, "invalid Address= \"%s\" ([USER@]HOST)", value);
                return parser_set_string(p, &peer->address, value);
        }
        if (strcmp(key, "Port") == 0) {
                if (parse_count(value, 1, 65535, &peer->port) < 0)
                        return parser_error(p, "invalid Port= \"%s\" (1 to 65535)", value);
                return 1;
        }
        if (strcmp(key, "IdentityFile") == 0)
                return parser_set_path_max(p, key, &peer->identity_file, value, MAILSTORE_PATH_MAX);
        if (strcmp(key, "KnownHostsFile") == 0)
                return parser_set_path_max(p, key, &peer->known_hosts_file, value, MAILSTORE_PATH_MAX);
        return parser_error(p, "unknown key %s= in [Peer %s]", key, peer->name);
}

int finish_mailstore(Parser *p) {
        HelperConfig *c = p->config;
        MailstoreConfig *m = &c->mailstore;

        for (size_t i = 0; i < c->n_peers; i++) {
                const PeerConfig *peer = &c->peers[i];

                p->ini.line = peer->line;
                if (!peer->address || !peer->identity_file || !peer->known_hosts_file)
                        return parser_error(p, "[Peer %s] needs Address=, IdentityFile= and KnownHostsFile=",
                                            peer->name),
                               -EINVAL;
        }
        if (!m->present) {
                if (c->n_peers > 0)
                        return parser_error(p, "[Peer] sections need a [Mailstore] to pull into"), -EINVAL;
                return 0;
        }
        p->ini.line = m->line;
        if (!m->root || !m->user)
                return parser_error(p, "[Mailstore] needs Root= and User="), -EINVAL;
        if (strcmp(m->user, "root") == 0)
                return parser_error(p, "[Mailstore] User=root: the mail and its copies run as the mail user"),
                       -EINVAL;
        if (!m->layout && !(m->layout = strdup(LAYOUT_DEFAULT)))
                return -ENOMEM;
        return 0;
}

const PeerConfig *config_find_peer(const HelperConfig *c, const char *name) {
        for (size_t i = 0; c && i < c->n_peers; i++)
                if (strcmp(c->peers[i].name, name) == 0)
                        return &c->peers[i];
        return NULL;
}

void mailstore_config_done(HelperConfig *c) {
        MailstoreConfig *m = &c->mailstore;

        free(m->root);
        free(m->layout);
        free(m->user);
        free(m->group);
        free(m->freeze_unit);
        free(m->thaw_unit);
        free(m->switch_unit);
        free(m->routed_unit);
        for (size_t i = 0; i < c->n_peers; i++) {
                free(c->peers[i].name);
                free(c->peers[i].address);
                free(c->peers[i].identity_file);
                free(c->peers[i].known_hosts_file);
        }
        free(c->peers);
}
