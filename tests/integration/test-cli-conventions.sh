#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hubopsctl's command-line conventions, as tables: --version on both
# binaries; "COMMAND --help" gives that command's usage (exit 0);
# --no-legend drops a table's header and footer (and only tables take it);
# colour only on a terminal, never with NO_COLOR or TERM=dumb, and written
# as colour (not escaped to "\x1b[32m" by the output's escaping); no pager.
. "$(dirname "$0")/lib.sh"
lab_up
ESC=$'\033'

# exit | stdout+stderr must contain | must not contain | arguments (split on spaces)
while IFS='|' read -r want text absent args; do
        [ -n "$want" ] && [ "${want#\#}" = "$want" ] || continue
        # shellcheck disable=SC2086 # the table's arguments are meant to split
        run_capture as_operator hubopsctl $args
        assert_eq "$rc" "$want" "hubopsctl $args (stdout: $out; stderr: $err)"
        assert_contains "$out$err" "$text" "hubopsctl $args"
        if [ -n "$absent" ]; then
                case $out$err in *"$absent"*) fail "hubopsctl $args: \"$absent\" in: $out$err" ;; esac
        fi
        ok "hubopsctl $args -> $want"
done <<'TABLE'
0|hubopsctl 0.1.0||--version
0|Usage: hubopsctl [OPTIONS] COMMAND||--help
0|Usage: hubopsctl [OPTIONS] hooks run NAME|--yes|hooks run --help
0|--no-wait|--dry-run|hooks run --help
0|--dry-run|--no-wait|rebuild-tables --help
0|Usage: hubopsctl [OPTIONS] mailbox move DOMAIN --from STORE --to STORE||mailbox move --help
0|--no-legend||jobs --help
0|Usage: hubopsctl [OPTIONS] hooks COMMAND|Started job|hooks --help
0|Usage: hubopsctl [OPTIONS] directory restart|Directory:|-H hub1 directory restart --help
2|Unknown command "frobnicate"||frobnicate --help
0|noop|HOOK|hooks list --no-legend
0|HOOK||hooks list
0|broken|SERVICE|service list --no-legend
0|SERVICE||service list
0|"name":"noop"|HOOK|--json --no-legend hooks list
0|fs.writable|CHECK|health --no-legend
2|--no-legend applies only to commands that print a table||status --no-legend
2|--no-legend applies only to commands that print a table||hooks run noop --no-legend
TABLE

# jobs: a job, then its row with and without the header.
run_capture as_operator hubopsctl hooks run noop
assert_eq "$rc" 0 "hooks run noop"
run_capture as_operator hubopsctl --no-legend jobs
assert_eq "$rc" 0 "jobs --no-legend"
assert_contains "$out" "hook.run" "jobs --no-legend lists the job"
case $out in *OPERATION*) fail "jobs --no-legend printed the header: $out" ;; esac
[ "$(awk '{ print $1 }' <<<"$out" | grep -cvE '^[0-9]+$')" = 0 ] || fail "jobs --no-legend: a first column that is not a job id: $out"
ok "jobs --no-legend: only rows, the first column the job ids"

# hubopsd --version, as root (the helper is not for users).
run_capture "$HUBOPS_BUILD_DIR/helper/hubopsd" --version
assert_eq "$rc" 0 "hubopsd --version"
assert_eq "$out" "hubopsd 0.1.0" "hubopsd --version"
ok "hubopsd --version"

# Colour: health's states on a terminal (script(1) gives hubopsctl a pty).
# env | exit ok | colour (yes/no) | how stdout is
on_pty() { as_operator env "$@" script -qec "hubopsctl health" /dev/null </dev/null; }
while IFS='|' read -r envs colour how; do
        [ -n "$colour" ] || continue
        # shellcheck disable=SC2086 # the table's variables are meant to split
        if [ "$how" = pty ]; then
                run_capture on_pty $envs
        else
                run_capture as_operator env $envs hubopsctl health </dev/null
        fi
        case $rc in 0 | 1) ;; *) fail "health ($envs, $how) -> $rc: $err" ;; esac
        assert_contains "$out" "fs.writable" "health ($envs, $how)"
        case $out in *'\x1b'*) fail "health ($envs, $how): colour escaped as text: $out" ;; esac
        if [ "$colour" = yes ]; then
                assert_contains "$out" "$ESC[32m" "health ($envs, $how): a green OK"
        else
                case $out in *"$ESC["*) fail "health ($envs, $how): colour where none was wanted: $out" ;; esac
        fi
        ok "health with ${envs:-no variables} on a $how: colour $colour"
done <<'TABLE'
TERM=xterm|yes|pty
TERM=xterm NO_COLOR=1|no|pty
TERM=xterm NO_COLOR=|yes|pty
TERM=dumb|no|pty
TERM=xterm|no|pipe
TABLE

# No pager: on a terminal, with a pager that would swallow everything and
# fail, the help still reaches the terminal and hubopsctl exits 0.
run_capture as_operator env TERM=xterm PAGER=false SYSTEMD_PAGER=false script -qec "hubopsctl --help" /dev/null
assert_eq "$rc" 0 "--help on a terminal with PAGER=false"
assert_contains "$out" "Exit status:" "--help on a terminal with PAGER=false"
ok "no pager: --help on a terminal with PAGER=false prints, exit 0"
