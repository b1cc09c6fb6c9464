#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The checks that would have caught the mail split (DESIGN.md 2, 2a): the
# new server's slow disk, the old server's dying disk and the stale backup,
# on a real ext4 loop device with a real kernel error, seen by the periodic
# sampler (textfile scraped by a real node_exporter, StateChanged signal),
# by hubopsctl site health and by the runbook's preflight.
export HUBOPS_LAB_HOSTS="dirhost mailhub1"
export HUBOPS_LAB_HEALTH_DISK=mailhub1
export HUBOPS_LAB_SAMPLE_INTERVAL=1s
. "$(dirname "$0")/lib.sh"
HOST=mailhub1
lab_up
disk=$(lab disk "$HOST" path)

textfile=$HUBOPS_LAB_DIR/hosts/$HOST/textfile/hubops_health.prom

# The state of check $1 on the health disk's path $2 (default: the mount),
# from a fresh sample: the assertions below follow changes the test makes.
state() { { as_operator hubopsctl --json site health --fresh "$HOST" || true; } | jq -r --arg c "$1" --arg p "${2:-$disk}" \
        '.hosts[0].checks[] | select(.check == $c and .subject == $p) | .state'; }
now_usec() { echo $(($(date +%s%N) / 1000)); }
sampled_at() { jq -r '[.hosts[0].checks[] | select(.check == "fs.space") | .measured_at_usec] | min'; }

run_capture as_operator hubopsctl site health
assert_eq "$rc" 0 "a healthy site: exit 0 ($out)"
assert_contains "$out" "dirhost" "every host has rows"
for c in fs.space fs.inodes fs.writable fs.errors kernel.log; do
        assert_eq "$(state $c)" ok "$c on a fresh ext4"
done
assert_eq "$(state disk.throughput "$disk/probe")" unknown "no probe yet"
assert_eq "$(state smart /dev/"$(basename "$(cat "$HUBOPS_LAB_DIR/health-disk.loop")")")" unknown \
        "a loop device has no SMART: not available, not an error"
ok "a healthy site is OK everywhere, and says what it does not know"

# site health answers from each helper's periodic sample, at most a
# SampleIntervalSec= (1s here) old; --fresh samples after the call.
t0=$(now_usec)
run_capture as_operator hubopsctl --json site health "$HOST"
assert_eq "$(jq -n "$(sampled_at <<<"$out") > $t0 - 1000000")" true "the last sample began within the period"
t0=$(now_usec)
run_capture as_operator hubopsctl --json site health --fresh "$HOST"
assert_eq "$(jq -n "$(sampled_at <<<"$out") >= $t0")" true "--fresh: a sample begun after the call"
run_capture as_operator hubopsctl site health
assert_contains "$out" "Sampled by each helper within its SampleIntervalSec=" "the table says its figures are sampled"
ok "site health answers from the periodic sample (no older than its period), --fresh from a new one"

run_capture as_operator hubopsctl --json site health "$HOST" --probe
assert_eq "$rc" 0 "probe on a normal disk ($out $err)"
assert_eq "$(state disk.throughput "$disk/probe")" ok "a normal loop device is fast"
assert_eq "$(state disk.sync "$disk/probe")" ok "and syncs fast"
lab disk "$HOST" slow 5000000
at_exit "'$LAB' disk $HOST fast"
run_capture as_operator hubopsctl --json site health "$HOST" --probe
assert_eq "$rc" 1 "a slow disk is a FAIL: exit 1"
mbps=$(jq -r '.hosts[0].checks[] | select(.check == "disk.throughput") | .value' <<<"$out")
assert_eq "$(jq -n "$mbps < 7 and $mbps > 3")" true "the probe measures the throttle (5 MB/s): $mbps"
assert_eq "$(state disk.throughput "$disk/probe")" fail "15 MB/s-class disks fail at the default ThroughputFail= (20)"
lab disk "$HOST" fast
ok "the disk probe (fio, a transient unit) sees a 5 MB/s disk and fails it at the default threshold"

# A probe running when hubopsd dies (still on the slow disk, so it lasts
# seconds) is re-attached by the restarted helper: the same job ends with
# fio's figures, which become the last probe result.
lab disk "$HOST" slow 5000000
job_prop() { helper_busctl get-property org.hubops.Helper1 "$1" org.hubops.Helper1.Job "$2" | cut -d' ' -f2- | tr -d '"'; }
job_ended() { [ "$(job_prop "$1" State)" != running ]; }
last_probe_at() { helper_busctl get-property org.hubops.Helper1 /org/hubops/Helper1 org.hubops.Helper1.Health LastProbe |
        awk '{ print $2 }'; }
