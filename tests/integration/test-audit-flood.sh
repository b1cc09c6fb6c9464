#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Refusals cannot silence the audit (DESIGN.md section 7): an outsider
# flooding hubopsd with calls it refuses (an unknown hook: NotConfigured,
# before polkit) far past what the audit filesystem holds neither fills it
# nor stops an operator's hook run, whose records are all written; the
# refusals not written are counted exactly, in "suppressed" records naming
# the uid. Then the space reserve: with the filesystem down to just above
# it, refusals stop there and the operator's run still gets its records.
. "$(dirname "$0")/lib.sh"

# A small audit filesystem: 2 MiB holds some 4,500 refusal records.
AUDIT_FS_KIB=2048
# The helper's defaults (helper/audit.h, helper/audit-budget.h): a caller
# uid's burst of refusal records, and the reserve, capped at a quarter of
# the filesystem (512 KiB here).
BURST=64
RESERVE_KIB=512
# Several times what would fill the filesystem, each call refused at once.
FLOOD_CALLS=${HUBOPS_AUDIT_FLOOD_CALLS:-12000}
WINDOW=64

auditfs=$(mktemp -d /run/hubops-auditfs.XXXXXX)
mount -t tmpfs -o size=${AUDIT_FS_KIB}k,mode=0755 tmpfs "$auditfs" || fail "cannot mount a tmpfs for the audit log"
export HUBOPS_LAB_AUDIT_DIR=$auditfs
at_exit "umount -l '$auditfs'; rmdir '$auditfs'"
lab_up
stress=$HUBOPS_LAB_DIR/bin/hubops-stress
install -m 0755 "$HUBOPS_BUILD_DIR/tests/integration/hubops-stress" "$stress"
operator_uid=$(id -u "$OPERATOR")
outsider_uid=$(id -u "$OUTSIDER")
hubopsd_pid=$(cat "$HUBOPS_LAB_DIR/pids/$HOST-hubopsd.pid")
helper_log=$HUBOPS_LAB_DIR/logs/$HOST-hubopsd.log
free_kib() { echo $(($(stat -f -c '%a * %S' "$auditfs") / 1024)); }

# flood USER COUNT HOOK: COUNT calls of Hooks.Run HOOK, each refused with
# NotConfigured; bounded in count and in time. Sets $flood_sent.
flood() {
        run_capture timeout 180 "$LAB" as "$1" "$HOST" "$stress" flood "$WINDOW" "$2" "$3"
        assert_eq "$rc" 0 "the flood as $1 ($err)"
        [[ $out =~ flood\ :[0-9.]+\ sent=([0-9]+)\ denied=0\ refused=([0-9]+)\ other=0 ]] ||
                fail "the flooder as $1 said '$out'"
        flood_sent=${BASH_REMATCH[1]}
        assert_eq "${BASH_REMATCH[2]}" "$2" "calls refused with NotConfigured"
}
# The refusal records written for UID's calls of HOOK, and the refusals
# counted in its "suppressed" records.
written() { audit_count ".event==\"request\" and .caller.uid==$1 and .details.hook==\"$2\" and .result==\"rejected\""; }
suppressed() {
        audit_select ".event==\"suppressed\" and .caller.uid==$1" | jq -s 'map(.suppressed.count) | add // 0'
}
accounted() { [ $(($(written "$1" "$2") + $(suppressed "$1"))) -eq "$3" ]; }
# The operator's hook run: it succeeds and leaves both its records.
operator_run() { # PHASE
        local job
        run_capture as_operator hubopsctl --json hooks run noop
        assert_eq "$rc" 0 "$1: the operator's hook run ($out $err)"
        job=$(jq -r .job <<<"$out")
        assert_eq "$(audit_count ".event==\"request\" and .job==\"$job\" and .result==\"started\"
                and .caller.uid==$operator_uid")" 1 "$1: the run's request record"
        wait_until 10 "$1: the run's job-finished record" \
                test "$(audit_count ".event==\"job-finished\" and .job==\"$job\" and .result==\"success\"")" = 1
}

# --- a flood far past the filesystem's size: the budget ---
flood "$OUTSIDER" "$FLOOD_CALLS" nosuch
log_kib=$(($(stat -c %s "$(audit_log)") / 1024))
echo "# $flood_sent refusals; the audit log is $log_kib KiB, $(free_kib) KiB free of $AUDIT_FS_KIB"
operator_run "after the flood"
ok "$flood_sent refused calls from the outsider, then the operator's hook run succeeds with its records"

wait_until 30 "the outsider's refusals to be accounted for" accounted "$outsider_uid" nosuch "$flood_sent"
n_written=$(written "$outsider_uid" nosuch)
n_suppressed=$(suppressed "$outsider_uid")
[ "$n_suppressed" -gt 0 ] || fail "no refusal was suppressed"
[ "$n_written" -ge "$BURST" ] || fail "only $n_written refusals written, fewer than the burst ($BURST)"
rec=$(audit_select ".event==\"suppressed\" and .caller.uid==$outsider_uid" | head -n1)
echo "# $rec"
assert_eq "$(jq -r .result <<<"$rec")" suppressed "the suppressed record's result"
assert_eq "$(jq -r '.suppressed.first_usec <= .suppressed.last_usec and .suppressed.count > 0' <<<"$rec")" true \
        "the suppressed record's count and times"
assert_contains "$(jq -r .message <<<"$rec")" "uid $outsider_uid" "the suppressed record's message"
[ "$(free_kib)" -gt "$RESERVE_KIB" ] || fail "the flood used the reserve: $(free_kib) KiB free"
ok "the outsider's refusals: $n_written written, $n_suppressed counted in suppressed records (uid $outsider_uid)"

# --- the reserve: the filesystem is down to just above it ---
dd if=/dev/zero of="$auditfs/fill" bs=4k 2>/dev/null || true
truncate -s -$(((RESERVE_KIB + 16) * 1024)) "$auditfs/fill"
flood "$OPERATOR" 2000 nosuch-either
n_written=$(written "$operator_uid" nosuch-either)
[ "$n_written" -lt "$BURST" ] || fail "$n_written refusals written within the budget: the reserve did not stop them"
[ "$(free_kib)" -ge "$((RESERVE_KIB - 4))" ] || fail "refusals went into the reserve: $(free_kib) KiB free"
operator_run "down to the reserve"
ok "down to the reserve: $n_written refusals written, the rest held back, and the operator's run has its records"

# --- at shutdown the pending count is written; nothing hit ENOSPC ---
kill -TERM "$hubopsd_pid"
helper_gone() { [ ! -e "/proc/$hubopsd_pid" ] || [ "$(awk '{ print $3 }' "/proc/$hubopsd_pid/stat")" = Z ]; }
wait_until 30 "hubopsd to exit on SIGTERM" helper_gone
accounted "$operator_uid" nosuch-either "$flood_sent" ||
        fail "the operator's refusals: $(written "$operator_uid" nosuch-either) written +" \
                "$(suppressed "$operator_uid") suppressed, expected $flood_sent"
accounted "$outsider_uid" nosuch "$FLOOD_CALLS" || fail "the outsider's refusals are no longer accounted for"
assert_not_contains "$(cat "$helper_log")" "Failed to write audit record" "hubopsd's log"
ok "at exit the pending suppressed count is written; every refusal is accounted for; no write failed"
