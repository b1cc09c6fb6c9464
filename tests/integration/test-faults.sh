#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Faults with a clear expected outcome: malformed calls never crash the
# helper; no audit log, no action; polkitd gone, no action; the systemd
# manager gone, a named error and no half-done job.
. "$(dirname "$0")/lib.sh"
auditfs=$(mktemp -d /run/hubops-auditfs.XXXXXX)
mount -t tmpfs -o size=256k,mode=0755 tmpfs "$auditfs" || fail "cannot mount a tmpfs for the audit log"
export HUBOPS_LAB_AUDIT_DIR=$auditfs
at_exit "umount -l '$auditfs'; rmdir '$auditfs'"
lab_up
call() { helper_busctl call org.hubops.Helper1 "$@"; }
alive() { helper_busctl status org.hubops.Helper1 >/dev/null || fail "hubopsd died: $*"; }

# --- malformed and unknown calls: named errors, never a crash ---
while IFS='|' read -r want args; do
        # shellcheck disable=SC2086 # the table's arguments are meant to split
        run_capture as_operator busctl --address="$(bus_address)" call org.hubops.Helper1 $args
        [ "$rc" -ne 0 ] || fail "accepted: $args"
        assert_contains "$err" "$want" "$args"
        alive "$args"
        ok "busctl call $args -> $want"
done <<'TABLE'
Invalid arguments|/org/hubops/Helper1 org.hubops.Helper1.Hooks Run u 5
Invalid arguments|/org/hubops/Helper1 org.hubops.Helper1.Hooks Run ss a b
Invalid hook name|/org/hubops/Helper1 org.hubops.Helper1.Hooks Run s .hidden
Unknown method|/org/hubops/Helper1 org.hubops.Helper1.Hooks Frobnicate
Unknown method|/org/hubops/Helper1 org.hubops.Helper1.Manager Reboot
Invalid service name|/org/hubops/Helper1 org.hubops.Helper1.Service Start s ../x
window_ms must be between|/org/hubops/Helper1 org.hubops.Helper1.Manager GetLoad u 4294967295
Unknown object|/org/hubops/Helper1/job/0 org.hubops.Helper1.Job Cancel
Unknown object|/org/hubops/Helper1/job/abc org.hubops.Helper1.Job Cancel
Unknown object|/org/hubops/Helper1/job/18446744073709551616 org.hubops.Helper1.Job Cancel
Unknown object|/org/hubops/Helper1/job/424242 org.hubops.Helper1.Job Cancel
Unknown object|/org/hubops/Helper1/nope org.hubops.Helper1.Manager ListJobs
TABLE
long=$(head -c 100000 /dev/zero | tr '\0' a)
run_capture as_operator busctl --address="$(bus_address)" call org.hubops.Helper1 /org/hubops/Helper1 \
        org.hubops.Helper1.Hooks Run s "$long"
assert_contains "$err" "Invalid hook name" "a 100 kB hook name"
alive "long name"
assert_eq "$(audit_count '.details.hook=="(invalid)"')" 2 "invalid names audited, never echoed"
ok "a 100 kB name is InvalidArgs, audited without being echoed"

# --- the audit log cannot be written (its filesystem is full): refused, nothing runs ---
# (A read-only remount is not possible while hubopsd holds the log open for
# writing, which is how it is in production too; a full disk is the real case.)
before=$(last_job_id)
dd if=/dev/zero of="$auditfs/fill" bs=4k 2>/dev/null || true
run_capture as_operator hubopsctl --json hooks run noop
rm -f "$auditfs/fill"
assert_eq "$rc" 1 "hook run with a full audit filesystem"
assert_eq "$(jq -r .error.name <<<"$out")" org.hubops.Helper1.Error.AuditFailed "named error"
assert_contains "$(jq -r .error.message <<<"$out")" "the audit log cannot be written" "says why"
assert_eq "$(last_job_id)" "$before" "nothing ran"
run_capture as_operator hubopsctl hooks run noop
assert_eq "$rc" 0 "with room again, hooks run ($err)"
ok "full audit filesystem -> AuditFailed, nothing runs; with room again it works"

