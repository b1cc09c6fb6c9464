#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runbook step 5: the table rebuild as a durable job. Success and failure
# with their results, cancel, Busy, RuntimeMaxSec=, a helper killed mid-run
# or down when it ends, an outsider, and the estimate learning from runs.
export HUBOPS_LAB_HOSTS="dirhost mailhub1"
. "$(dirname "$0")/lib.sh"
HOST=mailhub1
lab_up
knobs=$HUBOPS_LAB_DIR/site-state/$HOST/rebuild
export XDG_RUNTIME_DIR=$HUBOPS_LAB_DIR/systemd
unit=hubops-$HOST-rebuild.service
ctl() { as_operator hubopsctl --json "$@"; }
prop() { helper_busctl get-property org.hubops.Helper1 "$1" "org.hubops.Helper1.$2" "$3" | cut -d' ' -f2- | tr -d '"'; }

run_capture ctl rebuild status
assert_eq "$(jq -r .state <<<"$out")" idle "idle at first"
run_capture ctl rebuild start --no-wait
job=$(jq -r .job <<<"$out")
assert_eq "$(prop "$job" Job ProgressValid)" false "no estimate before any run (none configured)"
assert_eq "$(prop /org/hubops/Helper1 Rebuild CurrentJob)" "$job" "CurrentJob"
run_capture ctl rebuild wait
assert_eq "$rc" 0 "the first rebuild ($out)"
assert_eq "$(jq -r .result <<<"$out")" success "result"
assert_contains "$(jq -r .output_tail <<<"$out")" "tables rebuilt" "the script's output"
assert_contains "$(jq -r .output_tail <<<"$out")" "starting as hubops-rebuild" "runs as the configured user"
run_capture ctl rebuild status
assert_eq "$(jq -r .last_result <<<"$out")" success "LastResult"
assert_eq "$(jq -r '.last_duration_usec >= 3000000' <<<"$out")" true "LastDuration covers the run"
assert_eq "$(jq -r '.expected_duration_usec > 0' <<<"$out")" true "an estimate now exists"
ok "a rebuild runs to success as hubops-rebuild; result and duration are recorded"

run_capture ctl rebuild start --no-wait
job=$(jq -r .job <<<"$out")
assert_eq "$(prop "$job" Job ProgressValid)" true "the estimate is valid after one run"
assert_eq "$(prop "$job" Job EstimateBasis)" "the median of the last 1 run" "the estimate's basis"
run_capture ctl rebuild start
assert_eq "$rc" 7 "a second start while one runs"
assert_eq "$(jq -r .error.name <<<"$out")" org.hubops.Helper1.Error.Busy "Busy"
assert_contains "$(jq -r .error.message <<<"$out")" "job ${job##*/}" "Busy names the running job"
run_capture ctl rebuild wait --timeout 1s
assert_eq "$rc" 5 "waiting can stop early"
assert_eq "$(prop "$job" Job State)" running "the rebuild goes on without the client"
run_capture ctl rebuild wait
assert_eq "$rc" 0 "waiting again reaches the end"
ok "progress is valid once there is history; a second start is Busy; wait can stop and resume"

# Off a terminal (a log): progress lines as it goes, not the 0% line alone.
run_capture as_operator hubopsctl rebuild start
assert_eq "$rc" 0 "rebuild start, followed in a log ($err)"
lines=$(grep -c '%, elapsed' <<<"$out" || true)
[ "$lines" -ge 3 ] || fail "a log of the rebuild got $lines progress lines: $out"
ok "rebuild start off a terminal logs its progress ($lines lines)"

echo 50 >"$knobs/rebuild-fail-at"
run_capture ctl rebuild start
rm -f "$knobs/rebuild-fail-at"
assert_eq "$rc" 1 "a failing rebuild"
assert_eq "$(jq -r .result <<<"$out")" exit-code "result"
assert_eq "$(jq -r .exit_status <<<"$out")" 4 "exit status"
assert_contains "$(jq -r .output_tail <<<"$out")" "failed at 50%" "why, in the output tail"
run_capture ctl rebuild status
assert_eq "$(jq -r .last_result <<<"$out")" exit-code "LastResult after a failure"
ok "a rebuild failing half-way reports exit-code, status 4 and its output"

touch "$knobs/rebuild-hang"
run_capture ctl rebuild start
assert_eq "$rc" 1 "a hung rebuild"
assert_eq "$(jq -r .result <<<"$out")" timeout "RuntimeMaxSec= ends it"
run_capture ctl rebuild start --no-wait
job=$(jq -r .job <<<"$out")
run_capture ctl rebuild cancel
assert_eq "$rc" 0 "cancel"
run_capture ctl job wait "${job##*/}"
assert_eq "$(jq -r .state <<<"$out")" canceled "canceled"
rm -f "$knobs/rebuild-hang"
run_capture ctl rebuild cancel
assert_eq "$rc" 6 "cancel with no rebuild running ($out)"
state=$(systemctl --user is-active "$unit" || true)
[ "$state" = inactive ] || [ "$state" = failed ] || fail "the unit still runs after cancel ($state)"
pgrep -f "$HUBOPS_LAB_DIR/site/rebuild" >/dev/null && fail "the rebuild script still runs after cancel"
assert_eq "$(audit_count '.operation=="job.cancel" and .action=="org.hubops.rebuild.cancel"')" 1 "cancel audited"
ok "RuntimeMaxSec= exceeded -> timeout; cancel stops the unit, audited as org.hubops.rebuild.cancel"

# hubopsd crashes mid-rebuild: the job outlives it and is re-exposed.
echo 3 >"$knobs/rebuild-seconds"
run_capture ctl rebuild start --no-wait
job=$(jq -r .job <<<"$out")
lab helper "$HOST" kill
assert_eq "$(systemctl --user is-active "$unit")" activating "the rebuild survives the helper"
lab helper "$HOST" start
assert_eq "$(prop "$job" Job State)" running "the same job path after the restart"
run_capture ctl job wait "${job##*/}"
assert_eq "$rc" 0 "the re-attached job completes ($out)"
assert_contains "$(jq -r .output_tail <<<"$out")" "tables rebuilt" "the re-attached job still shows its output"
assert_eq "$(audit_count ".event==\"job-finished\" and .job==\"$job\"")" 1 "its end audited once"
ok "hubopsd SIGKILLed mid-rebuild: the same job is re-exposed and its end reported"

run_capture ctl rebuild start --no-wait
job=$(jq -r .job <<<"$out")
lab helper "$HOST" kill
ended() { [ "$(systemctl --user is-active "$unit")" != activating ]; }
wait_until 20 "the rebuild to end while hubopsd is down" ended
restarted_at=$(( $(date +%s%N) / 1000 ))
lab helper "$HOST" start
run_capture ctl job show "${job##*/}"
assert_eq "$(jq -r .state <<<"$out")" done "reported after the restart"
assert_eq "$(jq -r .result <<<"$out")" success "with its real result"
[ "$(jq -r .finished_at <<<"$out")" -lt "$restarted_at" ] || fail "FinishedAt is when hubopsd looked, not when it ended"
ok "a rebuild that ended while hubopsd was down is reported with its real result"

before=$(last_job_id)
run_capture as_outsider hubopsctl --json rebuild start
assert_eq "$rc" 3 "the outsider"
assert_eq "$(last_job_id)" "$before" "no job for the outsider"
assert_eq "$(systemctl --user is-active "$unit")" inactive "nothing started"
ok "the outsider gets AccessDenied and nothing starts"
