#!/usr/bin/env bash
# capacity.sh — generator capacity: msgs/s per core of `mqttbench pub` and of
# `mqttbench sub`, with no broker cost in the way.
#
# Run from the repo root (make bench builds what it needs):
#   bench/capacity.sh
# Environment:
#   COUNT=2000000       messages per QoS 0 run
#   QOS1_COUNT=500000   messages per QoS 1 run
#   ROUNDS=3            runs per case; the table shows the median
#   PERF=1              also profile the worst target case with perf record and
#                       print the top of its report (PERF_DATA=FILE keeps the data)
#   MQTTBENCH=./mqttbench   NULLBROKER=bench/nullbroker
#
# Every run uses one worker thread (--threads 1) and --no-control (no control
# plane: a plain publisher or subscriber). pub publishes COUNT messages to
# bench/nullbroker, which acknowledges and discards them; sub receives COUNT
# messages from bench/nullbroker --source, which floods valid mqttbench
# messages in 64 KiB writes. Cases: QoS 0 and 1, 16 B and 1 KiB payloads.
#
# msgs/s per core = messages / (user + sys CPU seconds of the mqttbench process,
# from its result's resources: the whole process, connect and exit included).
# wall msgs/s is the result's own rate (publish.msgs_per_s, subscribe.msgs_per_s);
# on a machine with fewer free cores than two (mqttbench and the null broker)
# it is lower than the per-core figure.
#
# Target (issue 10): >= 2.5M msgs/s per core in each direction at QoS 0, 16 B.
# Exit status: 0 when every run ran (targets are marked PASS or MISS), 1 when a
# run failed, 2 for bad settings.
set -euo pipefail
export LC_ALL=C.UTF-8

cd "$(dirname "${BASH_SOURCE[0]}")/.."

COUNT=${COUNT:-2000000}
QOS1_COUNT=${QOS1_COUNT:-500000}
ROUNDS=${ROUNDS:-3}
PERF=${PERF:-0}
PERF_DATA=${PERF_DATA:-}
MQTTBENCH=${MQTTBENCH:-./mqttbench}
NULLBROKER=${NULLBROKER:-bench/nullbroker}
TARGET=2500000
BENCH_NAME=capacity
# shellcheck source=bench/lib.sh
source bench/lib.sh

for v in COUNT QOS1_COUNT ROUNDS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || usage_die "$v must be a positive integer (got '${!v}')"
done
[[ -x $MQTTBENCH ]] || usage_die "$MQTTBENCH is missing (make)"
[[ -x $NULLBROKER ]] || usage_die "$NULLBROKER is missing (make bench/nullbroker)"
if [[ $PERF == 1 ]] && ! perf stat -e task-clock true >/dev/null 2>&1; then
	usage_die "PERF=1: perf does not work here (apt-get install linux-perf; kernel.perf_event_paranoid)"
fi

bench_init

# nb_start ARGS...: a null broker on a free port; sets NB_PORT and
# BROKER_PID. Waits for the port file it writes once it listens.
nb_start() {
	rm -f "$WORK/port"
	"$NULLBROKER" -P "$WORK/port" "$@" 2>>"$WORK/nullbroker.log" &
	BROKER_PID=$!

	for _ in $(seq 1 500); do
		[[ -s $WORK/port ]] && break
		kill -0 "$BROKER_PID" 2>/dev/null || die "the null broker did not start: $(tail -n 1 "$WORK/nullbroker.log")"
		sleep 0.01
	done
	NB_PORT=$(<"$WORK/port")
}

nb_stop() {
	kill "$BROKER_PID" 2>/dev/null || true
	wait "$BROKER_PID" 2>/dev/null || true
	BROKER_PID=""
}

# mb_cmd DIR QOS SIZE N: the mqttbench command line of one case (without the
# port and the result file).
mb_cmd() {
	if [[ $1 == pub ]]; then
		echo "$MQTTBENCH pub --no-control --threads 1 --qos $2 --size $3 --count $4 --quiet"
	else
		echo "$MQTTBENCH sub --no-control --threads 1 --qos $2 --count $4 --quiet"
	fi
}

