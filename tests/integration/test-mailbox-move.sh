#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The mailbox move (DESIGN.md 2b, issue 14) driven by hubopsctl through both
# stores' helpers, on the lab's real parts: two Dovecot POP3 stores, rsync
# over ssh through rrsync -ro, live delivery and reading (tests/lab/site/
# mailtool, which honours the site's freeze), the site's units.
#
# - survey: what it counts, its progress lines (a job under a second), and
#   the refusals (bad, missing domain; outsider)
# - a move under live load: afterwards a POP3 client sees on pop03 the very
#   UIDL list and messages pop02 had at the freeze, and both trees agree;
#   deletes, deliveries and new/ to cur/ renames during the pre-sync are
#   carried by the final pass, which visits only the changed folders; so
#   are, in mailboxes nothing else touches, a control file appended in place
#   (its mtime set back), removed folders and mailboxes, a new mailbox
# - verify --checksum catches a copy corrupted at the same size and mtime:
#   nothing is switched, the source is thawed
# - the client killed during the pre-sync, the final pass and after the
#   switch resumes, and nothing is done twice (the audit logs)
# - the final pass runs over the ssh connection its connect step opened
#   before the freeze, and logs in itself if that connection died; a source
#   that refuses the login stops the move at the connect step, unfrozen
# - a source disk failing during a (detached) pre-sync stops the move
#   before the freeze: nothing frozen, nothing switched
# - a slow destination (15 MB/s) is refused at preflight
export HUBOPS_LAB_HOSTS="pop02 pop03"
export HUBOPS_LAB_HEALTH_DISK=pop03
. "$(dirname "$0")/lib.sh"
HOST=pop03
lab_up

domain=example.org
src=$(lab mail pop02 root)
dst=$(lab mail pop03 root)
site=$HUBOPS_LAB_DIR/mail/site

# Every file of the domain as verify sees it: name, size, mtime (tmp/ left out).
tree() { (cd "$1/$domain" && find . -path '*/tmp/*' -prune -o -type f -printf '%p %s %T@\n' | LC_ALL=C sort); }
uidls() { lab mail "$1" uidl "${2:-$domain}"; }
move() { lab as "$OPERATOR" pop03 hubopsctl mailbox move "$domain" --from pop02 --to pop03 --yes "$@"; }
routed_to() { cat "$site/routes/$domain" 2>/dev/null || echo none; }
audit_count_on() { jq -c "select($2)" "$(audit_log "$1")" | wc -l; }
frozen() { [ -e "$site/frozen/pop02:$domain" ]; }
back_to_pop02() { rm -f "$site/frozen/pop02:$domain"; echo pop02 >"$site/routes/$domain"; }

lab mail pop02 generate "$domain" 40 2000 7 >/dev/null || fail "generating $domain"

# ---- survey ----
run_capture lab as "$OPERATOR" pop02 hubopsctl --json mailbox survey "$domain"
assert_eq "$rc" 0 "survey ($err)"
assert_eq "$(jq -r .files <<<"$out")" "$(find "$src/$domain" -path '*/tmp/*' -prune -o -type f -print | wc -l)" \
        "the survey counts every file but tmp/'s"
assert_eq "$(jq -r '.mailboxes | length' <<<"$out")" 40 "the survey's mailboxes"
assert_eq "$(jq -r '[.mailboxes[].bytes] | add' <<<"$out")" "$(jq -r .bytes <<<"$out")" "the survey's bytes add up"
# The terminal's (here a log's) progress lines of a job shorter than a second:
# elapsed time and rate in microseconds, not whole seconds of the wall clock.
run_capture lab as "$OPERATOR" pop02 hubopsctl mailbox survey "$domain"
assert_eq "$rc" 0 "survey, as a table ($err)"
grep -q 'Job [0-9]*: mailbox.survey .*%.*(mailboxes [0-9]*/40 at' <<<"$out" || fail "no progress line in: $out"
! grep -E 'elapsed 0ms|mailboxes [1-9][0-9]*/40 at 0/s' <<<"$out" || fail "a progress line of no time or rate"
run_capture lab as "$OPERATOR" pop02 hubopsctl mailbox survey ../etc
assert_eq "$rc" 2 "a path for a domain is a usage error"
run_capture lab as "$OPERATOR" pop02 hubopsctl mailbox survey example.net
assert_eq "$rc" 6 "a domain that is not there ($err)"
assert_contains "$err" "no such domain" "and says so"
run_capture lab as "$OUTSIDER" pop02 hubopsctl mailbox survey "$domain"
assert_eq "$rc" 3 "the outsider may not survey ($err)"
# The helper refuses an uppercase spelling itself, audited, without echoing it.
run_capture busctl --address="$(bus_address pop02)" call org.hubops.Helper1 /org/hubops/Helper1 \
        org.hubops.Helper1.Mailstore Survey s Example.ORG
