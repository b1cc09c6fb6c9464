#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# rebuild-tables interrupted and failing: the client interrupted at a gate
# (SIGINT), killed during the rebuild (SIGKILL) and stopped between tidy-up
# steps (SIGTERM), resumed each time, never repeating an action (checked in
# the audit logs); a gate that times out; a rebuild that fails, tidied up at
# once (--tidy-up-on-failure) or later (resume --roll-forward).
export HUBOPS_LAB_HOSTS="dirhost mailhub1 mailhub2 rahost"
export HUBOPS_LAB_SSH_HOSTS=mailhub2
. "$(dirname "$0")/lib.sh"
HOST=dirhost
lab_up

events=$(mktemp)
at_exit "rm -f '$events'"
# In the background, as the operator, JSON events to $events; $pid is hubopsctl itself (lab as execs).
start() { "$LAB" as "$OPERATOR" dirhost hubopsctl --json "$@" >"$events" 2>&1 & pid=$!; }
wait_event() { wait_until 90 "$1 in the run's events" grep -q -- "$1" "$events"; }
stop_with() { # SIGNAL: and collect the exit status in $rc
        kill -"$1" "$pid"
        set +e; wait "$pid"; rc=$?; set -e
}
resume() { run_capture as_operator hubopsctl --json runbook resume "$1" --yes "${@:2}"; }
site_state=$HUBOPS_LAB_DIR/site-state

# ---- interrupted three times, resumed three times ----
echo 3 >"$site_state/mailhub1/regclient-sync-seconds"
echo 6 >"$site_state/mailhub2/rebuild/rebuild-seconds"
start rebuild-tables mailhub2 --yes
wait_event '"step":"start-regclient:mailhub2".*"event":"step-started"\|"event":"step-started".*"step":"start-regclient:mailhub2"'
wait_event '"event":"gate-waiting"'
stop_with INT
assert_eq "$rc" 130 "Ctrl-C at a gate"
run=$(run_id_of "$(cat "$events")")
assert_contains "$(cat "$events")" '"event":"interrupted"' "the client says it was interrupted"
assert_contains "$(cat "$events")" "hubopsctl runbook resume $run" "and how to resume"
assert_contains "$(cat "$events")" "hubopsctl runbook resume $run --yes" "a resume hint that works off a terminal"
ok "SIGINT during a gate stops the client (exit 130) with the resume command"

start runbook resume "$run" --yes
wait_event '"step":"rebuild","host":"mailhub2","operation":"rebuild.start","subject":"","status":"acting"'
stop_with KILL
assert_eq "$rc" 137 "SIGKILL during the rebuild"
run_capture as_operator hubopsctl --json runbook list
assert_eq "$(jq -r --arg r "$run" '.runs[] | select(.run == $r) | .status' <<<"$out")" interrupted \
        "a run whose client was killed is listed as interrupted, not running"
ok "SIGKILL during the rebuild leaves the rebuild running and the run resumable"

start runbook resume "$run" --yes
wait_event '"event":"step-attached"'
wait_event '"event":"step-finished","time":[0-9]*,"run":"[^"]*","step":"tidy:restart-directory"'
stop_with TERM
assert_eq "$rc" 143 "SIGTERM between tidy-up steps"
ok "the resume re-attached to the rebuild; SIGTERM between tidy-up steps stops it again"

resume "$run"
assert_eq "$rc" 0 "the last resume ($err)"
summary=$(jq -c 'select(.event == "summary")' <<<"$out")
assert_eq "$(jq -r .status <<<"$summary")" done "the run's status"
assert_eq "$(site_actions)" "$(plan_actions <<<"$summary")" \
        "after three interruptions the audit logs show each action once, in runbook order"
assert_eq "$(site_actions | grep -c 'rebuild.start')" 1 "the rebuild was started once"
ok "resumed to the end: every action exactly once, in order, across three interruptions"
echo 1 >"$site_state/mailhub1/regclient-sync-seconds"
echo 2 >"$site_state/mailhub2/rebuild/rebuild-seconds"

# ---- a gate that times out ----
sed 's/^GateTimeoutSec=.*/GateTimeoutSec=5s/' "$HUBOPS_LAB_DIR/site.conf" >"$HUBOPS_LAB_DIR/site-short.conf"
touch "$HUBOPS_LAB_DIR/hosts/dirhost/busy.d/stuck" # the directory stays busy
before=$(site_actions | wc -l)
run_capture as_operator hubopsctl rebuild-tables mailhub2 --yes --site "$HUBOPS_LAB_DIR/site-short.conf"
assert_eq "$rc" 5 "a gate that times out ($err)"
assert_contains "$err" "Load gate timed out" "the gate says it timed out"
assert_contains "$out" "FAILED" "the step is reported failed"
assert_contains "$out" "hubopsctl runbook resume" "the failure says how to resume"
run=$(grep -o 'resume [0-9]*-[0-9]*-mailhub2-[0-9a-f]*' <<<"$out" | head -n1 | cut -d' ' -f2)
assert_eq "$(site_actions | tail -n +"$((before + 1))")" "dirhost directory.restart restart" \
        "only the directory restart happened before the gate"
