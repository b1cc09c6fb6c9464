#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every privileged method x {operator, outsider}: allowed / AccessDenied,
# each request audited exactly once, and the outsider changes nothing.
export HUBOPS_LAB_HOSTS="dirhost mailhub1"
. "$(dirname "$0")/lib.sh"
HOST=dirhost
lab_up
XDG=$HUBOPS_LAB_DIR/systemd

call() { # USER HOST INTERFACE PATH METHOD [SIGNATURE ARGS...]
        local user=$1 host=$2 iface=$3 path=$4 method=$5; shift 5
        "$LAB" as "$user" "$host" busctl --address="$(bus_address "$host")" call org.hubops.Helper1 "$path" \
                "org.hubops.Helper1.$iface" "$method" "$@"
}
count_on() { local host=$1; shift; HOST=$host audit_count "$1"; }

# host | interface | method | signature + args (split on spaces) | the privileged operation's audit name
matrix='dirhost|Hooks|Run|s noop|hook.run
mailhub1|Service|Start|s regclient|service.start
mailhub1|Service|Stop|s regclient|service.stop
mailhub1|Service|Restart|s regclient|service.restart
dirhost|Directory|Stop||directory.stop
dirhost|Directory|KillRoot||directory.kill-root
dirhost|Directory|Start||directory.start
dirhost|Directory|Restart||directory.restart'

eddy_before=$(pgrep -f "$HUBOPS_LAB_DIR/site/isode.eddy" | sort | tr '\n' ' ')
outsider_uid=$(id -u "$OUTSIDER")
while IFS='|' read -r host iface method args op; do
        # shellcheck disable=SC2086 # the table's arguments are meant to split
        run_capture call "$OUTSIDER" "$host" "$iface" /org/hubops/Helper1 "$method" $args
        [ "$rc" -ne 0 ] || fail "outsider $iface.$method was allowed"
        assert_contains "$err" "Access denied" "outsider $iface.$method"
        n=$(count_on "$host" ".caller.uid==$outsider_uid and .operation==\"$op\" and .verdict==\"no\"")
        [ "$n" -ge 1 ] || fail "outsider $iface.$method not audited"
        ok "outsider: $iface.$method -> AccessDenied, audited"
done <<<"$matrix"
assert_eq "$(pgrep -f "$HUBOPS_LAB_DIR/site/isode.eddy" | sort | tr '\n' ' ')" "$eddy_before" "eddy untouched"
assert_eq "$(XDG_RUNTIME_DIR=$XDG systemctl --user is-active regclient-mailhub1.service)" active "regclient untouched"
assert_eq "$(count_on dirhost ".caller.uid==$outsider_uid")" 5 "one record per outsider request on dirhost"
assert_eq "$(count_on mailhub1 ".caller.uid==$outsider_uid")" 3 "one record per outsider request on mailhub1"
ok "the outsider changed nothing; exactly one audit record per refused request"

# The operator: each allowed, each audited once with verdict yes.
operator_uid=$(id -u "$OPERATOR")
while IFS='|' read -r host iface method args op; do
        # shellcheck disable=SC2086
        run_capture call "$OPERATOR" "$host" "$iface" /org/hubops/Helper1 "$method" $args
        assert_eq "$rc" 0 "operator $iface.$method ($err)"
        job=$(awk '{print $2}' <<<"$out" | tr -d '"')
        run_capture "$LAB" as "$OPERATOR" "$host" hubopsctl job wait "${job##*/}"
        ok "operator: $iface.$method -> allowed (job ${job##*/}: $(tail -n 1 <<<"$out" | cut -c1-60))"
done <<<"$matrix"
assert_eq "$(count_on dirhost ".event==\"request\" and .caller.uid==$operator_uid and .verdict==\"yes\"")" 5 \
        "one allowed record per operator request on dirhost"
assert_eq "$(count_on mailhub1 ".event==\"request\" and .caller.uid==$operator_uid and .verdict==\"yes\"")" 3 \
        "one allowed record per operator request on mailhub1"
ok "exactly one audit record per allowed request"

# Job.Cancel: the outsider may not cancel the operator's job; the operator may.
run_capture call "$OPERATOR" dirhost Hooks /org/hubops/Helper1 Run s slow
job=$(awk '{print $2}' <<<"$out" | tr -d '"')
run_capture call "$OUTSIDER" dirhost Job "$job" Cancel
assert_contains "$err" "Access denied" "outsider Job.Cancel"
run_capture call "$OPERATOR" dirhost Job "$job" Cancel
assert_eq "$rc" 0 "operator Job.Cancel"
assert_eq "$(count_on dirhost '.operation=="job.cancel"')" 2 "both cancel requests audited once"
ok "Job.Cancel: outsider AccessDenied, operator allowed; each audited once"

# CanRun: the same verdicts, asked without acting or prompting, for preflight.
jobs_before=$(HOST=dirhost last_job_id)
records_before=$(wc -l <"$(HOST=dirhost audit_log)")
while IFS='|' read -r who want answer args; do
        user=$OPERATOR; [ "$who" = outsider ] && user=$OUTSIDER
        # shellcheck disable=SC2086
        run_capture "$LAB" as "$user" dirhost hubopsctl --json can-run $args
        assert_eq "$rc" "$want" "can-run $args as $who ($out $err)"
        [ -z "$answer" ] || assert_eq "$(jq -r .answer <<<"$out")" "$answer" "can-run $args as $who"
        ok "can-run $args as $who -> ${answer:-exit $want}"
done <<'TABLE'
operator|0|yes|hook.run noop
operator|0|yes|directory.restart
operator|3|challenge|hook.run needs-auth
outsider|3|no|directory.restart
outsider|3|no|hook.run noop
operator|2||frobnicate.now
operator|6||hook.run no-such-hook
operator|6||rebuild.start
operator|0|yes|run.claim some-run
operator|3|challenge|run.claim needs-auth-run
TABLE
assert_eq "$(HOST=dirhost last_job_id)" "$jobs_before" "CanRun starts nothing"
assert_eq "$(wc -l <"$(HOST=dirhost audit_log)")" "$records_before" "CanRun is a question, not an action: not audited"
ok "CanRun acts on nothing"

# CanRun run.claim foretells ClaimRun's verdict: both ask with the run as detail.
run_capture "$LAB" as "$OPERATOR" dirhost busctl --address="$(bus_address dirhost)" \
        --allow-interactive-authorization=no call org.hubops.Helper1 /org/hubops/Helper1 \
        org.hubops.Helper1.Manager ClaimRun ss needs-auth-run ""
[ "$rc" -ne 0 ] || fail "ClaimRun needs-auth-run was allowed"
assert_contains "$err" "Authentication is required" "ClaimRun needs-auth-run"
ok "ClaimRun needs-auth-run is a challenge, as CanRun run.claim needs-auth-run said"
