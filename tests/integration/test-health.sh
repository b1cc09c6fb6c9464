#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hubopsctl health on a small tmpfs: what a preflight needs before a risky
# step (the mail-server split gone wrong): free space, free inodes, and
# whether the filesystem itself went read-only. (test-health-checks.sh
# drives the disk probe, kernel errors, backup age and the sampler.)
checked=$(mktemp -d /run/hubops-health.XXXXXX)
export HUBOPS_LAB_CHECK_PATHS=$checked
. "$(dirname "$0")/lib.sh"
mount -t tmpfs -o size=1m,nr_inodes=64,mode=0755 tmpfs "$checked" || fail "cannot mount a tmpfs to check"
at_exit "umount -l '$checked'; rmdir '$checked'"
lab_up
# The row of check $1 for the tmpfs, as --json gives it.
# (exit 1 on a FAIL is expected here: the rows are what is tested)
row() { { as_operator hubopsctl --json health || true; } | jq -c --arg p "$checked" --arg c "$1" \
        '.hosts[0].checks[] | select(.subject == $p and .check == $c)'; }

assert_eq "$(jq -r .state <<<"$(row fs.writable)")" ok "a fresh tmpfs is writable"
assert_contains "$(jq -r .reason <<<"$(row fs.writable)")" tmpfs "its type"
f=$(row fs.space)
assert_eq "$(jq -r '.value > 900000 and .value <= 1048576' <<<"$f")" true "its free bytes: $f"
run_capture as_operator hubopsctl health
assert_contains "$out" "$HUBOPS_LAB_DIR/site-state/$HOST" "every CheckPaths= entry is listed"
ok "health lists each CheckPaths= entry with its space, inodes and writability"

dd if=/dev/zero of="$checked/fill" bs=64k 2>/dev/null || true
f=$(row fs.space)
assert_eq "$(jq -r '.value < 65536' <<<"$f")" true "a full filesystem shows"
assert_eq "$(jq -r .state <<<"$f")" fail "and fails (FreeSpaceFail= 5%)"
run_capture as_operator hubopsctl health
assert_eq "$rc" 1 "a FAIL is exit status 1"
rm -f "$checked/fill"
for i in $(seq 1 80); do touch "$checked/f$i" 2>/dev/null || break; done
assert_eq "$(jq -r '[.value, .state] | join(" ")' <<<"$(row fs.inodes)")" "0 fail" "no inodes left shows"
rm -f "$checked"/f*
ok "full disk and exhausted inodes are reported"

mount -o remount,ro "$checked"
assert_eq "$(jq -r .state <<<"$(row fs.writable)")" fail "a filesystem gone read-only shows"
mount -o remount,rw "$checked"
assert_eq "$(jq -r .state <<<"$(row fs.writable)")" ok "and writable again"
ok "a filesystem remounted read-only is reported as not writable"
