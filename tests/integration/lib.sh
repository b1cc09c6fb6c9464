# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the integration tests: bring up a private lab, run commands as
# the lab's users, read audit logs, assert. Sourced, not run.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export HUBOPS_BUILD_DIR=${HUBOPS_BUILD_DIR:-$TOP/build}
TEST_NAME=$(basename "$0" .sh)
# HUBOPS_LAB_TAG keeps the labs of two checkouts apart when both run the
# suite at once (the same test name would otherwise share one lab).
export HUBOPS_LAB_DIR=${HUBOPS_LAB_DIR:-/run/hubops-lab-${HUBOPS_LAB_TAG:+$HUBOPS_LAB_TAG-}$TEST_NAME}
export HUBOPS_LAB_HOSTS=${HUBOPS_LAB_HOSTS:-hub1}
export HUBOPS_LAB_QUIET=1
HOST=${HUBOPS_LAB_HOSTS%% *}
LAB=$TOP/tests/lab/lab
GATE=/run/hubops-lab-gate
OPERATOR=hubops-operator
OUTSIDER=hubops-outsider

passed=0

fail() {
        echo "FAIL [$TEST_NAME]: $*" >&2
        if [ -d "$HUBOPS_LAB_DIR/logs" ]; then
                echo "--- lab logs ---" >&2
                tail -n 20 "$HUBOPS_LAB_DIR"/logs/*.log >&2 || true
                echo "--- the audit log's last records ---" >&2
                tail -n 5 "$(audit_log)" >&2 2>/dev/null || true
                echo "--- what loads the directory hosts (busy.d) ---" >&2
                ls -la "$HUBOPS_LAB_DIR"/hosts/*/busy.d >&2 2>/dev/null || true
                echo "--- the lab's failed units ---" >&2
                XDG_RUNTIME_DIR=$HUBOPS_LAB_DIR/systemd systemctl --user status --failed --no-pager --lines=20 \
                        >&2 2>/dev/null || true
        fi
        exit 1
}
ok() { passed=$((passed + 1)); echo "ok $passed - $*"; }

lab() { "$LAB" "$@"; }
cleanups=()
# Run CMD (a string) at exit, before the lab goes down.
at_exit() { cleanups+=("$1"); }
lab_up() {
        lab down >/dev/null 2>&1 || true
        trap on_exit EXIT
        # A lab that will not start is a failure here, never a skip.
        lab up || fail "the lab did not come up"
}
on_exit() {
        local rc=$? c
        for c in "${cleanups[@]}"; do eval "$c" || true; done
        lab down >/dev/null 2>&1 || true
        [ $rc -ne 0 ] || echo "# $TEST_NAME: $passed passed, 0 failed"
        return $rc
}

as_user() { local user=$1; shift; lab as "$user" "$HOST" "$@"; }
as_operator() { as_user "$OPERATOR" "$@"; }
as_outsider() { as_user "$OUTSIDER" "$@"; }
bus_address() { echo "unix:path=$HUBOPS_LAB_DIR/hosts/${1:-$HOST}/bus.sock"; }
helper_busctl() { busctl --address="$(bus_address)" "$@"; }

# polkitd on the lab host's bus knows every action of POLICY_FILE, with
# auth_admin defaults; sets $actions (test-packaging.sh: the tree's file,
# test-package.sh: the installed package's).
assert_polkit_knows_actions() { # POLICY_FILE
        local a
        actions=$(grep -o 'action id="[^"]*"' "$1" | cut -d'"' -f2)
        [ -n "$actions" ] || fail "no actions found in $1"
        for a in $actions; do
                run_capture env DBUS_SYSTEM_BUS_ADDRESS="$(bus_address)" pkaction --action-id "$a" --verbose
                assert_eq "$rc" 0 "pkaction --action-id $a ($err)"
                assert_contains "$out" "implicit any:      auth_admin" "$a defaults"
        done
}

audit_log() { echo "${HUBOPS_LAB_AUDIT_DIR:-$HUBOPS_LAB_DIR/hosts/${1:-$HOST}}/audit.jsonl"; }
# Audit records matching a jq filter, one compact JSON object per line.
audit_select() { [ -f "$(audit_log)" ] || return 0; jq -c "select($1)" "$(audit_log)"; }
audit_count() { audit_select "$1" | wc -l; }
# The lab journald's records matching journalctl's FIELD=VALUE matches, one
# JSON object per line (every lab hubopsd logs there: tests/lab/lab).
journal_select() { journalctl --directory="$HUBOPS_LAB_DIR/kernel-log/journal" -o json "$@" 2>/dev/null; }
last_job_id() { cat "$HUBOPS_LAB_DIR/hosts/$HOST/state/last-job-id" 2>/dev/null || echo 0; }

# run_capture CMD...: sets $out, $err and $rc without tripping set -e.
run_capture() {
        local o e
        o=$(mktemp); e=$(mktemp)
        set +e
        "$@" >"$o" 2>"$e"
        rc=$?
        set -e
        out=$(cat "$o"); err=$(cat "$e")
        rm -f "$o" "$e"
}

assert_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }
assert_contains() { case $1 in *"$2"*) ;; *) fail "$3: '$2' not in: $1" ;; esac; }
assert_not_contains() { case $1 in *"$2"*) fail "$3: '$2' unexpectedly in: $1" ;; *) ;; esac; }

# Poll with a deadline; never a bare sleep standing in for synchronisation.
wait_until() {
        local seconds=$1 what=$2; shift 2
        local deadline=$((SECONDS + seconds))
        until "$@" >/dev/null 2>&1; do
                [ $SECONDS -lt "$deadline" ] || fail "timed out after ${seconds}s waiting for $what"
                sleep 0.05
        done
}

# ---- runbooks (tests/integration/test-runbook*.sh) ----

# Every privileged action across the lab's hosts, in time order, one line
# each: "HOST OPERATION SUBJECT" (requests that started or did something).
site_actions() {
        local h
        for h in $(cat "$HUBOPS_LAB_DIR/hosts.list"); do
                [ ! -f "$HUBOPS_LAB_DIR/hosts/$h/audit.jsonl" ] || cat "$HUBOPS_LAB_DIR/hosts/$h/audit.jsonl"
        done | jq -r 'select(.event == "request" and (.result == "started" or .result == "done")
                        and (.operation | startswith("run.") | not))
                | [.time_usec, .host, .operation,
                   ([.details.hook, .details.service, .details.verb] | map(select(. != null)) | join(" "))]
                | @tsv' |
                sort -n | cut -f2- | tr '\t' ' ' | sed 's/ *$//'
}
# The same, as a run's done steps predict them (its JSON summary on stdin).
plan_actions() {
        jq -r 'select(.event == "summary") | .steps[] | select(.status == "done" and .operation != "settle")
                | if .operation == "directory.restart" then "\(.host) directory.restart restart"
                  elif (.operation | startswith("service.")) then
                        "\(.host) \(.operation) \(.subject) \(.operation | ltrimstr("service."))"
                  elif .operation == "rebuild.start" then "\(.host) rebuild.start"
                  else "\(.host) \(.operation) \(.subject)" end'
}
# The run id in a run's JSON events.
run_id_of() { jq -r 'select(.run != null) | .run' <<<"$1" | head -n1; }
lab_systemctl_is_active() { XDG_RUNTIME_DIR=$HUBOPS_LAB_DIR/systemd systemctl --user is-active "$1" 2>/dev/null || true; }
