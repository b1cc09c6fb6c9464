#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The mailbox move's lab and copy engine, before the helper drives them
# (DESIGN.md 2b, issue 14; tests/lab/MAILSTORE.md): two mail stores with a
# real Dovecot POP3 server each, a generated domain, live delivery and
# reading, rsync pulls over the lab's ssh through `rrsync -ro`, and the
# UIDL check: after a frozen final pass, a POP3 client sees on pop03 the
# very UIDL list and messages it saw on pop02 at the freeze.
export HUBOPS_LAB_HOSTS="pop02 pop03"
export HUBOPS_LAB_HEALTH_DISK=pop03
. "$(dirname "$0")/lib.sh"
HOST=pop03
lab_up

src=$(lab mail pop02 root)
dst=$(lab mail pop03 root)
remote=hubops-vmail@127.0.0.1
domain=example.org

# Everything under a domain as verify will compare it: each file's name,
# size and mtime, each directory's name and mtime (a directory's size is
# its history's, not its content's).
tree() { (cd "$1/$domain" && find . \( -type f -printf '%p f %s %T@\n' \) -o -printf '%p %y %T@\n' | LC_ALL=C sort); }
# The messages of $domain, one per line, as a POP3 client on store $1 sees them.
uidls() { lab mail "$1" uidl "$domain"; }

lab mail pop02 generate "$domain" 40 3000 7 || fail "generating $domain"
assert_eq "$(find "$src/$domain" -path '*/Maildir/*/*' -type f | wc -l)" 3000 "files generated"
assert_eq "$(find "$src/$domain" -name dovecot-uidlist | wc -l)" 40 "Dovecot wrote every mailbox's dovecot-uidlist"
assert_eq "$(stat -c %U "$src/$domain/u0001/Maildir/dovecot-uidlist")" hubops-vmail "the mail user owns the store"
before=$(uidls pop02)
assert_eq "$(wc -l <<<"$before")" 3000 "POP3 on pop02 lists every generated message"
ok "a generated domain (40 mailboxes, 3000 files) is served by pop02's Dovecot"

# rrsync -ro: the pull key reads the mail root and does nothing else.
run_capture lab mail pop03 rsync pop02 -a /etc/hostname "$remote:$domain/"
assert_contains "$err" "sending to read-only server is not allowed" "a write is refused ($rc)"
run_capture lab mail pop03 rsync pop02 -a "$remote:../" "$HUBOPS_LAB_DIR/outside/"
assert_contains "$err" "do not use .. in arg" "a path above the mail root is refused ($rc)"
run_capture lab mail pop03 rsync pop02 -a --remove-source-files "$remote:$domain/" "$HUBOPS_LAB_DIR/outside/"
assert_contains "$err" "option --remove-source-files has been disabled" "a pull that deletes at the source is refused ($rc)"
[ ! -e "$HUBOPS_LAB_DIR/outside" ] || [ -z "$(ls -A "$HUBOPS_LAB_DIR/outside")" ] || fail "a refused pull copied something"
run_capture setpriv --reuid=hubops-vmail --regid="$(id -g hubops-vmail)" --init-groups \
        ssh -F "$HUBOPS_LAB_DIR/ssh/ssh_config" -i "$HUBOPS_LAB_DIR/mail/keys/pop03/id_ed25519" \
        -p "$(cat "$HUBOPS_LAB_DIR/hosts/pop02/ssh-port")" "$remote" id
assert_not_contains "$out" "uid=" "the key runs no other command"
assert_contains "$err" "does not run rsync" "rrsync says why ($rc)"
assert_eq "$(tree "$src")" "$(tree "$src")" "the source is as it was"
ok "rrsync refuses writes, paths outside the mail root, source deletes and other commands"

