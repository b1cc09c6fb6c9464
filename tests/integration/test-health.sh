#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# GetHealth: what a preflight needs before a risky step (the mail-server
# split gone wrong): free space, free inodes, and whether the filesystem
# itself went read-only.
checked=$(mktemp -d /run/hubops-health.XXXXXX)
export HUBOPS_LAB_CHECK_PATHS=$checked
. "$(dirname "$0")/lib.sh"
mount -t tmpfs -o size=1m,nr_inodes=64,mode=0755 tmpfs "$checked" || fail "cannot mount a tmpfs to check"
at_exit "umount -l '$checked'; rmdir '$checked'"
lab_up
fs() { as_operator hubopsctl --json health | jq -c --arg p "$checked" '.filesystems[] | select(.path == $p)'; }

f=$(fs)
assert_eq "$(jq -r .writable <<<"$f")" true "a fresh tmpfs is writable"
assert_eq "$(jq -r .fstype <<<"$f")" tmpfs "its type"
assert_eq "$(jq -r '.bytes_total == 1048576' <<<"$f")" true "its size"
run_capture as_operator hubopsctl health
assert_contains "$out" "$HUBOPS_LAB_DIR/site-state/$HOST" "every CheckPaths= entry is listed"
ok "health lists each CheckPaths= entry with its size, type and writability"

dd if=/dev/zero of="$checked/fill" bs=64k 2>/dev/null || true
assert_eq "$(jq -r '.bytes_free < 65536' <<<"$(fs)")" true "a full filesystem shows"
rm -f "$checked/fill"
for i in $(seq 1 80); do touch "$checked/f$i" 2>/dev/null || break; done
assert_eq "$(jq -r .inodes_free <<<"$(fs)")" 0 "no inodes left shows"
rm -f "$checked"/f*
ok "full disk and exhausted inodes are reported"

mount -o remount,ro "$checked"
assert_eq "$(jq -r .writable <<<"$(fs)")" false "a filesystem gone read-only shows"
mount -o remount,rw "$checked"
assert_eq "$(jq -r .writable <<<"$(fs)")" true "and writable again"
ok "a filesystem remounted read-only is reported as not writable"
