#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hubopsctl rebuild-tables across a whole lab site (directory host, three
# mailhubs, mailhub2 over real ssh, RA host): the plan, the preflight, a full
# run audited exactly once per action in runbook order, and the refusals that
# must change nothing (no terminal, an outsider, a host down, a second run).
export HUBOPS_LAB_HOSTS="dirhost mailhub1 mailhub2 mailhub3 rahost"
export HUBOPS_LAB_SSH_HOSTS=mailhub2
. "$(dirname "$0")/lib.sh"
HOST=dirhost
lab_up

no_actions() { [ -z "$(site_actions)" ] || fail "$1: something was done: $(site_actions)"; }

# --dry-run: the plan, every step with host, operation, gate and observation; then the preflight.
run_capture as_operator hubopsctl --json rebuild-tables mailhub2 --dry-run
assert_eq "$rc" 0 "dry run ($err)"
plan=$(jq -c 'select(.event == "plan")' <<<"$out")
assert_eq "$(jq -r '[.steps[].step] | join(",")' <<<"$plan")" \
        "restart-directory,start-regclient:mailhub1,start-regclient:mailhub2,start-regclient:mailhub3,check-ra,stop-student-thread,stop-regclient,rebuild,tidy:restart-directory,tidy:start-regclient:mailhub2,tidy:start-regclient:mailhub1,tidy:start-regclient:mailhub3,tidy:start-student-thread,tidy:settle,tidy:check-ra,tidy:check-mailbox-service" \
        "the plan follows the manual procedure, tidy-up regclients starting with the rebuilt hub"
assert_eq "$(jq -r '.steps[] | select(.step == "start-regclient:mailhub1") | .gate' <<<"$plan")" \
        "dirhost idle >= 90% for 1.0s (give up after 2min 0s)" "a regclient step carries the idle gate"
assert_eq "$(jq -r '.steps[] | select(.step == "stop-regclient") | .observe' <<<"$plan")" "skip if already stopped" \
        "each step says what it observes first"
assert_eq "$(jq -r 'select(.event == "preflight-result") | .ok' <<<"$out")" true "the preflight passes"
no_actions "a dry run"
ok "--dry-run --json prints the plan (16 steps, gates, observations) and a passing preflight; nothing is done"

# On a terminal's terms: the plan's first line says where the run would claim
# the site, not that a claim was made (a dry run claims nothing).
run_capture as_operator hubopsctl rebuild-tables mailhub2 --dry-run
assert_eq "$rc" 0 "text dry run ($err)"
assert_eq "$(head -n 1 <<<"$out")" "Plan: rebuild-tables mailhub2 (claims the site on $HOST)" "the plan's first line"
no_actions "a text dry run"
ok "--dry-run's plan says where the run would claim the site, and claims nothing"

# Without a terminal and without --yes: a usage error, not a prompt that hangs.
run_capture as_operator hubopsctl rebuild-tables mailhub2 </dev/null
assert_eq "$rc" 2 "no terminal, no --yes"
assert_contains "$err" "without confirmation" "the refusal says why"
no_actions "a refused start"
[ -z "$(ls -A "$HUBOPS_LAB_DIR/users/$OPERATOR" 2>/dev/null)" ] || [ -z "$(ls -A "$HUBOPS_LAB_DIR/users/$OPERATOR/hubops/runs" 2>/dev/null)" ] ||
        fail "a refused start left a run behind"
ok "without a terminal and without --yes it refuses (exit 2) and changes nothing"

# An outsider: stopped at preflight, every reason listed, nothing changed.
run_capture as_outsider hubopsctl rebuild-tables mailhub2 --yes
assert_eq "$rc" 3 "the outsider's exit status"
assert_contains "$out" "Preflight FAILED, nothing was changed" "the outsider's preflight"
assert_contains "$out" "not authorized for directory.restart" "the directory restart is named"
assert_contains "$out" "mailhub2: not authorized for rebuild.start" "the rebuild on mailhub2 (over ssh) is named"
assert_contains "$out" "not authorized for run.claim" "the site claim is named"
no_actions "the outsider"
ok "an outsider is stopped at preflight (exit 3) with each refused operation listed, nothing done"

