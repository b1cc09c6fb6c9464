#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hubopsctl's bash completion without a helper: commands and sub-commands
# (every one --help lists), options (a command's own), hosts from the site
# config (--site, $HUBOPS_SITE), runbook names and run ids. The parts that
# ask a helper are in tests/integration/test-completion.sh.
#
#   tests/completion/test-completion-static.sh [BUILD_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
export HUBOPSCTL=$build/client/hubopsctl
passed=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { passed=$((passed + 1)); echo "ok $passed - $*"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/site.conf" <<'SITE'
[Host dirhost]
Address=local
Roles=directory

[Host mailhub1]
Address=ssh:mailhub1.example.org
Roles=mailhub

[Host mailhub2]
Address=ssh:ops@mailhub2.example.org:2222
Roles=mailhub
SITE
printf '[Host other]\nAddress=local\n' >"$tmp/other.conf"
# A run, as runbook list finds it (the fuzz corpus' finished run).
mkdir -p "$tmp/state/hubops/runs"
cp "$top/tests/fuzz/corpus/run-state/done.json" "$tmp/state/hubops/runs/20261122-154207-mailhub2.json"
export HUBOPS_SITE=$tmp/site.conf XDG_STATE_HOME=$tmp/state
# No helper is asked here: a bus that is not there.
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/no-bus

# shellcheck source=completions/hubopsctl
. "$top/completions/hubopsctl"
# shellcheck source=tests/completion/lib.sh
. "$top/tests/completion/lib.sh"

complete -p hubopsctl | grep -q -- '-F _hubopsctl' || fail "complete -F _hubopsctl hubopsctl not registered"
ok "the script registers _hubopsctl for hubopsctl"

# Every command --help lists is offered: its first word at the first
# position, its second after the first.
mapfile -t commands < <("$HUBOPSCTL" --help | sed -n '/^Commands:/,/^Options:/p' |
        awk '/^  [a-z]/ { sub(/^  /, ""); sub(/  .*/, ""); c = ""
                for (i = 1; i <= NF && $i ~ /^[a-z][a-z-]*$/; i++) c = c (c ? " " : "") $i; print c }')
[ ${#commands[@]} -gt 20 ] || fail "--help lists only ${#commands[@]} commands"
complete_line "hubopsctl "
firsts=$reply
declare -A seconds=()
for c in "${commands[@]}"; do
        read -r w1 w2 <<<"$c"
        grep -qxF "$w1" <<<"$firsts" || fail "\"hubopsctl \": $w1 not offered"
        if [ -n "$w2" ]; then
                [ -n "${seconds[$w1]+set}" ] || { complete_line "hubopsctl $w1 "; seconds[$w1]=$reply; }
                grep -qxF "$w2" <<<"${seconds[$w1]}" || fail "\"hubopsctl $w1 \": $w2 not offered"
        fi
done
ok "all ${#commands[@]} commands of --help are offered, word by word"

check_table <<TABLE
hubopsctl ho|=hooks|
hubopsctl hooks |=list run|
hubopsctl directory |=status stop kill-root start restart|
hubopsctl runbook |list start show resume abandon|status
hubopsctl site |=status health|
hubopsctl --json hooks |=list run|
hubopsctl -H dirhost service |list status start stop restart|
hubopsctl --no-l|=--no-legend|
hubopsctl -H ops@mailhub2.example.org:2222 hooks |=list run|
hubopsctl --address unix:path=/run/x service |list start|
hubopsctl --|--json --host --address --no-legend --version --help --site --yes|
hubopsctl hooks run --|--no-wait --timeout --no-ask-password --json --host|--yes --site --no-legend
hubopsctl jobs --|--no-legend --json|--no-wait --yes
hubopsctl rebuild-tables --|--yes --dry-run --detach --site|--host --no-legend
hubopsctl -H |=dirhost mailhub1 mailhub2|
hubopsctl --host mail|=mailhub1 mailhub2|
hubopsctl site status |dirhost mailhub1 mailhub2|
hubopsctl site health dirhost |mailhub1|
hubopsctl rebuild-tables |dirhost mailhub1 mailhub2|
hubopsctl rebuild-tables mailhub2 ||dirhost mailhub1
hubopsctl mailbox move example.org --from |=dirhost mailhub1 mailhub2|
hubopsctl --site $tmp/other.conf -H |=other|
hubopsctl runbook start |=mailbox-move rebuild-tables|
hubopsctl runbook start rebuild-tables |mailhub2|
hubopsctl runbook show |=20261122-154207-mailhub2|
hubopsctl runbook resume 2026|=20261122-154207-mailhub2|
hubopsctl audit list --run |=20261122-154207-mailhub2|
hubopsctl --timeout ||status
hubopsctl status ||status hooks
TABLE
echo "# $passed passed"
