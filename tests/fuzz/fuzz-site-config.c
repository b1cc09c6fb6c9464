/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hubopsctl's site config parser: any bytes give a config or a located error. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "fuzz.h"
#include "site-config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        SiteConfig *c = NULL;
        char *err = NULL;
        FILE *f;
        int r;

        f = fmemopen((void *) data, size, "r");
        if (!f)
                return 0;
        r = site_config_parse(f, "fuzz.conf", &c, &err);
        (void) fclose(f);
        /* Exactly one of: a config, or an error naming the file. */
        if ((r == 0) == (c == NULL) || (r < 0 && r != -ENOMEM && (!err || strncmp(err, "fuzz.conf", 9) != 0)))
                __builtin_trap();
        for (unsigned i = 0; c && i < c->n_hosts; i++)
                if (!c->hosts[i].address)
                        __builtin_trap();
        site_config_free(c);
        free(err);
        return 0;
}
