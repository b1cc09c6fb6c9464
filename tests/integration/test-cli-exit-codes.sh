#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hubopsctl's documented exit codes, as a table: who runs it, the arguments,
# the exit status, and text that stdout or stderr must contain.
. "$(dirname "$0")/lib.sh"
lab_up

# user | exit | expected text | arguments (split on spaces)
while IFS='|' read -r who want text args; do
        [ -n "$who" ] && [ "${who#\#}" = "$who" ] || continue
        user=$OPERATOR; [ "$who" = outsider ] && user=$OUTSIDER
        # shellcheck disable=SC2086 # the table's arguments are meant to split
        run_capture as_user "$user" hubopsctl $args
        assert_eq "$rc" "$want" "hubopsctl $args (as $who; stdout: $out; stderr: $err)"
        assert_contains "$out$err" "$text" "hubopsctl $args (as $who)"
        ok "hubopsctl $args (as $who) -> $want"
done <<'TABLE'
operator|0|Exit status:|--help
operator|0|hubopsctl 0.1.0|--version
operator|0|Host:     hub1|status
operator|0|noop|hooks list
operator|0|done: success|hooks run noop
operator|0|ID  OPERATION|jobs
operator|1|failed: exit-code, exited with status 3|hooks run fail
operator|2|No command given|
operator|2|Unknown command "frobnicate"|frobnicate
operator|2|Unknown command "hooks frob"|hooks frob
operator|2|Unknown option --bogus|--bogus status
operator|2|Option --address needs a value|status --address
operator|2|--no-wait applies only to commands that start a job|status --no-wait
operator|2|--timeout applies only to commands that wait|jobs --timeout 5s
operator|2|--wait-idle and --for apply only to load|status --wait-idle 90
operator|2|Usage: hubopsctl directory|directory restart now
operator|2|Invalid service name "a/b"|service start a/b
operator|2|Usage: hubopsctl hooks run NAME|hooks run
operator|2|Invalid hook name "../x"|hooks run ../x
operator|2|Invalid job id "abc"|job cancel abc
operator|2|Invalid job id "0"|job show 0
operator|2|Invalid --timeout "soon"|hooks run noop --timeout soon
operator|2|-H and --address exclude each other|-H example --address unix:path=/x status
operator|2|"exit_code":2|--json frobnicate
operator|3|Authentication is required for hook.run hook=needs-auth|hooks run needs-auth --no-ask-password
outsider|3|polkit action org.hubops.hook.run denied|hooks run noop
outsider|3|"exit_code":3|--json hooks run noop
operator|4|Cannot connect to unix:path=/nonexistent/bus|--address unix:path=/nonexistent/bus status
operator|5|Timed out waiting for the job; it goes on|hooks run slow --timeout 300ms
operator|6|No hook "nope" is configured on hub1|hooks run nope
operator|6|No job 999999 on this host|job show 999999
operator|6|No service "sshd" is configured on hub1|service start sshd
operator|6|hub1 has no directory (its roles: none)|directory status
operator|6|hub1 has no directory (its roles: none)|directory restart
operator|6|hub1 has no rebuild (its roles: none)|rebuild start
operator|6|hub1 has no rebuild (its roles: none)|rebuild cancel
operator|2|Usage: hubopsctl can-run service.restart service|can-run service.restart
operator|2|Usage: hubopsctl can-run directory.restart (it takes no subject)|can-run directory.restart extra
operator|2|Unknown operation "bogus.op"; operations: hook.run, service.start|can-run bogus.op
operator|2|Usage: hubopsctl service list|service
operator|2|Usage: hubopsctl hooks list|hooks
operator|2|Usage: hubopsctl runbook list|runbook
operator|2|hubopsctl hooks takes list|hooks frob
operator|0|SERVICE|service list
operator|0|gate passed|load --wait-idle 0% --timeout 5s
operator|0|Host:     hub1|-H hub1 status
outsider|3|usually membership of the group hubops|hooks run noop
operator|2|Usage: hubopsctl rebuild-tables HUB|rebuild-tables
operator|2|apply only to rebuild-tables and runbook resume|status --yes
operator|2|--site applies only to site status, rebuild-tables and runbook commands|status --site /x
operator|2|not -H or --address|-H example rebuild-tables hub1
operator|2|--roll-forward applies only to runbook resume|rebuild-tables hub1 --roll-forward
operator|2|hub1 is not a mailhub|rebuild-tables hub1 --dry-run
operator|6|nohub: no [Host nohub]|rebuild-tables nohub --dry-run
operator|6|nohub: no such host|site status nohub
operator|2|is not a run id|runbook show ../x
operator|6|no run 20990101-000000-hub1-0000|runbook resume 20990101-000000-hub1-0000
operator|6|cannot open the site config|rebuild-tables hub1 --site /nonexistent/site.conf
operator|0|RUN  |runbook list
operator|2|Usage: hubopsctl audit list --run RUN-ID|audit list
operator|2|--run applies only to audit list|status --run x
operator|6|no run 20990101-000000-hub1-0000|audit list --run 20990101-000000-hub1-0000
TABLE

