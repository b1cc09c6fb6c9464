#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Configured services (regclient) start, stop and restart through systemd,
# with systemd's result; anything else is a named error.
export HUBOPS_LAB_HOSTS="dirhost mailhub1"
. "$(dirname "$0")/lib.sh"
HOST=mailhub1
lab_up
ctl() { as_operator hubopsctl --json "$@"; }

run_capture ctl service status regclient
assert_eq "$(jq -r .active_state <<<"$out")" active "regclient runs at lab start"
for verb in stop start restart; do
        run_capture ctl service "$verb" regclient
        assert_eq "$rc" 0 "service $verb regclient ($out $err)"
        assert_eq "$(jq -r .result <<<"$out")" done "systemd's job result for $verb"
        want=active; [ "$verb" = stop ] && want=inactive
        run_capture ctl service status regclient
        assert_eq "$(jq -r .active_state <<<"$out")" "$want" "state after $verb"
done
ok "service stop/start/restart regclient: jobs done, unit state follows"

touch "$HUBOPS_LAB_DIR/site-state/$HOST/regclient-fails"
run_capture ctl service restart regclient
assert_eq "$rc" 1 "a regclient that cannot start"
assert_eq "$(jq -r .result <<<"$out")" failed "systemd's result"
assert_contains "$(jq -r .message <<<"$out")" "see journalctl -u regclient-$HOST.service" "journal hint"
rm -f "$HUBOPS_LAB_DIR/site-state/$HOST/regclient-fails"
run_capture ctl service start regclient
assert_eq "$rc" 0 "regclient starts again"
ok "a failed start is reported with systemd's result and a journal hint"

run_capture ctl service start broken
assert_eq "$rc" 1 "a unit that fails to start"
assert_contains "$(jq -r .message <<<"$out")" "unit result: exit-code" "unit result"
run_capture ctl service start missing
assert_eq "$rc" 1 "a configured unit that does not exist"
assert_contains "$(jq -r .error.message <<<"$out")" "not found" "systemd's reason"
assert_eq "$(jq -r .error.name <<<"$out")" org.hubops.Helper1.Error.Failed "named error"
run_capture ctl service start sshd
assert_eq "$rc" 6 "a service that is not configured"
assert_eq "$(jq -r .error.name <<<"$out")" org.hubops.Helper1.Error.NotConfigured "NotConfigured"
run_capture ctl service status sshd
assert_eq "$rc" 6 "status of a service that is not configured"
ok "broken and missing units fail with reasons; unconfigured names are NotConfigured (exit 6)"

rec=$(audit_select '.operation=="service.start" and .details.service=="sshd"')
assert_eq "$(wc -l <<<"$rec")" 1 "the refused request is audited once"
assert_eq "$(jq -r .details.verb <<<"$rec")" start "details carry the verb"
ok "service requests are audited with details service and verb"

run_capture ctl directory status
assert_eq "$rc" 6 "a mailhub has no directory"
ok "directory commands on a host without [Directory] -> exit 6"
