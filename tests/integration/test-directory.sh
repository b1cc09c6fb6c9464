#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runbook step 1 on the lab's fake eddy: restart from running, from
# root-only and from stopped; a stubborn root process gets SIGKILL; a failed
# start says why; one operation at a time; never a process that merely
# looks like the root process.
export HUBOPS_LAB_HOSTS="dirhost mailhub1"
. "$(dirname "$0")/lib.sh"
lab_up
state=$HUBOPS_LAB_DIR/site-state/dirhost
ctl() { as_operator hubopsctl --json "$@"; }
dir_state() { as_operator hubopsctl --json directory status | jq -r .state; }
root_pid() { as_operator hubopsctl --json directory status | jq -r .root_pid; }

assert_eq "$(dir_state)" running "the lab starts with the directory running"
old_root=$(root_pid)
run_capture ctl directory restart
assert_eq "$rc" 0 "restart from running ($out $err)"
msg=$(jq -r .message <<<"$out")
assert_contains "$msg" "stopped; root process ended on SIGTERM; started; ready" "restart phases"
assert_contains "$msg" "memory " "memory before and after"
assert_contains "$msg" " -> " "memory before and after"
assert_eq "$(dir_state)" running "running after restart"
[ "$(root_pid)" != "$old_root" ] || fail "the root process was not replaced"
ok "restart from running: stop, root process SIGTERM, start, ready; memory before -> after"

# One name for the operation (common/operations.c): the job, ListJobs, the
# audit record and CanRun say directory.restart, not directory.manage.
restart_job=$(jq -r .job <<<"$out")
assert_eq "$(jq -r .operation <<<"$out")" directory.restart "the job's operation"
assert_eq "$(helper_busctl --json=short call org.hubops.Helper1 /org/hubops/Helper1 org.hubops.Helper1.Manager \
        ListJobs | jq -r --arg p "$restart_job" '.data[0][] | select(.[4] == $p) | .[1]')" directory.restart "ListJobs"
assert_eq "$(audit_select ".event==\"request\" and .job==\"$restart_job\"" | jq -r .operation)" directory.restart \
        "the request's audit record"
assert_eq "$(audit_select ".event==\"job-finished\" and .job==\"$restart_job\"" | jq -r .operation)" \
        directory.restart "the end's audit record"
run_capture as_operator hubopsctl can-run directory.restart
assert_eq "$rc" 0 "can-run directory.restart ($out $err)"
ok "a directory restart is directory.restart in its job, ListJobs, its audit records and CanRun"

run_capture ctl directory stop
assert_eq "$rc" 0 "stop ($out)"
assert_eq "$(dir_state)" root-only "stop leaves the root process (KillMode=process, as on the real host)"
run_capture ctl directory start
assert_eq "$rc" 1 "start while the root process runs fails, as the real init script does"
assert_eq "$(jq -r .result <<<"$out")" start-failed "result"
assert_contains "$(jq -r .message <<<"$out")" "see journalctl -u eddy-dirhost.service" "journal hint"
ok "stop leaves root-only; start refused while the root process runs, with the reason"

run_capture ctl directory restart
assert_eq "$rc" 0 "restart from root-only ($out)"
assert_contains "$(jq -r .message <<<"$out")" "root process ended on SIGTERM" "root killed"
ok "restart from root-only"

run_capture ctl directory stop
run_capture ctl directory kill-root
assert_eq "$rc" 0 "kill-root"
assert_eq "$(dir_state)" stopped "stopped after kill-root"
run_capture ctl directory kill-root
assert_eq "$rc" 0 "kill-root with nothing to kill"
assert_contains "$(jq -r .message <<<"$out")" "root process already gone" "already gone is success"
run_capture ctl directory restart
assert_eq "$rc" 0 "restart from stopped ($out)"
assert_eq "$(dir_state)" running "running"
ok "kill-root of a missing process is success; restart from stopped"

# A decoy with the root process's exact command line but another executable.
cp "$HUBOPS_LAB_DIR/site/isode.eddy" "$HUBOPS_LAB_DIR/decoy"
(exec -a "$HUBOPS_LAB_DIR/site/isode.eddy" "$HUBOPS_LAB_DIR/decoy" -D "$state/dirtables/root") &
decoy=$!
at_exit "kill -KILL $decoy 2>/dev/null"
wait_until 5 "the decoy to run" test -e "/proc/$decoy/cmdline"
run_capture ctl directory kill-root
assert_eq "$rc" 0 "kill-root with a decoy around"
kill -0 "$decoy" || fail "the decoy (same cmdline, other exe) was signalled"
assert_eq "$(dir_state)" degraded "the real root process went; the decoy is not the directory"
kill -KILL "$decoy"; wait "$decoy" 2>/dev/null || true
run_capture ctl directory restart
assert_eq "$rc" 0 "restart after the decoy"
ok "kill-root matches exe and cmdline: a look-alike process is left alone"

