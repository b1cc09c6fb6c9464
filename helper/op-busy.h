/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "context.h"
#include "request.h"

/* What a second call of an operation collides on, as its row says
 * (OpRow.busy, op-table.h): a running job of the same family, on this
 * host or for the same subject. Asked before polkit, so a refusal costs no
 * check, and again once authorized: another caller may have won meanwhile. */

/* The running job a call of operation on subject would collide with; NULL: none. */
Job *op_busy_job(Context *c, const char *operation, const char *subject);

/* Replies Busy naming that job (the request is freed) and returns true;
 * false: go on. */
bool op_reply_if_busy(Request *req, const char *subject);

/* request_authorize() for a call that starts req->operation on subject:
 * the busy check first, and again just before act(). Returns 1. */
int op_authorize(Request *req, const char *subject, request_act_t act, void *userdata,
                 void (*userdata_free)(void *));