assert_contains "$err" "invalid domain" "the helper checks the name itself"
assert_eq "$(audit_count_on pop02 '.operation == "mailbox.survey" and .details.domain == "(invalid)"')" 1 \
        "the refusal is audited"
ok "survey: counts, and refusals of a bad name, a missing domain and an outsider"

# ---- a move under live load ----
lab mail pop02 load start "$domain" 30 5
at_exit "lab mail pop02 load stop"
wait_until 30 "live deliveries" grep -q "delivered 100" "$HUBOPS_LAB_DIR/logs/pop02-mail-deliver.log"
run_capture move --presync-only
assert_eq "$rc" 0 "a pre-sync while live ($out $err)"
assert_eq "$(routed_to)" pop02 "a pre-sync switches nothing"
! frozen || fail "a pre-sync freezes nothing"
# The source's sshd log: each login of the mail user (a pass's own, or the
# connection the connect step opens for the final pass).
vmail_logins() { grep -c "Accepted publickey for hubops-vmail" "$HUBOPS_LAB_DIR/logs/pop02-sshd.log" || true; }
# The connection the connect step opens: this lab's (its socket is under the lab's directory).
held_open() { pgrep -u hubops-vmail -f -- "ControlMaster=yes -o ControlPath=$HUBOPS_LAB_DIR/" >/dev/null; }
logins=$(vmail_logins)
run_capture move --json
assert_eq "$rc" 0 "the move under live load ($out $err)"
summary=$(jq -c 'select(.event == "summary")' <<<"$out")
lab mail pop02 load stop
assert_eq "$(routed_to)" pop03 "the domain routes to pop03"
frozen || fail "the source stays frozen after the switch"
[ ! -e "$site/frozen/pop03:$domain" ] || fail "the destination is thawed"
assert_eq "$(tree "$dst")" "$(tree "$src")" "both stores hold the same files (names, sizes, mtimes)"
assert_eq "$(uidls pop03)" "$(uidls pop02)" "POP3 on pop03 shows pop02's UIDLs and messages as at the freeze"
folders=$(find "$src/$domain" -type d -name cur | wc -l)
changed=$(jq -r .changed_folders <<<"$summary")
[ "$changed" -ge 1 ] && [ "$changed" -le "$folders" ] || fail "changed folders: $changed of $folders"
[ "$(jq -r .cutover_window_usec <<<"$summary")" -gt 0 ] || fail "no cutover window in $summary"
ok "a move under live delivery and reading: same files, same UIDLs; the final pass took $changed of $folders folders"
assert_eq "$(vmail_logins)" $((logins + 2)) "two logins at the source: the pre-sync's, and the connect's that the final pass used"
! held_open || fail "the final pass closes the connection it used"
# (the lab's systemd is a user manager: its runtime directories are under XDG_RUNTIME_DIR)
held_dirs=$(find "$HUBOPS_LAB_DIR/systemd" -maxdepth 1 -name "*-peer-pop02-$domain")
[ -z "$held_dirs" ] || fail "the connection's directory goes with the final pass's unit: $held_dirs"
ok "the final pass ran over the connection opened before the freeze, and closed it"

# The POP3 client deleted messages while the pre-sync ran: with the trees
# equal, none of them came back at pop03.
deleted=$(grep -o 'deleted [0-9]*' "$HUBOPS_LAB_DIR/logs/pop02-mail-read.log" | tail -n1 | cut -d' ' -f2)
[ "${deleted:-0}" -gt 0 ] || fail "the POP3 client deleted nothing during the move"
ok "deletes during the pre-sync stay deleted ($deleted deleted by the POP3 client)"