# run_case DIR QOS SIZE N OUT [PREFIX...]: one run against the null broker
# on NB_PORT; prints "messages cpu_s wall_rate per_core". PREFIX (perf record
# ...) wraps mqttbench.
run_case() {
	local dir=$1 qos=$2 size=$3 n=$4 out=$5
	shift 5
	local cmd
	cmd=$(mb_cmd "$dir" "$qos" "$size" "$n")
	# shellcheck disable=SC2086  # cmd is words
	if ! timeout 300 "$@" $cmd --port "$NB_PORT" --json "$out" >"$out.log" 2>&1; then
		die "$dir qos $qos size $size failed: $(tail -n 2 "$out.log" | tr '\n' ' ')"
	fi
	python3 - "$out" "$dir" "$n" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
side = d["publish"] if sys.argv[2] == "pub" else d["subscribe"]
n = side["messages"]
if d["status"] != "ok" or n != int(sys.argv[3]) or (sys.argv[2] == "sub" and (side["foreign"] or side["lost"])):
    sys.exit("capacity: %s: status %s, %d of %s messages, foreign %s, lost %s" % (
        sys.argv[1], d["status"], n, sys.argv[3], side.get("foreign"), side.get("lost")))
cpu = d["resources"]["cpu_user_s"] + d["resources"]["cpu_sys_s"]
print(n, "%.4f" % cpu, "%.0f" % side["msgs_per_s"], "%.0f" % (n / cpu if cpu > 0 else 0))
EOF
}

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '%-4s %-4s %6s %9s %9s %12s %14s %10s %s\n' dir qos size messages cpu_s "wall msgs/s" "msgs/s/core" target verdict
worst_ratio="" worst=""
for dir in pub sub; do
	for qos in 0 1; do
		for size in 16 1024; do
			n=$COUNT
			[[ $qos == 1 ]] && n=$QOS1_COUNT
			: >"$WORK/rounds"
			for r in $(seq 1 "$ROUNDS"); do
				# pub: one null broker for all its runs; sub: a fresh source per run.
				if [[ $dir == sub ]]; then
					nb_start --source "$n" --size "$size"
				elif [[ -z $BROKER_PID ]]; then
					nb_start
				fi
				line=$(run_case "$dir" "$qos" "$size" "$n" "$WORK/$dir-$qos-$size-$r.json") || exit 1
				echo "$line" >>"$WORK/rounds"
				[[ $dir == sub ]] && nb_stop
			done
			cpu=$(awk '{ print $2 }' "$WORK/rounds" | median)
			wall=$(awk '{ print $3 }' "$WORK/rounds" | median)
			core=$(awk '{ print $4 }' "$WORK/rounds" | median)
			target=- verdict=-
			if [[ $qos == 0 && $size == 16 ]]; then
				target=$TARGET
				verdict=$(verdict "$core" '>=' "$TARGET")
				ratio=$(awk -v c="$core" -v t="$TARGET" 'BEGIN { printf "%.6f", c / t }')
				if [[ -z $worst_ratio ]] || awk -v a="$ratio" -v b="$worst_ratio" 'BEGIN { exit !(a < b) }'; then
					worst_ratio=$ratio worst="$dir $qos $size $n"
				fi
			fi
			printf '%-4s %-4s %6s %9s %9.3f %12.0f %14.0f %10s %s\n' \
				"$dir" "$qos" "$size" "$n" "$cpu" "$wall" "$core" "$target" "$verdict"
		done
	done
	[[ -n $BROKER_PID ]] && nb_stop
done
echo "machine: $(nproc) CPUs, $(cpu_model), load $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ $PERF == 1 ]]; then
	read -r dir qos size n <<<"$worst"
	data=${PERF_DATA:-$WORK/perf.data}
	log "perf record of the worst target case: $dir, QoS $qos, $size B ($n messages) -> $data"
	if [[ $dir == sub ]]; then nb_start --source "$n" --size "$size"; else nb_start; fi
	run_case "$dir" "$qos" "$size" "$n" "$WORK/perf.json" perf record -q -g -o "$data" -- >/dev/null || exit 1
	nb_stop
	echo
	echo "perf: $(mb_cmd "$dir" "$qos" "$size" "$n"), self time by symbol (>= 1%)"
	perf report -i "$data" --stdio --no-children -g none --sort dso,symbol --percent-limit 1 -q 2>/dev/null |
		sed -e 's/[[:space:]-]*$//' | grep -v '^$' | head -40
fi
