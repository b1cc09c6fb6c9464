#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hubopsctl never hands a terminal the control characters in what a helper
# sends (errors, messages, output): a stand-in helper answers with ESC
# sequences and a C1 CSI, and hubopsctl prints them escaped (\x1b), on
# stdout and stderr alike; --json escapes them as JSON does.
. "$(dirname "$0")/lib.sh"
lab_up
lab helper "$HOST" kill
fake=$HUBOPS_BUILD_DIR/tests/integration/fake-helper
ready=$(mktemp)
at_exit "rm -f '$ready'"
DBUS_SYSTEM_BUS_ADDRESS=$(bus_address) "$fake" >"$ready" &
fake_pid=$!
at_exit "kill $fake_pid"
wait_until 10 "the stand-in helper to own the name" grep -qx ready "$ready"

ctl() { env DBUS_SYSTEM_BUS_ADDRESS="$(bus_address)" "$HUBOPS_LAB_DIR/bin/hubopsctl" "$@"; }
for args in "hooks run noop" "status" "job show 1" "hooks list"; do
        # shellcheck disable=SC2086 # the arguments are meant to split
        run_capture ctl $args
        [ "$rc" -ne 0 ] || fail "hubopsctl $args: the stand-in's error was not an error"
        case $out$err in *$'\033'* | *$'\302\233'* | *$'\007'*) fail "hubopsctl $args printed a raw control character: $(printf '%s%s' "$out" "$err" | od -c | head -5)" ;; esac
        assert_contains "$err" 'hostile \x1b]0;pwned\x07\x1b[2J\xc2\x9b31m text' "hubopsctl $args: the message, escaped"
        ok "hubopsctl $args: the helper's control characters are printed escaped"
done

run_capture ctl --json hooks run noop
assert_contains "$(jq -r .error.message <<<"$out")" $'hostile \033]0;pwned' "--json: the message, intact once decoded"
case $out in *$'\033'*) fail "--json printed a raw ESC" ;; esac
ok "--json: the message is in the JSON, its ESC escaped by JSON"