# ---- verify --checksum catches a corrupted copy ----
back_to_pop02
victim=$(find "$dst/$domain/u0002/Maildir/cur" -type f -print -quit)
mtime=$(stat -c %y "$victim")
size=$(stat -c %s "$victim")
printf 'X' | dd of="$victim" bs=1 seek=$((size - 2)) conv=notrunc status=none
touch -d "$mtime" "$victim"
assert_eq "$(stat -c %s "$victim")" "$size" "the corruption keeps the size"
run_capture move --checksum
assert_eq "$rc" 1 "a corrupted copy fails the move ($out $err)"
assert_contains "$out" "u0002 (names, sizes or times differ)" "verify names the mailbox"
assert_eq "$(routed_to)" pop02 "nothing is switched"
! frozen || fail "the source is thawed after the failure"
ok "verify --checksum catches a copy corrupted at the same size and mtime; the source thawed, nothing switched"

# ---- the client killed in the cutover and at the switch resumes, acting once ----
back_to_pop02
events=$(mktemp)
at_exit "rm -f '$events'"
start_move() { "$LAB" as "$OPERATOR" pop03 hubopsctl --json "$@" >"$events" 2>&1 & pid=$!; }
wait_event() { wait_until 300 "$1 in the run's events" grep -q -- "$1" "$events"; }
kill_client() { kill -KILL "$pid"; set +e; wait "$pid"; rc=$?; set -e; assert_eq "$rc" 137 "the client killed"; }
full_passes() { jq -c 'select(.operation == "mailbox.sync" and .result == "started" and .details.mode == "full")' "$(audit_log pop03)" | wc -l; }

# In the pre-sync: the copy's wrapper is stopped (SIGSTOP) so the copy surely
# runs when the client dies; the resume finds its job, not a second pass.
passes=$(full_passes)
start_move mailbox move "$domain" --from pop02 --to pop03 --yes --presync-only
copy_pid() { pgrep -f "hubops-mailsync .*--domain $domain --mode full"; }
wait_until 120 "the pre-sync's copy" copy_pid
pid_copy=$(copy_pid)
kill -STOP "$pid_copy"
at_exit "kill -CONT $pid_copy 2>/dev/null || true"
kill_client
run=$(run_id_of "$(cat "$events")")
kill -CONT "$pid_copy"
run_capture lab as "$OPERATOR" pop03 hubopsctl --json runbook resume "$run" --yes
assert_eq "$rc" 0 "the resume in the pre-sync ($err $out)"
assert_contains "$out" '"event":"step-attached"' "it attaches to the pre-sync's job"
assert_eq "$(full_passes)" $((passes + 1)) "one pre-sync pass for the run"
ok "the client killed during the pre-sync: resumed, attached to the running copy, no second pass"

# ---- changes the final pass must find, in mailboxes the live load leaves alone ----
# Made once the recording is taken and the pre-sync is over, so only the
# final pass can carry them: a control file appended in place with its mtime
# set back (only its ctime shows it), a folder removed from a mailbox, a
# mailbox removed, a new one, a file outside the maildirs.
mail_own() { chown -R hubops-vmail:hubops-vmail "$@"; }
printf 'INBOX\n' >"$src/$domain/u0005/Maildir/subscriptions"
mkdir -p "$src/$domain/u0006/Maildir/.Drafts/"{cur,new,tmp} "$src/$domain/extra1/Maildir/"{cur,new,tmp}
echo "draft" >"$src/$domain/u0006/Maildir/.Drafts/cur/1.M1P1.pop02:2,D"
echo "to be removed" >"$src/$domain/extra1/Maildir/cur/1.M1P1.pop02:2,S"
mail_own "$src/$domain/u0005" "$src/$domain/u0006" "$src/$domain/extra1"
run_capture move --detach --json
assert_eq "$rc" 0 "a detached move ($err)"
run=$(run_id_of "$out")
no_copy() { ! copy_pid; }
wait_until 120 "the pre-sync's end" no_copy
stamp=$(stat -c %y "$src/$domain/u0005/Maildir/subscriptions")
printf 'Sent\n' >>"$src/$domain/u0005/Maildir/subscriptions"
touch -d "$stamp" "$src/$domain/u0005/Maildir/subscriptions"
rm -rf "$src/$domain/u0006/Maildir/.Drafts" "$src/$domain/extra1"
mkdir -p "$src/$domain/extra2/Maildir/"{cur,new,tmp}
echo "new mailbox" >"$src/$domain/extra2/Maildir/cur/2.M2P1.pop02:2,S"
echo "outside" >"$src/$domain/u0007/.forward"
mail_own "$src/$domain/extra2" "$src/$domain/u0007/.forward"
# And the connection opened for the final pass dies during the freeze (held
# by a session in flight: the test holds the site's lock), leaving its socket:
# the final pass logs in itself.
exec 8>>"$site/pop02:$domain.lock"
flock -x 8
logins=$(vmail_logins)
start_move runbook resume "$run" --yes 8>&- # the lock is the test's, not the client's
wait_event '"step":"freeze","host":"pop02","operation":"mailbox.freeze","subject":"'"$domain"'","status":"acting"'
held_open || fail "the connect step left the connection open for the final pass"
[ -n "$(find "$HUBOPS_LAB_DIR/systemd" -maxdepth 2 -path "*-peer-pop02-$domain/ssh" -type s)" ] ||
        fail "its socket is in the directory of this domain's connection"
