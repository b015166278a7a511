# A real one-node Slurm cluster launches the publishers: munged with a new
# key, slurmctld and slurmd with a generated slurm.conf, all in a private
# directory on free ports, started and stopped here. `srun -n 3 mqttbench pub
# --shard auto` runs 3 shards (SLURM_PROCID/SLURM_NTASKS from slurmstepd)
# beside a `sub`; srun's labelled output is sorted back into one result per
# task and merged, with exact counts.
# Needs root (slurmd starts tasks as their user) and Debian's slurmctld,
# slurmd, slurm-client and munge; prints "SKIP slurm: why" otherwise.
source tests/lib.sh

skip() { echo "SKIP slurm: $1"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "needs root (slurmd)"
for c in munged mungekey slurmctld slurmd srun sinfo; do
    command -v "$c" > /dev/null 2>&1 || skip "needs $c (Debian: slurmctld slurmd slurm-client munge)"
done

D=$TEST_TMP/slurm
mkdir -p "$D/state" "$D/spool"
DAEMONS=()   # pids of munged, slurmctld, slurmd, stopped on exit
slurm_cleanup() {
    local p i
    for p in "${DAEMONS[@]}"; do kill "$p" 2> /dev/null; done
    for p in "${DAEMONS[@]}"; do
        for i in $(seq 1 150); do kill -0 "$p" 2> /dev/null || break; sleep 0.02; done
        kill -9 "$p" 2> /dev/null
    done
    DAEMONS=()
}
trap 'slurm_cleanup; cleanup' EXIT

# --- munge: its own key and socket ------------------------------------------------
mungekey --create --keyfile="$D/munge.key" > "$D/mungekey.out" 2>&1 || skip "mungekey failed: $(head -n 1 "$D/mungekey.out")"
munged -F --force --socket="$D/munge.sock" --key-file="$D/munge.key" --log-file="$D/munged.log" \
    --pid-file="$D/munged.pid" --seed-file="$D/munged.seed" > "$D/munged.out" 2>&1 &
DAEMONS+=($!)
for _ in $(seq 1 100); do [ -S "$D/munge.sock" ] && break; sleep 0.05; done
echo x | munge -S "$D/munge.sock" 2> /dev/null | unmunge -S "$D/munge.sock" > /dev/null 2>&1 ||
    skip "munged does not answer: $(tail -n 2 "$D/munged.out")"

# --- slurmctld and slurmd ---------------------------------------------------------
H=$(hostname -s)
CTLD_PORT=$(free_port)
SLURMD_PORT=$(free_port)
cat > "$D/slurm.conf" << EOF
ClusterName=mqttbench
SlurmctldHost=$H(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$D/munge.sock
CredType=cred/munge
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
NodeName=$H NodeAddr=127.0.0.1 CPUs=$(nproc)
PartitionName=bench Nodes=$H Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE
EOF
export SLURM_CONF=$D/slurm.conf
slurmctld -D -i > "$D/slurmctld.out" 2>&1 &
DAEMONS+=($!)
slurmd -D > "$D/slurmd.out" 2>&1 &
DAEMONS+=($!)
state=
for _ in $(seq 1 200); do
    state=$(sinfo -h -o %t 2> /dev/null)
    [ "$state" = idle ] && break
    sleep 0.1
done
[ "$state" = idle ] || skip "the node did not come up (sinfo: '$state'): $(tail -n 2 "$D/slurmd.out" "$D/slurmctld.out" | tr '\n' ' ')"
pass "one-node Slurm up (slurmctld :$CTLD_PORT, slurmd :$SLURMD_PORT, munge $D/munge.sock)"

# --- srun -n 3 mqttbench pub --shard auto, beside a sub ---------------------------
start_broker || exit 1
R=$(printf '7%07x' $(($$ & 0xfffffff)))
timeout 60 "$MQTTBENCH" sub -p "$BROKER_PORT" --run-id "$R" -q 1 --expect-publishers 3 --json "$D/sub.json" \
    > "$D/sub.out" 2>&1 &
sub_pid=$!
# --label: each line of task N comes as "N: line"; srun interleaves the
# tasks' lines, so they are sorted back by task (stable) before merge.
timeout 60 srun -n 3 --overcommit --label "$MQTTBENCH" pub -p "$BROKER_PORT" --run-id "$R" -q 1 \
    --publishers 5 --count 3001 --rate 3000 --shard auto --wait-subscribers 1 --quiet --json - \
    > "$D/srun.out" 2> "$D/srun.err"
srun_rc=$?
wait "$sub_pid"
sub_rc=$?
check_eq "srun -n 3 pub --shard auto: srun and sub exit 0" "0 0" "$srun_rc $sub_rc"
[ "$srun_rc $sub_rc" = "0 0" ] || tail -n 5 "$D/srun.err" "$D/sub.out"
sort -s -t: -k1,1n "$D/srun.out" | sed -E 's/^ *[0-9]+: //' > "$D/pubs.log"
"$MQTTBENCH" merge "$D/pubs.log" "$D/sub.json" -o "$D/total.json" > "$D/merge.out" 2>&1
rc=$?
[ "$rc" = 0 ] || cat "$D/merge.out"
check_eq "merge of srun's output and the sub's result: exits 0" 0 "$rc"
json_load "$D/total.json"
check_eq "merged: published, received, lost, duplicates (5 publishers, 3001 messages)" "3001 3001 0 0 true" \
    "${J[publish.messages]} ${J[subscribe.messages]} ${J[subscribe.lost]} ${J[subscribe.duplicates]} ${J[subscribe.lost_exact]}"
check_eq "merged: the 3 tasks were shards 0, 1 and 2 of 3 (SLURM_PROCID, SLURM_NTASKS)" "0/3 1/3 2/3" \
    "$(python3 - "$D/pubs.log" << 'EOF'
import json, sys
text, dec, out, i = open(sys.argv[1]).read(), json.JSONDecoder(), [], 0
while (i := text.find("{\n", i)) >= 0:
    d, i = dec.raw_decode(text, i)
    out.append(f'{d["config"]["shard"]}/{d["config"]["shards"]}')
print(" ".join(sorted(out)))
EOF
)"
check_eq "merged: config is the whole run" "5 3001" "${J[config.publishers]} ${J[config.count]}"
finish
