# --shard: N identical command lines make one run, against a real mosquitto.
# Three pub shards take their index as a Kubernetes indexed Job gives it
# (JOB_COMPLETION_INDEX, --shards 3), two sub shards as srun gives it
# (SLURM_PROCID, SLURM_NTASKS); each writes its result with --json - into its
# own log together with its summary (stdout and stderr, as `kubectl logs`
# shows a pod's), and `merge -` reads the concatenated logs from stdin.
# Then what merge refuses or warns about, and the usage errors of --shard.
source tests/lib.sh

start_broker || exit 1
B=(-h 127.0.0.1 -p "$BROKER_PORT")
R=$(printf '5%07x' $(($$ & 0xfffffff)))
# The whole run: 5 publishers, 3001 messages (quotas 601, 600, 600, 600, 600),
# 2 subscribers that each receive everything.
WHOLE=(--run-id "$R" -q 1 --publishers 5 --count 3001 --rate 3000)

pids=()
for i in 0 1; do
    env SLURM_PROCID=$i SLURM_NTASKS=2 timeout 60 "$MQTTBENCH" sub "${B[@]}" --run-id "$R" -q 1 --subscribers 2 \
        --shard auto --expect-publishers 3 --json - > "$TEST_TMP/sub$i.log" 2>&1 &
    pids+=($!)
done
for i in 0 1 2; do
    env JOB_COMPLETION_INDEX=$i timeout 60 "$MQTTBENCH" pub "${B[@]}" "${WHOLE[@]}" --shard auto --shards 3 \
        --wait-subscribers 2 --json - > "$TEST_TMP/pub$i.log" 2>&1 &
    pids+=($!)
