#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Debian package (debian/), as an operator meets it: built from a copy of
# this tree with dpkg-buildpackage, lintian-clean, installed with apt-get,
# every file where Debian puts it and accepted by its consumers (systemd,
# polkitd, sysusers, journalctl, man), then purged, leaving nothing of ours.
# (test-packaging.sh checks the tree's own meson install and its options.)
#
# It changes the machine: installs the package, so it refuses a machine that
# has hubops installed, and its trap purges the package, puts the journal
# catalog back and removes the group hubops if the package made it and no
# one uses it. The lab's polkit action file has a name of its own
# (org.hubops.lab*.policy), so the package's org.hubops.policy and a lab up
# at the same time do not touch each other's files.
. "$(dirname "$0")/lib.sh"
export DEBIAN_FRONTEND=noninteractive
work=$(mktemp -d /tmp/hubops-package.XXXXXX)
apt_get() { apt-get -y -q -o DPkg::Lock::Timeout=300 "$@"; }
installed() { dpkg-query -W -f='${db:Status-Status}' hubops 2>/dev/null | grep -qx installed; }
catalog_ids=$(grep -oE '^-- [0-9a-f]{32}$' "$TOP/systemd/hubops.catalog" | cut -c4-)
listed_ids() { journalctl --list-catalog $catalog_ids 2>/dev/null | cut -d' ' -f1 | sort -u | tr '\n' ' '; }
hubops_group_unused() {
        local gid; gid=$(getent group hubops | cut -d: -f3)
        [ -n "$gid" ] && [ -z "$(getent group hubops | cut -d: -f4)" ] &&
                ! getent passwd | awk -F: -v g="$gid" '$4 == g { found = 1 } END { exit !found }'
}
restore_machine() {
        ! installed || apt_get purge hubops >/dev/null 2>&1 || true
        journalctl --update-catalog 2>/dev/null || true
        lab down >/dev/null 2>&1 || true
        # Debian's purge leaves system groups; this test leaves the machine as it found it.
        [ "$had_group" = yes ] || ! hubops_group_unused || groupdel hubops
        rm -rf "$work"
}

installed && fail "hubops is installed on this machine: this test installs and purges it"
for d in /var/lib/hubops /var/log/hubops; do
        [ ! -e "$d" ] || fail "$d exists: the package's purge would remove it"
done
had_group=no; ! getent group hubops >/dev/null || had_group=yes
at_exit restore_machine
trap on_exit EXIT

# --- build: from a copy of the tree (what git knows of it), without the unit tests ---
mkdir "$work/src"
git -C "$TOP" ls-files -z --cached --others --exclude-standard |
        (cd "$TOP" && tar --null --ignore-failed-read -T - -cf -) | tar -xf - -C "$work/src"
