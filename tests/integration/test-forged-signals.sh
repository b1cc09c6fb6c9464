#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Forged signals change nothing (DESIGN.md section 7). On a system bus any
# local user may send a unicast signal to any connection, and it arrives
# looking like systemd's or the bus daemon's. In production's layout
# (HUBOPS_LAB_SYSTEMD_BUS: systemd owns its name on the host's bus, hubopsd
# has no SystemdAddress=) the outsider forges them (hubops-forge.c): a
# running hook and a running rebuild go on, with no end recorded and their
# units left running, then end for real, recorded once; a pending
# interactive polkit check is not cancelled; hubopsctl job wait keeps
# waiting and reports the real end.
#
# "Nothing happened" is checked after a round trip: hubops-forge asks
# hubopsd (which asks systemd) on the connection that sent the signal, and
# one sender's messages arrive in order.
export HUBOPS_LAB_HOSTS=mailhub1
export HUBOPS_LAB_SYSTEMD_BUS=mailhub1
export HUBOPS_LAB_REBUILD_MAX=120s
. "$(dirname "$0")/lib.sh"
lab_up
forge=$HUBOPS_LAB_DIR/bin/hubops-forge
install -m 0755 "$HUBOPS_BUILD_DIR/tests/integration/hubops-forge" "$forge"
rm -f "$GATE/started" "$GATE/release"
at_exit 'touch "$GATE/release"'

if grep -q '^SystemdAddress=' "$HUBOPS_LAB_DIR/hosts/$HOST/helper.conf"; then
        fail "hubopsd on $HOST has SystemdAddress=: not production's layout"
fi

owner_of() { helper_busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetNameOwner s "$1" |
        cut -d'"' -f2; }
connections_of() { helper_busctl list --unique --no-legend | awk -v pid="$1" '$2 == pid { print $1 }'; }
on_bus() { [ -n "$(connections_of "$1")" ]; }
job_prop() { helper_busctl get-property org.hubops.Helper1 "$1" org.hubops.Helper1.Job "$2" | cut -d' ' -f2- | tr -d '"'; }
unit_is() { [ "$(lab_systemctl_is_active "$1")" = "$2" ]; }
job_ended() { [ "$(job_prop "$1" State)" != running ]; }
ends_recorded() { audit_count ".event==\"job-finished\" and .job==\"$1\""; }
# A child of ours that has ended (a zombie until waited for).
exited() { [ ! -e "/proc/$1" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat")" = Z ]; }
forge() { as_outsider "$forge" "$@" >/dev/null || fail "the outsider could not send $2 to $1"; }

# systemd's word that job SYSJOB of UNIT ended (done, then failed), to each of hubopsd's connections.
forge_job_removed() { # UNIT SYSJOB
        local c result
        for c in $helper_connections; do
                for result in "done" failed; do
                        forge "$c" job-removed "$2" "/org/freedesktop/systemd1/job/$2" "$1" "$result"
                done
        done
}

# JOB with UNIT goes on after forged JobRemoved signals; then its real end is recorded once.
check_forged_end_ignored() { # JOB UNIT WHAT
        local job=$1 unit=$2 what=$3 sysjob
        wait_until 10 "$what's unit to start" unit_is "$unit" activating
        sysjob=$(XDG_RUNTIME_DIR=$HUBOPS_LAB_DIR/systemd systemctl --user show -P Job "$unit")
        [ -n "$sysjob" ] || fail "$what: no systemd job for $unit"
        forge_job_removed "$unit" "$sysjob"
        assert_eq "$(job_prop "$job" State)" running "$what: hubopsd's job state after forged JobRemoved"
        assert_eq "$(ends_recorded "$job")" 0 "$what: end records after forged JobRemoved"
        assert_eq "$(lab_systemctl_is_active "$unit")" activating "$what: its unit after forged JobRemoved"
        ok "$what: forged JobRemoved (done, failed) to each of hubopsd's connections change nothing"

        run_capture as_operator hubopsctl --json job cancel "${job##*/}"
        assert_eq "$rc" 0 "$what: cancel ($out $err)"
        wait_until 30 "$what to end" job_ended "$job"
        assert_eq "$(job_prop "$job" State)" canceled "$what: state after cancel"
        assert_eq "$(ends_recorded "$job")" 1 "$what: end records after cancel"
        assert_eq "$(audit_select ".event==\"job-finished\" and .job==\"$job\"" | jq -r .result)" canceled \
                "$what: the recorded end"
        ok "$what: its real end (canceled) is recorded once"
}

