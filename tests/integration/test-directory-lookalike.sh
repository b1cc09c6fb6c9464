#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# DESIGN.md section 7: a process is the directory's only if it also belongs
# to the directory's unit (its cgroup) or to its configured user; anyone who
# can execute the binary can give it the same command line. The outsider
# runs copies of the main and the root process, argv for argv: hubopsd does
# not report them, count their memory, wait for them, signal them or call
# the directory ready on them, driving the unit (cgroup) or the init script
# (User=root). And a directory whose binary was replaced under it (an
# upgrade) is still the directory, said to run a deleted binary.
export HUBOPS_LAB_HOSTS="dirhost"
# Ready once the main process runs (no socket): the check a copy could pass.
export HUBOPS_LAB_DIRECTORY_READY=main
. "$(dirname "$0")/lib.sh"
lab_up
site=$HUBOPS_LAB_DIR/site
state=$HUBOPS_LAB_DIR/site-state/dirhost
main_argv=("$site/isode.eddy" -D "$state/dirtables/main")
root_argv=("$site/isode.eddy" -D "$state/dirtables/root")
at_exit "rm -f '$state/eddy-main-crashes'"
ctl() { as_operator hubopsctl --json "$@"; }
field() { as_operator hubopsctl --json directory status | jq -r ".$1"; }
alive() { kill -0 "$1" 2>/dev/null; }
is_program() { [ "$(readlink "/proc/$1/exe")" = "$2" ]; }
rss_bytes() { echo $(($(awk '/^VmRSS:/ {print $2}' "/proc/$1/status") * 1024)); }

# The outsider runs ARGV (the directory's binary); its PID in $copy.
copy_as_outsider() {
        setpriv --reuid="$OUTSIDER" --regid="$(id -g "$OUTSIDER")" --clear-groups "$@" </dev/null >/dev/null 2>&1 &
        copy=$!
        at_exit "kill -KILL $copy 2>/dev/null"
        wait_until 5 "the outsider's $* to run" is_program "$copy" "$1"
        assert_eq "$(awk '/^Uid:/ {print $2}' "/proc/$copy/status")" "$(id -u "$OUTSIDER")" "the copy's uid"
}
kill_copies() {
        kill -KILL "$copy_root" "$copy_main" 2>/dev/null || true
        wait_until 5 "the outsider's copies to go" sh -c "! kill -0 $copy_root 2>/dev/null && ! kill -0 $copy_main 2>/dev/null"
}

assert_eq "$(field state)" running "the lab starts with the directory running"
real_root=$(field root_pid)
copy_as_outsider "${root_argv[@]}"; copy_root=$copy
copy_as_outsider "${main_argv[@]}"; copy_main=$copy

run_capture ctl directory stop
assert_eq "$rc" 0 "stop, not waiting for the outsider's copy of the main process to exit ($out $err)"
assert_eq "$(field main_pid)" 0 "MainPID: the outsider's copy is not the directory's main process"
assert_eq "$(field state)" root-only "State"
assert_eq "$(field root_pid)" "$real_root" "RootPID: the unit's root process"
assert_eq "$(field memory_bytes)" "$(rss_bytes "$real_root")" "MemoryBytes: the root process's alone"
ok "stop: the outsider's copy of the main process is not waited for, reported or counted"

run_capture ctl directory kill-root
assert_eq "$rc" 0 "kill-root completes ($out $err)"
assert_contains "$(jq -r .message <<<"$out")" "root process ended on SIGTERM" "the unit's root process"
alive "$copy_root" || fail "kill-root signalled the outsider's copy of the root process"
alive "$real_root" && fail "the unit's root process survived kill-root"
assert_eq "$(field state)" stopped "State with only the outsider's copies running"
assert_eq "$(field root_pid)" 0 "RootPID: the outsider's copy is not the directory's root process"
ok "kill-root signals the unit's root process only; the outsider's copy lives on"

# The start succeeds, but its main process dies at once: only the outsider's
# runs. (A start is a restart's last two steps: start, wait until ready.)
touch "$state/eddy-main-crashes"
run_capture ctl directory start
assert_eq "$rc" 1 "a start whose main process never comes up ($out $err)"
assert_eq "$(jq -r .result <<<"$out")" timeout "result"
assert_contains "$(jq -r .message <<<"$out")" "the directory was not ready within 10.0s of its start" "why"
rm -f "$state/eddy-main-crashes"
run_capture ctl directory restart
assert_eq "$rc" 0 "a restart with the outsider's copies about ($out $err)"
assert_contains "$(jq -r .message <<<"$out")" "stopped; root process ended on SIGTERM; started; ready" "phases"
alive "$copy_main" && alive "$copy_root" || fail "the restart signalled an outsider's copy"
for pid in "$(field main_pid)" "$(field root_pid)"; do
        [ "$pid" != "$copy_main" ] && [ "$pid" != "$copy_root" ] || fail "an outsider's copy reported as the directory"
done
ok "the ready check does not pass on the outsider's copy of the main process; a restart leaves the copies alone"

# The init script's commands as transient units, User=root: the same.
lab helper dirhost kill
HUBOPS_LAB_DIRECTORY=init-script lab helper dirhost start
real_root=$(field root_pid)
[ "$real_root" != 0 ] && [ "$real_root" != "$copy_root" ] || fail "RootPID $real_root with the init script"
run_capture ctl directory restart
assert_eq "$rc" 0 "restart through the init script ($out $err)"
assert_contains "$(jq -r .message <<<"$out")" "root process ended on SIGTERM" "the real root process killed"
alive "$copy_root" || fail "the init script's restart signalled the outsider's copy of the root process"
alive "$real_root" && fail "the root process (root's) survived the restart"
for pid in "$(field main_pid)" "$(field root_pid)"; do
        [ "$pid" != 0 ] && [ "$pid" != "$copy_main" ] && [ "$pid" != "$copy_root" ] ||
                fail "PID $pid reported with the init script"
done
ok "with the init script (User=root): the outsider's copies are neither reported nor signalled"
kill_copies

# An upgrade replaces the binary under the running directory: /proc/PID/exe
# then ends in " (deleted)". Still the directory, and said so.
main=$(field main_pid) root=$(field root_pid)
cp "$site/isode.eddy" "$site/isode.eddy.new"
mv -f "$site/isode.eddy.new" "$site/isode.eddy"
wait_until 5 "the old binary to show as deleted" sh -c "readlink /proc/$main/exe | grep -q ' (deleted)\$'"
deleted_seen() { as_operator hubopsctl --json directory status | jq -e '.executable_deleted == true'; }
wait_until 5 "the status to note the deleted binary" deleted_seen
assert_eq "$(field state)" running "State: a directory running a replaced binary is still running"
assert_eq "$(field main_pid)" "$main" "MainPID"
assert_eq "$(field root_pid)" "$root" "RootPID"
run_capture as_operator hubopsctl directory status
assert_contains "$out" "running a deleted (upgraded) binary" "the status says so"
run_capture ctl directory restart
assert_eq "$rc" 0 "restart onto the new binary ($out $err)"
assert_contains "$(jq -r .message <<<"$out")" "root process ended on SIGTERM" "the old root process killed"
alive "$root" && fail "the root process running the deleted binary survived the restart"
assert_eq "$(field executable_deleted)" false "the new binary runs"
ok "a binary replaced under the directory: still running, noted as deleted (upgraded); a restart runs the new one"
