#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hubopsctl -H over real ssh. sd-bus runs `ssh -xT -p PORT -- USER@127.0.0.1
# systemd-stdio-bridge` (the lab's ssh wrapper, found through PATH); the lab
# host's own sshd logs the user in, and its stock systemd-stdio-bridge reaches
# that host's bus. polkit there judges the user ssh logged in: the operator
# may, the outsider may not, and the audit trail says which uid asked.
. "$(dirname "$0")/lib.sh"
export HUBOPS_LAB_SSH_HOSTS=$HOST
lab_up
operator_uid=$(id -u "$OPERATOR")
outsider_uid=$(id -u "$OUTSIDER")
sshd_log=$HUBOPS_LAB_DIR/logs/$HOST-sshd.log
# Logins the host's sshd accepted for USER so far.
logins() { grep -c "Accepted publickey for $1 " "$sshd_log" || true; }
# The local bus is out of reach, so only ssh can get anywhere.
remote() { local user=$1; shift; as_user "$user" env DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent hubopsctl "$@"; }

# --- the lab's sshd and its address ---
target=$(lab ssh-target "$OPERATOR" "$HOST")
[[ $target =~ ^$OPERATOR@127\.0\.0\.1:[0-9]+$ ]] || fail "ssh-target printed '$target'"
port=${target##*:}
assert_contains "$(lab status)" "$HOST-sshd" "lab status lists the sshd"
assert_contains "$(lab status)" "127.0.0.1:$port" "lab status lists its port"
ok "lab ssh-target prints $target; lab status lists the sshd"

# --- status over ssh ---
before=$(logins "$OPERATOR")
run_capture remote "$OPERATOR" --json -H "$target" status
assert_eq "$rc" 0 "status over ssh exit code ($err)"
assert_eq "$(jq -r .hostname <<<"$out")" "$HOST" "host name over ssh"
[ "$(logins "$OPERATOR")" -gt "$before" ] || fail "sshd logged no login for $OPERATOR"
run_capture remote "$OPERATOR" -H "$target" status
assert_eq "$rc" 0 "text status over ssh exit code ($err)"
assert_contains "$out" "$HOST" "text status names the host"
ok "status over ssh: the operator logged in to $HOST's sshd and reached its hubopsd"

# --- the operator runs a hook over ssh; polkit on the host says yes ---
run_capture remote "$OPERATOR" -H "$target" hooks run noop
assert_eq "$rc" 0 "operator's hook over ssh exit code ($err)"
assert_contains "$out" "done: success" "hook result over ssh"
assert_eq "$(audit_count '.event=="request" and .details.hook=="noop"')" 1 "request records for noop"
rec=$(audit_select '.event=="request" and .details.hook=="noop"')
assert_eq "$(jq -r .caller.uid <<<"$rec")" "$operator_uid" "caller uid over ssh"
assert_eq "$(jq -r .verdict <<<"$rec")" yes "verdict over ssh"
assert_eq "$(jq -r .result <<<"$rec")" started "result over ssh"
assert_eq "$(jq -r .host <<<"$rec")" "$HOST" "audited host"
assert_eq "$(audit_count '.event=="job-finished" and .details.hook=="noop" and .result=="success"')" 1 "completion"
ok "hooks run noop over ssh: audited as uid $operator_uid, verdict yes, job succeeded"

# --- the outsider logs in over ssh and polkit says no ---
outsider_target=$(lab ssh-target "$OUTSIDER" "$HOST")
before=$(logins "$OUTSIDER")
run_capture remote "$OUTSIDER" --json -H "$outsider_target" hooks run noop
assert_eq "$rc" 3 "outsider's hook over ssh exit code ($err)"
assert_eq "$(jq -r .error.name <<<"$out")" org.freedesktop.DBus.Error.AccessDenied "outsider error"
[ "$(logins "$OUTSIDER")" -gt "$before" ] || fail "sshd logged no login for $OUTSIDER"
denied=$(audit_select ".caller.uid==$outsider_uid")
assert_eq "$(wc -l <<<"$denied")" 1 "one record for the outsider"
assert_eq "$(jq -r .verdict <<<"$denied")" no "outsider verdict"
assert_eq "$(jq -r .result <<<"$denied")" denied "outsider result"
ok "the outsider, logged in over ssh, gets AccessDenied (exit 3), audited as denied"

# --- nothing listening: unreachable ---
free=$port
while [ -n "$(ss -Hltn "sport = :$free")" ]; do free=$((free + 1)); done
run_capture remote "$OPERATOR" -H "$OPERATOR@127.0.0.1:$free" status
assert_eq "$rc" 4 "exit code with nothing listening at port $free ($err)"
assert_contains "$err" "Connection refused" "ssh says why"
assert_contains "$err" "hubopsctl: " "hubopsctl says what failed"
run_capture remote "$OPERATOR" --json -H "$OPERATOR@127.0.0.1:$free" status
assert_eq "$(jq -r .error.exit_code <<<"$out")" 4 "JSON exit_code"
ok "-H to a port where nothing listens exits 4 (unreachable) with ssh's reason"

# --- nor can the outsider log in as the operator: its key is its own ---
records=$(audit_count true)
run_capture remote "$OUTSIDER" -H "$target" hooks run noop
assert_eq "$rc" 4 "outsider as the operator exit code ($err)"
assert_contains "$err" "Permission denied (publickey)" "ssh refuses the outsider's key"
assert_eq "$(audit_count true)" "$records" "nothing reached hubopsd"
ok "the outsider cannot log in as the operator (exit 4, ssh says why, nothing audited)"

# --- hermetic: no home directory was touched ---
for u in "$OPERATOR" "$OUTSIDER"; do
        home=$(getent passwd "$u" | cut -d: -f6)
        [ ! -e "$home/.ssh" ] || fail "the lab or ssh created $home/.ssh"
done
ok "no ~/.ssh was created: keys, known hosts and config live in the lab"

# --- down stops the sshd and removes its files ---
sshd_pid=$(cat "$HUBOPS_LAB_DIR/pids/$HOST-sshd.pid")
lab down >/dev/null 2>&1 || fail "lab down failed"
# Gone or a zombie: the lab's daemons are reparented to PID 1, which may reap late.
state=$(awk '{print $3}' "/proc/$sshd_pid/stat" 2>/dev/null || true)
[ -z "$state" ] || [ "$state" = Z ] || fail "sshd ($sshd_pid) still running after lab down"
[ -z "$(ss -Hltn "sport = :$port")" ] || fail "port $port still listening after lab down"
[ -n "${HUBOPS_LAB_KEEP:-}" ] || [ ! -e "$HUBOPS_LAB_DIR" ] || fail "$HUBOPS_LAB_DIR left behind"
ok "lab down stops the sshd and frees port $port"
