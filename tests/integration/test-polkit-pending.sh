#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# While a caller's polkit check is pending, the helper keeps serving others;
# a caller that disconnects before the verdict gets nothing run, whether its
# check was interactive (hubopsd watches its name and cancels the check) or
# not (hubopsd confirms the caller is still there once polkit says yes).
. "$(dirname "$0")/lib.sh"
lab_up
rm -f "$GATE/started" "$GATE/release"
at_exit 'touch "$GATE/release"'
before=$(last_job_id)

# The lab's polkit rules hold the check for hook "polkit-gated" at the gate.
# "$LAB" directly, not a shell function: it execs, so $! is the caller itself.
# busctl allows interactive authorization unless told otherwise.
"$LAB" as "$OPERATOR" "$HOST" busctl --address="$(bus_address)" --timeout=30 call org.hubops.Helper1 /org/hubops/Helper1 \
        org.hubops.Helper1.Hooks Run s polkit-gated >/dev/null 2>&1 &
caller=$!
wait_until 10 "the polkit check to reach the gate" test -e "$GATE/started"

# Others are served meanwhile: a read and a root (polkit-free) privileged call.
run_capture helper_busctl get-property org.hubops.Helper1 /org/hubops/Helper1 org.hubops.Helper1.Manager Hostname
assert_eq "$out" "s \"$HOST\"" "property read while a check is pending"
run_capture env DBUS_SYSTEM_BUS_ADDRESS="$(bus_address)" "$HUBOPS_LAB_DIR/bin/hubopsctl" hooks run noop
assert_eq "$rc" 0 "root's hook run while a check is pending"
ok "the event loop serves other callers while a polkit check is pending"

# The caller goes away; once the bus has noticed, polkit is allowed to answer.
kill -KILL "$caller"
wait "$caller" 2>/dev/null || true
caller_gone() { ! helper_busctl list --no-legend | awk '{print $2}' | grep -qx "$caller"; }
wait_until 10 "the bus to drop the caller" caller_gone
abandoned_recorded() { [ "$(audit_count '.details.hook=="polkit-gated"')" -ge 1 ]; }
wait_until 10 "the helper to record the abandoned request" abandoned_recorded
touch "$GATE/release"

rec=$(audit_select '.details.hook=="polkit-gated"')
assert_eq "$(wc -l <<<"$rec")" 1 "one record for the abandoned request"
assert_eq "$(jq -r .verdict <<<"$rec")" caller-gone "verdict"
assert_eq "$(jq -r .result <<<"$rec")" denied "result"
# The root call above took one job id; the abandoned request must take none.
assert_eq "$(last_job_id)" "$((before + 1))" "no job for the abandoned request"
assert_eq "$(audit_count '.event=="job-finished" and .details.hook=="polkit-gated"')" 0 "nothing ran"
ok "a caller that disconnects while its interactive check is pending gets nothing run (verdict caller-gone)"

# After the gate opens, polkit's late answer must not run anything either.
run_capture as_operator hubopsctl hooks run noop
assert_eq "$rc" 0 "the helper still works afterwards"
assert_eq "$(audit_count '.event=="job-finished" and .details.hook=="polkit-gated"')" 0 "still nothing ran"
ok "polkit's late answer for the gone caller is ignored"

# A non-interactive check (hubopsctl --no-ask-password, scripts, runbooks)
# holds no watch on the caller: polkit's yes comes first, then hubopsd asks
# the bus whether the caller is still there, and runs nothing for a gone one.
rm -f "$GATE/started" "$GATE/release"
before=$(last_job_id)
"$LAB" as "$OPERATOR" "$HOST" busctl --address="$(bus_address)" --timeout=30 \
        --allow-interactive-authorization=no call org.hubops.Helper1 /org/hubops/Helper1 \
        org.hubops.Helper1.Hooks Run s polkit-gated >/dev/null 2>&1 &
caller=$!
wait_until 10 "the non-interactive check to reach the gate" test -e "$GATE/started"
kill -KILL "$caller"
wait "$caller" 2>/dev/null || true
wait_until 10 "the bus to drop the caller" caller_gone
assert_eq "$(audit_count '.details.hook=="polkit-gated"')" 1 "no record yet: polkit has not answered"
touch "$GATE/release"
two_recorded() { [ "$(audit_count '.details.hook=="polkit-gated"')" -ge 2 ]; }
wait_until 10 "the helper to record the second abandoned request" two_recorded
rec=$(audit_select '.details.hook=="polkit-gated"' | tail -n 1)
assert_eq "$(jq -r .verdict <<<"$rec")" caller-gone "verdict"
assert_eq "$(jq -r .result <<<"$rec")" denied "result"
assert_contains "$(jq -r .message <<<"$rec")" "disconnected before authorization completed" "message"
assert_eq "$(last_job_id)" "$before" "no job for it"
assert_eq "$(audit_count '.event=="job-finished" and .details.hook=="polkit-gated"')" 0 "nothing ran"
ok "a caller gone when polkit says yes to its non-interactive check gets nothing run (verdict caller-gone)"

# hubopsd stopped while a check is pending: the caller is answered at once
# (not left to time out), the refusal is audited, nothing runs, and nothing
# is left allocated (under ASan, LeakSanitizer reports into hubopsd's log).
rm -f "$GATE/started" "$GATE/release"
before=$(last_job_id)
answer=$(mktemp)
at_exit "rm -f '$answer'"
"$LAB" as "$OPERATOR" "$HOST" hubopsctl --json --no-ask-password hooks run polkit-gated >"$answer" 2>&1 &
caller=$!
wait_until 10 "the check to reach the gate" test -e "$GATE/started"
pid=$(cat "$HUBOPS_LAB_DIR/pids/$HOST-hubopsd.pid")
kill -TERM "$pid"
rc=0
wait "$caller" || rc=$?
assert_eq "$rc" 3 "hubopsctl's exit status (not authorized)"
assert_contains "$(jq -r .error.message "$answer")" "hubopsd is stopping" "the caller's answer"
touch "$GATE/release"
helper_gone() { [ ! -e "/proc/$pid" ] || [ "$(awk '{ print $3 }' "/proc/$pid/stat")" = Z ]; }
wait_until 30 "hubopsd to exit on SIGTERM" helper_gone
rec=$(audit_select '.details.hook=="polkit-gated"' | tail -n 1)
assert_eq "$(jq -r .verdict <<<"$rec")" error "verdict"
assert_eq "$(jq -r .result <<<"$rec")" denied "result"
assert_contains "$(jq -r .message <<<"$rec")" "hubopsd is stopping" "message"
assert_eq "$(last_job_id)" "$before" "no job"
assert_not_contains "$(cat "$HUBOPS_LAB_DIR/logs/$HOST-hubopsd.log")" "Sanitizer" "hubopsd's log after SIGTERM"
ok "SIGTERM with a check pending: the caller is refused at once (hubopsd is stopping), audited, nothing runs or leaks"