done
rcs=""
for p in "${pids[@]}"; do wait "$p"; rcs="$rcs $?"; done
check_eq "5 shards: every process exits 0" " 0 0 0 0 0" "$rcs"
[ "$rcs" = " 0 0 0 0 0" ] || tail -n 5 "$TEST_TMP"/*.log

# Each log: the result (stdout) and the summary (stderr); pull the result out.
for f in sub0 sub1 pub0 pub1 pub2; do
    python3 - "$TEST_TMP/$f.log" "$TEST_TMP/$f.json" <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
start = text.index("{\n")
doc, _ = json.JSONDecoder().raw_decode(text[start:])
json.dump(doc, open(sys.argv[2], "w"))
EOF
done
shares=""
for i in 0 1 2; do
    json_load "$TEST_TMP/pub$i.json"
    shares="$shares ${J[publish.publishers]}/${J[publish.messages]}/${J[publish.target_msgs_per_s]}"
done
check_eq "pub shards: publishers, messages and rate of each (5 publishers, 3001 messages, 3000/s)" \
    " 2/1201/1200 2/1200/1200 1/600/600" "$shares"
json_load "$TEST_TMP/pub1.json"
check_eq "pub shard 1: config holds the whole run and the shard" "5 3001 3000 0 mqttbench 1 3" \
    "${J[config.publishers]} ${J[config.count]} ${J[config.rate]} ${J[config.first_publisher]} ${J[config.id_prefix]} ${J[config.shard]} ${J[config.shards]}"
json_load "$TEST_TMP/sub1.json"
check_eq "sub shard 1: 1 of 2 subscribers, received everything, lost 0" "1 3001 3001 0 true 1 2" \
    "${J[subscribe.subscribers]} ${J[subscribe.messages]} ${J[subscribe.expected]} ${J[subscribe.lost]} ${J[subscribe.lost_exact]} ${J[config.shard]} ${J[config.shards]}"

# merge from one stream on stdin: the five logs one after the other.
cat "$TEST_TMP"/pub*.log "$TEST_TMP"/sub*.log > "$TEST_TMP/all.log"
M=$TEST_TMP/merged.json
"$MQTTBENCH" merge - -o "$M" < "$TEST_TMP/all.log" > "$TEST_TMP/merge.out" 2> "$TEST_TMP/merge.err"
rc=$?
[ "$rc" = 0 ] || cat "$TEST_TMP/merge.err"
check_eq "merge - (5 logs on stdin): exits 0" 0 "$rc"
check "merge -: says how many results it read and what text it skipped" \
    grep -q "^mqttbench merge: -: 5 results; [0-9]* lines of other text skipped" "$TEST_TMP/merge.err"
json_load "$M"
check_eq "merged: mode, published, received (2 subscribers x 3001), lost, duplicates" "both 3001 6002 0 0" \
    "${J[mode]} ${J[publish.messages]} ${J[subscribe.messages]} ${J[subscribe.lost]} ${J[subscribe.duplicates]}"
check_eq "merged: config is the whole run (5 publishers, 2 subscribers, 3001, 3000/s), shard 0 of 1" \
    "5 2 3001 3000 0 1" \
    "${J[config.publishers]} ${J[config.subscribers]} ${J[config.count]} ${J[config.rate]} ${J[config.shard]} ${J[config.shards]}"
check_eq "merged: 5 sources, named by stream and line" 5 "$(json "$M" 'len([s for s in d["sources"] if s["path"].startswith("<stdin>:")])')"
check_eq "merged: no warning" "[]" "$(json "$M" 'd.get("warnings", [])')"

# The same from files, and -o - (the result on stdout, the line on stderr).
"$MQTTBENCH" merge "$TEST_TMP"/pub0.json "$TEST_TMP"/pub1.json "$TEST_TMP"/pub2.json "$TEST_TMP"/sub0.json \
    "$TEST_TMP"/sub1.json -o - > "$TEST_TMP/m2.json" 2> "$TEST_TMP/m2.err"
check_eq "merge files -o -: exits 0, same counts" "0 3001 6002" \
    "$? $(json "$TEST_TMP/m2.json" 'd["publish"]["messages"]') $(json "$TEST_TMP/m2.json" 'd["subscribe"]["messages"]')"
check "merge -o -: its line on stderr" grep -q "^mqttbench merge: 5 results into -" "$TEST_TMP/m2.err"

# A missing shard: merged, with a warning that says which.
"$MQTTBENCH" merge "$TEST_TMP"/pub0.log "$TEST_TMP"/pub1.log "$TEST_TMP"/sub0.log -o "$TEST_TMP/m3.json" \
    > /dev/null 2> "$TEST_TMP/m3.err"
check_eq "a pub shard missing: merge exits 0" 0 "$?"
check "a pub shard missing: a warning names it" \
    grep -q "1 of the 3 pub shards is missing (2): the publish counts are those of the other shards" "$TEST_TMP/m3.err"
check_eq "a pub shard missing: published is what the two shards sent" 2401 \
    "$(json "$TEST_TMP/m3.json" 'd["publish"]["messages"]')"

# Two processes that ran one shard: refused (their publishers would count twice).
# a pid no process can have (above the kernel's PID_MAX_LIMIT): pid + 1 may be another input's
json_edit "$TEST_TMP/pub1.json" "$TEST_TMP/pub1b.json" 'd["environment"]["pid"] = 4194305'
"$MQTTBENCH" merge "$TEST_TMP"/pub0.json "$TEST_TMP"/pub1.json "$TEST_TMP"/pub1b.json -o "$TEST_TMP/m4.json" \
    > /dev/null 2> "$TEST_TMP/m4.err"
rc=$?
check_eq "one shard twice: merge exits 2" 2 "$rc"
check "one shard twice: says so" grep -q "are both pub shard 1 of 3" "$TEST_TMP/m4.err"
json_edit "$TEST_TMP/pub2.json" "$TEST_TMP/pub2b.json" 'd["config"]["shards"] = 4'
"$MQTTBENCH" merge "$TEST_TMP"/pub0.json "$TEST_TMP"/pub2b.json -o "$TEST_TMP/m5.json" > /dev/null 2> "$TEST_TMP/m5.err"
rc=$?
check_eq "shards of two splits: merge exits 2" 2 "$rc"
check "shards of two splits: says so" grep -q "as pub shard 0 of 3, .* as shard 2 of 4: not one split" "$TEST_TMP/m5.err"
printf '{"schema": "mqttbench.result.v1",\n' > "$TEST_TMP/cut.log"
cat "$TEST_TMP/pub0.log" "$TEST_TMP/cut.log" > "$TEST_TMP/cut2.log"
"$MQTTBENCH" merge "$TEST_TMP/cut2.log" "$TEST_TMP/pub1.json" -o "$TEST_TMP/m6.json" > /dev/null 2> "$TEST_TMP/m6.err"
rc=$?
check_eq "a stream whose last result is cut off: exit 2" 2 "$rc"
check "a cut-off result: named by its line, truncated" grep -q "cut2.log:[0-9]*: invalid JSON: unexpected end" "$TEST_TMP/m6.err"

# A result written before --shard existed (the stored baseline) still reads.
"$MQTTBENCH" compare results/baseline/standard-2core.json results/baseline/standard-2core.json > /dev/null 2> "$TEST_TMP/old.err"
check_eq "a result without config.shard (results/baseline) still reads: $(head -c 120 "$TEST_TMP/old.err")" 0 "$?"

# Usage errors: exit 2, one line, before connecting.
usage() {   # NAME WANT ENV... -- COMMAND ARGS...
    local name=$1 want=$2; shift 2
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    local cmd=$2
    shift 2
    env -u JOB_COMPLETION_INDEX -u SLURM_PROCID -u SLURM_NTASKS -u PMI_RANK -u PMI_SIZE -u OMPI_COMM_WORLD_RANK \
        -u MQTTBENCH_SHARDS "${envs[@]}" "$MQTTBENCH" "$cmd" "${B[@]}" "$@" > "$TEST_TMP/u.out" 2> "$TEST_TMP/u.err"
    local rc=$?
    if [ "$rc" = 2 ] && [ "$(wc -l < "$TEST_TMP/u.err")" = 1 ] && grep -qF -- "$want" "$TEST_TMP/u.err"; then
        pass "$name"
    else
        fail "$name" "exit $rc, stderr '$(cat "$TEST_TMP/u.err")', want exit 2 and '$want'"
    fi
}
usage "--shard auto without a launcher" "none of JOB_COMPLETION_INDEX" -- pub --shard auto
usage "--shard auto: JOB_COMPLETION_INDEX without --shards" "JOB_COMPLETION_INDEX is set but MQTTBENCH_SHARDS is not" \
    JOB_COMPLETION_INDEX=1 -- pub --shard auto --publishers 4
usage "--shard auto: SLURM_PROCID past SLURM_NTASKS" "SLURM_PROCID is 3, not below 3" \
    SLURM_PROCID=3 SLURM_NTASKS=3 -- pub --shard auto --publishers 4
usage "--shard auto: --shards disagrees with SLURM_NTASKS" "--shards 2, but SLURM_NTASKS is 3" \
    SLURM_PROCID=0 SLURM_NTASKS=3 -- pub --shard auto --shards 2 --publishers 4
usage "--shard 3/3" "shard 3 of 3 does not exist" -- pub --shard 3/3
usage "--shard 1/3 with 2 publishers" "3 shards need at least 3 publishers" -- pub --shard 1/3 --publishers 2
usage "--shard 0/65 with the control plane" "follows at most 64" -- pub --shard 0/65 --publishers 100
usage "both --shard without --host" "both needs --host and --run-id" -- both --shard 0/2 --publishers 2 --subscribers 2
usage "sweep --shard" "--shard: not with sweep" -- sweep --shard 0/2 --rates 1k,2k
usage "both --shard with --repeat" "--repeat: not with --processes" -- both --shard 0/2 --publishers 2 --subscribers 2 \
    --run-id 1 --repeat 2

# both --shard: each shard a pub and a sub process, waiting for the others'.
R=$(printf '8%07x' $(($$ & 0xfffffff)))
pids=()
for i in 0 1; do
    timeout 60 "$MQTTBENCH" both "${B[@]}" --run-id "$R" -q 1 --publishers 3 --subscribers 2 --count 2001 \
        --shard "$i/2" --quiet --json "$TEST_TMP/both$i.json" > "$TEST_TMP/both$i.out" 2>&1 &
    pids+=($!)
done
rcs=""
for p in "${pids[@]}"; do wait "$p"; rcs="$rcs $?"; done
check_eq "both --shard i/2: both shards exit 0" " 0 0" "$rcs"
[ "$rcs" = " 0 0" ] || tail -n 5 "$TEST_TMP"/both*.out
shares=""
for i in 0 1; do
    json_load "$TEST_TMP/both$i.json"
    shares="$shares ${J[mode]}:${J[config.shard]}/${J[config.shards]}:${J[publish.messages]}:${J[subscribe.messages]}:${J[subscribe.lost]}"
done
# shard 0: publishers 0-1 (2 x 667 messages) and 1 subscriber; shard 1:
# publisher 2 (667) and 1 subscriber; each subscriber receives all 2001.
check_eq "both --shard: each shard's pub share, its subscriber hears every shard" \
    " both:0/2:1334:2001:0 both:1/2:667:2001:0" "$shares"
check "both --shard: latencies on the wall clock, offsets measured to both pubs" \
    [ "$(json "$TEST_TMP/both0.json" 'str(d["clock"]["method"].startswith("NTP")) + str(len(d["clock"]["publishers"]))')" = True2 ]
"$MQTTBENCH" merge "$TEST_TMP/both0.json" "$TEST_TMP/both1.json" -o "$TEST_TMP/both.json" > /dev/null 2>&1
check_eq "both --shard: merge of the 2 shards: published, received (2 x 2001), lost, shard 0 of 1" \
    "0 2001 4002 0 0/1" "$? $(json "$TEST_TMP/both.json" '"%d %d %d %d/%d" % (d["publish"]["messages"], d["subscribe"]["messages"], d["subscribe"]["lost"], d["config"]["shard"], d["config"]["shards"])')"
finish
