#!/usr/bin/env bash
# scale.sh — mqttbench at scale, on this machine, for docs/performance.md.
#
# Run from anywhere (it changes to the repo root); build first with `make`:
#   bench/scale.sh 2>&1 | tee /tmp/scale-bench.txt
# Every run uses a private mosquitto that mqttbench starts (--spawn-broker);
# mqttbench raises its own fd limit to the hard limit and the broker's to match.
#
#   (a) 10,000 concurrent connections: 5000 publishers -> 5000 subscribers in
#       pairs, QoS 1, 1 msg/s each (5000 msgs/s in all), ramped at 2500/s.
#   (b) one publisher paced at 50,000 msgs/s, QoS 0.
#   (c) the largest connection count: under `ulimit -n 1024` (binary search
#       for the largest total that passes the preflight and completes a short
#       run), then with the limits raised (C_TOTALS, refined by bisection
#       between the last total that worked and the first that did not).
#
# Environment:
#   DURATION=60          seconds of (a)            B_DURATION=30  seconds of (b)
#   PHASES="a b c"       phases to run
#   C_TOTALS="10000 20000 30000 40000"   totals tried in (c) with raised limits
#   C_GRAIN=1000         (c): stop bisecting when pass and fail are this close
#   C_DURATION=3         (c): seconds of each short run
#   BIND=127.0.0.1,127.0.0.2,127.0.0.3   (c): source addresses above BIND_ABOVE
#   BIND_ABOVE=25000     (c): totals above this use --bind-address $BIND (local ports)
#   MQTTBENCH=./mqttbench   KEEP=1 keeps the result files (path printed at the end)
#
# Exit status: 0 when the phases ran (targets met or missed: each is marked
# PASS/MISS), 1 when mqttbench is missing or a phase could not run at all.
set -euo pipefail
export LC_ALL=C.UTF-8

cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=${DURATION:-60}
B_DURATION=${B_DURATION:-30}
PHASES=${PHASES:-a b c}
C_TOTALS=${C_TOTALS:-10000 20000 30000 40000}
C_GRAIN=${C_GRAIN:-1000}
C_DURATION=${C_DURATION:-3}
BIND=${BIND:-127.0.0.1,127.0.0.2,127.0.0.3}
BIND_ABOVE=${BIND_ABOVE:-25000}
MQTTBENCH=${MQTTBENCH:-./mqttbench}
KEEP=${KEEP:-0}

# Targets.
T_CONN_RATE=2000   # (a) connect.clients_per_s >=
T_KB_CONN=20       # (a) peak RSS KiB per connection <=
T_LOST=0           # (a) subscribe.lost <=
T_RATE_ERR=1       # (b) |achieved - 50000| / 50000, percent <=

FAILED=0
BENCH_NAME=scale
# shellcheck source=bench/lib.sh
source bench/lib.sh
ROW_WIDTHS="50 18 12"
MACHINE_WIDTH=18

for v in DURATION B_DURATION C_GRAIN C_DURATION BIND_ABOVE; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[[ -x $MQTTBENCH ]] || die "$MQTTBENCH not found: run make first"

bench_init

# ------------------------------------------------------------------ helpers

# mb NAME ARGS...: mqttbench both on a private broker; result in $WORK/NAME.json,
# stdout in NAME.out, stderr in NAME.err. Sets MB_RC; prints the summary to stderr.
mb() {
	local name=$1; shift
	MB_RC=0
	local t0=$SECONDS
	log "run $name: mqttbench both --spawn-broker $*"
	timeout $(( DURATION + B_DURATION + 600 )) "$MQTTBENCH" both --spawn-broker --quiet --json "$WORK/$name.json" "$@" \
		>"$WORK/$name.out" 2>"$WORK/$name.err" || MB_RC=$?
	sed 's/^/    | /' "$WORK/$name.out" >&2
	grep -v 'started mosquitto' "$WORK/$name.err" | sed 's/^/    ! /' >&2 || true
	log "run $name: exit $MB_RC after $(( SECONDS - t0 )) s"
}

machine_info() {
	echo "== mqttbench scale: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	machine_line "cores (nproc)" "$(nproc)"
	machine_line CPU "$(cpu_model)"
	machine_line memory "$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	machine_line kernel "$(uname -srm)"
	machine_line mosquitto "$(mosquitto_version)"
	machine_line mqttbench "$("$MQTTBENCH" --version 2>/dev/null | head -n 1)"
	machine_line git "$(git_version)"
	machine_line "ulimit -n" "soft $(ulimit -Sn), hard $(ulimit -Hn) (mqttbench raises soft to hard)"
	machine_line fs.nr_open "$(cat /proc/sys/fs/nr_open 2>/dev/null || echo "$NA")"
	machine_line "local port range" "$(tr '\t' ' ' < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo "$NA")"
	machine_line net.core.somaxconn "$(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo "$NA")"
	machine_line durations "(a) ${DURATION}s, (b) ${B_DURATION}s, (c) ${C_DURATION}s per run"
}