start=$SECONDS
(cd "$work/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -b -us -uc) \
        >"$work/build.log" 2>&1 || fail "dpkg-buildpackage: $(tail -n 30 "$work/build.log")"
build_time=$((SECONDS - start))
deb=$(ls "$work"/hubops_*.deb)
version=$(meson introspect --projectinfo "$HUBOPS_BUILD_DIR" | jq -r .version)
assert_eq "$(dpkg-deb -f "$deb" Version)" "$version" "the package's version is meson's project version"
ok "dpkg-buildpackage -b builds $(basename "$deb") from the tree in ${build_time}s"

start=$SECONDS
run_capture lintian "$deb"
lintian_time=$((SECONDS - start))
# asserted at the end, with the man pages (lintian's no-manual-page)
lintian_findings=$(grep -E '^[EW]: ' <<<"$out" || true)
[ "$rc" = 0 ] || [ -n "$lintian_findings" ] || fail "lintian did not run: $err"

# --- install, as an operator would ---
run_capture apt_get install "$deb"
assert_eq "$rc" 0 "apt-get install ($out $err)"
installed || fail "dpkg does not list hubops as installed"
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
for f in /usr/sbin/hubopsd /usr/bin/hubopsctl /usr/libexec/hubops/hubops-mailscan \
        /usr/libexec/hubops/hubops-mailsync "$unitdir/hubopsd.service" \
        /usr/share/dbus-1/system.d/org.hubops.Helper1.conf \
        "$(pkg-config --variable=system_bus_services_dir dbus-1)/org.hubops.Helper1.service" \
        "$(pkg-config --variable=actiondir polkit-gobject-1)/org.hubops.policy" \
        "$(pkg-config --variable=sysusersdir systemd)/hubops.conf" \
        "$(pkg-config --variable=catalogdir systemd)/hubops.catalog" \
        /usr/share/dbus-1/interfaces/org.hubops.Helper1.xml /usr/share/doc/hubops/copyright \
        /usr/share/doc/hubops/examples/helper.conf /usr/share/doc/hubops/examples/50-hubops.rules.example \
        /usr/share/doc/hubops/examples/hubopsd-directory.conf; do
        [ -f "$f" ] || fail "$f is not installed"
        run_capture dpkg -S "$f"
        assert_eq "$out" "hubops: $f" "dpkg owns $f"
done
ok "every file where Debian puts it (units in $unitdir; /usr/lib/systemd/system is the same on merged /usr)"

run_capture systemd-analyze verify --man=no "$unitdir/hubopsd.service"
assert_eq "$rc$err$out" 0 "systemd-analyze verify of the installed unit"
[ -L /etc/systemd/system/dbus-org.hubops.Helper1.service ] || fail "the unit's Alias= is not enabled"
ok "systemd-analyze verify accepts the installed unit, enabled (its D-Bus alias) and not started"

getent group hubops >/dev/null || fail "no group hubops after install"
[ "$had_group" = yes ] || ok "the group hubops exists (sysusers.d, created at install)"
# Where a lab already made the group, its creation cannot be watched: the
# maintainer script that makes it must be there all the same (debhelper
# compat 13 adds it only with dh-sequence-installsysusers).
grep -q 'systemd-sysusers.*hubops.conf' /var/lib/dpkg/info/hubops.postinst ||
        fail "the package's postinst does not run systemd-sysusers for hubops.conf"
mkdir -p "$work/root/etc"
systemd-sysusers --root="$work/root" "$(pkg-config --variable=sysusersdir systemd)/hubops.conf"
grep -q '^hubops:x:[0-9]*:$' "$work/root/etc/group" || fail "systemd-sysusers on an empty root: $(cat "$work/root/etc/group")"
ok "the sysusers.d entry makes the system group hubops (on an empty root too)"

run_capture /usr/sbin/hubopsd --check-config --config /usr/share/doc/hubops/examples/helper.conf
assert_eq "$rc" 0 "hubopsd --check-config on the shipped example ($err)"
ok "the installed hubopsd accepts the shipped example helper.conf ($out)"

lab_up
cmp -s "$TOP/polkit/org.hubops.policy" /usr/share/polkit-1/actions/org.hubops.policy ||
        fail "the installed action file is not polkit/org.hubops.policy"
assert_polkit_knows_actions /usr/share/polkit-1/actions/org.hubops.policy
ok "pkaction knows every installed action: $(echo $actions)"

# systemd's dpkg trigger on its catalogdir has run journalctl --update-catalog.
all_ids=$(tr ' ' '\n' <<<"$catalog_ids" | sort -u | tr '\n' ' ')
assert_eq "$(listed_ids)" "$all_ids" "journalctl --list-catalog after install"
journalctl --update-catalog
assert_eq "$(listed_ids)" "$all_ids" "journalctl --list-catalog after --update-catalog"
for id in $(grep -ho '"[0-9a-f]\{32\}"' "$TOP/helper/audit.c" | tr -d '"') \
        $(sed -n 's/.*HEALTH_MESSAGE_ID "\([0-9a-f]\{32\}\)".*/\1/p' "$TOP/helper/health-sampler.h"); do
        assert_contains " $catalog_ids " "$id" "the catalog documents MESSAGE_ID $id"
done
ok "journalctl --list-catalog lists every MESSAGE_ID hubopsd logs (from install; --update-catalog again)"

# man pages (docs/, installed by meson): asserted at the end, after the purge checks
man_page=$(man -w hubopsctl 2>&1 || true)

# --- purge: nothing of ours is left ---
files=$(dpkg -L hubops | while read -r f; do [ -d "$f" ] || echo "$f"; done)
# What systemd would have made for a helper that ran (StateDirectory=,
# LogsDirectory=): the purge removes them.
mkdir -p /var/lib/hubops /var/log/hubops
echo 7 >/var/lib/hubops/last-job-id
echo '{}' >/var/log/hubops/audit.jsonl
run_capture apt_get purge hubops
assert_eq "$rc" 0 "apt-get purge ($err)"
! installed || fail "hubops still installed after purge"
for f in $files /usr/libexec/hubops /usr/share/doc/hubops /var/lib/hubops /var/log/hubops \
        /etc/systemd/system/dbus-org.hubops.Helper1.service; do
        [ ! -e "$f" ] && [ ! -L "$f" ] || fail "$f is left after purge"
done
assert_eq "$(ls /var/lib/systemd/deb-systemd-helper-enabled 2>/dev/null | grep -c hubops || true)" 0 \
        "deb-systemd-helper's records of the unit"
assert_eq "$(listed_ids)" "" "the catalog's entries after purge (systemd's trigger)"
ok "apt-get purge leaves none of the package's $(wc -w <<<"$files") files, no directory of ours (state and logs too), no catalog entry (the group stays, as Debian leaves system groups)"

assert_eq "$lintian_findings" "" "lintian's errors and warnings"
ok "lintian: no errors, no warnings (${lintian_time}s)"
case $man_page in
/*hubopsctl.1*) ok "man -w hubopsctl: $man_page" ;;
*) fail "man -w hubopsctl while installed: $man_page (the man pages come with docs/)" ;;
esac
