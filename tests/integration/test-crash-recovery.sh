#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hubopsd SIGKILLed in the middle of a service restart and of a directory
# restart (run through its unit, and through its init script as transient
# units). When it starts again: the state is read afresh (systemd, /proc),
# the dead helper's job is still there under its id and says what became of
# it (followed to its end when systemd's job still runs, else "interrupted"
# with what is known), no lock outlives what it guarded, job ids are not
# reused, and doing the operation again completes it. (The rebuild's crash:
# test-rebuild.sh.) The lab's fakes hold a start while a file exists, so each
# kill lands mid-operation by construction, not by timing.
export HUBOPS_LAB_HOSTS="dirhost mailhub1"
. "$(dirname "$0")/lib.sh"
lab_up
export XDG_RUNTIME_DIR=$HUBOPS_LAB_DIR/systemd
dirstate=$HUBOPS_LAB_DIR/site-state/dirhost
hubstate=$HUBOPS_LAB_DIR/site-state/mailhub1
at_exit "rm -f '$hubstate/hook-hold' '$dirstate/eddy-start-hold' '$dirstate/dirtables/ready-hold' '$hubstate/regclient-start-hold'"
regclient="regclient-mailhub1.service"

ctl() { local host=$1; shift; lab as "$OPERATOR" "$host" hubopsctl --json "$@"; }
job_prop() { # HOST JOB PROPERTY
        busctl --address="$(bus_address "$1")" get-property org.hubops.Helper1 "$2" org.hubops.Helper1.Job "$3" |
                cut -d' ' -f2- | tr -d '"'
}
phase_is() { [ "$(job_prop "$1" "$2" Phase)" = "$3" ]; }
crash() { lab helper "$1" kill; lab helper "$1" start; }
finished_audits() { audit_count ".event==\"job-finished\" and .job==\"$1\""; }
dir_field() { ctl dirhost directory status | jq -r ".$1"; }
regclient_active() { [ "$(lab_systemctl_is_active "$regclient")" = active ]; }

# ---- a service restart: systemd's job outlives the helper ----

export HOST=mailhub1 # whose audit log finished_audits reads
touch "$hubstate/regclient-start-hold"
run_capture ctl mailhub1 service restart regclient --no-wait
assert_eq "$rc" 0 "service restart --no-wait ($out $err)"
job=$(jq -r .job <<<"$out")
wait_until 20 "regclient's start to reach its hold" test -e "$hubstate/regclient-start-held"
crash mailhub1
run_capture ctl mailhub1 job show "${job##*/}"
assert_eq "$rc" 0 "the dead helper's job is known after the restart ($out $err)"
assert_eq "$(jq -r .state <<<"$out")" running "systemd's restart job still runs, and so does the job"
assert_contains "$(job_prop mailhub1 "$job" Message)" "re-attached" "the job says it was re-attached"
run_capture ctl mailhub1 service status regclient
assert_eq "$(jq -r .active_state <<<"$out")" activating "the service's state, read from systemd"
rm -f "$hubstate/regclient-start-hold"
run_capture ctl mailhub1 job wait "${job##*/}"
assert_eq "$rc" 0 "the re-attached job ends with systemd's result ($out)"
assert_eq "$(jq -r .result <<<"$out")" "done" "systemd's job result"
assert_eq "$(lab_systemctl_is_active "$regclient")" active "regclient runs"
assert_eq "$(finished_audits "$job")" 1 "its end audited once"
ok "helper killed during a service restart: the same job follows systemd's job to its end (done)"

touch "$hubstate/regclient-start-hold"
run_capture ctl mailhub1 service restart regclient --no-wait
job=$(jq -r .job <<<"$out")
wait_until 20 "regclient's start to reach its hold" test -e "$hubstate/regclient-start-held"
lab helper mailhub1 kill
rm -f "$hubstate/regclient-start-hold"
wait_until 20 "regclient to be active while no helper runs" regclient_active
lab helper mailhub1 start
run_capture ctl mailhub1 job wait "${job##*/}"
assert_eq "$rc" 1 "a job whose end nobody saw is not a success ($out $err)"
assert_eq "$(jq -r .state <<<"$out")" failed "state"
assert_eq "$(jq -r .result <<<"$out")" interrupted "result"
assert_contains "$(jq -r .message <<<"$out")" "$regclient is active (running)" "the unit's state now"
assert_eq "$(finished_audits "$job")" 1 "its end audited once"
run_capture ctl mailhub1 service restart regclient
assert_eq "$rc" 0 "the retry ($out)"
assert_eq "$(jq -r .result <<<"$out")" "done" "the retry's result"
[ "$(jq -r .id <<<"$out")" -gt "${job##*/}" ] || fail "job id $(jq -r .id <<<"$out") reused after the restart"
ok "systemd's job ended while no helper ran: the job ends \"interrupted\" with the unit's state; a retry works"