# Stubborn: the next root process ignores SIGTERM.
touch "$state/dirtables/stubborn"
run_capture ctl directory restart
assert_eq "$rc" 0 "restart starting a stubborn root process"
rm -f "$state/dirtables/stubborn"
run_capture ctl directory stop
run_capture ctl directory kill-root
assert_eq "$rc" 0 "kill-root of a stubborn process ($out)"
assert_contains "$(jq -r .message <<<"$out")" "ignored SIGTERM, killed with SIGKILL" "SIGKILL after the timeout"
took=$(( $(jq -r '.finished_at - .started_at' <<<"$out") ))
[ "$took" -ge 1000000 ] || fail "SIGKILL came before KillTimeoutSec=1s ($took us)"
assert_eq "$(dir_state)" stopped "stopped"
ok "a root process that ignores SIGTERM is killed with SIGKILL after KillTimeoutSec"

touch "$state/eddy-start-fails"
run_capture ctl directory start
assert_eq "$rc" 1 "start that fails"
assert_eq "$(jq -r .result <<<"$out")" start-failed "result"
assert_contains "$(jq -r .message <<<"$out")" "unit result: exit-code" "the unit's result"
rm -f "$state/eddy-start-fails"
run_capture ctl directory start
assert_eq "$rc" 0 "start after the fault is gone ($out)"
ok "a failing start reports start-failed with the unit's result; the next start works"

# One directory operation at a time. The first is held in its start (the
# init script's hold) so that it surely runs when the second comes.
touch "$state/eddy-start-hold"
at_exit "rm -f '$state/eddy-start-hold'"
run_capture ctl directory restart --no-wait
first=$(jq -r .job <<<"$out")
wait_until 30 "the first restart to reach its start" test -e "$state/eddy-start-held"
run_capture ctl directory restart
rm -f "$state/eddy-start-hold"
assert_eq "$rc" 7 "a second operation while one runs"
assert_eq "$(jq -r .error.name <<<"$out")" org.hubops.Helper1.Error.Busy "Busy"
assert_contains "$(jq -r .error.message <<<"$out")" "job ${first##*/}" "Busy names the running job"
run_capture ctl job wait "${first##*/}"
assert_eq "$rc" 0 "the first restart completes"
ok "a second directory operation is Busy (exit 7), naming the running job"

# 17 directory commands above: 16 started a job, one was refused as Busy.
assert_eq "$(audit_count '.event=="request" and (.operation | startswith("directory."))')" 17 "directory requests audited"
assert_eq "$(audit_count '.event=="request" and (.operation | startswith("directory.")) and .result=="started"')" 16 \
        "started"
assert_eq "$(audit_count '.event=="job-finished" and (.operation | startswith("directory."))')" 16 "job ends audited"
ok "every directory request left exactly one audit record"

# Without pidfds (a kernel or sandbox without pidfd_open), kill-root must fail
# and say so: never fall back to signalling a bare PID, never claim "gone".
export XDG_RUNTIME_DIR=$HUBOPS_LAB_DIR/systemd
kill "$(cat "$HUBOPS_LAB_DIR/pids/dirhost-hubopsd.pid")"
helper_gone() { ! helper_busctl status org.hubops.Helper1 >/dev/null 2>&1; }
wait_until 10 "hubopsd to leave the bus" helper_gone
systemd-run --user --unit=hubopsd-no-pidfd.service -p Type=notify -p SystemCallFilter=~pidfd_open \
        -p SystemCallErrorNumber=ENOSYS -E DBUS_SYSTEM_BUS_ADDRESS="$(bus_address)" \
        "$HUBOPS_LAB_DIR/bin/hubopsd" --config "$HUBOPS_LAB_DIR/hosts/dirhost/helper.conf" >/dev/null 2>&1 ||
        fail "cannot start hubopsd without pidfd_open"
at_exit "systemctl --user stop hubopsd-no-pidfd.service 2>/dev/null"
run_capture ctl directory stop
root=$(root_pid)
run_capture ctl directory kill-root
assert_eq "$rc" 1 "kill-root without pidfds"
assert_eq "$(jq -r .result <<<"$out")" kill-failed "result"
assert_contains "$(jq -r .message <<<"$out")" "cannot open a pidfd for root process $root" "why"
kill -0 "$root" || fail "the root process was signalled without a pidfd"
ok "without pidfd_open, kill-root fails naming the reason and signals nothing"
