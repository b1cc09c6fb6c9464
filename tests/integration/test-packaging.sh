#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# What `meson install` ships is accepted by the real consumers: polkitd knows
# every action, systemd-analyze accepts the unit, dbus-daemon accepts the
# policy; files land where pkg-config and the meson options say. (The Debian
# package built from them, installed and purged: test-package.sh.)
. "$(dirname "$0")/lib.sh"
lab_up
work=$(mktemp -d /tmp/hubops-packaging.XXXXXX)
at_exit "rm -rf '$work'"

# --- polkit: every action in the .policy file is known to polkitd ---
assert_polkit_knows_actions "$TOP/polkit/org.hubops.policy"
ok "pkaction finds every action: $(echo $actions)"

# Every action the code asks for is declared in the policy.
for a in $(grep -ho '"org\.hubops\.[a-z]*\.[a-z]*"' "$TOP"/common/*.h | tr -d '"' | sort -u); do
        grep -q "action id=\"$a\"" "$TOP/polkit/org.hubops.policy" || fail "$a is used but not declared"
done
ok "every polkit action the code uses is declared in the .policy file"

# --- systemd: the unit verifies cleanly (pointed at the built binary) ---
mkdir -p "$work/unit"
sed "s|^ExecStart=.*|ExecStart=$HUBOPS_BUILD_DIR/helper/hubopsd|" "$HUBOPS_BUILD_DIR/systemd/hubopsd.service" \
        >"$work/unit/hubopsd.service"
run_capture systemd-analyze verify --man=no "$work/unit/hubopsd.service"
assert_eq "$rc" 0 "systemd-analyze verify exit status ($err)"
assert_eq "$err$out" "" "systemd-analyze verify says nothing"
echo "Bogus=yes" >>"$work/unit/hubopsd.service"
run_capture systemd-analyze verify --man=no "$work/unit/hubopsd.service"
assert_contains "$err" "Unknown key" "the verify check can fail"
ok "systemd-analyze verify accepts systemd/hubopsd.service (and notices a bad key)"

# Exposure at most 1.2 (systemd counts tenths: --threshold=12), as shipped
# and with the directory host's drop-in (its two capabilities); hostnamed's
# 1.5 must fail it. test-unit-as-shipped.sh runs the unit and the drop-in.
run_capture systemd-analyze security --offline=true --threshold=12 "$HUBOPS_BUILD_DIR/systemd/hubopsd.service"
assert_eq "$rc" 0 "hubopsd.service exposure within 1.2 ($(tail -n 1 <<<"$out"))"
shipped_score=$(tail -n 1 <<<"$out" | grep -oE '[0-9]+\.[0-9]')
{ cat "$HUBOPS_BUILD_DIR/systemd/hubopsd.service"; echo; cat "$TOP/systemd/hubopsd-directory.conf"; } \
        >"$work/hubopsd.service"
run_capture systemd-analyze security --offline=true --threshold=12 "$work/hubopsd.service"
assert_eq "$rc" 0 "hubopsd.service with the directory drop-in within 1.2 ($(tail -n 1 <<<"$out"))"
directory_score=$(tail -n 1 <<<"$out" | grep -oE '[0-9]+\.[0-9]')
run_capture systemd-analyze security --offline=true --threshold=12 /lib/systemd/system/systemd-hostnamed.service
[ "$rc" -ne 0 ] || fail "the threshold check passes anything: hostnamed (1.5) got through"
ok "systemd-analyze security: hubopsd.service $shipped_score, with the directory drop-in $directory_score (<= 1.2; systemd-hostnamed's 1.5 would fail)"

# --- dbus-daemon: accepts the policy, and would reject a broken one ---
bus_with_policy() { # POLICY_FILE: start a bus including it; succeed if it comes up
        sed -e "s|@SOCKET@|$work/bus.sock|" -e "s|@POLICY@|$1|" "$TOP/tests/lab/bus.conf.in" >"$work/bus.conf"
        timeout 10 dbus-daemon --config-file="$work/bus.conf" --nofork --nopidfile --print-address=1 \
                >"$work/addr" 2>"$work/bus.err" &
        local pid=$!
        local deadline=$((SECONDS + 10))
        while [ ! -s "$work/addr" ] && kill -0 $pid 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
        local up=1; [ -s "$work/addr" ] || up=0
        kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
        rm -f "$work/addr" "$work/bus.sock"
        [ $up = 1 ]
}
bus_with_policy "$TOP/dbus/org.hubops.Helper1.conf" || fail "dbus-daemon rejects the policy: $(cat "$work/bus.err")"
sed 's|</busconfig>|<policy|' "$TOP/dbus/org.hubops.Helper1.conf" >"$work/broken.conf"
! bus_with_policy "$work/broken.conf" || fail "dbus-daemon accepted a broken policy: this check proves nothing"
ok "dbus-daemon accepts dbus/org.hubops.Helper1.conf (and refuses a broken copy)"

# The installed policy lets the operator call the helper but not own its name.
run_capture as_operator busctl --address="$(bus_address)" call org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus RequestName su org.hubops.Helper1 0
assert_contains "$err" "Access denied" "an ordinary user cannot own org.hubops.Helper1"
ok "the bus policy keeps org.hubops.Helper1 for root"

# --- install locations: defaults from pkg-config, each option wired up ---
installed() { meson introspect "$1" --installed | jq -r 'to_entries[] | "\(.key | split("/") | last) \(.value)"'; }
run_capture installed "$HUBOPS_BUILD_DIR"
assert_contains "$out" "org.hubops.policy $(pkg-config --variable=actiondir polkit-gobject-1)/org.hubops.policy" "actiondir"
assert_contains "$out" "org.hubops.Helper1.service.in $(pkg-config --variable=system_bus_services_dir dbus-1)/org.hubops.Helper1.service" "activation file"
assert_contains "$out" "hubopsd.service $(pkg-config --variable=systemdsystemunitdir systemd)/hubopsd.service" "unit dir"
assert_contains "$out" "/share/dbus-1/system.d/org.hubops.Helper1.conf" "bus policy in datadir/dbus-1/system.d"
assert_contains "$out" "/sbin/hubopsd" "hubopsd in sbindir"
assert_contains "$out" "/bin/hubopsctl" "hubopsctl in bindir"
assert_contains "$out" "hubopsctl $(pkg-config --variable=completionsdir bash-completion)/hubopsctl" \
        "bash completion in bash-completion.pc's completionsdir"
for page in man1/hubopsctl.1 man5/hubopsd.conf.5 man5/hubops-site.conf.5 man7/hubops.polkit.7 man8/hubopsd.8; do
        assert_contains "$out" "/share/man/$page" "manual page in mandir"
done
ok "default install locations come from pkg-config (polkit actiondir, dbus services, systemd units, bash completions)"

meson setup "$work/opts" "$TOP" -Dtests=false -Ddbus_system_policy_dir=/opt/t/policy \
        -Ddbus_system_services_dir=/opt/t/services -Dpolkit_action_dir=/opt/t/actions \
        -Dsystemd_system_unit_dir=/opt/t/units -Dbash_completion_dir=/opt/t/completions \
        >/dev/null || fail "meson setup with directory options"
run_capture installed "$work/opts"
for want in "org.hubops.Helper1.conf /opt/t/policy/" "org.hubops.Helper1.service.in /opt/t/services/" \
        "org.hubops.policy /opt/t/actions/" "hubopsd.service /opt/t/units/" "hubopsctl /opt/t/completions/"; do
        assert_contains "$out" "$want" "option-directed install path"
done
ok "each directory option moves its files"
grep -q 'SystemdService=hubopsd.service' "$TOP/dbus/org.hubops.Helper1.service.in" || fail "activation file"
grep -q '^Exec=/bin/false' "$TOP/dbus/org.hubops.Helper1.service.in" || fail "activation Exec="
ok "the activation file hands activation to systemd (Exec=/bin/false, SystemdService=hubopsd.service)"
