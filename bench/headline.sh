#!/usr/bin/env bash
# headline.sh — the headline benchmark: mqttbench against a raw-socket ceiling.
#
# Run from the repo root (make bench does: make mqttbench bench/probe, then this):
#   bench/headline.sh
# Environment:
#   COUNT=1000000      messages for the QoS 0 phases (a) and (b)
#   QOS1_COUNT=200000  messages for each QoS 1 run (d)
#   FULL=1             also run (c): mqttbench with BIG_COUNT messages, RSS check
#   BIG_COUNT=10000000 message count for (c)
#   SUB_TIMEOUT=10     probe sub gives up after this many seconds without data
#   MQTTBENCH=./mqttbench   PROBE=bench/probe   MOSQUITTO=mosquitto
#
# One mosquitto is started on a free 127.0.0.1 port with a generated config
# (max_queued_messages left at its default of 1000) and is shared by all phases:
#   (a) probe pair: bench/probe sub + bench/probe pub, 16-byte QoS 0
#   (b) mqttbench both, same count and size, QoS 0
#   (c) FULL=1 only: mqttbench both with BIG_COUNT, peak RSS compared with (b)
#   (d) mqttbench both, QoS 1, default inflight and --inflight 1
# Broker CPU is utime+stime from /proc/PID/stat before and after each phase.
# All CPU-per-message figures divide by the number of messages published.
#
# Exit status: 0 when every phase ran (targets missed or not: this is a
# benchmark, each target is marked PASS/MISS), 1 when a phase failed to run.
set -euo pipefail

# A UTF-8 locale for the µ in the table (and '.' decimals in awk whatever the user's locale).
export LC_ALL=C.UTF-8

cd "$(dirname "${BASH_SOURCE[0]}")/.."

COUNT=${COUNT:-1000000}
QOS1_COUNT=${QOS1_COUNT:-200000}
BIG_COUNT=${BIG_COUNT:-10000000}
FULL=${FULL:-0}
SIZE=16
SUB_TIMEOUT=${SUB_TIMEOUT:-10}
MQTTBENCH=${MQTTBENCH:-./mqttbench}
PROBE=${PROBE:-bench/probe}
BENCH_NAME=headline
# shellcheck source=bench/lib.sh
source bench/lib.sh

# Targets.
T_RATE=0.90      # mqttbench received msgs/s / probe received msgs/s  >=
T_CPU=1.5        # mqttbench CPU per message / probe pair CPU per message  <=
T_QOS1=4         # QoS 1 publish msgs/s, default inflight / inflight 1  >=
T_RSS=1.10       # FULL: peak RSS at BIG_COUNT / peak RSS at COUNT  <=
T_RSS_KB=16384   # mqttbench peak RSS at COUNT, kB  <=

FAILED=0

for v in COUNT QOS1_COUNT BIG_COUNT SUB_TIMEOUT; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done

bench_init

# ------------------------------------------------------------------ results

P_RX_RATE=$NA P_RX=$NA P_LOST=$NA P_PUB_RATE=$NA P_SUB_S=$NA
P_PUB_CPU=$NA P_SUB_CPU=$NA P_PAIR_CPU=$NA P_BROKER_CPU=$NA P_DROPPED=$NA
P_STATUS="not run"
M_RX_RATE=$NA M_RX=$NA M_LOST=$NA M_CPU=$NA M_RSS=$NA M_BROKER_CPU=$NA M_DROPPED=$NA
M_STATUS="not run"
F_RX_RATE=$NA F_LOST=$NA F_RSS=$NA F_STATUS="not run (set FULL=1)"
Q_DEF=$NA Q_ONE=$NA Q_STATUS="not run"

# ------------------------------------------------------------------ (a) probe pair