# ---- a hook: its transient unit outlives the helper ----

rm -f "$hubstate/hook-held"
touch "$hubstate/hook-hold"
run_capture ctl mailhub1 hooks run held --no-wait
assert_eq "$rc" 0 "hooks run held --no-wait ($out $err)"
job=$(jq -r .job <<<"$out")
wait_until 20 "the hook to reach its hold" test -e "$hubstate/hook-held"
crash mailhub1
run_capture ctl mailhub1 job show "${job##*/}"
assert_eq "$rc" 0 "the dead helper's hook job is known after the restart ($out $err)"
assert_eq "$(jq -r .state <<<"$out")" running "the hook still runs, and so does its job"
rm -f "$hubstate/hook-hold"
run_capture ctl mailhub1 job wait "${job##*/}"
assert_eq "$rc" 1 "the hook's own failure ($out $err)"
assert_eq "$(jq -r .result <<<"$out")" exit-code "the hook's real result"
assert_eq "$(jq -r .exit_status <<<"$out")" 4 "the hook's exit status"
assert_eq "$(finished_audits "$job")" 1 "its end audited once"

rm -f "$hubstate/hook-held"
touch "$hubstate/hook-hold"
run_capture ctl mailhub1 hooks run held --no-wait
job=$(jq -r .job <<<"$out")
hook_unit=$(ctl mailhub1 job show "${job##*/}" | jq -r .unit)
wait_until 20 "the hook to reach its hold" test -e "$hubstate/hook-held"
lab helper mailhub1 kill
rm -f "$hubstate/hook-hold"
hook_ended() { case $(lab_systemctl_is_active "$1") in active | failed | inactive) return 0 ;; esac; return 1; }
wait_until 20 "the hook to end while no helper runs" hook_ended "$hook_unit"
lab helper mailhub1 start
run_capture ctl mailhub1 job wait "${job##*/}"
assert_eq "$(jq -r .result <<<"$out")" exit-code "the outcome read from the ended unit ($out $err)"
assert_eq "$(jq -r .exit_status <<<"$out")" 4 "its exit status"
assert_eq "$(finished_audits "$job")" 1 "its end audited once"
ok "helper killed during a hook: the same job ends with the hook's real result, whether it ended before or after the restart"

# ---- a directory restart through the unit: killed during the start ----

export HOST=dirhost
touch "$dirstate/eddy-start-hold"
run_capture ctl dirhost directory restart --no-wait
assert_eq "$rc" 0 "directory restart --no-wait ($out $err)"
job=$(jq -r .job <<<"$out")
wait_until 20 "eddy's start to reach its hold" test -e "$dirstate/eddy-start-held"
assert_eq "$(job_prop dirhost "$job" Phase)" starting "the restart is starting the directory"
audit_id=$(job_prop dirhost "$job" AuditId)
[ -n "$audit_id" ] || fail "the job has no AuditId"
crash dirhost
assert_eq "$(job_prop dirhost "$job" AuditId)" "$audit_id" "the job keeps the id of its request's audit record"
assert_eq "$(dir_field state)" stopped "State as /proc shows it: stopped, root process killed, start held"
run_capture ctl dirhost job show "${job##*/}"
assert_eq "$rc" 0 "the dead helper's directory job is known after the restart ($out $err)"
assert_eq "$(jq -r .state <<<"$out")" running "it follows systemd's start of eddy, which still runs"
run_capture ctl dirhost directory restart
assert_eq "$rc" 7 "a restart while systemd still runs the dead helper's start"
assert_contains "$(jq -r .error.message <<<"$out")" "job ${job##*/}" "Busy names that job"
rm -f "$dirstate/eddy-start-hold"
run_capture ctl dirhost job wait "${job##*/}"
assert_eq "$rc" 1 "an interrupted restart is not a success ($out $err)"
assert_eq "$(jq -r .result <<<"$out")" interrupted "result"
msg=$(jq -r .message <<<"$out")
assert_contains "$msg" "hubopsd restarted in phase starting" "where it was cut off"
assert_contains "$msg" "stopped; root process ended on SIGTERM" "what had been done"
assert_contains "$msg" "the start (eddy-dirhost.service) went on: done" "systemd's job, followed"
assert_contains "$msg" "directory running" "the state now"
assert_eq "$(finished_audits "$job")" 1 "its end audited once"
run_capture ctl dirhost directory restart
assert_eq "$rc" 0 "the retry completes the restart ($out)"
[ "$(jq -r .id <<<"$out")" -gt "${job##*/}" ] || fail "job id $(jq -r .id <<<"$out") reused after the restart"
assert_eq "$(dir_field state)" running "running"
ok "helper killed during the directory's start: Busy until systemd's start ends, then \"interrupted\"; a retry works"