pkill -KILL -u hubops-vmail -f -- "ControlMaster=yes -o ControlPath=$HUBOPS_LAB_DIR/"
wait_until 10 "the connection's end" eval '! held_open'
exec 8>&-
set +e; wait "$pid"; rc=$?; set -e
out=$(cat "$events")
assert_eq "$rc" 0 "the move's cutover (exit status $rc: $out)"
assert_eq "$(vmail_logins)" $((logins + 2)) "the final pass logged in itself: the connect's login and its own"
assert_eq "$(routed_to)" pop03 "the domain routes to pop03"
assert_eq "$(tree "$dst")" "$(tree "$src")" "both stores hold the same files"
assert_eq "$(tail -n1 "$dst/$domain/u0005/Maildir/subscriptions")" Sent "the control file appended in place"
[ ! -e "$dst/$domain/u0006/Maildir/.Drafts" ] && [ ! -e "$dst/$domain/extra1" ] || fail "a removed folder or mailbox stayed"
rm -f "$src/$domain/u0007/.forward" "$src/$domain/u0005/Maildir/subscriptions"
rm -rf "$src/$domain/extra2"
ok "the final pass carries a control file written in place, removed folders and mailboxes, a new mailbox and files outside the maildirs, and logs in itself when the connection opened for it died"
back_to_pop02

started_on() { audit_count_on "$1" ".operation == \"$2\" and .result == \"started\" and .details.domain == \"$domain\""; }
final_passes() { jq -c 'select(.operation == "mailbox.sync" and .result == "started" and .details.mode == "final")' "$(audit_log pop03)" | wc -l; }
freezes=$(started_on pop02 mailbox.freeze) switches=$(started_on pop03 mailbox.switch) finals=$(final_passes)
start_move mailbox move "$domain" --from pop02 --to pop03 --yes
wait_event '"step":"final-sync","host":"pop03","operation":"mailbox.sync","subject":"'"$domain"'","status":"acting"'
kill_client
run=$(run_id_of "$(cat "$events")")
# The thaw held, so the client surely is in it (not past the run's end) when killed.
touch "$site/thaw-hold"
at_exit "rm -f '$site/thaw-hold'"
start_move runbook resume "$run" --yes
wait_event '"event":"step-finished","time":[0-9]*,"run":"[^"]*","step":"switch"'
kill_client
rm -f "$site/thaw-hold"
run_capture lab as "$OPERATOR" pop03 hubopsctl --json runbook resume "$run" --yes
assert_eq "$rc" 0 "the last resume ($err $out)"
assert_eq "$(jq -r 'select(.event == "summary") | .status' <<<"$out")" done "the run is done ($out $err)"
assert_eq "$(routed_to)" pop03 "switched"
assert_eq "$(started_on pop02 mailbox.freeze)" $((freezes + 1)) "one freeze for this run"
assert_eq "$(started_on pop03 mailbox.switch)" $((switches + 1)) "one switch for this run"
assert_eq "$(final_passes)" $((finals + 1)) "one final pass for this run"
ok "the client killed during the final pass and after the switch: resumed, nothing done twice"

# ---- a store that serves the domain: no move onto it; retire ----
old=old.example.org
lab mail pop02 generate "$old" 4 200 3 >/dev/null || fail "generating $old"
retire() { lab as "${3:-$OPERATOR}" "$1" hubopsctl mailbox retire "$2"; }
run_capture retire pop02 "$old"
assert_eq "$rc" 1 "retiring the store that serves the domain is refused ($out $err)"
assert_contains "$err" "$old's mail still routes to pop02" "and says why"
[ -d "$src/$old" ] || fail "the live copy is intact"
assert_eq "$(audit_count_on pop02 '.operation == "mailbox.retire" and .details.domain == "'"$old"'"')" 1 \
        "the refusal is audited"