phase_probe() {
	log "(a) probe pair: $COUNT x $SIZE-byte QoS 0"
	if [[ ! -x $PROBE ]]; then
		P_STATUS="FAILED: $PROBE missing (make bench/probe)"; FAILED=1; return
	fi
	local topic="mqttbench/headline/probe/$$" ready="$WORK/probe.ready"
	rm -f "$ready"
	"$PROBE" sub --host 127.0.0.1 --port "$PORT" --topic "$topic" --count "$COUNT" \
		--timeout-s "$SUB_TIMEOUT" --ready-file "$ready" \
		>"$WORK/probe-sub.out" 2>"$WORK/probe-sub.err" &
	SUB_PID=$!
	local _
	for _ in $(seq 200); do
		[[ -e $ready ]] && break
		kill -0 "$SUB_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [[ ! -e $ready ]]; then
		P_STATUS="FAILED: probe sub not ready: $(tail -n 1 "$WORK/probe-sub.err")"; FAILED=1
		kill "$SUB_PID" 2>/dev/null || true; wait "$SUB_PID" 2>/dev/null || true; SUB_PID=""
		return
	fi

	local d0 t0 t1 d1 pub_rc=0 sub_rc=0
	d0=$(sys_dropped)
	t0=$(broker_ticks)
	"$PROBE" pub --host 127.0.0.1 --port "$PORT" --topic "$topic" --count "$COUNT" --size "$SIZE" \
		>"$WORK/probe-pub.out" 2>"$WORK/probe-pub.err" || pub_rc=$?
	wait "$SUB_PID" || sub_rc=$?
	SUB_PID=""
	t1=$(broker_ticks)
	sleep 1.2                                   # let $SYS catch up (sys_interval 1)
	d1=$(sys_dropped)

	local pub sub
	pub=$(head -n 1 "$WORK/probe-pub.out" 2>/dev/null || true)
	sub=$(head -n 1 "$WORK/probe-sub.out" 2>/dev/null || true)
	log "  $pub"
	log "  $sub"
	if (( pub_rc != 0 )) || [[ -z $pub ]]; then
		P_STATUS="FAILED: probe pub: $(tail -n 1 "$WORK/probe-pub.err")"; FAILED=1; return
	fi
	if [[ -z $sub ]]; then
		P_STATUS="FAILED: probe sub: $(tail -n 1 "$WORK/probe-sub.err")"; FAILED=1; return
	fi
	(( sub_rc == 0 )) || warn "probe sub: $(tail -n 1 "$WORK/probe-sub.err")"

	P_RX=$(kv "$sub" messages)
	if [[ ! $P_RX =~ ^[0-9]+$ ]]; then
		P_STATUS="FAILED: cannot parse probe sub line: $sub"; FAILED=1; P_RX=$NA; return
	fi
	P_RX_RATE=$(kv "$sub" msgs_per_s)
	P_SUB_S=$(kv "$sub" seconds)
	P_PUB_RATE=$(kv "$pub" msgs_per_s)
	P_LOST=$(( COUNT - P_RX ))
	P_PUB_CPU=$(calc '%.3f' "($(kv "$pub" cpu_user_s) + $(kv "$pub" cpu_sys_s)) * 1e6 / $COUNT")
	P_SUB_CPU=$(calc '%.3f' "($(kv "$sub" cpu_user_s) + $(kv "$sub" cpu_sys_s)) * 1e6 / $COUNT")
	P_PAIR_CPU=$(calc '%.3f' "$P_PUB_CPU + $P_SUB_CPU")
	P_BROKER_CPU=$(broker_cpu_us "$t0" "$t1" "$COUNT")
	P_DROPPED=$(calc '%d' "$d1 - $d0")
	P_STATUS=ok
	(( sub_rc == 0 )) || P_STATUS="ok (sub timed out after $P_RX messages)"
}

# ------------------------------------------------------------------ mqttbench runs

have_mqttbench() { [[ -x $MQTTBENCH ]]; }