before=$(last_probe_at)
run_capture as_operator busctl --address="$(bus_address)" call org.hubops.Helper1 /org/hubops/Helper1 \
        org.hubops.Helper1.Health Probe
assert_eq "$rc" 0 "the probe starts ($out $err)"
probe_job=$(cut -d'"' -f2 <<<"$out")
probe_unit=$(job_prop "$probe_job" Unit)
unit_running() { [ "$(lab_systemctl_is_active "$probe_unit")" = activating ]; }
wait_until 10 "the probe's unit to run" unit_running
lab helper "$HOST" kill
assert_eq "$(lab_systemctl_is_active "$probe_unit")" activating "the probe runs on without a helper"
lab helper "$HOST" start
wait_until 60 "the re-attached probe to end" job_ended "$probe_job"
assert_eq "$(job_prop "$probe_job" State)" done "the probe's job after the restart"
assert_contains "$(job_prop "$probe_job" Message)" "MB/s direct sequential writes" "fio's figures as its message"
[ "$(last_probe_at)" -gt "$before" ] || fail "the last probe result is still from $before"
assert_eq "$(audit_count ".event==\"job-finished\" and .job==\"$probe_job\"")" 1 "the probe's end audited once"
lab disk "$HOST" fast
run_capture as_operator hubopsctl --json site health "$HOST" --probe
assert_eq "$rc" 0 "a probe after the restart ($out $err)"
ok "hubopsd killed during a probe: the restarted helper follows it to its end and records its result"

# health.probe is a row of the operation table: CanRun and ListOperations know it where it is configured.
run_capture as_operator hubopsctl can-run health.probe
assert_eq "$rc" 0 "can-run health.probe on $HOST ($out $err)"
assert_contains "$(helper_busctl call org.hubops.Helper1 /org/hubops/Helper1 org.hubops.Helper1.Manager ListOperations)" \
        '"health.probe"' "ListOperations on $HOST"
run_capture lab as "$OPERATOR" dirhost hubopsctl can-run health.probe
assert_eq "$rc" 6 "can-run health.probe on dirhost, which has no ProbeDirectory= ($out $err)"
assert_contains "$err" "no ProbeDirectory=" "why not"
ok "CanRun and ListOperations know health.probe where ProbeDirectory= is set, and say why not elsewhere"

touch -d "30 hours ago" "$disk/backup/mail-backup.tar"
assert_eq "$(state backup.age "$disk/backup")" warn "a day and a bit: WARN"
touch -d "3 days ago" "$disk/backup/mail-backup.tar"
assert_eq "$(state backup.age "$disk/backup")" fail "three days: FAIL"
touch "$disk/backup/mail-backup.tar"
assert_eq "$(state backup.age "$disk/backup")" ok "fresh again"
ok "backup age: OK, WARN and FAIL against BackupAgeWarnSec= and BackupAgeFailSec="

# The site's thresholds, per host: [Health Host NAME] over [Health].
site=$HUBOPS_LAB_DIR/site.conf
printf '\n[Health]\nFreeSpaceWarn=20%%\n\n[Health Host %s]\nFreeSpaceWarn=99%%\n' "$HOST" >>"$site"
assert_eq "$(state fs.space)" warn "the site's threshold for this host decides"
assert_eq "$({ as_operator hubopsctl --json site health dirhost || true; } | jq -r '[.hosts[0].checks[] | select(.check == "fs.space") | .state] | unique | join(",")')" \
        ok "other hosts keep the site's default"
ok "thresholds come from the site config, per host over the site's [Health]"

# node_exporter scrapes the textfile the sampler writes.
port=$((20000 + RANDOM % 20000))
prometheus-node-exporter --collector.disable-defaults --collector.textfile \
        --collector.textfile.directory="$(dirname "$textfile")" --web.listen-address="127.0.0.1:$port" \
        >"$HUBOPS_LAB_DIR/logs/node-exporter.log" 2>&1 &
exporter=$!
at_exit "kill $exporter"
metrics() { wget -qO- "http://127.0.0.1:$port/metrics" 2>/dev/null; }
serving() { metrics | grep -q hubops_health; }
wait_until 10 "node_exporter to serve the textfile" serving
assert_contains "$(metrics)" "hubops_health_check_state{check=\"fs.writable\",host=\"$HOST\",subject=\"$disk\"} 0" \
        "node_exporter serves the writable state"