# ------------------------------------------------------------------ (a) 10,000 connections

A_LINES=()
phase_a() {
	local f="$WORK/a.json"
	log "(a) 5000 publishers + 5000 subscribers, pairs, QoS 1, 5000 msgs/s for ${DURATION}s"
	mb a --shape pairs --publishers 5000 --subscribers 5000 --qos 1 --rate 5000 \
		--duration "${DURATION}s" --connect-rate 2500
	if [[ ! -s $f ]]; then
		A_LINES+=("$(row "(a) FAILED: no result (exit $MB_RC)" "")"); FAILED=1; return
	fi
	local status err conn clients rate fails connect_s rss pub pubrate lost dup rx exp p50 p99 p999 max sp99 ct99 util sat lag missed tsp99
	{ read -r status; read -r err; read -r conn; read -r clients; read -r rate; read -r fails
	  read -r connect_s; read -r rss; read -r pub; read -r pubrate; read -r lost; read -r dup; read -r rx; read -r exp
	  read -r p50; read -r p99; read -r p999; read -r max; read -r sp99; read -r ct99; read -r util; read -r sat
	  read -r lag; read -r missed; read -r tsp99; } < <(jf "$f" \
		'd["status"]' 'd.get("error")' 'd["connect"]["connected"]' 'd["connect"]["clients"]' \
		'd["connect"]["clients_per_s"]' 'd["connect"]["failures"]' 'd["phases"]["connect_s"]' \
		'd["resources"]["peak_rss_kb"]' 'd["publish"]["messages"]' 'd["publish"]["msgs_per_s"]' \
		'd["subscribe"]["lost"]' 'd["subscribe"]["duplicates"]' 'd["subscribe"]["messages"]' 'd["subscribe"]["expected"]' \
		'd["latency_us"]["p50"]' 'd["latency_us"]["p99"]' 'd["latency_us"]["p999"]' 'd["latency_us"]["max"]' \
		'd["service_latency_us"]["p99"]' 'd["connect"]["time_us"]["p99"]' \
		'" ".join("%.2f" % w["utilization"] for w in d["workers"])' 'str(d["generator_saturated"]).lower()' \
		'd["publish"]["max_lag_ms"]' 'd["publish"]["missed_slots"]' \
		'"first 5 s max %.0f, after that median %.0f, max %.0f" % (max([p["p99"] for p in d["timeseries"][:5]] or [0]), sorted(p["p99"] for p in d["timeseries"][5:])[len(d["timeseries"][5:])//2] if d["timeseries"][5:] else 0, max([p["p99"] for p in d["timeseries"][5:]] or [0]))')
	local kb
	kb=$(calc '%.1f' "$rss / $clients")
	A_LINES+=("$(row "(a) status" "$status" "" "$([[ $err != "$NA" ]] && echo "$err")")")
	A_LINES+=("$(row "connected / clients (failures)" "$conn / $clients ($fails)")")
	A_LINES+=("$(row "connect phase s" "$(calc '%.2f' "$connect_s")")")
	A_LINES+=("$(row "connect.clients_per_s" "$(calc '%.0f' "$rate")" ">= $T_CONN_RATE" "$(verdict "$rate" '>=' "$T_CONN_RATE")")")
	A_LINES+=("$(row "connect time p99 µs" "$(calc '%.0f' "$ct99")")")
	A_LINES+=("$(row "peak RSS KiB" "$rss")")
	A_LINES+=("$(row "  KiB per connection (/ $clients)" "$kb" "<= $T_KB_CONN" "$(verdict "$kb" '<=' "$T_KB_CONN")")")
	A_LINES+=("$(row "published (msgs/s)" "$pub ($(calc '%.0f' "$pubrate"))")")
	A_LINES+=("$(row "received / expected" "$rx / $exp")")
	A_LINES+=("$(row "subscribe.lost" "$lost" "<= $T_LOST" "$(verdict "$lost" '<=' "$T_LOST")")")
	A_LINES+=("$(row "duplicates" "$dup")")
	A_LINES+=("$(row "latency p50 / p99 / p99.9 / max ms" "$(calc '%.2f' "$p50 / 1000") / $(calc '%.1f' "$p99 / 1000") / $(calc '%.1f' "$p999 / 1000") / $(calc '%.1f' "$max / 1000")")")
	A_LINES+=("$(row "service latency p99 ms" "$(calc '%.1f' "$sp99 / 1000")")")
	A_LINES+=("$(row "per-second p99 µs" "" "" "$tsp99")")
	A_LINES+=("$(row "missed slots / max lag ms" "$missed / $(calc '%.1f' "$lag")")")
	A_LINES+=("$(row "worker utilization" "$util" "" "saturated: $sat")")
}

