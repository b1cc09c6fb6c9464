#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Install every Debian package hubops needs to build, test and run its lab.
# Used by tests/run, tests/lab/demo and .ci/run; safe to run again.
#
#   tests/deps.sh            build, test, lint, fuzz
#   tests/deps.sh --bench    the same, plus what tests/bench/run measures against
#   tests/deps.sh --memcheck the same, plus valgrind (tests/memcheck)
set -euo pipefail

packages=(
        # build
        gcc meson ninja-build pkg-config
        libsystemd-dev libcap-dev libinih-dev libjson-c-dev libcmocka-dev
        # SHA-256 for the mailbox move's verify digests (hubops-mailscan only)
        libssl-dev
        # install locations only (pkg-config variables): dbus-1.pc, polkit-gobject-1.pc
        libdbus-1-dev libpolkit-gobject-1-dev
        # the lab's real parts
        systemd dbus-daemon dbus-user-session polkitd util-linux passwd procps
        # real ssh for hubopsctl -H: the lab runs its own sshd per ssh host (own
        # port, host key and config; /etc/ssh and any system sshd are not used)
        openssh-server openssh-client iproute2
        # the tests' tools
        jq
        # the Debian package (debian/; tests/integration/test-package.sh builds,
        # lints, installs and purges it; man finds its pages)
        build-essential dpkg-dev debhelper lintian bash-completion man-db git
        # health (DESIGN.md 2a): the disk probe's engine, SMART, and the lab's
        # ext4 loop device (mkfs.ext4) and the node_exporter that scrapes the textfile
        fio smartmontools e2fsprogs prometheus-node-exporter wget
        # the mailbox move (DESIGN.md 2b): the lab's mail stores run a real POP3
        # server, pull with rsync over ssh, restricted by rrsync (in rsync, a
        # python3 script, as is the lab's mail generator tests/lab/site/mailtool)
        dovecot-pop3d rsync python3
        # the manual pages' linter (tests/docs/lint-man, suite lint) and bash
        # completion's pkg-config file (completionsdir) and its helpers (tests/completion)
        mandoc bash-completion
        # static analysis (tests/lint, suite lint) and fuzzing (tests/fuzz; libFuzzer is in libclang-rt)
        clang clang-tidy cppcheck libclang-rt-dev
)
if [ "${1:-}" = --memcheck ]; then
        packages+=(valgrind)
fi
if [ "${1:-}" = --bench ]; then
        # setuid tools only the benchmark runs (sudo, doas, pkexec): not on every test machine
        packages+=(sudo opendoas pkexec)
fi

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        [ "$(id -u)" = 0 ] || { echo "deps: need root to install: ${missing[*]}" >&2; exit 1; }
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