# Every operation ListOperations names, can-run takes as it is (one set of names).
busctl --address="$(bus_address)" --json=short call org.hubops.Helper1 /org/hubops/Helper1 \
        org.hubops.Helper1.Manager ListOperations >"$HUBOPS_LAB_DIR/ops.json"
n=0
while IFS=$'\t' read -r op subject; do
        # shellcheck disable=SC2086 # an empty subject is no word
        run_capture as_operator hubopsctl can-run "$op" $subject
        case $rc in 0 | 3) ;; *) fail "can-run $op $subject (from ListOperations) -> $rc: $err" ;; esac
        n=$((n + 1))
done < <(jq -r '.data[0][] | [.[0], .[1]] | @tsv' "$HUBOPS_LAB_DIR/ops.json")
[ "$n" -gt 3 ] || fail "ListOperations named only $n operations"
ok "can-run takes each of the $n operations ListOperations names"

# JSON numbers to their precision (0.67, never 0.67000000000000004).
for i in 1 2 3; do
        run_capture as_operator hubopsctl --json load
        assert_eq "$rc" 0 "--json load"
        # At most 6 significant digits (%.6g): 0.00497512 is as right as 0.67.
        long=$(grep -oE '[0-9]+\.[0-9]+' <<<"$out" | tr -d . | sed 's/^0*//' | awk 'length($0) > 6' || true)
        assert_eq "$long" "" "numbers of more than 6 significant digits in $out"
done
ok "--json prints fractions and loads to their precision"

# A site config anyone may write could send the runbook anywhere: refused.
install -m 0666 "$HUBOPS_LAB_DIR/site.conf" "$HUBOPS_LAB_DIR/site-ww.conf"
run_capture as_operator hubopsctl rebuild-tables hub1 --dry-run --site "$HUBOPS_LAB_DIR/site-ww.conf"
assert_eq "$rc" 2 "a world-writable site config"
assert_contains "$err" "group- or world-writable (mode 0666); refusing" "the refusal says why"
ok "a world-writable site config is refused (exit 2)"

# An outsider's "no" is audited, a usage error never reaches the helper.
assert_eq "$(audit_count '.details.hook=="../x"')" 0 "usage errors stay local"

# Exit 4 for a helper that is gone from a bus that is there.
kill "$(cat "$HUBOPS_LAB_DIR/pids/$HOST-hubopsd.pid")"
gone() { ! busctl --address="$(bus_address)" status org.hubops.Helper1 >/dev/null 2>&1; }
wait_until 10 "hubopsd to leave the bus" gone
run_capture as_operator hubopsctl --json status
assert_eq "$rc" 4 "status with no helper on the bus"
assert_eq "$(jq -r .error.exit_code <<<"$out")" 4 "JSON error's exit_code"
ok "hubopsctl status with no helper on the bus -> 4"
