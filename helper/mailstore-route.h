/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "request.h"

/* Does a domain's mail route to this store? Only the site knows (its MX,
 * transport maps, a director's table), so the site answers, as it freezes
 * and switches: RoutedUnit=, a oneshot template unit instantiated with the
 * domain, exits 0 when the domain's mail routes here and 1 when it routes
 * elsewhere. Any other end means it cannot tell, and nothing that depends
 * on the answer goes ahead (the move's preflight, retire). */

/* here: 1 routes here, 0 elsewhere, < 0 unknown (why: a sentence). */
typedef void (*route_answer_t)(Request *req, int here, const char *why, void *userdata);

/* Starts the domain's RoutedUnit= instance; answer() gets the request back
 * (to reply) once it ended. Without RoutedUnit= or systemd, answers at once.
 * userdata_free frees userdata when hubopsd stops before the answer. */
void mailstore_ask_route(Request *req, const char *domain, route_answer_t answer, void *userdata,
                         void (*userdata_free)(void *));
