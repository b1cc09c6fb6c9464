#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The runbook's gate: wait until the directory host's CPU idle has stayed
# >= 90% for a while. The lab's regclient loads the directory while it syncs.
export HUBOPS_LAB_HOSTS="dirhost mailhub1"
. "$(dirname "$0")/lib.sh"
lab_up
busy=$HUBOPS_LAB_DIR/hosts/dirhost/busy.d
echo 3 >"$HUBOPS_LAB_DIR/site-state/mailhub1/regclient-sync-seconds"

HOST=mailhub1 as_operator hubopsctl service restart regclient >/dev/null || fail "regclient restart"
busy_now() { [ -n "$(ls -A "$busy")" ]; }
wait_until 5 "regclient to load the directory host" busy_now
run_capture as_operator hubopsctl --json load --wait-idle 90 --for 1s --timeout 30s
assert_eq "$rc" 0 "the gate passes once regclient has synced ($err)"
first=$(head -n 1 <<<"$out"); last=$(tail -n 1 <<<"$out")
assert_eq "$(jq -r '.cpu_idle < 0.9' <<<"$first")" true "the gate saw the load first"
assert_eq "$(jq -r .event <<<"$last")" gate-passed "the last event"
assert_eq "$(jq -r '.held_usec >= 1000000' <<<"$last")" true "idle held for --for"
busy_now && fail "the gate passed while regclient was still syncing"
ok "the gate waits while regclient syncs, and passes after idle held 1s"

touch "$busy/stuck-sync"
run_capture as_operator hubopsctl load --wait-idle 90 --for 1s --timeout 2s
assert_eq "$rc" 5 "a gate that never opens"
assert_contains "$err" "Load gate timed out after" "the timeout says so"
rm -f "$busy/stuck-sync"
ok "a gate whose load never drops times out with exit 5"

run_capture as_operator hubopsctl load
assert_eq "$rc" 0 "a plain load reading"
assert_contains "$out" "CPU idle:" "reading"
run_capture as_operator hubopsctl load --for 1s
assert_eq "$rc" 2 "--for without --wait-idle"
run_capture as_operator hubopsctl load --wait-idle 120
assert_eq "$rc" 2 "a percentage over 100"
ok "load reads once without a gate; bad gate options are usage errors"
