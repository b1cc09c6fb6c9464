/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

/* A snapshot of an org.hubops.Helper1.Job object. */
#define JOB_COUNTERS_MAX 4

/* A count the job's unit reports (files, bytes, mailboxes): done of total. */
typedef struct JobCounter {
        char name[16];
        uint64_t done, total;
} JobCounter;

typedef struct JobInfo {
        char path[128];
        uint64_t id;
        char operation[64];
        char subject[80]; /* first detail value, e.g. the hook name */
        char state[16];
        char result[32];
        char message[256];
        char unit[256];
        char phase[32];
        double progress;
        bool progress_valid;
        uint64_t expected_end_at;
        char estimate_basis[64];
        JobCounter counters[JOB_COUNTERS_MAX]; /* the Counters property, as the unit reports them */
        size_t n_counters;
        int exit_status;
        uint64_t started_at, finished_at;
        char audit_id[33]; /* the audit record of the request that made the job */
        char *output_tail; /* owned */
} JobInfo;

void job_info_done(JobInfo *j);

/* A counter's rate so far: done per second of the job's elapsed time. */
static inline double job_counter_per_sec(const JobCounter *c, uint64_t elapsed_usec) {
        return elapsed_usec ? (double) c->done * 1e6 / (double) elapsed_usec : 0.0;
}

int job_info_get(sd_bus *bus, const char *path, JobInfo *ret, sd_bus_error *error);

/* Wait for the job to leave "running" (Completed signal, or the state it is
 * already in), then fill *ret. Returns an exit code (exit-codes.h) and has
 * printed any error. timeout_usec 0 = wait forever. */
int job_wait(sd_bus *bus, const char *path, uint64_t timeout_usec, JobInfo *ret);

/* The same, telling watch about the job at every refresh (about once a
 * second, and at every change) while it runs: a runbook's progress events. */
typedef struct JobWatch {
        void (*refine)(void *userdata, JobInfo *j); /* before it is shown (may be NULL) */
        void (*progress)(void *userdata, const JobInfo *j);
        void *userdata;
} JobWatch;
int job_wait_watched(sd_bus *bus, const char *path, uint64_t timeout_usec, const JobWatch *watch, JobInfo *ret);

/* Print the outcome (text or JSON) and return EXIT_OK or EXIT_FAILED. */
int job_report(const JobInfo *j);

/* After a method that returns a job: print it and return (--no-wait), or
 * wait for it and report its outcome. Returns an exit code. */
typedef struct Invocation Invocation;
int job_follow(sd_bus *bus, const Invocation *inv, sd_bus_message *reply);

/* job_wait() then job_report(): an exit code. */
int job_wait_and_report(sd_bus *bus, const char *path, uint64_t timeout_usec);

/* Job.Cancel on path, and say so (text or JSON). An exit code. */
int job_cancel(sd_bus *bus, const char *path);

/* "/org/hubops/Helper1/job/ID" from a decimal id; -EINVAL if not a positive number. */
int job_path_from_id(const char *id, char *buf, size_t size);
