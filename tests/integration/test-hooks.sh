#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# An operator runs hooks through hubopsd and gets their results; an outsider
# and unknown hooks are refused with named errors; each request leaves
# exactly one audit record with the right fields.
. "$(dirname "$0")/lib.sh"
lab_up
operator_uid=$(id -u "$OPERATOR")

# --- the operator runs a hook and gets its result ---
run_capture as_operator hubopsctl hooks run whoami
assert_eq "$rc" 0 "operator's hook run exit code"
assert_contains "$out" "done: success, exited with status 0" "result line"
assert_contains "$out" "user=nobody" "hook runs as its configured User="
assert_contains "$out" "CapEff:	0000000000000000" "hook has no effective capabilities"
assert_contains "$out" "CapBnd:	0000000000000000" "hook's bounding set is empty"
assert_contains "$out" "NoNewPrivs:	1" "hook runs with no_new_privs"
ok "operator runs hook whoami: as nobody, no capabilities, no_new_privs"

assert_eq "$(audit_count '.event=="request" and .details.hook=="whoami"')" 1 "request records for whoami"
rec=$(audit_select '.event=="request" and .details.hook=="whoami"')
assert_eq "$(jq -r .verdict <<<"$rec")" yes "verdict"
assert_eq "$(jq -r .result <<<"$rec")" started "result"
assert_eq "$(jq -r .operation <<<"$rec")" hook.run "operation"
assert_eq "$(jq -r .action <<<"$rec")" org.hubops.hook.run "polkit action"
assert_eq "$(jq -r .caller.uid <<<"$rec")" "$operator_uid" "caller uid"
assert_eq "$(jq -r '.caller.pid > 1' <<<"$rec")" true "caller pid"
assert_contains "$(jq -r .caller.bus_name <<<"$rec")" ":1." "caller bus name"
assert_eq "$(jq -r .host <<<"$rec")" "$HOST" "host"
assert_contains "$(jq -r .job <<<"$rec")" "/org/hubops/Helper1/job/" "job path"
assert_eq "$(jq -r '.id | test("^[0-9a-f]{32}$")' <<<"$rec")" true "record id"
assert_eq "$(jq -r '.time | test("Z$")' <<<"$rec")" true "UTC timestamp"
assert_eq "$(jq -r 'has("duration_usec")' <<<"$rec")" true "duration"
done_rec=$(audit_select '.event=="job-finished" and .details.hook=="whoami"')
assert_eq "$(jq -r .result <<<"$done_rec")" success "job completion is audited"
ok "one request record and one completion record, with the right fields"

# --- JSON output: only JSON on stdout ---
run_capture as_operator hubopsctl --json hooks run whoami
assert_eq "$rc" 0 "json run exit code"
assert_eq "$(jq -r .state <<<"$out")" done "json state"
assert_eq "$(jq -r .exit_status <<<"$out")" 0 "json exit status"
assert_contains "$(jq -r .output_tail <<<"$out")" "user=nobody" "json output tail"
assert_eq "$(wc -l <<<"$out")" 1 "one JSON object"
ok "--json prints one JSON object with the job's outcome"

# --- failures are reported with systemd's result ---
run_capture as_operator hubopsctl hooks run fail
assert_eq "$rc" 1 "failed hook exit code"
assert_contains "$out" "failed: exit-code, exited with status 3" "failure line"
assert_contains "$out" "failing on purpose" "failure output tail"
ok "a failing hook reports exit-code and status 3, exit code 1"

run_capture as_operator hubopsctl --json hooks run too-slow
assert_eq "$rc" 1 "timed-out hook exit code"
assert_eq "$(jq -r .result <<<"$out")" timeout "TimeoutSec= enforced by systemd"
ok "a hook over its TimeoutSec= ends with result timeout"