rm -f "$HUBOPS_LAB_DIR/hosts/dirhost/busy.d/stuck"
resume "$run" --site "$HUBOPS_LAB_DIR/site-short.conf"
assert_eq "$rc" 0 "resuming after the gate timed out ($err)"
assert_eq "$(site_actions | tail -n +"$((before + 1))" | grep -c 'directory.restart restart')" 2 \
        "the resumed run did not restart the directory a third time"
ok "a gate timeout fails the step (exit 5), says how to resume, and the resume completes without repeats"

# ---- a rebuild that fails, tidied up at once ----
echo 50 >"$site_state/mailhub2/rebuild/rebuild-fail-at"
run_capture as_operator hubopsctl --json rebuild-tables mailhub2 --yes --tidy-up-on-failure
assert_eq "$rc" 1 "a failed rebuild with --tidy-up-on-failure ($err)"
summary=$(jq -c 'select(.event == "summary")' <<<"$out")
assert_eq "$(jq -r .status <<<"$summary")" done-with-failure "the run's status"
assert_eq "$(jq -r '.steps[] | select(.step == "rebuild") | .status' <<<"$summary")" failed "the rebuild step"
assert_eq "$(jq -r '[.steps[] | select(.tidy_up) | .status] | unique | join(",")' <<<"$summary")" done \
        "every tidy-up step ran"
for h in mailhub1 mailhub2; do
        [ "$(lab_systemctl_is_active "regclient-$h.service")" = active ] || fail "regclient on $h is not back"
done
ok "a rebuild failing half way with --tidy-up-on-failure still restarts the directory and brings regclients back"

# ---- a rebuild that fails, the run stops; roll forward later ----
run_capture as_operator hubopsctl rebuild-tables mailhub2 --yes
assert_eq "$rc" 1 "a failed rebuild without --tidy-up-on-failure ($err; $(grep -v 'CPU idle' <<<"$out" | tail -n 8))"
assert_contains "$out" "--roll-forward" "the failure offers rolling forward"
run=$(grep -o 'resume [0-9]*-[0-9]*-mailhub2-[0-9a-f]*' <<<"$out" | head -n1 | cut -d' ' -f2)
held=$(busctl --address="$(bus_address dirhost)" get-property org.hubops.Helper1 /org/hubops/Helper1 \
        org.hubops.Helper1.Manager CurrentRun)
assert_contains "$held" "$run" "the failed run still holds the site"
[ "$(lab_systemctl_is_active regclient-mailhub2.service)" != active ] || fail "regclient came back without a tidy-up"
rm -f "$site_state/mailhub2/rebuild/rebuild-fail-at"
resume "$run" --roll-forward
assert_eq "$rc" 1 "rolled forward: done, with a failure"
assert_eq "$(jq -r 'select(.event == "summary") | .status' <<<"$out")" done-with-failure "the rolled-forward run"
[ "$(lab_systemctl_is_active regclient-mailhub2.service)" = active ] || fail "regclient on mailhub2 is not back"
held=$(busctl --address="$(bus_address dirhost)" get-property org.hubops.Helper1 /org/hubops/Helper1 \
        org.hubops.Helper1.Manager CurrentRun)
assert_contains "$held" '(ssuts) "" ""' "the site is free again"
ok "without the flag a failed rebuild stops the run holding the site; resume --roll-forward tidies up and frees it"

# ---- the ssh connection to mailhub2 lost during the rebuild ----
echo 6 >"$site_state/mailhub2/rebuild/rebuild-seconds"
before=$(site_actions | wc -l)
start rebuild-tables mailhub2 --yes
wait_event '"step":"rebuild","host":"mailhub2","operation":"rebuild.start","subject":"","status":"acting"'
# Following the rebuild's job over that connection (a progress event comes
# from inside the wait): the cut lands on the wait, not between two calls,
# where the next call would simply open a new connection.
wait_event '"event":"step-progress".*"step":"rebuild"'
# The far end of hubopsctl's ssh transport: without it the connection ends.
pkill -KILL -u "$OPERATOR" -x systemd-stdio-b || pkill -KILL -u "$OPERATOR" -f systemd-stdio-bridge ||
        fail "no systemd-stdio-bridge of the operator to cut"
set +e; wait "$pid"; rc=$?; set -e
assert_eq "$rc" 4 "the client, its ssh connection gone: $(tail -n 3 "$events")"
run=$(run_id_of "$(cat "$events")")
assert_contains "$(cat "$events")" "hubopsctl runbook resume $run" "the client says how to resume"
resume "$run"
assert_eq "$rc" 0 "resuming after the lost connection ($err)"
assert_contains "$out" '"event":"step-attached"' "the resume re-attached to the rebuild over a new ssh connection"
assert_eq "$(site_actions | tail -n +"$((before + 1))" | grep -c 'rebuild.start')" 1 "the rebuild was started once"
ok "a lost ssh connection during the rebuild stops the client (exit 4); resume re-attaches over a new one"

# Several runs by now: runbook list shows the newest first.
run_capture as_operator hubopsctl --json runbook list
listed=$(jq -r '.runs[].created_at' <<<"$out")
[ "$(wc -l <<<"$listed")" -ge 3 ] || fail "expected several runs, got: $listed"
assert_eq "$listed" "$(sort -rn <<<"$listed")" "runbook list order"
ok "runbook list shows the newest run first"
