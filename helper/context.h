/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "directory-snapshot.h"
#include "inflight.h"
#include "rebuild-state.h"
#include "run-claim.h"

typedef struct Audit Audit;
typedef struct Job Job;
typedef struct SystemdWatch SystemdWatch;
typedef struct UnitOp UnitOp;
typedef struct AuthzCheck AuthzCheck;
typedef struct DirOp DirOp;
typedef struct DirRestore DirRestore;
typedef struct Health Health;

/* systemd jobs removed lately, for a watch registered after the fact. */
#define SYSTEMD_RECENT_MAX 32
typedef struct SystemdRemoved {
        char job[96];
        char result[16];
} SystemdRemoved;


/* All of hubopsd's state, owned by run() in main.c. */
typedef struct Context {
        sd_event *event;
        sd_bus *bus;            /* the system bus, where org.hubops.Helper1 lives */
        sd_bus *systemd;        /* connection to the systemd manager; NULL until needed */
        sd_bus_slot *job_removed_slot;
        sd_bus_slot *unit_status_slot; /* PropertiesChanged of service units (StatusText) */
        sd_bus_slot *systemd_owner_slot; /* NameOwnerChanged of org.freedesktop.systemd1 */
        bool systemd_via_bus;   /* reached by name through a bus daemon, not on its private socket */
        char systemd_owner[64]; /* then: the unique name that owns org.freedesktop.systemd1, "" unknown */
        bool systemd_owner_seen; /* it has had an owner: a new one is a new manager */
        sd_event_source *systemd_resync; /* reconnect and re-read the jobs followed, pending */
        unsigned systemd_resync_failures; /* in a row: logged once */
        unsigned systemd_signals_ignored; /* JobRemoved, PropertiesChanged from anyone else (forged): logged once */
        SystemdWatch *watches;  /* systemd jobs someone waits for */
        UnitOp *unit_ops;       /* operations helper/unit-run.c follows */
        SystemdRemoved recent[SYSTEMD_RECENT_MAX];
        unsigned recent_next;
        HelperConfig *config;
        Audit *audit;
        Job *jobs;              /* newest first */
        unsigned n_jobs;
        uint64_t last_job_id;   /* persisted in StateDirectory, so paths are never reused */
        uint64_t authz_serial;  /* for polkit cancellation ids */
        AuthzCheck *authz_checks; /* every check not yet freed (helper/authz.c) */
        Inflight authz_pending;   /* polkit checks in flight, per caller uid */
        Inflight load_pending;    /* GetLoad windows in flight, per caller uid */
        uint64_t directory_job_id;     /* the directory operation directory.c follows, or 0 (Busy: op-busy.h) */
        DirOp *directory_op;           /* its state (helper/directory.c) */
        DirRestore *directory_restores; /* directory jobs a dead helper left, being followed */
        sd_event_source *directory_watch; /* notices State/MainPID/RootPID changes we did not cause */
        char directory_seen[64];          /* "state main root" last signalled */
        DirectorySnapshot directory_cache; /* directory_observe_cached(), valid for DIRECTORY_CACHE_USEC */
        uint64_t directory_cache_at;       /* CLOCK_MONOTONIC; 0: look again */
        uint64_t directory_scans;          /* how many scans the cache made (tests count them) */
        char *directory_cgroup;            /* its unit's cgroup, as systemd last reported it; NULL: none */
        bool directory_cgroup_known;       /* systemd has answered (a cgroup or none) */
        sd_bus_slot *directory_cgroup_slot; /* the question to systemd about it, in flight */
        bool directory_cgroup_failing;     /* the last question failed (logged once) */
        RebuildState rebuild;             /* mirrors StateDirectory/rebuild-history.json (no job: jobs.json) */
        RunClaim run_claim;               /* mirrors StateDirectory/run-claim.json */
        Health *health;                   /* the health checks and their sampler (helper/health-sampler.h) */
} Context;
