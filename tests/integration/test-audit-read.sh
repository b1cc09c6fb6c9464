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