# --- a start is on record before systemd is asked: hubopsd dying before the
# manager answers leaves no unit run without an audit record ---
# The manager is stopped (SIGSTOP), so it cannot answer StartTransientUnit;
# hubopsd is killed while it waits; then the manager reads the call and runs it.
systemd_pid=$(cat "$HUBOPS_LAB_DIR/pids/systemd.pid")
at_exit "kill -CONT $systemd_pid"
before=$(last_job_id)
kill -STOP "$systemd_pid"
as_operator hubopsctl --json --no-wait hooks run noop >/dev/null 2>&1 &
caller=$!
job_created() { [ "$(last_job_id)" -gt "$before" ]; }
wait_until 10 "hubopsd to create the job" job_created
id=$(last_job_id)
unit="hubops-$HOST-hook-noop-$id.service"
unit_recorded() { [ "$(audit_count ".unit==\"$unit\"")" -ge 1 ]; }
wait_until 10 "an audit record naming $unit while systemd has not answered" unit_recorded
assert_eq "$(audit_count ".event==\"request\" and .unit==\"$unit\"")" 0 "no started record: systemd has not answered"
lab helper "$HOST" kill
kill -CONT "$systemd_pid"
unit_ran() { [ "$(lab_systemctl_is_active "$unit")" = active ]; }
wait_until 15 "the manager to run $unit for the dead helper" unit_ran
wait "$caller" 2>/dev/null || true
rec=$(audit_select ".event==\"job-starting\" and .unit==\"$unit\"")
assert_eq "$(jq -r .result <<<"$rec")" starting "result"
assert_eq "$(jq -r .caller.uid <<<"$rec")" "$(id -u "$OPERATOR")" "caller"
assert_eq "$(jq -r .job <<<"$rec")" "/org/hubops/Helper1/job/$id" "job"
lab helper "$HOST" start
ok "the job-starting record is on disk before systemd is asked; a helper killed then leaves no unaudited unit"

# --- polkitd is gone: every privileged call is denied, audited ---
kill "$(cat "$HUBOPS_LAB_DIR/pids/$HOST-polkitd.pid")"
gone() { ! helper_busctl status org.freedesktop.PolicyKit1 >/dev/null 2>&1; }
wait_until 10 "polkitd to leave the bus" gone
before=$(last_job_id)
run_capture as_operator hubopsctl --json hooks run noop
assert_eq "$rc" 3 "without polkitd"
assert_contains "$(jq -r .error.message <<<"$out")" "polkit is not running" "the reason"
assert_eq "$(last_job_id)" "$before" "nothing ran"
assert_eq "$(audit_count '.verdict=="error" and .result=="denied"')" 1 "audited as a polkit error"
ok "polkitd stopped -> AccessDenied naming the cause, nothing runs, audited"
run_capture env DBUS_SYSTEM_BUS_ADDRESS="$(bus_address)" "$HUBOPS_LAB_DIR/bin/hubopsctl" hooks run noop
assert_eq "$rc" 0 "root does not need polkit"
ok "root still works without polkitd"

# --- the systemd manager is gone: a named error, no half-done job ---
kill "$(cat "$HUBOPS_LAB_DIR/pids/systemd.pid")"
wait_until 15 "the systemd manager to exit" sh -c "! kill -0 $(cat "$HUBOPS_LAB_DIR/pids/systemd.pid") 2>/dev/null || \
        grep -q ' Z ' /proc/$(cat "$HUBOPS_LAB_DIR/pids/systemd.pid")/stat"
run_capture env DBUS_SYSTEM_BUS_ADDRESS="$(bus_address)" "$HUBOPS_LAB_DIR/bin/hubopsctl" --json hooks run noop
assert_eq "$rc" 1 "without a systemd manager"
assert_eq "$(jq -r .error.name <<<"$out")" org.hubops.Helper1.Error.SystemdUnavailable "named error"
run_capture env DBUS_SYSTEM_BUS_ADDRESS="$(bus_address)" "$HUBOPS_LAB_DIR/bin/hubopsctl" --json jobs
assert_eq "$(jq '[.jobs[] | select(.state=="running")] | length' <<<"$out")" 0 "no job left running"
alive "after the manager went"
ok "systemd manager gone -> SystemdUnavailable, no job left behind, the helper stays up"
