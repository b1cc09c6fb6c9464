/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Every name on the wire, in one place, so helper, client and tests agree. */

#define HUBOPS_BUS_NAME "org.hubops.Helper1"
#define HUBOPS_OBJECT_PATH "/org/hubops/Helper1"
#define HUBOPS_JOB_PATH_PREFIX "/org/hubops/Helper1/job"

#define HUBOPS_IFACE_MANAGER "org.hubops.Helper1.Manager"
#define HUBOPS_IFACE_HOOKS "org.hubops.Helper1.Hooks"
#define HUBOPS_IFACE_JOB "org.hubops.Helper1.Job"
#define HUBOPS_IFACE_SERVICE "org.hubops.Helper1.Service"
#define HUBOPS_IFACE_DIRECTORY "org.hubops.Helper1.Directory"
#define HUBOPS_IFACE_REBUILD "org.hubops.Helper1.Rebuild"
#define HUBOPS_IFACE_HEALTH "org.hubops.Helper1.Health"
#define HUBOPS_IFACE_MAILSTORE "org.hubops.Helper1.Mailstore"

#define HUBOPS_ERROR_BUSY "org.hubops.Helper1.Error.Busy"
#define HUBOPS_ERROR_TOO_MANY_REQUESTS "org.hubops.Helper1.Error.TooManyRequests"
#define HUBOPS_ERROR_NOT_CONFIGURED "org.hubops.Helper1.Error.NotConfigured"
#define HUBOPS_ERROR_FAILED "org.hubops.Helper1.Error.Failed"
#define HUBOPS_ERROR_TIMEOUT "org.hubops.Helper1.Error.Timeout"
#define HUBOPS_ERROR_NO_SUCH_JOB "org.hubops.Helper1.Error.NoSuchJob"
#define HUBOPS_ERROR_NOT_RUNNING "org.hubops.Helper1.Error.NotRunning"
#define HUBOPS_ERROR_AUDIT_FAILED "org.hubops.Helper1.Error.AuditFailed"
#define HUBOPS_ERROR_SYSTEMD_UNAVAILABLE "org.hubops.Helper1.Error.SystemdUnavailable"
/* Retire: the domain's mail still routes to this store (its RoutedUnit= says so). */
#define HUBOPS_ERROR_STILL_ROUTED "org.hubops.Helper1.Error.StillRouted"

#define HUBOPS_ACTION_HOOK_RUN "org.hubops.hook.run"
#define HUBOPS_ACTION_JOB_CANCEL "org.hubops.job.cancel"
#define HUBOPS_ACTION_JOB_OUTPUT "org.hubops.job.output"
#define HUBOPS_ACTION_AUDIT_READ "org.hubops.audit.read"
#define HUBOPS_ACTION_SERVICE_MANAGE "org.hubops.service.manage"
#define HUBOPS_ACTION_DIRECTORY_MANAGE "org.hubops.directory.manage"
#define HUBOPS_ACTION_REBUILD_START "org.hubops.rebuild.start"
#define HUBOPS_ACTION_REBUILD_CANCEL "org.hubops.rebuild.cancel"
#define HUBOPS_ACTION_RUN_CLAIM "org.hubops.run.claim"
#define HUBOPS_ACTION_HEALTH_PROBE "org.hubops.health.probe"
#define HUBOPS_ACTION_MAILBOX_SURVEY "org.hubops.mailbox.survey"
#define HUBOPS_ACTION_MAILBOX_VERIFY "org.hubops.mailbox.verify"
#define HUBOPS_ACTION_MAILBOX_SYNC "org.hubops.mailbox.sync"
#define HUBOPS_ACTION_MAILBOX_FREEZE "org.hubops.mailbox.freeze"
#define HUBOPS_ACTION_MAILBOX_THAW "org.hubops.mailbox.thaw"
#define HUBOPS_ACTION_MAILBOX_SWITCH "org.hubops.mailbox.switch"
#define HUBOPS_ACTION_MAILBOX_RETIRE "org.hubops.mailbox.retire"

/* Job states, as the State property spells them. */
#define HUBOPS_JOB_RUNNING "running"
#define HUBOPS_JOB_DONE "done"
#define HUBOPS_JOB_FAILED "failed"
#define HUBOPS_JOB_CANCELED "canceled"

/* Upper bound on any name a caller may pass (hook, service); longer is InvalidArgs. */
#define HUBOPS_NAME_MAX 64

/* Finished jobs stay inspectable (Job objects, ListJobs) for the newest this many. */
#define HUBOPS_JOBS_FINISHED_KEPT 64