# The dying disk: an ext4 error with errors=remount-ro.
busctl --address="$(bus_address)" monitor --match "type='signal',interface='org.hubops.Helper1.Health'" \
        >"$HUBOPS_LAB_DIR/signals.txt" 2>&1 &
monitor=$!
at_exit "kill $monitor"
monitoring() { grep -q "Monitoring bus message stream" "$HUBOPS_LAB_DIR/signals.txt"; }
wait_until 10 "busctl monitor to be listening" monitoring
lab disk "$HOST" fail
touch "$disk/x" 2>/dev/null && fail "the filesystem still takes writes after the error"
# An operator's hubopsctl health samples afresh: the truth now, whatever the sampler has seen.
assert_eq "$({ as_operator hubopsctl --json health || true; } | jq -r --arg p "$disk" \
        '.hosts[0].checks[] | select(.check == "fs.writable" and .subject == $p) | .state')" fail \
        "hubopsctl health right after the error"
sampled_fail() { grep -q "fs.writable.*$disk\"} 2" "$textfile"; }
wait_until 10 "the periodic sampler to write FAIL" sampled_fail
assert_contains "$(metrics)" "hubops_health_check_state{check=\"fs.writable\",host=\"$HOST\",subject=\"$disk\"} 2" \
        "the periodic sampler saw it: node_exporter serves FAIL"
assert_contains "$(metrics)" "hubops_health_check_state{check=\"fs.errors\",host=\"$HOST\",subject=\"$disk\"} 2" \
        "the kernel's error count"
signalled() { grep -q '"fs.writable"' "$HUBOPS_LAB_DIR/signals.txt"; }
wait_until 5 "the StateChanged signal" signalled
assert_contains "$(cat "$HUBOPS_LAB_DIR/signals.txt")" "StateChanged" "a StateChanged signal"
ok "an ext4 error (mount flags still rw): the sampler's textfile, scraped by node_exporter, and its signal say FAIL"

# The sampler's journal record of the change, read back from the lab's
# journald (tests/lab/lab runs every hubopsd with its
# /run/systemd/journal/socket): MESSAGE_ID of helper/health-sampler.h.
helper_pid=$(cat "$HUBOPS_LAB_DIR/pids/$HOST-hubopsd.pid")
record() { # CHECK: the newest record of CHECK turning to fail, as JSON
        journal_select MESSAGE_ID=3a8f5c2e9b1d4f60a7c4e2b8d1f09c35 _PID="$helper_pid" HUBOPS_HEALTH_CHECK="$1" \
                HUBOPS_HEALTH_STATE=fail | tail -1; }
recorded() { [ -n "$(record fs.writable)" ] && [ -n "$(record fs.errors)" ]; }
wait_until 10 "hubopsd's journal records of the change" recorded
for c in fs.writable fs.errors; do
        r=$(record $c)
        assert_eq "$(jq -r .HUBOPS_HOST <<<"$r")" "$HOST" "$c's record names the host"
        assert_eq "$(jq -r .HUBOPS_HEALTH_SUBJECT <<<"$r")" "$disk" "and the filesystem"
        assert_eq "$(jq -r .HUBOPS_HEALTH_PREVIOUS <<<"$r")" ok "and the state before"
        assert_eq "$(jq -r .PRIORITY <<<"$r")" 3 "a FAIL is logged at LOG_ERR"
        assert_contains "$(jq -r .MESSAGE <<<"$r")" "$c $disk: ok -> fail" "its message says what changed"
done
ok "hubopsd's journal records the state changes (MESSAGE_ID, check, subject, state, host), read back with journalctl"

# The sampler has seen it (above): its last sample, which site health reads, has it.
run_capture as_operator hubopsctl site health
assert_eq "$rc" 1 "site health exits 1 on a FAIL"
assert_contains "$out" "fs.writable" "the table names the check"
assert_eq "$(state fs.writable)" fail "read-only however the mount flags read"
assert_eq "$(state fs.errors)" fail "errors_count"
assert_eq "$(state kernel.log)" fail "the kernel log's fs error and remount"
ok "site health shows the dead disk: writable, recorded errors and kernel log all FAIL"

run_capture as_operator hubopsctl rebuild-tables "$HOST" --dry-run --yes
assert_eq "$rc" 1 "the preflight stops the run"
assert_contains "$out$err" "health fs.writable" "naming the check"
assert_contains "$out$err" "nothing was changed" "before any change"
ok "the runbook's preflight stops on the dead disk before any change"
