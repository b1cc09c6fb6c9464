#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hubopsd upgraded while a rebuild runs: the hubopsd before the one
# operation table kept the running rebuild in StateDirectory/rebuild.json,
# today's keeps every running job in jobs.json. The new helper takes the old
# file over once (the same job followed to its real end, the history kept
# for the estimate) and removes it; nothing writes rebuild.json again.
export HUBOPS_LAB_HOSTS="dirhost mailhub1"
# Room for a loaded machine: the rebuild runs at Nice=10, and must not meet
# RuntimeMaxSec= while the helper is replaced.
export HUBOPS_LAB_REBUILD_MAX=120s
. "$(dirname "$0")/lib.sh"
HOST=mailhub1
lab_up
knobs=$HUBOPS_LAB_DIR/site-state/$HOST/rebuild
state=$HUBOPS_LAB_DIR/hosts/$HOST/state
export XDG_RUNTIME_DIR=$HUBOPS_LAB_DIR/systemd
unit=hubops-$HOST-rebuild.service
ctl() { as_operator hubopsctl --json "$@"; }
prop() { helper_busctl get-property org.hubops.Helper1 "$1" "org.hubops.Helper1.$2" "$3" | cut -d' ' -f2- | tr -d '"'; }

echo 6 >"$knobs/rebuild-seconds"
run_capture ctl rebuild start --no-wait
assert_eq "$rc" 0 "rebuild start ($out $err)"
job=$(jq -r .job <<<"$out")
id=${job##*/}
started_at=$(prop "$job" Job StartedAt)
lab helper "$HOST" kill
assert_eq "$(systemctl --user is-active "$unit")" activating "the rebuild survives the helper"

# What the hubopsd before jobs.json left: no jobs.json, its rebuild.json
# (rebuild_state_format() of that version: the running job, the last run,
# the durations of past runs).
rm -f "$state/jobs.json" "$state/rebuild-history.json"
printf '{"job":%s,"started_at":%s,"started_by":%s,"last_result":"exit-code","last_started_at":1700000000000000,"last_duration":5000000,"history":[4000000]}\n' \
        "$id" "$started_at" "$(id -u "$OPERATOR")" >"$state/rebuild.json"
lab helper "$HOST" start

assert_eq "$(prop "$job" Job State)" running "the same job path after the upgrade"
assert_eq "$(prop /org/hubops/Helper1 Rebuild CurrentJob)" "$job" "CurrentJob"
[ ! -e "$state/rebuild.json" ] || fail "rebuild.json is still there: $(cat "$state/rebuild.json")"
assert_eq "$(jq -r '.jobs[] | select(.operation == "rebuild.start") | .id' "$state/jobs.json")" "$id" \
        "jobs.json records the rebuild"
assert_eq "$(jq -c '.history' "$state/rebuild-history.json")" "[4000000]" "the history is kept"
assert_eq "$(prop "$job" Job EstimateBasis)" "the median of the last 1 run" "the estimate from the old history"
run_capture ctl rebuild status
assert_eq "$(jq -r .last_result <<<"$out")" exit-code "LastResult from rebuild.json"
ok "the new hubopsd takes over rebuild.json's running job under its id, with its history, and removes the file"

run_capture ctl job wait "$id"
assert_eq "$rc" 0 "the taken-over job completes ($out)"
assert_eq "$(jq -r .result <<<"$out")" success "with its real result"
assert_contains "$(jq -r .output_tail <<<"$out")" "tables rebuilt" "its output"
assert_eq "$(audit_count ".event==\"job-finished\" and .job==\"$job\"")" 1 "its end audited once"
run_capture ctl rebuild status
assert_eq "$(jq -r .last_result <<<"$out")" success "LastResult"
assert_eq "$(jq -r '.history | length' "$state/rebuild-history.json")" 2 "this run joins the history"
[ ! -e "$state/jobs.json" ] || fail "a job record outlives its job: $(cat "$state/jobs.json")"
[ ! -e "$state/rebuild.json" ] || fail "rebuild.json was written again"
ok "it is followed to its real end; its record goes with it, and rebuild.json is not written again"

# A helper killed mid-rebuild now: jobs.json alone brings it back.
run_capture ctl rebuild start --no-wait
job=$(jq -r .job <<<"$out")
lab helper "$HOST" kill
lab helper "$HOST" start
assert_eq "$(prop "$job" Job State)" running "re-exposed from jobs.json"
run_capture ctl job wait "${job##*/}"
assert_eq "$rc" 0 "completes ($out)"
[ ! -e "$state/rebuild.json" ] || fail "rebuild.json was written again"
ok "after the upgrade a restart mid-rebuild goes through jobs.json alone"
