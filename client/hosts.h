/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "site-config.h"
#include "transport.h"

/* One bus connection per site host, opened on first use and kept for the
 * run: an ssh host costs one ssh session, not one per call. */
typedef struct HostConn {
        const SiteHost *host;
        sd_bus *bus;
} HostConn;

typedef struct Hosts {
        const SiteConfig *site;
        HostConn conns[SITE_HOSTS_MAX];
        unsigned n;
} Hosts;

/* The connection to host name: 0, or a negative errno with err filled in
 * ("mailhub2 (ssh:op@hub2): Connection refused"). A connection that broke
 * is opened again. */
int hosts_get(Hosts *h, const char *name, sd_bus **ret, char *err, size_t err_size);
void hosts_close(Hosts *h);

/* A site host's Address= as a transport target (no connection made). */
Target hosts_target_of(const SiteHost *h);