# --- cancel ---
run_capture as_operator hubopsctl --json hooks run slow --no-wait
assert_eq "$rc" 0 "no-wait exit code"
job=$(jq -r .job <<<"$out"); id=${job##*/}
run_capture as_operator hubopsctl job cancel "$id"
assert_eq "$rc" 0 "cancel exit code ($err)"
run_capture as_operator hubopsctl --json job wait "$id"
assert_eq "$rc" 1 "waiting on a canceled job exits 1"
assert_eq "$(jq -r .state <<<"$out")" canceled "canceled state"
run_capture as_operator hubopsctl job cancel "$id"
assert_eq "$rc" 1 "canceling a finished job fails"
assert_contains "$err" "already canceled" "NotRunning message"
assert_eq "$(audit_count '.operation=="job.cancel" and .result=="done"')" 1 "cancel audited once"
ok "cancel stops the job's unit; the job ends canceled; a second cancel is NotRunning"

# --- the outsider is refused, nothing runs ---
before=$(last_job_id)
run_capture as_outsider hubopsctl --json hooks run whoami
assert_eq "$rc" 3 "outsider exit code"
assert_eq "$(jq -r .error.name <<<"$out")" org.freedesktop.DBus.Error.AccessDenied "outsider error"
assert_contains "$(jq -r .error.message <<<"$out")" "org.hubops.hook.run" "message names the action"
assert_eq "$(last_job_id)" "$before" "no job was created for the outsider"
denied=$(audit_select ".caller.uid==$(id -u "$OUTSIDER")")
assert_eq "$(wc -l <<<"$denied")" 1 "one record for the outsider"
assert_eq "$(jq -r .verdict <<<"$denied")" no "outsider verdict"
assert_eq "$(jq -r .result <<<"$denied")" denied "outsider result"
ok "the outsider gets AccessDenied (exit 3), no job, one audit record"

# --- a challenge is InteractiveAuthorizationRequired ---
run_capture as_operator hubopsctl --json hooks run needs-auth
assert_eq "$rc" 3 "challenge exit code"
assert_eq "$(jq -r .error.name <<<"$out")" org.freedesktop.DBus.Error.InteractiveAuthorizationRequired "challenge error"
assert_eq "$(audit_count '.details.hook=="needs-auth" and .verdict=="challenge"')" 1 "challenge audited"
ok "polkit's challenge maps to InteractiveAuthorizationRequired (exit 3)"

# --- unknown and invalid hooks ---
run_capture as_operator hubopsctl --json hooks run no-such-hook
assert_eq "$rc" 6 "unknown hook exit code"
assert_eq "$(jq -r .error.name <<<"$out")" org.hubops.Helper1.Error.NotConfigured "unknown hook error"
assert_eq "$(audit_count '.details.hook=="no-such-hook" and .result=="rejected"')" 1 "unknown hook audited once"
ok "an unknown hook is NotConfigured (exit 6) and audited"

run_capture as_operator busctl --address="$(bus_address)" call org.hubops.Helper1 /org/hubops/Helper1 \
        org.hubops.Helper1.Hooks Run s "../../bin/sh"
[ "$rc" -ne 0 ] || fail "an invalid hook name was accepted"
assert_contains "$err" "Invalid hook name" "InvalidArgs message"
assert_eq "$(audit_count '.details.hook=="(invalid)"')" 1 "invalid name audited without echoing it"
ok "an invalid hook name is InvalidArgs and audited without echoing it"

# --- root bypasses polkit, and is audited ---
run_capture env DBUS_SYSTEM_BUS_ADDRESS="$(bus_address)" "$HUBOPS_LAB_DIR/bin/hubopsctl" hooks run noop
assert_eq "$rc" 0 "root runs a hook"
assert_eq "$(audit_count '.caller.uid==0 and .verdict=="root"')" 1 "root call audited with verdict root"
ok "root is not asked about by polkit, and is audited all the same"

# --- a job's output is for its starter, root, and whom polkit allows ---
run_capture as_operator hubopsctl --json hooks run whoami
assert_eq "$rc" 0 "operator's whoami run ($err)"
job=$(jq -r .job <<<"$out")
job_busctl() { local user=$1; shift; lab as "$user" "$HOST" busctl --address="$(bus_address)" "$@"; }
run_capture job_busctl "$OUTSIDER" get-property org.hubops.Helper1 "$job" org.hubops.Helper1.Job OutputTail
assert_eq "$out" 's ""' "OutputTail for the outsider (Get)"
run_capture job_busctl "$OUTSIDER" --json=short call org.hubops.Helper1 "$job" org.freedesktop.DBus.Properties \
        GetAll s org.hubops.Helper1.Job
assert_eq "$rc" 0 "GetAll as the outsider ($err)"
assert_eq "$(jq -r '.data[0].OutputTail.data' <<<"$out")" "" "OutputTail for the outsider (GetAll)"
run_capture job_busctl "$OUTSIDER" --json=short call org.hubops.Helper1 /org/hubops/Helper1 \
        org.freedesktop.DBus.ObjectManager GetManagedObjects
assert_eq "$rc" 0 "GetManagedObjects as the outsider ($err)"
assert_eq "$(jq -r --arg j "$job" '.data[0][$j]["org.hubops.Helper1.Job"].OutputTail.data' <<<"$out")" "" \
        "OutputTail for the outsider (GetManagedObjects)"
assert_not_contains "$out" "user=nobody" "any job output in GetManagedObjects for the outsider"
run_capture job_busctl "$OUTSIDER" call org.hubops.Helper1 "$job" org.hubops.Helper1.Job GetOutput
[ "$rc" -ne 0 ] || fail "GetOutput answered the outsider: $out"
assert_contains "$err" "Access denied" "the outsider's GetOutput"
assert_eq "$(audit_count '.operation=="job.output" and .action=="org.hubops.job.output" and .verdict=="no"')" 1 \
        "polkit refused it, audited"
ok "the outsider reads \"\" as OutputTail (Get, GetAll, GetManagedObjects) and is refused GetOutput"

run_capture job_busctl "$OPERATOR" get-property org.hubops.Helper1 "$job" org.hubops.Helper1.Job OutputTail
assert_contains "$out" "user=nobody" "OutputTail for the job's starter"
run_capture job_busctl "$OPERATOR" call org.hubops.Helper1 "$job" org.hubops.Helper1.Job GetOutput
assert_contains "$out" "user=nobody" "GetOutput for a caller polkit allows"
assert_eq "$(audit_count '.operation=="job.output" and .result=="done"')" 1 "the read is audited"
run_capture helper_busctl get-property org.hubops.Helper1 "$job" org.hubops.Helper1.Job OutputTail
assert_contains "$out" "user=nobody" "OutputTail for root"
ok "the starter and root read OutputTail; GetOutput answers whom polkit allows, audited"

# --- a hook reports its progress (systemd-notify --status=) ---
# The unit's StatusText, followed through systemd's PropertiesChanged, is the
# job's Counters and Progress; a free-form status is not progress.
progress_state=$HUBOPS_LAB_DIR/site-state/$HOST
at_exit "rm -f '$progress_state/progress-go' '$progress_state/progress-end'"
rm -f "$progress_state/progress-go" "$progress_state/progress-end"
run_capture as_operator hubopsctl --json --no-wait hooks run progress
assert_eq "$rc" 0 "the progress hook started ($out $err)"
progress_job=$(jq -r .job <<<"$out")
job_progress() { as_operator hubopsctl --json job show "${progress_job##*/}" | jq -r '.progress // "none"'; }
progress_is() { [ "$(job_progress)" = "$1" ]; }
wait_until 20 "the hook's first report (progress $(job_progress))" progress_is 0.25
run_capture helper_busctl get-property org.hubops.Helper1 "$progress_job" org.hubops.Helper1.Job Counters
assert_eq "$out" 'a(stt) 2 "files" 1 4 "bytes" 2048 4096' \
        "the unit's counters (Progress is the first one's: 1/4, not 2048/4096)"
# A restarted helper reads the unit's report so far, not only the next one.
lab helper "$HOST" kill
lab helper "$HOST" start
wait_until 20 "the restarted helper to read the report (progress $(job_progress))" progress_is 0.25
wait_log=$(mktemp)
at_exit "rm -f '$wait_log'"
as_operator hubopsctl job wait "${progress_job##*/}" >"$wait_log" 2>&1 &
wait_pid=$!
wait_until 20 "job wait to show the first report ($(tail -c 300 "$wait_log"))" grep -q ' 25%.*files 1/4' "$wait_log"
touch "$progress_state/progress-go"
wait_until 20 "the hook's second report (progress $(job_progress))" progress_is 0.75
wait_until 20 "job wait to show it ($(tail -c 300 "$wait_log"))" grep -q ' 75%.*files 3/4' "$wait_log"
touch "$progress_state/progress-end"
wait "$wait_pid" || fail "job wait on the progress hook: $(cat "$wait_log")"
run_capture as_operator hubopsctl --json job show "${progress_job##*/}"
assert_eq "$(jq -r .state <<<"$out")" done "the progress hook's end"
assert_eq "$(jq -r .progress <<<"$out")" 1 "progress at the end"
ok "a hook's systemd-notify --status= moves its job's progress (25%, 75%, done), seen by job show and job wait, and by a restarted helper"

# --- the systemd manager re-executes while a hook runs ---
# Its connection to hubopsd drops (a private socket) and comes back: hubopsd
# reconnects, subscribes again and re-reads each unit it follows, so the
# hook's job still ends with the hook's own result, and new hooks run.
hold=$HUBOPS_LAB_DIR/site-state/$HOST
at_exit "rm -f '$hold/hook-hold'"
rm -f "$hold/hook-held"
touch "$hold/hook-hold"
run_capture as_operator hubopsctl --json --no-wait hooks run held
assert_eq "$rc" 0 "the held hook started ($out $err)"
held_job=$(jq -r .job <<<"$out")
wait_until 20 "the hook to reach its hold" test -e "$hold/hook-held"
XDG_RUNTIME_DIR=$HUBOPS_LAB_DIR/systemd systemctl --user daemon-reexec
rm -f "$hold/hook-hold"
run_capture as_operator timeout 30 hubopsctl --json job wait "${held_job##*/}"
assert_eq "$rc" 1 "the hook's own failure, seen across the re-exec ($out $err)"
assert_eq "$(jq -r .result <<<"$out")" exit-code "the hook's real result"
assert_eq "$(jq -r .exit_status <<<"$out")" 4 "the hook's exit status"
run_capture as_operator timeout 30 hubopsctl hooks run noop
assert_eq "$rc" 0 "a hook after the re-exec ($out $err)"
ok "systemd re-executed while a hook ran: its job ends with the hook's result; new hooks run"

# --- stopped while a hook runs: a clean exit, nothing left allocated ---
# (Under ASan, LeakSanitizer checks at exit and writes into hubopsd's log;
# tests/memcheck checks the same under valgrind.) The hook's unit goes on
# under systemd: stopping the helper is not canceling its jobs.
run_capture as_operator hubopsctl --json --no-wait hooks run slow
assert_eq "$rc" 0 "a slow hook started"
slow_job=$(jq -r .job <<<"$out")
slow_unit=$(as_operator hubopsctl --json job show "${slow_job##*/}" | jq -r .unit)
assert_eq "$(lab_systemctl_is_active "$slow_unit")" activating "the hook's unit while it runs (Type=oneshot)"
pid=$(cat "$HUBOPS_LAB_DIR/pids/$HOST-hubopsd.pid")
kill -TERM "$pid"
helper_gone() { [ ! -e "/proc/$pid" ] || [ "$(awk '{ print $3 }' "/proc/$pid/stat")" = Z ]; }
wait_until 30 "hubopsd to exit on SIGTERM" helper_gone
assert_not_contains "$(cat "$HUBOPS_LAB_DIR/logs/$HOST-hubopsd.log")" "Sanitizer" "hubopsd's log after SIGTERM"
assert_eq "$(lab_systemctl_is_active "$slow_unit")" activating "the hook's unit after the helper stopped"
ok "SIGTERM while a hook runs: hubopsd exits with nothing leaked; the hook's unit goes on"