# ---- killed while waiting for readiness: nothing of the helper's is left to follow ----

touch "$dirstate/dirtables/ready-hold"
run_capture ctl dirhost directory restart --no-wait
job=$(jq -r .job <<<"$out")
wait_until 20 "the restart to wait for readiness" phase_is dirhost "$job" waiting-ready
crash dirhost
run_capture ctl dirhost job show "${job##*/}"
assert_eq "$rc" 0 "job show ($out $err)"
assert_eq "$(jq -r .state <<<"$out")" failed "ended at once: only the dead helper was waiting"
assert_eq "$(jq -r .result <<<"$out")" interrupted "result"
assert_contains "$(jq -r .message <<<"$out")" "hubopsd restarted in phase waiting-ready" "where it was cut off"
assert_contains "$(jq -r .message <<<"$out")" "stopped; root process ended on SIGTERM; started" "what had been done"
assert_eq "$(dir_field state)" running "State: both processes run (readiness is the retry's to check)"
rm -f "$dirstate/dirtables/ready-hold"
run_capture ctl dirhost directory restart
assert_eq "$rc" 0 "no Busy left behind: the retry runs and completes ($out)"
ok "helper killed while waiting for readiness: \"interrupted\" at once, no stale Busy; a retry works"

# ---- the init script as transient units: killed while its start runs ----

lab helper dirhost kill
HUBOPS_LAB_DIRECTORY=init-script lab helper dirhost start
touch "$dirstate/eddy-start-hold"
run_capture ctl dirhost directory restart --no-wait
job=$(jq -r .job <<<"$out")
start_unit=hubops-dirhost-directory-start-${job##*/}.service
wait_until 20 "the init script's start to reach its hold" test -e "$dirstate/eddy-start-held"
assert_eq "$(lab_systemctl_is_active "$start_unit")" activating "the init script's start runs as $start_unit"
lab helper dirhost kill
HUBOPS_LAB_DIRECTORY=init-script lab helper dirhost start
assert_eq "$(ctl dirhost job show "${job##*/}" | jq -r .state)" running "the job follows $start_unit"
rm -f "$dirstate/eddy-start-hold"
run_capture ctl dirhost job wait "${job##*/}"
assert_eq "$rc" 1 "interrupted ($out $err)"
assert_eq "$(jq -r .result <<<"$out")" interrupted "result"
assert_contains "$(jq -r .message <<<"$out")" "the start ($start_unit) went on: exited with status 0" \
        "the transient unit's own outcome"
state=$(lab_systemctl_is_active "$start_unit")
case $state in active | activating) fail "$start_unit was left behind ($state)" ;; esac
assert_eq "$(dir_field state)" running "the directory the init script started runs on"
run_capture ctl dirhost directory restart
assert_eq "$rc" 0 "the retry ($out)"
ok "helper killed during the init script's start: its transient unit is followed, reported and collected"

for h in dirhost mailhub1; do
        records=$HUBOPS_LAB_DIR/hosts/$h/state/jobs.json
        [ ! -e "$records" ] || fail "$h still records running jobs: $(cat "$records")"
done
ok "no job record outlives its job"
