#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hubopsctl's bash completion against a real helper, run as the operator in
# the operator's environment: hook and service names from the helper's
# ListOperations (exactly those), operations for can-run, job ids of the
# helper's jobs, the helper -H names through the site config; and a helper
# that is not there completes nothing, at once, without prompting.
# (What needs no helper: tests/completion/test-completion-static.sh.)
. "$(dirname "$0")/lib.sh"
lab_up
drive=$TOP/tests/completion/drive

# What the helper says, read independently of the completion.
helper_busctl --json=short call org.hubops.Helper1 /org/hubops/Helper1 org.hubops.Helper1.Manager \
        ListOperations >"$HUBOPS_LAB_DIR/ops.json"
subjects() { jq -r --arg op "$1" '[.data[0][] | select(.[0] == $op) | .[1]] | unique | join(" ")' "$HUBOPS_LAB_DIR/ops.json"; }
hooks=$(subjects hook.run)
services=$(subjects service.start)
operations=$(jq -r '[.data[0][] | .[0]] | unique | join(" ")' "$HUBOPS_LAB_DIR/ops.json")
[ "$(wc -w <<<"$hooks")" -gt 3 ] || fail "ListOperations named too few hooks: $hooks"
[ -n "$services" ] || fail "ListOperations named no services"

# A job of the operator's, for job ids.
run_capture as_operator hubopsctl hooks run noop --no-wait
assert_eq "$rc" 0 "hooks run noop --no-wait"
job=$(sed -nE 's/^Started job ([0-9]+).*/\1/p' <<<"$out")
[ -n "$job" ] || fail "no job id in: $out"

run_capture as_operator "$drive" <<TABLE
hubopsctl hooks run |=$hooks|
hubopsctl hooks run no|noop|fail
hubopsctl -H $HOST hooks run |=$hooks|
hubopsctl --address $(bus_address) hooks run |=$hooks|
hubopsctl service start |=$services|
hubopsctl service status |=$services|
hubopsctl can-run |=$operations|
hubopsctl can-run hook.run |=$hooks|
hubopsctl job show |$job|
hubopsctl job wait $job|$job|
hubopsctl -H |$HOST|
TABLE
assert_eq "$rc" 0 "completions as the operator: $out $err"
ok "hooks, services and operations from ListOperations, job ids from jobs, hosts from the site config"$'\n'"$out"

# No helper at that address: nothing offered, within busctl's 2 s.
start=$(date +%s%N)
run_capture as_operator "$drive" <<'TABLE'
hubopsctl --address unix:path=/nonexistent/bus hooks run ||noop
hubopsctl --address unix:path=/nonexistent/bus job show ||1
TABLE
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
assert_eq "$rc" 0 "completions with no helper: $out $err"
[ "$elapsed_ms" -lt 20000 ] || fail "completing against no helper took ${elapsed_ms} ms"
ok "no helper: nothing offered, nothing waited for (${elapsed_ms} ms for both)"

# The outsider may not run hooks, yet the names complete: ListOperations
# asks no polkit, and no agent or prompt appears (stdin is not a terminal).
run_capture as_outsider "$drive" <<TABLE
hubopsctl hooks run |=$hooks|
TABLE
assert_eq "$rc" 0 "completions as the outsider: $out $err"
ok "the outsider's completion names the hooks without asking polkit"
