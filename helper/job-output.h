/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <systemd/sd-bus.h>

/* A job's output is the command's business and may hold anything it
 * printed (names, paths, secrets): it is not for every local user. The
 * OutputTail property shows it to root and to the job's starter only (a
 * property getter cannot wait for polkit); anyone else asks GetOutput(),
 * which polkit judges (org.hubops.job.output). */

#define JOB_OUTPUT_TAIL_MAX 4096

/* The last JOB_OUTPUT_TAIL_MAX bytes of path as plain text (D-Bus strings
 * must be UTF-8 without NULs: anything else becomes '?'), into buf of at
 * least JOB_OUTPUT_TAIL_MAX + 1 bytes; "" when it cannot be read. */
void job_output_read_tail(const char *path, char *buf);

/* The Job interface's OutputTail getter and GetOutput() method (userdata: the Job). */
int job_output_property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error);
int job_output_method_get(sd_bus_message *m, void *userdata, sd_bus_error *error);