# A host that does not answer: preflight names it and nothing changes.
lab helper rahost kill
run_capture as_operator hubopsctl rebuild-tables mailhub2 --yes
lab helper rahost start
assert_eq "$rc" 4 "a host down at preflight"
assert_contains "$out" "rahost" "the preflight names the host that is down"
no_actions "a host down"
ok "a host unreachable at preflight stops the run before any change (exit 4)"

# The whole runbook, as the operator, with JSON events.
run_capture as_operator hubopsctl --json rebuild-tables mailhub2 --yes
assert_eq "$rc" 0 "the full run ($err; $(tail -n 3 <<<"$out"))"
run=$(run_id_of "$out")
summary=$(jq -c 'select(.event == "summary")' <<<"$out")
assert_eq "$(jq -r .status <<<"$summary")" done "the run's status"
assert_eq "$(site_actions)" "$(plan_actions <<<"$summary")" \
        "the audit logs across hosts show each action of the plan once, in runbook order"
assert_eq "$(site_actions | grep -c 'directory.restart restart')" 2 "two directory restarts"
assert_eq "$(site_actions | grep -c 'mailhub2 rebuild.start')" 1 "one rebuild"
[ -e "$HUBOPS_LAB_DIR/site-state/mailhub2/rebuild/tables-rebuilt" ] || fail "the rebuild script did not finish"
for h in mailhub1 mailhub2 mailhub3; do
        [ "$(lab_systemctl_is_active "regclient-$h.service")" = active ] || fail "regclient on $h is not back"
done
assert_eq "$(cat "$HUBOPS_LAB_DIR/site-state/dirhost/student-thread")" running "the student thread is back"
assert_eq "$(jq '[.steps[] | select(.audit_id != "")] | length' <<<"$summary")" 15 "every action's audit record id is in the summary"
[ "$(jq .memory_before <<<"$summary")" -gt 0 ] && [ "$(jq .memory_after <<<"$summary")" -gt 0 ] ||
        fail "the summary lacks the directory's memory before and after"
claims=$(jq -r 'select(.operation | startswith("run.")) | "\(.operation) \(.details.run) \(.result)"' "$(audit_log dirhost)")
assert_eq "$claims" "run.claim $run done
run.release $run done" "the site was claimed and released, on the directory host"
ok "the full run passes: 15 actions audited once each in runbook order, regclients and student thread back"

# runbook list/show, and a second run of a finished one does nothing.
run_capture as_operator hubopsctl runbook list
assert_contains "$out" "$run" "runbook list shows the run"
run_capture as_operator hubopsctl --json runbook show "$run"
assert_eq "$(jq -r 'select(.event == "plan") | .status' <<<"$out")" done "runbook show"
before=$(site_actions | wc -l)
run_capture as_operator hubopsctl runbook resume "$run" --yes
assert_eq "$rc" 0 "resuming a finished run"
assert_eq "$(site_actions | wc -l)" "$before" "resuming a finished run does nothing"
ok "runbook list and show report the run; resuming a finished run does nothing"

# The run's audit records, read back from every host it used (the log is root's).
run_capture as_operator hubopsctl --json audit list --run "$run"
assert_eq "$rc" 0 "audit list --run ($err)"
ids=$(jq -r '.id' <<<"$out" | sort)
want=$(jq -r 'select(.event == "summary") | .steps[] | select(.audit_id != null and .audit_id != "") | .audit_id' \
        <<<"$(as_operator hubopsctl --json runbook show "$run")" | sort)
