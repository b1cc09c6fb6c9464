#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hubopsd as systemd runs it: READY=1 when serving, no capabilities and
# no_new_privs once started, a clean exit on SIGTERM.
. "$(dirname "$0")/lib.sh"
lab_up
export XDG_RUNTIME_DIR=$HUBOPS_LAB_DIR/systemd
unit=hubopsd-lifecycle-test.service

kill "$(cat "$HUBOPS_LAB_DIR/pids/$HOST-hubopsd.pid")"
gone() { ! busctl --address="$(bus_address)" status org.hubops.Helper1 >/dev/null 2>&1; }
wait_until 10 "the lab's hubopsd to leave the bus" gone

# Type=notify: systemd-run returns only once hubopsd has sent READY=1.
run_capture systemd-run --user --unit="$unit" -p Type=notify -p NotifyAccess=main \
        -E DBUS_SYSTEM_BUS_ADDRESS="$(bus_address)" \
        "$HUBOPS_LAB_DIR/bin/hubopsd" --config "$HUBOPS_LAB_DIR/hosts/$HOST/helper.conf"
assert_eq "$rc" 0 "systemd-run with Type=notify ($err)"
at_exit "systemctl --user stop '$unit' 2>/dev/null; systemctl --user reset-failed '$unit' 2>/dev/null"
assert_eq "$(systemctl --user show -P ActiveState "$unit")" active "unit state after READY=1"
busctl --address="$(bus_address)" status org.hubops.Helper1 >/dev/null || fail "READY=1 before owning the name"
ok "hubopsd sends READY=1 once it owns org.hubops.Helper1"

pid=$(systemctl --user show -P MainPID "$unit")
status=$(cat "/proc/$pid/status")
for field in CapInh CapPrm CapEff CapBnd CapAmb; do
        assert_eq "$(awk -v f="$field:" '$1==f {print $2}' <<<"$status")" 0000000000000000 "hubopsd's $field"
done
assert_eq "$(awk '$1=="NoNewPrivs:" {print $2}' <<<"$status")" 1 "hubopsd's NoNewPrivs"
ok "after start-up hubopsd keeps no capability (bounding, permitted, effective, ambient) and has no_new_privs"

run_capture as_operator hubopsctl hooks run noop
assert_eq "$rc" 0 "a capability-less hubopsd still serves hooks ($err)"
ok "a hook runs through the capability-less helper"

systemctl --user stop "$unit"
assert_eq "$(systemctl --user show -P Result "$unit")" success "Result after SIGTERM"
assert_eq "$(systemctl --user show -P ExecMainStatus "$unit")" 0 "exit status after SIGTERM"
ok "SIGTERM ends hubopsd cleanly (exit status 0)"