# run_mb NAME ARGS...: mqttbench both with --json $WORK/NAME.json; 0 on success.
run_mb() {
	local name=$1; shift
	local json="$WORK/$name.json" rc=0
	rm -f "$json"
	"$MQTTBENCH" both --host 127.0.0.1 --port "$PORT" --size "$SIZE" "$@" \
		--json "$json" --quiet >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
	if [[ ! -s $json ]]; then
		warn "mqttbench ($name) exit $rc, no JSON: $(tail -n 3 "$WORK/$name.err" | tr '\n' ' ')"
		return 1
	fi
	(( rc == 0 )) || warn "mqttbench ($name) exit $rc (JSON written; using it): $(tail -n 1 "$WORK/$name.err")"
	return 0
}

phase_mqttbench() {
	if ! have_mqttbench; then
		M_STATUS="skipped: $MQTTBENCH not found (make mqttbench)"
		log "(b) $M_STATUS"; return
	fi
	log "(b) mqttbench both: $COUNT x $SIZE-byte QoS 0"
	local d0 t0 t1 d1
	d0=$(sys_dropped)
	t0=$(broker_ticks)
	if ! run_mb mb --count "$COUNT" --qos 0; then
		M_STATUS="FAILED (see warnings)"; FAILED=1; return
	fi
	t1=$(broker_ticks)
	sleep 1.2
	d1=$(sys_dropped)
	local u s
	read -r M_RX_RATE M_RX M_LOST u s M_RSS < <(json_fields "$WORK/mb.json" \
		subscribe.msgs_per_s subscribe.messages subscribe.lost \
		resources.cpu_user_s resources.cpu_sys_s resources.peak_rss_kb)
	M_CPU=$(calc '%.3f' "($u + $s) * 1e6 / $COUNT")
	M_BROKER_CPU=$(broker_cpu_us "$t0" "$t1" "$COUNT")
	M_DROPPED=$(calc '%d' "$d1 - $d0")
	M_STATUS=ok
	log "  received $M_RX msgs at $M_RX_RATE msgs/s, lost $M_LOST, peak RSS $M_RSS kB"
}

phase_rss() {
	if [[ $FULL != 1 ]]; then
		log "(c) skipped (set FULL=1 to run mqttbench with $BIG_COUNT messages)"; return
	fi
	if ! have_mqttbench; then
		F_STATUS="skipped: $MQTTBENCH not found"; log "(c) $F_STATUS"; return
	fi
	log "(c) mqttbench both: $BIG_COUNT x $SIZE-byte QoS 0 (RSS check)"
	if ! run_mb big --count "$BIG_COUNT" --qos 0; then
		F_STATUS="FAILED (see warnings)"; FAILED=1; return
	fi
	read -r F_RX_RATE F_LOST F_RSS < <(json_fields "$WORK/big.json" \
		subscribe.msgs_per_s subscribe.lost resources.peak_rss_kb)
	F_STATUS=ok
	log "  received at $F_RX_RATE msgs/s, lost $F_LOST, peak RSS $F_RSS kB"
}

phase_qos1() {
	if ! have_mqttbench; then
		Q_STATUS="skipped: $MQTTBENCH not found"; log "(d) $Q_STATUS"; return
	fi
	log "(d) mqttbench both: $QOS1_COUNT x $SIZE-byte QoS 1, default inflight, then --inflight 1"
	if ! run_mb qos1 --count "$QOS1_COUNT" --qos 1; then
		Q_STATUS="FAILED (see warnings)"; FAILED=1; return
	fi
	if ! run_mb qos1-inflight1 --count "$QOS1_COUNT" --qos 1 --inflight 1; then
		Q_STATUS="FAILED (see warnings)"; FAILED=1; return
	fi
	read -r Q_DEF < <(json_fields "$WORK/qos1.json" publish.msgs_per_s)
	read -r Q_ONE < <(json_fields "$WORK/qos1-inflight1.json" publish.msgs_per_s)
	Q_STATUS=ok
	log "  publish msgs/s: default inflight $Q_DEF, inflight 1 $Q_ONE"
}

# ------------------------------------------------------------------ report

machine_info() {
	bench_machine "max_queued_messages default 1000"
}

