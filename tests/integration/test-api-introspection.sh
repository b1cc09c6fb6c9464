#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `busctl introspect` shows the whole API, exactly as dbus/org.hubops.Helper1.xml
# documents it; busctl alone can do what hubopsctl does.
export HUBOPS_LAB_HOSTS="dirhost mailhub1"
. "$(dirname "$0")/lib.sh"
lab_up
xml=$TOP/dbus/org.hubops.Helper1.xml

interface_block() { sed -n "/<interface name=\"$1\">/,/<\/interface>/p"; }

# A job object must exist to introspect the Job interface.
run_capture as_operator busctl --address="$(bus_address)" call org.hubops.Helper1 /org/hubops/Helper1 \
        org.hubops.Helper1.Hooks Run s noop
assert_eq "$rc" 0 "busctl call Run as the operator ($err)"
job=$(awk '{print $2}' <<<"$out" | tr -d '"')
assert_contains "$job" /org/hubops/Helper1/job/ "Run returns a job path"
ok "busctl call Hooks.Run works for the operator and returns $job"

root_xml=$(helper_busctl --xml-interface introspect org.hubops.Helper1 /org/hubops/Helper1)
job_xml=$(helper_busctl --xml-interface introspect org.hubops.Helper1 "$job")
for iface in org.hubops.Helper1.Manager org.hubops.Helper1.Hooks org.hubops.Helper1.Service \
        org.hubops.Helper1.Directory org.hubops.Helper1.Health org.hubops.Helper1.Mailstore; do
        live=$(interface_block "$iface" <<<"$root_xml")
        [ -n "$live" ] || fail "the helper does not introspect $iface"
        diff -u <(interface_block "$iface" <"$xml") <(echo "$live") || fail "$iface differs from $xml"
done
live=$(interface_block org.hubops.Helper1.Job <<<"$job_xml")
diff -u <(interface_block org.hubops.Helper1.Job <"$xml") <(echo "$live") || fail "Job differs from $xml"
live=$(busctl --address="$(bus_address mailhub1)" --xml-interface introspect org.hubops.Helper1 /org/hubops/Helper1 |
        interface_block org.hubops.Helper1.Rebuild)
diff -u <(interface_block org.hubops.Helper1.Rebuild <"$xml") <(echo "$live") || fail "Rebuild differs from $xml"
ok "the live Manager, Hooks, Service, Directory, Health, Rebuild and Job interfaces match dbus/org.hubops.Helper1.xml"

text=$(helper_busctl introspect org.hubops.Helper1 /org/hubops/Helper1)
for member in .GetLoad .ListJobs .ListOperations .Hostname .Roles .Version .List .Run .GetState .KillRoot \
        .Restart .MemoryBytes .RootPID .MainPID .State; do
        assert_contains "$text" "$member" "busctl introspect shows $member"
done
ok "busctl introspect lists every Manager and Hooks member"

# Everything hubopsctl does, busctl can: wait for the job, read its result.
wait_until 10 "job $job to finish" sh -c "busctl --address='$(bus_address)' get-property org.hubops.Helper1 '$job' \
        org.hubops.Helper1.Job State | grep -qv running"
run_capture helper_busctl get-property org.hubops.Helper1 "$job" org.hubops.Helper1.Job Result
assert_eq "$out" 's "success"' "Result through busctl"
run_capture helper_busctl call org.hubops.Helper1 /org/hubops/Helper1 org.hubops.Helper1.Manager GetLoad u 500
assert_eq "$rc" 0 "GetLoad through busctl ($err)"
assert_contains "$out" "ddddt" "GetLoad's reply signature"
run_capture helper_busctl call org.hubops.Helper1 /org/hubops/Helper1 org.hubops.Helper1.Manager GetLoad u 0
assert_contains "$err" "window_ms must be between" "GetLoad validates its window"
run_capture helper_busctl call org.hubops.Helper1 /org/hubops/Helper1 org.hubops.Helper1.Manager ListJobs
assert_contains "$out" "$job" "ListJobs lists the job"
ok "job state, result, load and job list are all reachable with busctl"