# --- (a) a running hook ---
run_capture as_operator hubopsctl --json hooks run slow --no-wait
assert_eq "$rc" 0 "hook slow starts ($err)"
job=$(jq -r .job <<<"$out")
unit=$(job_prop "$job" Unit)
hubopsd_pid=$(cat "$HUBOPS_LAB_DIR/pids/$HOST-hubopsd.pid")
helper_main=$(owner_of org.hubops.Helper1)
helper_connections=$(connections_of "$hubopsd_pid")
assert_eq "$(wc -w <<<"$helper_connections")" 2 "hubopsd's connections (its own name's, systemd's)"
assert_contains "$helper_connections" "$helper_main" "hubopsd's connections"
for c in $helper_connections; do
        forge "$c" status-text "$unit" "files 1/2 bytes 1/2"
done
assert_eq "$(helper_busctl get-property org.hubops.Helper1 "$job" org.hubops.Helper1.Job Counters)" "a(stt) 0" \
        "the hook's counters after a forged StatusText"
assert_eq "$(job_prop "$job" ProgressValid)" false "the hook's progress after a forged StatusText"
ok "a forged StatusText (PropertiesChanged) to each of hubopsd's connections moves no progress"
check_forged_end_ignored "$job" "$unit" "a running hook"

# --- (b) a running rebuild (held at its first step by the lab's knob) ---
touch "$HUBOPS_LAB_DIR/site-state/$HOST/rebuild/rebuild-hang"
run_capture as_operator hubopsctl --json rebuild start --no-wait
assert_eq "$rc" 0 "the rebuild starts ($out $err)"
job=$(jq -r .job <<<"$out")
check_forged_end_ignored "$job" "$(job_prop "$job" Unit)" "a running rebuild"
rm -f "$HUBOPS_LAB_DIR/site-state/$HOST/rebuild/rebuild-hang"

# --- (c) an interactive polkit check: a forged NameOwnerChanged for its caller ---
# As in test-polkit-pending.sh: the lab's rules hold the check for hook
# "polkit-gated" at the gate; busctl allows interactive authorization.
answer=$(mktemp)
at_exit "rm -f '$answer'"
"$LAB" as "$OPERATOR" "$HOST" busctl --address="$(bus_address)" --timeout=30 call org.hubops.Helper1 \
        /org/hubops/Helper1 org.hubops.Helper1.Hooks Run s polkit-gated >"$answer" 2>&1 &
caller=$!
wait_until 10 "the polkit check to reach the gate" test -e "$GATE/started"
wait_until 10 "the caller on the bus" on_bus "$caller"
caller_name=$(connections_of "$caller")
forge "$helper_main" name-owner-changed "$caller_name" "$caller_name" ""
assert_eq "$(audit_count '.details.hook=="polkit-gated"')" 0 "records for the pending check after a forged NameOwnerChanged"
touch "$GATE/release"
wait_until 30 "the caller's answer" exited "$caller"
rc=0
wait "$caller" || rc=$?
assert_eq "$rc" 0 "the caller's answer ($(cat "$answer"))"
assert_contains "$(cat "$answer")" "/org/hubops/Helper1/job/" "the caller's answer"
rec=$(audit_select '.event=="request" and .details.hook=="polkit-gated"')
assert_eq "$(jq -r .verdict <<<"$rec")" yes "the check's verdict"
ok "a forged NameOwnerChanged for a caller does not cancel its pending interactive check"

# --- (d) hubopsctl job wait: forged NameOwnerChanged and Completed ---
run_capture as_operator hubopsctl --json hooks run slow --no-wait
assert_eq "$rc" 0 "hook slow starts again ($err)"
job=$(jq -r .job <<<"$out"); id=${job##*/}
waited=$(mktemp)
at_exit "rm -f '$waited'"
"$LAB" as "$OPERATOR" "$HOST" hubopsctl job wait "$id" >"$waited" 2>&1 &
waiter=$!
# Its first progress line comes after it subscribed to the job's signals.
wait_until 10 "hubopsctl to wait for job $id" grep -q "Job $id:" "$waited"
waiter_name=$(connections_of "$waiter")
[ -n "$waiter_name" ] || fail "hubopsctl's bus name"
forge "$waiter_name" name-owner-changed org.hubops.Helper1 "$helper_main" ""
forge "$waiter_name" completed "$job" success
run_capture as_operator hubopsctl --json job cancel "$id"
assert_eq "$rc" 0 "cancel ($out $err)"
wait_until 30 "hubopsctl job wait to end" exited "$waiter"
rc=0
wait "$waiter" || rc=$?
assert_not_contains "$(cat "$waited")" "went away" "hubopsctl job wait after forged signals"
assert_eq "$rc" 1 "hubopsctl job wait's exit status, the job canceled ($(cat "$waited"))"
assert_contains "$(cat "$waited")" "canceled" "hubopsctl job wait's report"
ok "hubopsctl job wait ignores forged NameOwnerChanged and Completed, and reports the real end"
