#!/usr/bin/env bash
# peers.sh — the peer benchmark (issue 10): mqttbench against MQTT.js and the
# raw-socket probe, on one private mosquitto, in interleaved rounds.
#
# Run from the repo root (make bench-peers does: make mqttbench bench/probe
# bench/rusage, then this):
#   bench/peers.sh
#   bench/peers.sh install    only install MQTT.js (make deps-test does)
# Environment:
#   ROUNDS=5            rounds; each runs every tool once, in order (A B C A B C ...)
#   COUNT=1000000       messages per run, 1 publisher -> 1 subscriber
#   SIZE=16             payload bytes
#   QOS=0               0, 1 or 2 (the probe runs at QoS 0 only)
#   TOOLS="mqttbench mqttjs probe"   which tools, in round order
#   MB_FLAGS=           extra flags for the mqttbench row (default: none)
#   MB_ALT_FLAGS=       mqttbench variants, each its own row (mqttbench-alt1, ...),
#                       separated by '|': "--threads 1 --backlog 0 --inflight 1000 | --backlog 100"
#   OUT=                also write a JSON summary there (e.g. results/peers-DATE.json)
#   SUB_TIMEOUT=10      a subscriber gives up after this many seconds without a message
#   BROKER_MAX_QUEUED=0 the broker's max_queued_messages (0: no limit; see below)
#   MQTTBENCH=./mqttbench  PROBE=bench/probe  RUSAGE=bench/rusage  MOSQUITTO=mosquitto
#   MQTTBENCH_BENCH_CACHE=bench/.cache   MQTT.js is installed (npm ci, from
#                       bench/peers/package-lock.json) into its mqttjs/ directory
#
# One mosquitto serves every run, with a stock config (Nagle on, default
# limits, see bench/lib.sh) but for max_queued_messages: mosquitto drops what
# it holds for a subscriber beyond 1000 messages (QoS 0 included), and a
# publisher without end-to-end flow control (MQTT.js, the probe, mqttbench
# with --backlog 0) then loses messages instead of being measured. The drop
# counter stays in the table as evidence. Per run it records, for every tool
# alike:
#   received msgs/s  messages received / (publisher's first send -> subscriber's
#                    last message). mqttbench: subscribe.msgs_per_s of `both`,
#                    which is that (docs/results.md, "How rates are counted");
#                    MQTT.js and probe: both processes print their ends on
#                    CLOCK_MONOTONIC.
#   lost             COUNT - received (mqttbench: subscribe.lost)
#   client CPU       user+sys of the client processes from wait4() (bench/rusage),
#                    per message received. mqttbench: the whole process; the
#                    probe: both processes whole; MQTT.js: both processes less
#                    what each spent before connecting (Node's start-up and
#                    loading MQTT.js, which each script reports).
#   broker CPU       the broker's utime+stime (/proc) across the run, per
#                    message received
#   peak RSS         ru_maxrss from wait4(); for two-process tools the sum
#   $SYS dropped     the broker's dropped-message counter across the run
# Then the medians per tool, mqttbench's ratios to each other row and the
# issue's targets, PASS or MISS.
#
# Exit status: 0 when every run ran (targets missed or not), 1 when a run
# failed, 2 on bad settings.
set -euo pipefail

export LC_ALL=C.UTF-8

cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS=${ROUNDS:-5}
COUNT=${COUNT:-1000000}
SIZE=${SIZE:-16}
QOS=${QOS:-0}
TOOLS=${TOOLS:-mqttbench mqttjs probe}
MB_FLAGS=${MB_FLAGS:-}
MB_ALT_FLAGS=${MB_ALT_FLAGS:-}
OUT=${OUT:-}
SUB_TIMEOUT=${SUB_TIMEOUT:-10}
BROKER_MAX_QUEUED=${BROKER_MAX_QUEUED:-0}
MQTTBENCH=${MQTTBENCH:-./mqttbench}
PROBE=${PROBE:-bench/probe}
RUSAGE=${RUSAGE:-bench/rusage}
MQTTJS_SRC=bench/peers
MQTTJS_CACHE=${MQTTBENCH_BENCH_CACHE:-bench/.cache}/mqttjs
[[ $MQTTJS_CACHE == /* ]] || MQTTJS_CACHE=$PWD/$MQTTJS_CACHE   # node resolves modules by path
BENCH_NAME=peers
# shellcheck source=bench/lib.sh
source bench/lib.sh

FAILED=0

[[ $BROKER_MAX_QUEUED =~ ^[0-9]+$ ]] || usage_die "BROKER_MAX_QUEUED must be a number (got '$BROKER_MAX_QUEUED')"
for v in ROUNDS COUNT SIZE SUB_TIMEOUT; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || usage_die "$v must be a positive integer (got '${!v}')"
done
[[ $QOS =~ ^[012]$ ]] || usage_die "QOS must be 0, 1 or 2 (got '$QOS')"
for t in $TOOLS; do
	[[ $t =~ ^(mqttbench|mqttjs|probe)$ ]] || usage_die "TOOLS: unknown tool '$t' (mqttbench, mqttjs, probe)"
done

# ------------------------------------------------------------------ the rows

# ROW_NAME[i], ROW_TOOL[i], ROW_FLAGS[i]: what each row of a round runs.
ROW_NAME=() ROW_TOOL=() ROW_FLAGS=()
add_row() { ROW_NAME+=("$1"); ROW_TOOL+=("$2"); ROW_FLAGS+=("$3"); }
for t in $TOOLS; do
	if [[ $t == mqttbench ]]; then add_row "$t" "$t" "$MB_FLAGS"; else add_row "$t" "$t" ""; fi
	if [[ $t == mqttbench && -n $MB_ALT_FLAGS ]]; then
		IFS='|' read -ra alts <<<"$MB_ALT_FLAGS"
		i=0
		for a in "${alts[@]}"; do
			i=$(( i + 1 ))
			read -r a <<<"$a" || true       # trim the blanks around it
			[[ -n $a ]] && add_row "mqttbench-alt$i" mqttbench "$a"
		done
	fi
done

# ------------------------------------------------------------------ MQTT.js

mqttjs_installed() {
	[[ -f $MQTTJS_CACHE/node_modules/mqtt/package.json ]] &&
		cmp -s "$MQTTJS_SRC/package-lock.json" "$MQTTJS_CACHE/package-lock.json"
}

# mqttjs_install: npm ci into the cache when the lockfile changed; prints why not.
mqttjs_install() {
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		echo "node and npm are not installed"; return 1
	fi
	mqttjs_installed && return 0
	rm -rf "$MQTTJS_CACHE"
	mkdir -p "$MQTTJS_CACHE" || { echo "cannot create $MQTTJS_CACHE"; return 1; }
	cp "$MQTTJS_SRC/package.json" "$MQTTJS_SRC/package-lock.json" "$MQTTJS_CACHE/"
	log "MQTT.js: npm ci into $MQTTJS_CACHE"
	if ! (cd "$MQTTJS_CACHE" && npm ci --no-audit --no-fund --loglevel=error >&2); then
		rm -rf "$MQTTJS_CACHE"; echo "npm ci failed"; return 1
	fi
}

# `bench/peers.sh install` installs MQTT.js only (make deps-test, the tests).
case ${1:-} in
install) why=$(mqttjs_install) || die "MQTT.js could not be installed: $why"; exit 0 ;;
"") ;;
*) usage_die "unknown argument '$1' (bench/peers.sh [install]; settings are environment variables)" ;;
esac
[[ -x $RUSAGE ]] || usage_die "$RUSAGE missing (make bench/rusage)"

bench_init

# ------------------------------------------------------------------ one run

# The result of the last run, one line of key=value for report.py.
RES=""

# errline FILE: the line of a stderr file that says what went wrong (Node
# prints its stack after the error, the probe and mqttbench one line).
errline() {
	grep -m 1 -E '^(pub|sub)\.js: |Error' "$1" 2>/dev/null || tail -n 1 "$1" 2>/dev/null || true
}

# ru FILE KEY: a value from a bench/rusage output file.
ru() { kv "$(cat "$1" 2>/dev/null || true)" "$2"; }

# run_pair NAME PUB_CMD... -- SUB_CMD...: sub in the background under
# bench/rusage, wait for its ready file ($WORK/NAME.ready, passed by the
# caller in SUB_CMD), then the pub in the foreground. Fills RES.
run_pair() {
	local name=$1; shift
	local -a pub=() sub=()
	while [[ $1 != -- ]]; do pub+=("$1"); shift; done
	shift; sub=("$@")
	local ready="$WORK/$name.ready" t0 t1 d0 d1 pub_rc=0 sub_rc=0 _
	rm -f "$ready"
	"$RUSAGE" "$WORK/$name-sub.ru" "${sub[@]}" >"$WORK/$name-sub.out" 2>"$WORK/$name-sub.err" &
	SUB_PID=$!
	for _ in $(seq 400); do
		[[ -e $ready ]] && break
		kill -0 "$SUB_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [[ ! -e $ready ]]; then
		kill "$SUB_PID" 2>/dev/null || true; wait "$SUB_PID" 2>/dev/null || true; SUB_PID=""
		RES="status=failed why=subscriber not ready"
		warn "$name: subscriber not ready: $(errline "$WORK/$name-sub.err")"
		return 1
	fi
	d0=$(sys_dropped)
	t0=$(broker_ticks)
	# In the background, so that a signal to this script is handled at once.
	"$RUSAGE" "$WORK/$name-pub.ru" "${pub[@]}" >"$WORK/$name-pub.out" 2>"$WORK/$name-pub.err" &
	PUB_PID=$!
	wait "$PUB_PID" || pub_rc=$?
	PUB_PID=""
	wait "$SUB_PID" || sub_rc=$?
	SUB_PID=""
	t1=$(broker_ticks)
	sleep 1.2                                   # let $SYS catch up (sys_interval 1)
	d1=$(sys_dropped)

	local pl sl rx
	pl=$(head -n 1 "$WORK/$name-pub.out" 2>/dev/null || true)
	sl=$(head -n 1 "$WORK/$name-sub.out" 2>/dev/null || true)
	if (( pub_rc != 0 )) || [[ -z $pl ]]; then
		RES="status=failed why=publisher exit $pub_rc"
		warn "$name: publisher failed (exit $pub_rc): $(errline "$WORK/$name-pub.err")"
		return 1
	fi
	rx=$(kv "$sl" messages)
	if [[ ! $rx =~ ^[1-9][0-9]*$ ]]; then          # none received: no rate either
		RES="status=failed why=subscriber exit $sub_rc"
		warn "$name: subscriber failed (exit $sub_rc): $(errline "$WORK/$name-sub.err")"
		return 1
	fi
	(( sub_rc == 0 )) || warn "$name: subscriber: $(errline "$WORK/$name-sub.err")"
	local startup_pub startup_sub
	startup_pub=$(kv "$pl" startup_cpu_s); [[ $startup_pub == "$NA" ]] && startup_pub=0
	startup_sub=$(kv "$sl" startup_cpu_s); [[ $startup_sub == "$NA" ]] && startup_sub=0
	RES="status=ok received=$rx lost=$(( COUNT - rx ))"
	RES+=" rate=$(calc '%.1f' "$rx / ($(kv "$sl" end_s) - $(kv "$pl" start_s))")"
	RES+=" client_cpu_s=$(calc '%.6f' "$(ru "$WORK/$name-pub.ru" cpu_user_s) + $(ru "$WORK/$name-pub.ru" cpu_sys_s) + $(ru "$WORK/$name-sub.ru" cpu_user_s) + $(ru "$WORK/$name-sub.ru" cpu_sys_s) - $startup_pub - $startup_sub")"
	RES+=" startup_cpu_s=$(calc '%.6f' "$startup_pub + $startup_sub")"
	RES+=" broker_cpu_s=$(broker_cpu_s "$t0" "$t1")"
	RES+=" peak_rss_kb=$(calc '%d' "$(ru "$WORK/$name-pub.ru" peak_rss_kb) + $(ru "$WORK/$name-sub.ru" peak_rss_kb)")"
	RES+=" sys_dropped=$(calc '%d' "$d1 - $d0")"
}

run_mqttbench() {
	local name=$1 flags=$2 json="$WORK/$1.json" rc=0 t0 t1 d0 d1
	local -a extra=()
	read -ra extra <<<"$flags"
	rm -f "$json"
	d0=$(sys_dropped)
	t0=$(broker_ticks)
	"$RUSAGE" "$WORK/$name.ru" "$MQTTBENCH" both --host 127.0.0.1 --port "$PORT" \
		--count "$COUNT" --size "$SIZE" --qos "$QOS" "${extra[@]}" --json "$json" --quiet \
		>"$WORK/$name.out" 2>"$WORK/$name.err" &
	PUB_PID=$!
	wait "$PUB_PID" || rc=$?
	PUB_PID=""
	t1=$(broker_ticks)
	sleep 1.2
	d1=$(sys_dropped)
	if [[ ! -s $json ]]; then
		RES="status=failed why=mqttbench exit $rc, no JSON"
		warn "$name: mqttbench exit $rc, no JSON: $(tail -n 2 "$WORK/$name.err" | tr '\n' ' ')"
		return 1
	fi
	(( rc == 0 )) || warn "$name: mqttbench exit $rc (JSON written; using it): $(tail -n 1 "$WORK/$name.err")"
	local rate rx lost
	read -r rate rx lost < <(json_fields "$json" subscribe.msgs_per_s subscribe.messages subscribe.lost)
	RES="status=ok received=$rx lost=$lost rate=$(calc '%.1f' "$rate")"
	RES+=" client_cpu_s=$(calc '%.6f' "$(ru "$WORK/$name.ru" cpu_user_s) + $(ru "$WORK/$name.ru" cpu_sys_s)")"
	RES+=" startup_cpu_s=0"
	RES+=" broker_cpu_s=$(broker_cpu_s "$t0" "$t1")"
	RES+=" peak_rss_kb=$(ru "$WORK/$name.ru" peak_rss_kb)"
	RES+=" sys_dropped=$(calc '%d' "$d1 - $d0")"
	(( rc == 0 )) || RES+=" why=mqttbench exit $rc"
}

# run_row I ROUND: one run of row I; appends a line to $WORK/runs.txt:
# row=NAME round=N status=ok|failed|skipped [key=value ...] [why=free text]
run_row() {
	local i=$1 round=$2 name=${ROW_NAME[$1]} tool=${ROW_TOOL[$1]} flags=${ROW_FLAGS[$1]}
	local id="$name-r$round" topic="mqttbench/peers/$name/$$/$round"
	RES=""
	case $tool in
	mqttbench)
		if [[ ! -x $MQTTBENCH ]]; then RES="status=skipped why=$MQTTBENCH missing (make mqttbench)"
		else run_mqttbench "$id" "$flags" || true; fi ;;
	mqttjs)
		if [[ -n $MQTTJS_SKIP ]]; then RES="status=skipped why=$MQTTJS_SKIP"
		else
			run_pair "$id" \
				node "$MQTTJS_SRC/pub.js" "$MQTTJS_CACHE/node_modules" 127.0.0.1 "$PORT" "$topic" "$COUNT" "$SIZE" "$QOS" -- \
				node "$MQTTJS_SRC/sub.js" "$MQTTJS_CACHE/node_modules" 127.0.0.1 "$PORT" "$topic" "$COUNT" "$QOS" "$SUB_TIMEOUT" "$WORK/$id.ready" || true
		fi ;;
	probe)
		if (( QOS != 0 )); then RES="status=skipped why=the probe publishes at QoS 0 only"
		elif [[ ! -x $PROBE ]]; then RES="status=skipped why=$PROBE missing (make bench/probe)"
		else
			run_pair "$id" \
				"$PROBE" pub --host 127.0.0.1 --port "$PORT" --topic "$topic" --count "$COUNT" --size "$SIZE" -- \
				"$PROBE" sub --host 127.0.0.1 --port "$PORT" --topic "$topic" --count "$COUNT" \
					--timeout-s "$SUB_TIMEOUT" --ready-file "$WORK/$id.ready" || true
		fi ;;
	esac
	[[ $RES == status=failed* ]] && FAILED=1
	echo "row=$name round=$round $RES" >>"$WORK/runs.txt"
	log "round $round $name: $RES"
	return 0
}

# ------------------------------------------------------------------ main

MQTTJS_SKIP=""
if [[ " $TOOLS " == *" mqttjs "* ]]; then
	if ! why=$(mqttjs_install); then
		MQTTJS_SKIP=$why
		warn "MQTT.js skipped: $why"
	fi
fi

bench_start_broker "max_queued_messages $BROKER_MAX_QUEUED"
log "mosquitto pid $BROKER_PID on 127.0.0.1:$PORT (work dir $WORK)"
: >"$WORK/runs.txt"
for (( round = 1; round <= ROUNDS; round++ )); do
	for i in "${!ROW_NAME[@]}"; do
		run_row "$i" "$round"
	done
done

{
	echo "== mqttbench peers: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	bench_machine "Nagle on, default limits but max_queued_messages $BROKER_MAX_QUEUED"
	if [[ -z $MQTTJS_SKIP && " $TOOLS " == *" mqttjs "* ]]; then
		echo "  MQTT.js        $(node -p "require('$MQTTJS_CACHE/node_modules/mqtt/package.json').version") (Node $(node --version))"
	fi
} >"$WORK/machine.txt"
for i in "${!ROW_NAME[@]}"; do
	echo "row=${ROW_NAME[$i]} tool=${ROW_TOOL[$i]} flags=${ROW_FLAGS[$i]}"
done >"$WORK/rows.txt"
python3 bench/peers/report.py --machine "$WORK/machine.txt" --rows "$WORK/rows.txt" \
	--runs "$WORK/runs.txt" --count "$COUNT" --size "$SIZE" --qos "$QOS" --rounds "$ROUNDS" \
	${OUT:+--out "$OUT"}
if (( FAILED )); then
	log "at least one run failed (see above); medians use the runs that completed"
	exit 1
fi
exit 0
