/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "health.h"

/* The helper's configuration: what this host may do. Everything a privileged
 * operation runs comes from here, never from the caller. */

#define HELPER_CONFIG_DEFAULT "/etc/hubops/helper.conf"
#define HELPER_AUDIT_LOG_DEFAULT "/var/log/hubops/audit.jsonl"
#define HELPER_STATE_DIRECTORY_DEFAULT "/var/lib/hubops"
#define HELPER_CPU_STAT_SOURCE_DEFAULT "/proc/stat"
#define HELPER_UNIT_PREFIX_DEFAULT "hubops"
#define HOOK_TIMEOUT_DEFAULT_USEC (300ULL * 1000000ULL)
#define HOOK_ARGV_MAX 64
#define REBUILD_RUNTIME_MAX_DEFAULT_USEC (8ULL * 3600ULL * 1000000ULL)
#define DIRECTORY_STOP_TIMEOUT_DEFAULT_USEC (90ULL * 1000000ULL)
#define DIRECTORY_KILL_TIMEOUT_DEFAULT_USEC (10ULL * 1000000ULL)
#define DIRECTORY_START_TIMEOUT_DEFAULT_USEC (90ULL * 1000000ULL)

typedef struct HookConfig {
        char *name;
        char *description;
        char **argv; /* NULL-terminated; argv[0] is an absolute path */
        char *user;
        char *group;
        uint64_t timeout_usec;
        uint64_t capability_mask; /* bit N = capability N in the unit's bounding set */
        unsigned line;            /* where the section starts, for messages */
} HookConfig;

typedef struct DirectoryConfig {
        bool present;
        char *unit;               /* the directory's unit (e.g. eddy.service), or NULL ... */
        char **stop_command;      /* ... and the init script's commands, run as transient units */
        char **start_command;
        char *user;               /* who runs Stop/StartCommand=; processes wholly its are the directory's */
        uid_t uid;                /* User= as config_load() resolved it; (uid_t) -1: none (yet) */
        char **root_process;      /* exact argv of the root process the stop leaves behind */
        char **main_process;      /* exact argv of the main directory process */
        char *ready_socket;       /* AF_UNIX socket that accepts once the directory is ready */
        uint64_t stop_timeout_usec, kill_timeout_usec, start_timeout_usec;
        unsigned line;
} DirectoryConfig;

typedef struct ServiceConfig {
        char *name;
        char *unit;
        unsigned line;
} ServiceConfig;

typedef struct RebuildConfig {
        bool present;
        char **argv;               /* ExecStart= */
        char *user, *group;
        char *working_directory;
        int nice;                  /* -20..19 */
        char *io_scheduling_class; /* realtime, best-effort, idle, or NULL */
        uint64_t runtime_max_usec; /* the ceiling: past it systemd stops it (result timeout) */
        uint64_t expected_usec;    /* the first estimate, until there is history; 0: none */
        unsigned line;
} RebuildConfig;

/* [Health]: the checks of DESIGN.md 2a on this host (helper/config-health.c). */
typedef struct HealthConfig {
        HealthThresholds thresholds;   /* the helper's own: for its sampler, signals and textfile */
        uint64_t sample_interval_usec; /* SampleIntervalSec=, default 1min */
        uint64_t sample_timeout_usec;  /* SampleTimeoutSec=, default 10s: past it a check counts as hung */
        char *textfile_directory;      /* TextfileDirectory=: node_exporter's textfile collector, or NULL */
        char *probe_directory;         /* ProbeDirectory=: the probe's scratch directory, or NULL (no probe) */
        char *probe_user;              /* ProbeUser=, default root (with no capabilities) */
        uint64_t probe_size;           /* ProbeSize=, default 64M */
        uint64_t probe_timeout_usec;   /* ProbeTimeoutSec=, default 10s */
        char *backup_path;             /* BackupPath=: the newest file under it is the backup's age */
        char *backup_check_unit;       /* BackupCheckUnit=: or the last run of this unit */
        char **smart_devices;          /* SmartDevices= */
        uint64_t smart_interval_usec;  /* SmartIntervalSec=, default 1h */
        char *kernel_journal_directory; /* KernelJournalDirectory=: default the system journal */
} HealthConfig;

/* [Mailstore]: this host's mail store, for the mailbox move (DESIGN.md 2b;
 * helper/config-mailstore.c). Domains are directories under root; a
 * domain's mailboxes are found by layout; no path ever comes from a caller. */
typedef struct MailstoreConfig {
        bool present;
        char *root;            /* Root=: the mail root, absolute */
        char *layout;          /* Layout=: "%d/%n/Maildir" by default; %d the domain, %n the mailbox */
        char *user, *group;    /* User=, Group=: who owns the mail, and who runs the copy */
        char *freeze_unit;     /* FreezeUnit=: template (NAME@.service), instantiated with the domain */
        char *thaw_unit;       /* ThawUnit= */
        char *switch_unit;     /* SwitchUnit= */
        char *routed_unit;     /* RoutedUnit=: exits 0 when the domain routes here, 1 when not */
        uint64_t sync_timeout_usec; /* SyncTimeoutSec=: the ceiling of one copy pass */
        unsigned line;
} MailstoreConfig;

/* [Peer NAME]: a mail store this one may pull from, over ssh with its own key
 * (the peer's authorized_keys restricts it to rrsync -ro on its mail root). */
typedef struct PeerConfig {
        char *name;
        char *address;          /* Address=: [USER@]HOST for ssh */
        unsigned port;          /* Port=, default 22 */
        char *identity_file;    /* IdentityFile=: the dedicated private key */
        char *known_hosts_file; /* KnownHostsFile=: the peer's host key; no trust on first use */
        unsigned line;
} PeerConfig;

typedef struct HelperConfig {
        char *hostname;
        char **roles; /* NULL-terminated */
        char *systemd_address; /* NULL: org.freedesktop.systemd1 on the system bus */
        char *audit_log;
        unsigned audit_refusal_burst;         /* AuditRefusalBurst= */
        uint64_t audit_refusal_interval_usec; /* AuditRefusalIntervalSec= */
        uint64_t audit_reserve_bytes;         /* AuditReserve= */
        char *state_directory;
        char *cpu_stat_source;
        char *unit_prefix;
        char *job_log_directory; /* NULL: job output goes to the journal */
        char **check_paths;      /* GetHealth reports space, inodes, writability of these */
        HookConfig *hooks;
        size_t n_hooks;
        ServiceConfig *services;
        size_t n_services;
        DirectoryConfig directory;
        RebuildConfig rebuild;
        HealthConfig health;
        MailstoreConfig mailstore;
        PeerConfig *peers;
        size_t n_peers;
} HelperConfig;

/* Open, check ownership and mode, parse, and verify accounts exist. On error
 * *ret_error says "FILE[:LINE]: what is wrong". */
int config_load(const char *path, HelperConfig **ret, char **ret_error);

/* Parse only (no file checks, no account look-ups): the fuzzed entry point. */
int config_parse(FILE *f, const char *path, HelperConfig **ret, char **ret_error);

/* Refuse a config that is not a regular file owned by root, or is group- or
 * world-writable, as doas does. */
int config_check_file_safe(int fd, const char *path, char **ret_error);

const HookConfig *config_find_hook(const HelperConfig *c, const char *name);
const ServiceConfig *config_find_service(const HelperConfig *c, const char *name);
const PeerConfig *config_find_peer(const HelperConfig *c, const char *name);

void config_free(HelperConfig *c);
static inline void config_freep(HelperConfig **c) {
        config_free(*c);
}