# A plain copy carries the UIDLs (dovecot-uidlist) ...
lab mail pop03 pull pop02 "$domain" || fail "the first pull ($?)"
assert_eq "$(tree "$dst")" "$(tree "$src")" "names, sizes and mtimes copied"
assert_eq "$(uidls pop03)" "$before" "pop03's Dovecot shows pop02's UIDL list"
# ... and without dovecot-uidlist the same messages would get new UIDLs:
# every POP3 client would download everything again.
lab mail pop03 rsync pop02 -a --exclude='dovecot*' "$remote:$domain/" "$dst/nouidlist.org/"
cp "$HUBOPS_LAB_DIR/mail/users/$domain" "$HUBOPS_LAB_DIR/mail/users/nouidlist.org"
other=$(lab mail pop03 uidl nouidlist.org)
assert_eq "$(cut -d' ' -f1,3,4 <<<"$other" | sort)" "$(cut -d' ' -f1,3,4 <<<"$before" | sort)" "same messages"
[ "$(cut -d' ' -f1,2 <<<"$other")" != "$(cut -d' ' -f1,2 <<<"$before")" ] || fail "UIDLs survived without dovecot-uidlist?"
ok "an rsync -a copy shows the same UIDLs on pop03; without dovecot-uidlist they change"

# Pre-sync while live: deliveries into new/, POP3 sessions reading,
# deleting and moving new/ to cur/. rsync may say a file vanished (24).
lab mail pop02 load start "$domain" 40 10
at_exit "'$LAB' mail pop02 load stop"
delivered() { find "$src/$domain" -path '*/new/*' -newer "$HUBOPS_LAB_DIR/mail/users/$domain" | wc -l; }
deleted() { grep -c 'del=1/' "$HUBOPS_LAB_DIR/logs/pop02-dovecot.log" || true; }
for pass in 1 2; do
        set +e; lab mail pop03 pull pop02 "$domain"; rc=$?; set -e
        [ "$rc" = 0 ] || [ "$rc" = 24 ] || fail "live pre-sync $pass: rsync exit $rc"
done
load_happened() { [ "$(delivered)" -ge 20 ] && [ "$(deleted)" -ge 5 ]; }
wait_until 30 "live deliveries and POP3 deletes" load_happened
lab mail pop02 load stop
ok "two pre-syncs while mail was delivered, read and deleted ($(delivered) delivered, $(deleted) POP3 deletes)"

# The freeze: what a client sees on pop02 now must be what it sees on pop03.
frozen=$(uidls pop02)
[ "$frozen" != "$before" ] || fail "the live load changed nothing"
lab mail pop03 pull pop02 "$domain" --delete || fail "the final pass ($?)"
assert_eq "$(tree "$dst")" "$(tree "$src")" "after the final pass: every name, size and mtime"
assert_eq "$(uidls pop03)" "$frozen" "pop03's POP3 UIDL list, sizes and contents are pop02's at the freeze"
gone=$(comm -23 <(cut -d' ' -f1,2 <<<"$before" | sort) <(cut -d' ' -f1,2 <<<"$frozen" | sort) | wc -l)
[ "$gone" -gt 0 ] || fail "no message was deleted during the pre-sync"
ok "after a frozen final pass (rsync -a --delete) pop03 shows pop02's UIDL list; $gone deleted messages stay deleted"

# The story's dying disk: pop02's mail disk gets an ext4 error and goes
# read-only (its mount flags still say rw); deliveries fail, a pull still reads.
lab mail pop02 fail
wait_until 10 "pop02's mail disk to refuse writes" sh -c "! setpriv --reuid=hubops-vmail --regid=$(id -g hubops-vmail) --init-groups touch '$src/$domain/u0001/Maildir/tmp/probe'"
run_capture setpriv --reuid=hubops-vmail --regid="$(id -g hubops-vmail)" --init-groups touch "$src/$domain/u0001/Maildir/tmp/probe"
assert_contains "$err" "Read-only file system" "a write on the failed disk"
run_capture lab mail pop03 pull pop02 "$domain" --delete
assert_eq "$rc" 0 "a pull from the failed, read-only source ($err)"
assert_eq "$(tree "$dst")" "$(tree "$src")" "the copy is still the source"
ok "lab mail pop02 fail: the source goes read-only, writes fail with EROFS, a pull still reads it"
