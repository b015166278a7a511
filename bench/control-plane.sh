#!/usr/bin/env bash
# control-plane.sh — how the control plane grows with the number of shards.
#
# Run from the repo root:  bench/control-plane.sh [K ...]   (default 1 4 16 64)
#
# For each K: one mosquitto (private, free 127.0.0.1 port), one `sub`
# (--expect-publishers K) and K `pub` processes (--shard i/K of K publishers,
# 100 QoS 1 messages each, --wait-subscribers 1), all on this host, with a
# mosquitto_sub recording every control message (arrival time, topic,
# payload). From that trace:
#   barrier    time from the first pub's first start announcement until the
#              sub's ready announcement names the last pub as measured: when
#              the last pub may start publishing (the start barrier of the run)
#   per pub    barrier / K: the sub measures the publishers' clocks one after
#              another (32 answers, requests 2 ms apart)
#   sub in     control messages and bytes the sub's control client receives
#              (pub/+/+ and its clock answers), and per second of the run
#   ready max  the largest ready payload (it lists every measured publisher):
#              what each pub receives from each sub once a second
#   sub cpu    the sub's user+sys CPU seconds (its result's resources)
#   merge      wall time of `mqttbench merge` over the K+1 results
# Then MERGE_N synthetic pub shard results (copies of one real one with
# another pid and shard index) plus the sub's, merged: merge at N shards
# without N processes. Output: one table on stdout.
set -euo pipefail
export LC_ALL=C.UTF-8
MQTTBENCH=${MQTTBENCH:-./mqttbench}
MERGE_N=${MERGE_N:-"100 1000"}
KS=("$@")
[ ${#KS[@]} -gt 0 ] || KS=(1 4 16 64)
BENCH_NAME=control-plane
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init
bench_at_exit() { jobs -p | xargs -r kill 2> /dev/null; }
PORT=$(free_port)
bench_broker_conf "listener $PORT 127.0.0.1" "allow_anonymous true" "persistence false" "max_queued_messages 0"
bench_broker_run "$PORT"

printf '%6s %10s %9s %9s %11s %9s %9s %8s %8s\n' K barrier_s per_pub_s sub_msgs sub_bytes sub_B/s ready_max sub_cpu merge_s
for K in "${KS[@]}"; do
    R=$(printf '%x' $((RANDOM * 65536 + RANDOM)))
    D=$WORK/k$K
    mkdir -p "$D"
    mosquitto_sub -p "$PORT" -t "mqttbench/ctl/$(printf '%016x' "0x$R")/#" -q 1 -F '%U %t %l %p' > "$D/trace" &
    tracer=$!
    sleep 0.3
    "$MQTTBENCH" sub -p "$PORT" --run-id "$R" -q 1 --expect-publishers "$K" --threads 1 --quiet \
        --wait-timeout 300s --json "$D/sub.json" > "$D/sub.out" 2>&1 &
    sub=$!
    pids=()
    for i in $(seq 0 $((K - 1))); do
        "$MQTTBENCH" pub -p "$PORT" --run-id "$R" -q 1 --publishers "$K" --count $((K * 100)) --shard "$i/$K" \
            --wait-subscribers 1 --wait-timeout 300s --threads 1 --quiet --json "$D/pub$i.json" \
            > "$D/pub$i.out" 2>&1 &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || echo "K=$K: a pub failed: $(tail -n 1 "$D"/pub*.out | head -n 3)" >&2; done
    wait "$sub" || echo "K=$K: the sub failed: $(tail -n 2 "$D/sub.out")" >&2
    sleep 0.3
    kill "$tracer" 2> /dev/null; wait "$tracer" 2> /dev/null || true
    t0=$(date +%s.%N)
    "$MQTTBENCH" merge "$D"/pub*.json "$D/sub.json" -o "$D/merged.json" > /dev/null
    t1=$(date +%s.%N)
    python3 - "$D" "$K" "$(echo "$t1 - $t0" | bc)" << 'EOF'
import json, sys
d, K, merge_s = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
first_start, released, n, nbytes, ready_max, t_first, t_last = None, {}, 0, 0, 0, None, None
sub_id = None
for line in open(f"{d}/trace", errors="replace"):
    parts = line.rstrip("\n").split(" ", 3)
    if len(parts) < 3: continue
    t, topic, length = float(parts[0]), parts[1], int(parts[2])
    payload = parts[3] if len(parts) > 3 else ""
    kind = topic.split("/")
    t_first = t if t_first is None else t_first
    t_last = t
    if "/pub/" in topic and topic.endswith("/start") and first_start is None: first_start = t
    if "/sub/" in topic and topic.endswith("/ready"):
        ready_max = max(ready_max, length)
        try:
            for p in json.loads(payload).get("synced", []): released.setdefault(p, t)
        except ValueError: pass
    if "/pub/" in topic or "/clock/resp/" in topic:
        n += 1; nbytes += length
sub = json.load(open(f"{d}/sub.json"))
cpu = sub["resources"]["cpu_user_s"] + sub["resources"]["cpu_sys_s"]
barrier = (max(released.values()) - first_start) if released and first_start else float("nan")
span = (t_last - t_first) if t_first else 1
ok = sub["status"] == "ok" and sub["subscribe"]["lost"] == 0 and sub["subscribe"]["messages"] == K * 100
print(f"{K:6d} {barrier:10.2f} {barrier / K:9.3f} {n:9d} {nbytes:11d} {nbytes / span:9.0f} {ready_max:9d} "
      f"{cpu:8.2f} {merge_s:8.3f}{'' if ok else '  (sub not ok: ' + sub['status'] + ')'}")
EOF
done

# merge at N shards, from copies of the last K's results
last=$WORK/k${KS[-1]}
for N in $MERGE_N; do
    M=$WORK/merge$N
    mkdir -p "$M"
    python3 - "$last/pub0.json" "$last/sub.json" "$M" "$N" << 'EOF'
import json, sys
pub, sub, out, N = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], int(sys.argv[4])
for i in range(N):
    pub["environment"]["pid"] = 100000 + i
    pub["config"]["shard"], pub["config"]["shards"] = i, N
    json.dump(pub, open(f"{out}/pub{i}.json", "w"), indent=1)
EOF
    t0=$(date +%s.%N)
    "$MQTTBENCH" merge "$M"/pub*.json -o "$M/merged.json" > /dev/null
    t1=$(date +%s.%N)
    cat "$M"/pub*.json > "$M/stream.log"
    t2=$(date +%s.%N)
    "$MQTTBENCH" merge - -o "$M/merged2.json" < "$M/stream.log" > /dev/null 2>&1
    t3=$(date +%s.%N)
    printf 'merge of %d pub shard results: %.3f s from files, %.3f s from one stream (%d bytes)\n' "$N" \
        "$(echo "$t1 - $t0" | bc)" "$(echo "$t3 - $t2" | bc)" "$(stat -c %s "$M/stream.log")"
done