before=$(uidls pop02 "$old")
run_capture lab as "$OPERATOR" pop03 hubopsctl mailbox move "$old" --from pop02 --to pop03 --yes
assert_eq "$rc" 0 "moving $old ($err)"
run_capture lab as "$OPERATOR" pop03 hubopsctl mailbox move "$old" --from pop02 --to pop03 --yes --dry-run
assert_eq "$rc" 1 "a move onto the store that already serves the domain is refused ($out $err)"
assert_contains "$out$err" "pop03 already serves $old" "at preflight, saying why"
run_capture retire pop02 "$old" "$OUTSIDER"
assert_eq "$rc" 3 "the outsider may not retire ($err)"
run_capture retire pop03 "$old"
assert_eq "$rc" 1 "retiring the destination's live copy is refused ($err)"
run_capture retire pop02 "$old"
assert_eq "$rc" 0 "retiring the source once the domain routes elsewhere ($out $err)"
[ ! -e "$src/$old" ] || fail "the source's copy is gone: $(ls -la "$src/$old" 2>&1 | head -3)"
[ -d "$src/$domain" ] || fail "the other domain on the source is untouched"
assert_eq "$(uidls pop03 "$old")" "$before" "POP3 on pop03 still shows the domain's messages"
run_capture retire pop02 "$old"
assert_eq "$rc" 6 "a retired domain is no longer there ($err)"
ok "a store that serves a domain is refused as a move's destination and cannot retire it; the source retires its copy once moved"

# ---- the source refuses the final pass's login ----
# The key's line at the source is gone by the time the cutover begins: the
# connect step, before the freeze, finds it; nothing is frozen or switched.
back_to_pop02
freezes=$(started_on pop02 mailbox.freeze)
keys=$HUBOPS_LAB_DIR/ssh/mail-authorized/pop02/hubops-vmail
run_capture move --detach --json
assert_eq "$rc" 0 "a detached move ($err)"
run=$(run_id_of "$out")
wait_until 120 "the pre-sync's end" no_copy
mv "$keys" "$keys.away"
at_exit "mv -f '$keys.away' '$keys' 2>/dev/null || true"
run_capture lab as "$OPERATOR" pop03 hubopsctl runbook resume "$run" --yes
mv "$keys.away" "$keys"
assert_eq "$rc" 1 "the move stops ($out $err)"
assert_contains "$out" "[connect] pop03" "at the connect step"
assert_contains "$out" "failed" "which failed"
! frozen || fail "nothing frozen"
assert_eq "$(routed_to)" pop02 "nothing switched"
assert_eq "$(started_on pop02 mailbox.freeze)" "$freezes" "no freeze was asked"
lab as "$OPERATOR" pop03 hubopsctl runbook abandon "$run" >/dev/null || fail "abandoning the stopped move"
ok "a source that refuses the final pass's login stops the move at the connect step, before the freeze"

# ---- the source's disk fails during the pre-sync ----
# The client leaves once the pre-sync runs (--detach); the disk fails; the
# resume finds the source unhealthy before anything is frozen. (Without
# --detach the same check is the step source-health, just before the freeze.)
back_to_pop02
freezes=$(started_on pop02 mailbox.freeze)
run_capture move --detach --json
assert_eq "$rc" 0 "a detached move ($err)"
run=$(run_id_of "$out")
lab mail pop02 fail
run_capture lab as "$OPERATOR" pop03 hubopsctl runbook resume "$run" --yes
assert_eq "$rc" 1 "the move stops ($out $err)"
assert_contains "$out" "pop02: health fs.writable" "at the source's health"
! frozen || fail "nothing frozen"
assert_eq "$(routed_to)" pop02 "nothing switched"
assert_eq "$(started_on pop02 mailbox.freeze)" "$freezes" "no freeze was asked"
lab as "$OPERATOR" pop03 hubopsctl runbook abandon "$run" >/dev/null || fail "abandoning the stopped move"
ok "a source disk failing during a pre-sync stops the move before the freeze"

# ---- a slow destination is refused ----
lab disk pop03 slow 15000000
at_exit "lab disk pop03 fast"
run_capture move
assert_eq "$rc" 1 "a 15 MB/s destination is refused ($out $err)"
assert_contains "$out$err" "disk.throughput" "by its disk probe"
assert_contains "$out" "Preflight FAILED, nothing was changed" "at preflight"
ok "a slow destination is refused at preflight"
