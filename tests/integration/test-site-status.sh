#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hubopsctl site status: every host of the site config at once (mailhub2
# over real ssh), each answering as itself; a host whose helper is down is
# named unreachable while the others still answer; exit codes as documented.
export HUBOPS_LAB_HOSTS="dirhost mailhub1 mailhub2 mailhub3 rahost"
. "$(dirname "$0")/lib.sh"
lab_up
hosts_json() { jq -c '.hosts[]' <<<"$out"; }

run_capture as_operator hubopsctl --json site status
assert_eq "$rc" 0 "every host reachable: exit 0"
assert_eq "$(jq '.hosts | length' <<<"$out")" 5 "five hosts"
assert_eq "$(hosts_json | jq -s -c 'map(select(.reachable and .hostname == .host)) | length')" 5 \
        "each host answers as itself, mailhub2 over ssh included"
assert_eq "$(hosts_json | jq -r 'select(.host == "mailhub2") | .address')" \
        "ssh:$(lab ssh-target "$OPERATOR" mailhub2 | cut -d@ -f2)" "mailhub2 is reached over ssh"
assert_eq "$(hosts_json | jq -r 'select(.host == "dirhost") | .roles | join(",")')" directory "roles"
run_capture as_operator hubopsctl site status
assert_contains "$out" "HOST" "a table on stdout"
assert_eq "$(grep -c -E '^(dirhost|mailhub[123]|rahost) ' <<<"$out")" 5 "a row per host"
ok "site status shows every host, each reached as configured and answering as itself"

lab helper mailhub3 kill
run_capture as_operator hubopsctl --json site status
assert_eq "$rc" 4 "a host down: exit 4 (unreachable)"
assert_eq "$(hosts_json | jq -r 'select(.host == "mailhub3") | .reachable')" false "mailhub3 is unreachable"
assert_contains "$(hosts_json | jq -r 'select(.host == "mailhub3") | .error')" "org.hubops.Helper1" \
        "and why: no helper on its bus"
assert_eq "$(hosts_json | jq -s -c 'map(select(.reachable)) | length')" 4 "the other four still answer"
run_capture as_operator hubopsctl site status mailhub1 rahost
assert_eq "$rc" 0 "only the named hosts: exit 0"
assert_eq "$(grep -c -E '^(mailhub1|rahost) ' <<<"$out")" 2 "and only they are shown"
ok "a host whose helper is down is named unreachable (exit 4); the others still answer"

run_capture as_operator hubopsctl site status nosuchhost
assert_eq "$rc" 6 "an unknown host: exit 6"
assert_contains "$err" "nosuchhost: no such host" "named"
run_capture as_operator hubopsctl -H localhost site status
assert_eq "$rc" 2 "-H with a site command: usage error"
ok "an unknown host and -H are refused with their exit codes"