report() {
	local r_rate r_cpu r_qos1 r_rss lost_note=""
	r_rate=$(calc '%.3f' "$M_RX_RATE / $P_RX_RATE")
	r_cpu=$(calc '%.3f' "$M_CPU / $P_PAIR_CPU")
	r_qos1=$(calc '%.2f' "$Q_DEF / $Q_ONE")
	r_rss=$(calc '%.3f' "$F_RSS / $M_RSS")
	if [[ $M_LOST =~ ^[0-9]+$ && $M_RX =~ ^[0-9]+$ ]]; then
		if (( M_LOST == COUNT - M_RX )); then lost_note="(= count - received)"
		else lost_note="(count - received = $(( COUNT - M_RX )): inconsistent)"; fi
	fi

	echo
	echo "== mqttbench headline: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	machine_info
	echo "  workload       $COUNT x $SIZE-byte QoS 0, 1 publisher -> 1 subscriber; QoS 1: $QOS1_COUNT"
	echo "  CPU figures are µs of CPU time per message published."
	echo
	row "phase / metric" "value" "target" "result"
	echo "  (a) probe pair: $P_STATUS"
	row "probe received msgs/s" "$P_RX_RATE"
	row "probe received / lost" "$P_RX / $P_LOST"
	row "probe sub seconds (first to last message)" "$P_SUB_S"
	row "probe pub msgs/s (to broker close)" "$P_PUB_RATE"
	row "probe pub CPU µs/msg" "$P_PUB_CPU"
	row "probe sub CPU µs/msg" "$P_SUB_CPU"
	row "probe pair CPU µs/msg" "$P_PAIR_CPU"
	row "broker CPU µs/msg during (a)" "$P_BROKER_CPU"
	row "broker \$SYS dropped during (a)" "$P_DROPPED"
	echo "  (b) mqttbench QoS 0: $M_STATUS"
	row "mqttbench received msgs/s" "$M_RX_RATE"
	row "  ratio mqttbench / probe" "$r_rate" ">= $T_RATE" "$(verdict "$r_rate" '>=' "$T_RATE")"
	row "mqttbench received / lost" "$M_RX / $M_LOST" "" "$lost_note"
	row "mqttbench CPU µs/msg" "$M_CPU"
	row "  ratio mqttbench / probe pair" "$r_cpu" "<= $T_CPU" "$(verdict "$r_cpu" '<=' "$T_CPU")"
	row "broker CPU µs/msg during (b)" "$M_BROKER_CPU"
	row "broker \$SYS dropped during (b)" "$M_DROPPED"
	row "mqttbench peak RSS kB" "$M_RSS" "<= $T_RSS_KB" "$(verdict "$M_RSS" '<=' "$T_RSS_KB")"
	echo "  (c) mqttbench $BIG_COUNT messages: $F_STATUS"
	if [[ $F_STATUS == ok ]]; then
		row "received msgs/s / lost" "$F_RX_RATE / $F_LOST"
		row "peak RSS kB" "$F_RSS"
		row "  ratio to peak RSS at $COUNT" "$r_rss" "<= $T_RSS" "$(verdict "$r_rss" '<=' "$T_RSS")"
	fi
	echo "  (d) mqttbench QoS 1: $Q_STATUS"
	row "publish msgs/s, default inflight" "$Q_DEF"
	row "publish msgs/s, --inflight 1" "$Q_ONE"
	row "  ratio default / inflight 1" "$r_qos1" ">= $T_QOS1" "$(verdict "$r_qos1" '>=' "$T_QOS1")"
	echo
}

# ------------------------------------------------------------------ main

bench_start_broker "# max_queued_messages: left at its default (1000)"
log "mosquitto pid $BROKER_PID on 127.0.0.1:$PORT (work dir $WORK)"
phase_probe
phase_mqttbench
phase_rss
phase_qos1
report
if (( FAILED )); then
	log "at least one phase failed to run (see above); targets are only judged on phases that ran"
	exit 1
fi
exit 0
