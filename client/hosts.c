/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hosts.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hubops-bus.h"
#include "transport.h"

/* Site config addresses as transport targets: "local", "ssh:[USER@]HOST[:PORT]", or an sd-bus address. */
Target hosts_target_of(const SiteHost *h) {
        if (strcmp(h->address, "local") == 0)
                return (Target) { 0 };
        if (strncmp(h->address, "ssh:", 4) == 0)
                return (Target) { .host = h->address + 4 };
        return (Target) { .address = h->address };
}

int hosts_get(Hosts *h, const char *name, sd_bus **ret, char *err, size_t err_size) {
        const SiteHost *sh = site_find_host(h->site, name);
        HostConn *c = NULL;
        int r;

        if (!sh) {
                (void) snprintf(err, err_size, "%s: no such host in %s", name, h->site->path);
                return -ENOENT;
        }
        for (unsigned i = 0; i < h->n; i++)
                if (h->conns[i].host == sh)
                        c = &h->conns[i];
        if (!c) {
                if (h->n >= SITE_HOSTS_MAX)
                        return -E2BIG;
                c = &h->conns[h->n++];
                *c = (HostConn) { .host = sh };
        }
        if (c->bus && sd_bus_is_open(c->bus) > 0) {
                *ret = c->bus;
                return 0;
        }
        c->bus = sd_bus_flush_close_unref(c->bus);

        Target t = hosts_target_of(sh);
        r = transport_open(&t, false, &c->bus);
        if (r >= 0)
                /* transport_open() connects lazily (ssh starts on first use): make the first call here. */
                r = sd_bus_call_method(c->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "GetId", NULL, NULL, NULL);
        if (r < 0) {
                (void) snprintf(err, err_size, "%s (%s): cannot connect: %s", name, sh->address, strerror(-r));
                c->bus = sd_bus_flush_close_unref(c->bus);
                return r;
        }
        *ret = c->bus;
        return 0;
}

void hosts_close(Hosts *h) {
        for (unsigned i = 0; i < h->n; i++)
                h->conns[i].bus = sd_bus_flush_close_unref(h->conns[i].bus);
        h->n = 0;
}
