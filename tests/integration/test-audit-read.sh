#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hubopsctl audit show: the audit log is root's, yet an operator finds the
# records of their own requests by id (hubopsctl prints them), locally and
# over ssh; another user's records need org.hubops.audit.read, and reading
# them is itself audited.
. "$(dirname "$0")/lib.sh"
export HUBOPS_LAB_SSH_HOSTS=$HOST
lab_up

run_capture as_operator hubopsctl hooks run noop
assert_eq "$rc" 0 "the operator's hook"
mine=$(audit_select '.event=="request" and .operation=="hook.run" and .details.hook=="noop"' | jq -r .id | tail -n1)
run_capture as_outsider hubopsctl hooks run noop
assert_eq "$rc" 3 "the outsider is refused"
theirs=$(audit_select '.event=="request" and .result=="denied"' | jq -r .id | tail -n1)
[ -n "$mine" ] && [ -n "$theirs" ] || fail "no records to read back (mine '$mine', theirs '$theirs')"

run_capture as_operator hubopsctl audit show "$mine"
assert_eq "$rc" 0 "audit show of one's own record ($err)"
assert_contains "$out" "\"id\": \"$mine\"" "the record"
assert_contains "$out" "\"hook\": \"noop\"" "its details"
run_capture as_operator hubopsctl --json audit show "$mine"
assert_eq "$(jq -r .result <<<"$out")" started "JSON: the record as written"
assert_eq "$(audit_count '.operation=="audit.read"')" 0 "reading one's own records is not a privileged request"
ok "an operator reads back their own request's record by id"

target=$(lab ssh-target "$OPERATOR" "$HOST")
run_capture as_operator hubopsctl -H "$target" --json audit show "$mine"
assert_eq "$rc" 0 "over ssh ($err)"
assert_eq "$(jq -r .id <<<"$out")" "$mine" "the same record over ssh"
ok "and over ssh"

run_capture as_outsider hubopsctl audit show "$mine"
assert_eq "$rc" 3 "the outsider reading the operator's record ($out $err)"
assert_not_contains "$out" "noop" "nothing of the record leaks"
run_capture as_operator hubopsctl --json audit show "$theirs"
assert_eq "$rc" 0 "the operator (hubops group: org.hubops.audit.read) reads the outsider's record ($err)"
assert_eq "$(jq -r .result <<<"$out")" denied "the outsider's refusal"
assert_eq "$(audit_count '.event=="request" and .operation=="audit.read" and .result=="done"')" 1 \
        "reading another user's record is audited"
ok "another user's records need org.hubops.audit.read, and reading them is audited"

run_capture as_operator hubopsctl audit show 0123456789abcdef0123456789abcdef
assert_eq "$rc" 6 "no such record"
assert_contains "$err" "No audit record 0123456789abcdef0123456789abcdef" "says which"
run_capture as_operator hubopsctl audit show ../etc
assert_eq "$rc" 2 "not an id"
run_capture helper_busctl call org.hubops.Helper1 /org/hubops/Helper1 org.hubops.Helper1.Manager GetAuditRecords as 1 xyz
assert_contains "$err" "Invalid record id" "the helper checks ids too"
ok "an unknown id is 6, a malformed one 2 (and InvalidArgs at the helper)"

# --- the journal: the same records, read back with journalctl ---
# Every privileged request's record goes to the journal too (helper/audit.c,
# MESSAGE_ID per event; the lab's journald, tests/lab/lab), each field what
# the JSON record of the same request says.
REQUEST_ID=6d1c4f0a3b8e4e2f9a7b5c3d1e0f2a4b JOB_FINISHED_ID=b2e94d7c61a84f03a5d8c7e6f1b30a29
helper_pid=$(cat "$HUBOPS_LAB_DIR/pids/$HOST-hubopsd.pid")
journaled() { journal_select MESSAGE_ID="$1" HUBOPS_AUDIT_ID="$2" _PID="$helper_pid" | tail -n1; }
audit_record() { audit_select ".id==\"$1\""; }
job=$(audit_record "$mine" | jq -r .job)
finished=$(audit_select ".event==\"job-finished\" and .job==\"$job\"" | jq -r .id)
[ -n "$finished" ] || fail "no job-finished record for $job"
for pair in "$REQUEST_ID $mine" "$REQUEST_ID $theirs" "$JOB_FINISHED_ID $finished"; do
        read -r mid rid <<<"$pair"
        wait_until 10 "the journal record of $rid" test -n "$(journaled "$mid" "$rid")"
        j=$(journaled "$mid" "$rid") rec=$(audit_record "$rid")
        # Absent from the JSON: an empty field in the journal, or -1 for a caller's ids.
        for f in id:AUDIT_ID host:HOST operation:OPERATION verdict:VERDICT result:RESULT action:ACTION job:JOB \
                'caller.uid // -1':CALLER_UID 'caller.pid // -1':CALLER_PID; do
                assert_eq "$(jq -r ".HUBOPS_${f##*:}" <<<"$j")" "$(jq -r "(.${f%:*}) // \"\" | tostring" <<<"$rec")" \
                        "record $rid: journal HUBOPS_${f##*:} against JSON .${f%:*}"
        done
        assert_eq "$(jq -r .HUBOPS_RECORD <<<"$j")" "$rec" "record $rid: HUBOPS_RECORD is the JSON line"
        assert_eq "$(jq -r .PRIORITY <<<"$j")" 5 "record $rid: LOG_NOTICE"
done
j=$(journaled "$REQUEST_ID" "$theirs")
assert_eq "$(jq -r .HUBOPS_CALLER_UID <<<"$j")" "$(id -u "$OUTSIDER")" "the refusal names the outsider's uid"
assert_eq "$(jq -r .HUBOPS_RESULT <<<"$j")" denied "and says denied"
assert_eq "$(jq -r .HUBOPS_CALLER_UID <<<"$(journaled "$REQUEST_ID" "$mine")")" "$(id -u "$OPERATOR")" \
        "the allowed request names the operator's uid"
assert_contains "$(jq -r .MESSAGE <<<"$j")" "hubops request hook.run: denied" "a message a person can read"
ok "journalctl MESSAGE_ID=… reads back the allowed request, its job's end and the refusal, field for field as the JSON records"