[ -n "$want" ] || fail "the run's summary names no audit records"
assert_eq "$ids" "$want" "every step's audit record, from its own host"
assert_eq "$(jq -r '.verdict' <<<"$out" | sort -u)" yes "all allowed by polkit"
run_capture as_operator hubopsctl audit list --run "$run"
assert_contains "$out" "TIME" "a table"
ok "audit list --run reads back the run's audit records from every host ($(wc -l <<<"$ids") records)"

# Two operators at once: one claim wins, the other is refused naming the winner.
echo 6 >"$HUBOPS_LAB_DIR/site-state/mailhub2/rebuild/rebuild-seconds"
mkdir -p "$HUBOPS_LAB_DIR/users/second"
chown "$OPERATOR" "$HUBOPS_LAB_DIR/users/second"
first=$(mktemp); second=$(mktemp)
started_ns=$(date +%s%N)
as_operator hubopsctl --json rebuild-tables mailhub2 --yes --detach >"$first" 2>&1 &
p1=$!
# The same person at another workstation: another state directory, another run.
lab as "$OPERATOR" dirhost env XDG_STATE_HOME="$HUBOPS_LAB_DIR/users/second" \
        hubopsctl --json rebuild-tables mailhub2 --yes --detach >"$second" 2>&1 &
p2=$!
set +e; wait $p1; rc1=$?; wait $p2; rc2=$?; set -e
if [ $rc1 = 0 ]; then winner=$first loser=$second lrc=$rc2; else winner=$second loser=$first lrc=$rc1; fi
assert_eq "$(( (rc1 == 0) + (rc2 == 0) ))" 1 "exactly one of two simultaneous runs starts (exit $rc1 and $rc2)"
assert_eq "$lrc" 7 "the second run's exit status (busy): $(cat "$loser")"
wid=$(run_id_of "$(cat "$winner")")
assert_contains "$(cat "$loser")" "$wid" "the refusal names the first run"
assert_contains "$(cat "$loser")" "$OPERATOR" "the refusal names its owner"
ok "two runs at once: one starts, the other is refused (exit 7) with the first's run id and owner"

# The detached winner resumes to the end; the site is free again.
if [ "$winner" = "$second" ]; then env_second=(env XDG_STATE_HOME="$HUBOPS_LAB_DIR/users/second"); else env_second=(); fi
rebuild_idle() {
        busctl --address="$(bus_address mailhub2)" get-property org.hubops.Helper1 /org/hubops/Helper1 \
                org.hubops.Helper1.Rebuild State | grep -q '"idle"'
}
wait_until 60 "the detached rebuild to end while no client watches it" rebuild_idle
# The job ended within this many microseconds of the two runs' start: the
# bound on its own time, however slow the machine.
ended_within=$(( ($(date +%s%N) - started_ns) / 1000 ))
# Not synchronisation but the scenario: the operator comes back some time
# after the end, and the summary must count the job's own time, not this.
sleep 3
run_capture lab as "$OPERATOR" dirhost "${env_second[@]}" hubopsctl --json runbook resume "$wid" --yes
assert_eq "$rc" 0 "resuming the detached run ($err)"
summary=$(jq -c 'select(.event == "summary")' <<<"$out")
rb=$(jq .rebuild_usec <<<"$summary")
[ "$rb" -ge 5000000 ] && [ "$rb" -le "$ended_within" ] ||
        fail "the rebuild's time is its job's own (6 s script, ended within $ended_within usec of the start), not until the client re-attached: $rb usec"
[ "$(jq .wall_usec <<<"$summary")" -ge "$(jq '.gate_usec + .job_usec' <<<"$summary")" ] ||
        fail "gates and jobs add up inside the wall time: $summary"
assert_contains "$out" '"event":"step-attached"' "the resume re-attached to the running rebuild"
assert_eq "$(site_actions | grep -c 'mailhub2 rebuild.start')" 2 "one more rebuild, started once"
rm -f "$first" "$second"
ok "a --detach run resumes later, re-attaching to its rebuild, and finishes"