# ------------------------------------------------------------------ (b) paced 50k msgs/s

B_LINES=()
phase_b() {
	local f="$WORK/b.json"
	log "(b) 1 publisher -> 1 subscriber at 50,000 msgs/s, QoS 0, ${B_DURATION}s"
	mb b --rate 50000 --qos 0 --duration "${B_DURATION}s"
	if [[ ! -s $f ]]; then
		B_LINES+=("$(row "(b) FAILED: no result (exit $MB_RC)" "")"); FAILED=1; return
	fi
	local status pubrate target missed pub lag lost p50 p99 sp99 util sat
	{ read -r status; read -r pubrate; read -r target; read -r missed; read -r pub; read -r lag; read -r lost
	  read -r p50; read -r p99; read -r sp99; read -r util; read -r sat; } < <(jf "$f" \
		'd["status"]' 'd["publish"]["msgs_per_s"]' 'd["publish"]["target_msgs_per_s"]' \
		'd["publish"]["missed_slots"]' 'd["publish"]["messages"]' 'd["publish"]["max_lag_ms"]' 'd["subscribe"]["lost"]' \
		'd["latency_us"]["p50"]' 'd["latency_us"]["p99"]' 'd["service_latency_us"]["p99"]' \
		'" ".join("%.2f" % w["utilization"] for w in d["workers"])' 'str(d["generator_saturated"]).lower()')
	local errpct
	errpct=$(calc '%.3f' "(($pubrate - 50000) < 0 ? (50000 - $pubrate) : ($pubrate - 50000)) / 500")
	B_LINES+=("$(row "(b) status" "$status")")
	B_LINES+=("$(row "publish msgs/s (target $target)" "$(calc '%.1f' "$pubrate")")")
	B_LINES+=("$(row "  off target, %" "$errpct" "<= $T_RATE_ERR" "$(verdict "$errpct" '<=' "$T_RATE_ERR")")")
	B_LINES+=("$(row "published / lost" "$pub / $lost")")
	B_LINES+=("$(row "missed slots (% of published)" "$missed ($(calc '%.1f' "100 * $missed / $pub")%)")")
	B_LINES+=("$(row "max lag ms" "$(calc '%.2f' "$lag")")")
	B_LINES+=("$(row "latency p50 / p99 ms (from intended time)" "$(calc '%.2f' "$p50 / 1000") / $(calc '%.2f' "$p99 / 1000")")")
	B_LINES+=("$(row "service latency p99 ms (from send call)" "$(calc '%.2f' "$sp99 / 1000")")")
	B_LINES+=("$(row "worker utilization" "$util" "" "generator_saturated: $sat")")
}

# ------------------------------------------------------------------ (c) largest connection count

# try_total TOTAL LIMIT: a short pairs run with TOTAL clients (TOTAL/2 each side).
# LIMIT: "raised" (this shell's limits), N (`ulimit -n N`: soft and hard) or
# sN (`ulimit -Sn N`: soft only). 0 when it completed with status ok and
# nothing lost. Sets TRY_WHY (the error, or a summary).
TRY_WHY=""
try_total() {
	local total=$1 limit=$2 n=$(( $1 / 2 )) name="c-$2-$1" f rc=0 t0=$SECONDS
	f="$WORK/$name.json"
	local -a args=(both --spawn-broker --quiet --json "$f" --shape pairs --publishers "$n" --subscribers "$n"
		--count "$n" --duration "${C_DURATION}s" --connect-rate 2500)
	(( total > BIND_ABOVE )) && args+=(--bind-address "$BIND")
	if [[ $limit == raised ]]; then
		timeout 600 "$MQTTBENCH" "${args[@]}" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
	else
		local flag=-n
		[[ $limit == s* ]] && flag=-Sn
		( ulimit "$flag" "${limit#s}" && exec timeout 600 "$MQTTBENCH" "${args[@]}" ) >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
	fi
	local status lost rx err rss conn cs
	{ read -r status; read -r lost; read -r rx; read -r err; read -r rss; read -r conn; read -r cs; } < <(jf "$f" \
		'd["status"]' 'd["subscribe"]["lost"]' 'd["subscribe"]["messages"]' 'd.get("error")' \
		'd["resources"]["peak_rss_kb"]' 'd["connect"]["connected"]' 'd["phases"]["connect_s"]')
	if [[ $rc -eq 0 && $status == ok && $lost == 0 ]]; then
		TRY_WHY="ok: $conn connected in $(calc '%.1f' "$cs") s, $rx received, lost 0, peak RSS $(calc '%.0f' "$rss / 1024") MiB"
		log "  total $total (limit $limit): $TRY_WHY ($(( SECONDS - t0 )) s)"
		return 0
	fi
	if [[ $err == "$NA" || -z $err ]]; then
		err=$(grep -v 'started mosquitto' "$WORK/$name.err" | tail -n 1)
		[[ -n $err ]] || err="exit $rc, status $status, lost $lost"
	fi
	TRY_WHY="exit $rc: $err"
	log "  total $total (limit $limit): FAILED $TRY_WHY ($(( SECONDS - t0 )) s)"
	return 1
}

