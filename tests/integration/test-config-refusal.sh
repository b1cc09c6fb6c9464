#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hubopsd refuses a configuration it cannot trust or does not understand,
# saying why (file and line), with exit status 3; a good one passes.
. "$(dirname "$0")/lib.sh"
hubopsd=$HUBOPS_BUILD_DIR/helper/hubopsd
dir=$(mktemp -d /tmp/hubops-config.XXXXXX)
chmod 0755 "$dir"
trap 'rm -rf "$dir"' EXIT

good() {
        cat <<'EOC'
[Helper]
Hostname=testhost
AuditLog=/tmp/audit.jsonl

[Hook noop]
ExecStart=/bin/true
User=nobody
EOC
}

check() { # NAME MODE OWNER EXPECTED_RC EXPECTED_TEXT [CONTENT...]
        local name=$1 mode=$2 owner=$3 want_rc=$4 want_text=$5
        shift 5
        local f=$dir/$name.conf
        if [ $# -gt 0 ]; then printf '%s\n' "$@" >"$f"; else good >"$f"; fi
        chown "$owner" "$f"
        chmod "$mode" "$f"
        run_capture "$hubopsd" --check-config --config "$f"
        assert_eq "$rc" "$want_rc" "$name: exit status (stdout: $out, stderr: $err)"
        assert_contains "$out$err" "$want_text" "$name: message"
        ok "$name: exit $want_rc, says \"$want_text\""
}

check good-config 0644 root 0 "OK (1 hooks)"
check world-writable 0666 root 3 "group- or world-writable (mode 0666); refusing"
check group-writable 0664 root 3 "group- or world-writable (mode 0664); refusing"
check not-root-owned 0644 "$(id -u nobody)" 3 "not owned by root"
check unknown-key 0644 root 3 "unknown-key.conf:2: unknown key Colour= in [Helper]" "[Helper]" "Colour=blue"
check unknown-section 0644 root 3 "unknown-section.conf:1: unknown section [Sudo]" "[Sudo]" "x=y"
check duplicate-hook 0644 root 3 "duplicate-hook.conf:4: duplicate hook \"a\"" \
        "[Hook a]" "ExecStart=/bin/true" "User=nobody" "[Hook a]" "ExecStart=/bin/true" "User=nobody"
check relative-exec 0644 root 3 "relative-exec.conf:2: invalid ExecStart=" "[Hook a]" "ExecStart=true" "User=nobody"
check no-user 0644 root 3 "no-user.conf:1: [Hook a] has no User=" "[Hook a]" "ExecStart=/bin/true"
check unknown-user 0644 root 3 "User=no-such-user-xyz does not exist" "[Hook a]" "ExecStart=/bin/true" \
        "User=no-such-user-xyz"
check syntax 0644 root 3 "syntax.conf:2: syntax error" "[Helper]" "no equals sign here"

# JobLogDirectory=: systemd appends the jobs' output there as root, following
# symlinks, so no one but root may create entries in it.
mkdir -m 0755 "$dir/jobs-ok" "$dir/jobs-nobody"; mkdir -m 1777 "$dir/jobs-1777"; mkdir -m 0775 "$dir/jobs-0775"
chown nobody "$dir/jobs-nobody"; chmod 1777 "$dir/jobs-1777"; chmod 0775 "$dir/jobs-0775"
ln -s "$dir/jobs-1777" "$dir/jobs-link"; touch "$dir/jobs-file"
jobs_conf() { printf '%s\n' "[Helper]" "JobLogDirectory=$1" "[Hook noop]" "ExecStart=/bin/true" "User=nobody"; }
check job-log-ok 0644 root 0 "OK (1 hooks)" "$(jobs_conf "$dir/jobs-ok")"
check job-log-missing 0644 root 0 "OK (1 hooks)" "$(jobs_conf "$dir/jobs-missing")"
check job-log-not-root 0644 root 3 "JobLogDirectory=$dir/jobs-nobody: not owned by root" "$(jobs_conf "$dir/jobs-nobody")"
check job-log-world-writable 0644 root 3 "JobLogDirectory=$dir/jobs-1777: group- or world-writable (mode 1777); refusing" \
        "$(jobs_conf "$dir/jobs-1777")"
check job-log-group-writable 0644 root 3 "JobLogDirectory=$dir/jobs-0775: group- or world-writable (mode 0775)" \
        "$(jobs_conf "$dir/jobs-0775")"
check job-log-symlink 0644 root 3 "JobLogDirectory=$dir/jobs-link: not a directory" "$(jobs_conf "$dir/jobs-link")"
check job-log-file 0644 root 3 "JobLogDirectory=$dir/jobs-file: not a directory" "$(jobs_conf "$dir/jobs-file")"

# StateDirectory=: the job ids, running jobs, the rebuild's and the site
# claim's state: root's alone, as systemd's StateDirectory= makes it.
for m in 0700 0755 0750 0711 2755 0775; do mkdir "$dir/state-$m"; chmod "$m" "$dir/state-$m"; done
mkdir -m 0700 "$dir/state-nobody"; chown nobody "$dir/state-nobody"; ln -s "$dir/state-0700" "$dir/state-link"
state_conf() { printf '%s\n' "[Helper]" "StateDirectory=$1" "[Hook noop]" "ExecStart=/bin/true" "User=nobody"; }
check state-0700 0644 root 0 "OK (1 hooks)" "$(state_conf "$dir/state-0700")"
check state-0755 0644 root 0 "OK (1 hooks)" "$(state_conf "$dir/state-0755")"
check state-missing 0644 root 0 "OK (1 hooks)" "$(state_conf "$dir/state-missing")"
check state-not-root 0644 root 3 "StateDirectory=$dir/state-nobody: not owned by root" "$(state_conf "$dir/state-nobody")"
check state-group-writable 0644 root 3 "StateDirectory=$dir/state-0775: group- or world-writable (mode 0775)" \
        "$(state_conf "$dir/state-0775")"
for m in 0750 0711 2755; do
        check "state-$m" 0644 root 3 "StateDirectory=$dir/state-$m: mode $m, must be 0700 or 0755" \
                "$(state_conf "$dir/state-$m")"
done
check state-symlink 0644 root 3 "StateDirectory=$dir/state-link: not a directory" "$(state_conf "$dir/state-link")"

# [Mailstore] Root=: hubopsd, root without capabilities, must be able to
# find a domain there (search permission), or no caller's domain can be checked.
mkdir -m 0751 "$dir/mail-0751"; mkdir -m 0750 "$dir/mail-0750"; touch "$dir/mail-file"
mail_conf() { printf '%s\n' "[Helper]" "Roles=mailstore" "[Mailstore]" "Root=$1" "User=nobody"; }
check mail-root-0751 0644 root 0 "OK (0 hooks)" "$(mail_conf "$dir/mail-0751")"
check mail-root-0750 0644 root 3 "[Mailstore] Root=$dir/mail-0750: mode 0750; hubopsd (root without capabilities) needs search permission" \
        "$(mail_conf "$dir/mail-0750")"
check mail-root-file 0644 root 3 "[Mailstore] Root=$dir/mail-file: not a directory" "$(mail_conf "$dir/mail-file")"
check mail-root-user 0644 root 3 "[Mailstore] User=no-such-user-xyz does not exist" \
        "$(printf '%s\n' "[Mailstore]" "Root=$dir/mail-0751" "User=no-such-user-xyz")"
check mail-peer-option 0644 root 3 "invalid Address= \"-oProxyCommand=sh\"" \
        "$(printf '%s\n' "[Mailstore]" "Root=$dir/mail-0751" "User=nobody" "[Peer p]" "Address=-oProxyCommand=sh")"

# A symlink is not followed (O_NOFOLLOW): the target may be writable by anyone.
good >"$dir/target.conf"; chmod 0644 "$dir/target.conf"
ln -s "$dir/target.conf" "$dir/link.conf"
run_capture "$hubopsd" --check-config --config "$dir/link.conf"
assert_eq "$rc" 3 "symlinked config refused"
ok "a symlinked config is refused"

# Not only --check-config: the daemon itself refuses to start, before touching the bus.
good >"$dir/ww.conf"; chmod 0666 "$dir/ww.conf"
run_capture env DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent "$hubopsd" --config "$dir/ww.conf"
assert_eq "$rc" 3 "hubopsd with a world-writable config"
assert_contains "$err" "world-writable" "hubopsd says why"
ok "hubopsd refuses to start with a world-writable config (exit 3)"
echo "# $TEST_NAME: $passed passed, 0 failed"
