#!/usr/bin/env bash
# sweep.sh — the knee of a stock mosquitto on this machine, for
# docs/performance.md: the highest paced rate at which p99 latency (from the
# scheduled send time) stays under the objective with nothing lost.
#
# Run from anywhere (it changes to the repo root); build first with `make`:
#   bench/sweep.sh 2>&1 | tee /tmp/sweep-bench.txt
# It starts a private mosquitto (the Debian package's binary, a default
# configuration) on a free loopback port and stops it on exit, then sweeps
#   1 -> 1    (one publisher, one subscriber)      at QoS 0 and QoS 1
#   100 -> 1  (--shape fan-in --publishers 100)     at QoS 0 and QoS 1
# with --find-max, and writes each result and one HTML report with all four
# curves overlaid (mqttbench report).
#
# Environment:
#   SLO='p99<10ms,loss=0'   the objective        FROM=2k TO=128k STEPS=7  the step-up
#   STEP=2s  WARMUP=500ms   each step            RESOLUTION=10%           --find-max
#   OUT=build/sweep-bench the result files and sweep.html
#   MQTTBENCH=build/mqttbench
#
# Exit status: 0 when every sweep ran (whatever its knee), 1 otherwise.
set -euo pipefail
export LC_ALL=C.UTF-8

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SLO=${SLO:-p99<10ms,loss=0}
FROM=${FROM:-2k}
TO=${TO:-128k}
STEPS=${STEPS:-7}
STEP=${STEP:-2s}
WARMUP=${WARMUP:-500ms}
RESOLUTION=${RESOLUTION:-10%}
OUT=${OUT:-build/sweep-bench}
MQTTBENCH=${MQTTBENCH:-build/mqttbench}

BENCH_NAME=sweep
# shellcheck source=bench/lib.sh
source bench/lib.sh

[[ -x $MQTTBENCH ]] || die "$MQTTBENCH not found: run make first"
mkdir -p "$OUT"
bench_init
PORT=$(free_port)
bench_broker_conf "listener $PORT 127.0.0.1" "allow_anonymous true"
bench_broker_run "$PORT"
echo "sweep.sh: mosquitto version $(mosquitto_version) on 127.0.0.1:$PORT (pid $BROKER_PID)"
echo "sweep.sh: host $(nproc) cores, $(. /etc/os-release && echo "$PRETTY_NAME"), objective $SLO"

failed=0
files=()
# sweep NAME ARGS...: one sweep into $OUT/NAME.json; its table on stdout.
sweep() {
    local name=$1
    shift
    echo
    echo "=== $name"
    local start=$SECONDS
    if "$MQTTBENCH" sweep -p "$PORT" --from "$FROM" --to "$TO" --steps "$STEPS" --find-max \
        --resolution "$RESOLUTION" --step-duration "$STEP" --warmup "$WARMUP" --slo "$SLO" "$@" \
        --quiet --json "$OUT/$name.json" > "$WORK/out" 2> "$WORK/err"; then
        sed -n '/^sweep /,$p' "$WORK/out"
        files+=("$OUT/$name.json")
    else
        echo "sweep.sh: $name failed: $(tail -n 2 "$WORK/err")"
        failed=1
    fi
    echo "($((SECONDS - start)) s)"
}

sweep 1to1-qos0 --qos 0
sweep 1to1-qos1 --qos 1
sweep 100to1-qos0 --qos 0 --shape fan-in --publishers 100 --subscribers 1
sweep 100to1-qos1 --qos 1 --shape fan-in --publishers 100 --subscribers 1

echo
echo "=== knees ($SLO)"
for f in "${files[@]}"; do
    python3 - "$f" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1])); k = d["sweep"]["knee"]
def r(v): return "-" if v is None else "%.0f" % v
print("%-14s highest passing %8s msgs/s (delivered %8s), first failing %8s msgs/s%s" % (
    os.path.basename(sys.argv[1])[:-5], r(k["max_passing_msgs_per_s"]), r(k["max_passing_delivered_msgs_per_s"]),
    r(k["first_failing_msgs_per_s"]), ", mqttbench set the pace" if k["tool_limited"] else ""))
PY
done
if [ "${#files[@]}" -gt 0 ]; then
    "$MQTTBENCH" report "${files[@]}" -o "$OUT/sweep.html"
    echo "report: $OUT/sweep.html"
fi
exit "$failed"