# bisect LIMIT PASS FAIL GRAIN: narrow PASS (a total that ran) and FAIL (one
# that did not) to within GRAIN, over even totals. Sets BIS_LO, BIS_HI and
# BISECT_WHY (the reason of the last failure seen; empty if none).
BIS_LO=0 BIS_HI=0 BISECT_WHY=""
bisect() {
	local limit=$1 grain=$4 mid
	BIS_LO=$2 BIS_HI=$3 BISECT_WHY=""
	while (( BIS_HI - BIS_LO > grain )); do
		mid=$(( (BIS_LO + BIS_HI) / 2 )); mid=$(( mid - mid % 2 ))
		(( mid <= BIS_LO )) && mid=$(( BIS_LO + 2 ))
		(( mid >= BIS_HI )) && break
		if try_total "$mid" "$limit"; then BIS_LO=$mid; else BIS_HI=$mid; BISECT_WHY=$TRY_WHY; fi
	done
}

C_LINES=()
phase_c() {
	local lo hi why first_fail=""
	log "(c) largest connection count under ulimit -n 1024 (pairs, --count = publishers, ${C_DURATION}s)"
	if try_total 2000 1024; then
		C_LINES+=("$(row "(c) ulimit -n 1024: 2000 clients passed?" "unexpected" "" "$TRY_WHY")")
	else
		first_fail=$TRY_WHY
		bisect 1024 2 2000 2
		lo=$BIS_LO hi=$BIS_HI
		why=${BISECT_WHY:-$first_fail}
		C_LINES+=("$(row "(c) ulimit -n 1024: largest total that ran" "$lo" "" "(+1 \$SYS reader)")")
		C_LINES+=("$(row "  first total that did not ($hi)" "" "" "${why:0:300}")")
	fi
	# The usual default: a soft limit of 1024 under a higher hard limit.
	if try_total 2000 s1024; then
		C_LINES+=("$(row "  ulimit -Sn 1024 (hard $(ulimit -Hn)): 2000 clients" "ok" "" "mqttbench raised its soft limit")")
	else
		C_LINES+=("$(row "  ulimit -Sn 1024 (hard $(ulimit -Hn)): 2000 clients" "failed" "" "${TRY_WHY:0:300}")")
	fi

	log "(c) raised limits: totals $C_TOTALS (soft limit $(ulimit -Sn), hard $(ulimit -Hn))"
	local last_ok=0 t fail_total="" fail_why=""
	for t in $C_TOTALS; do
		if try_total "$t" raised; then
			last_ok=$t
			C_LINES+=("$(row "(c) raised: total $t" "ok" "" "$TRY_WHY")")
		else
			fail_total=$t fail_why=$TRY_WHY
			C_LINES+=("$(row "(c) raised: total $t" "failed" "" "${TRY_WHY:0:300}")")
			break
		fi
	done
	if [[ -n $fail_total ]] && (( fail_total - last_ok > C_GRAIN )); then
		log "(c) bisecting between $last_ok and $fail_total (grain $C_GRAIN)"
		bisect raised "$last_ok" "$fail_total" "$C_GRAIN"
		lo=$BIS_LO hi=$BIS_HI
		C_LINES+=("$(row "  largest total that ran (to $C_GRAIN)" "$lo" "" "first failure at $hi")")
		[[ -n $BISECT_WHY ]] && fail_why=$BISECT_WHY
		C_LINES+=("$(row "  what stopped it" "" "" "${fail_why:0:400}")")
	elif [[ -n $fail_total ]]; then
		C_LINES+=("$(row "  largest total that ran" "$last_ok" "" "")")
	else
		C_LINES+=("$(row "  every total ran; the largest" "$last_ok" "" "")")
	fi
}

# ------------------------------------------------------------------ main

# Take the hard limit for this shell (mqttbench would anyway; bash's ulimit
# for the subshells of (c) starts from here).
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true
machine_info
for p in $PHASES; do
	case $p in
		a) phase_a ;;
		b) phase_b ;;
		c) phase_c ;;
		*) die "unknown phase '$p' (PHASES takes a, b, c)" ;;
	esac
done

echo
echo "== results"
machine_info | sed -n '2,20p' | grep -E 'cores|CPU|kernel|mosquitto|ulimit|port range'
row "metric" "value" "target" "result"
for l in "${A_LINES[@]}" "${B_LINES[@]}" "${C_LINES[@]}"; do echo "$l"; done
exit "$FAILED"
