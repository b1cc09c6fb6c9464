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

# GetLoad waits out its window holding a timer and the call: one user's
# pile of them is capped (16 waiting), the rest turned away at once.
outsider_calls=$HUBOPS_LAB_DIR/getload-flood
mkdir -p "$outsider_calls"; chmod 0777 "$outsider_calls"
pids=()
for i in $(seq 1 40); do
        as_outsider sh -c "busctl --timeout=60 call org.hubops.Helper1 /org/hubops/Helper1 \
                org.hubops.Helper1.Manager GetLoad u 4000 >'$outsider_calls/$i.out' 2>&1; echo \$? >'$outsider_calls/$i.rc'" &
        pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
refused=$(grep -l "TooManyRequests\|too many are waiting" "$outsider_calls"/*.out | wc -l)
answered=$(grep -l "^ddddt " "$outsider_calls"/*.out | wc -l)
[ "$refused" -gt 0 ] || fail "40 GetLoad calls at once from one user: none refused ($(cat "$outsider_calls"/1.out))"
assert_eq "$((refused + answered))" 40 "every call was answered or refused (refused $refused, answered $answered)"
[ "$answered" -ge 16 ] || fail "only $answered of 40 answered: the cap is 16 waiting, not fewer"
run_capture as_operator hubopsctl load
assert_eq "$rc" 0 "the operator reads the load afterwards"
ok "GetLoad flood from one user: $answered answered, $refused refused with TooManyRequests"
