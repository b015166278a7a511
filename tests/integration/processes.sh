# Publishers and subscribers as separate processes on one host, against a real
# mosquitto on loopback:
#   - `both --processes`: a sub and a pub child coordinated through the broker,
#     their results merged into one `both` result (shared CLOCK_MONOTONIC);
#   - a `pub`/`sub` pair whose pub clock is skewed by MQTTBENCH_TEST_CLOCK_SKEW_NS
#     (+5 ms and -5 ms): the subscriber's NTP-style offset must find the skew
#     and take it out of the latencies. Runs without network namespaces, so
#     the clock correction is tested wherever mosquitto runs.
source tests/lib.sh
# No queue limit: every message must arrive, so counts are exact and lost is 0.
start_broker "max_queued_messages 0" || exit 1

# --- both --processes ------------------------------------------------------------
M=$TEST_TMP/processes.json
timeout 60 "$MQTTBENCH" both --processes -p "$BROKER_PORT" --count 20000 --qos 1 --json "$M" --quiet \
    > "$TEST_TMP/processes.out" 2>&1
rc=$?
[ "$rc" = 0 ] || echo "both --processes output: $(tail -n 20 "$TEST_TMP/processes.out")"
check_eq "both --processes: exits 0" 0 "$rc"
json_load "$M"
check_eq "both --processes: mode, status" "both ok" "${J[mode]} ${J[status]}"
check_eq "both --processes: published" 20000 "${J[publish.messages]}"
check_eq "both --processes: received" 20000 "${J[subscribe.messages]}"
check_eq "both --processes: expected" 20000 "${J[subscribe.expected]}"
check_eq "both --processes: lost 0, exact, no duplicates" "0 true 0" \
    "${J[subscribe.lost]} ${J[subscribe.lost_exact]} ${J[subscribe.duplicates]}"
check_eq "both --processes: latency count" 20000 "${J[latency_us.count]}"
check_eq "both --processes: latency clock" CLOCK_MONOTONIC "${J[environment.latency_clock]}"
check_eq "both --processes: merged from a pub and a sub" "pub sub" \
    "$(json "$M" '" ".join(sorted(s["mode"] for s in d.get("sources", [])))' 2> /dev/null)"
# The merge keeps the first subscribing input's clock section (docs/ci.md).
check "both --processes: clock method says monotonic (${J[clock.method]:-no clock section})" \
    grep -qi monotonic <<< "${J[clock.method]:-}"

# --- both --processes under signals --------------------------------------------------
# children RUNID: PIDs of the pub and sub children of the run RUNID.
children() { pgrep -f -- "--child .*--run-id 0*$1" | xargs; }

# stop_processes NAME SIGNAL [group]: a both --processes run, signalled after
# 2 s at its PID (or its process group, as a terminal's Ctrl-C is). Checks exit
# 130, speed, the merged aborted result, and that no child is left.
stop_processes() {
    local name=$1 sig=$2 how=${3:-pid} d=$TEST_TMP/$1 run_id pid t0 took
    run_id=$(printf '6%07x' $(( ($$ + ${#name}) & 0xfffffff )))
    mkdir -p "$d"
    set -m    # its own process group, like a job started from a terminal
    "$MQTTBENCH" both --processes -p "$BROKER_PORT" --duration 60s --rate 2000 --run-id "$run_id" \
        --json "$d/r.json" > "$d/out" 2> "$d/err" &
    pid=$!
    set +m
    sleep 2
    check "$name: two children running" [ "$(children "$run_id" | wc -w)" -eq 2 ]
    t0=$(now_ms)
    if [ "$how" = group ]; then kill -s "$sig" -- "-$pid"; else kill -s "$sig" "$pid"; fi
    wait_exit "$pid" 20000
    took=$(( $(now_ms) - t0 ))
    check_eq "$name: exit 130" 130 "$EXIT_RC"
    # two children to stop and a merge; the slack is for loaded machines
    check "$name: stopped within 6 s (took $took ms)" [ "$took" -lt 6000 ]
    json_load "$d/r.json"
    check_eq "$name: merged result aborted" "both aborted" "${J[mode]} ${J[status]}"
    check "$name: published before the signal (${J[publish.messages]})" [ "${J[publish.messages]:-0}" -gt 0 ]
    case "${J[error]}" in
        *interrupted*) pass "$name: error says interrupted" ;;
        *) fail "$name: error says interrupted" "error is '${J[error]}'" ;;
    esac
    # Once it named /tmp/mqttbench-processes-XXXX/pub.json, gone by then.
    if { cat "$d/err"; echo "${J[error]}"; } | grep -q 'mqttbench-processes'; then
        fail "$name: no temp path in the messages" "$(grep mqttbench-processes "$d/err") / ${J[error]}"
    else
        pass "$name: no temp path in the messages"
    fi
    check_eq "$name: no child left" "" "$(children "$run_id")"
}
stop_processes "processes TERM to the PID" TERM
stop_processes "processes HUP to the PID" HUP
stop_processes "processes INT to the group" INT group

# The parent killed outright: its children stop with it, and nothing they
# wrote stays on disk.
d=$TEST_TMP/processes-kill
mkdir -p "$d"
run_id=7badc0de
"$MQTTBENCH" both --processes -p "$BROKER_PORT" --duration 60s --rate 2000 --run-id "$run_id" \
    --json "$d/r.json" > "$d/out" 2> "$d/err" &
pid=$!
sleep 2
kids=$(children "$run_id")
check "processes KILL: two children running" [ "$(wc -w <<< "$kids")" -eq 2 ]
# Where the children write their results (their --json).
written=$(for k in $kids; do tr '\0' '\n' < "/proc/$k/cmdline" | grep -A1 -x -- --json | tail -n 1; done | sort -u)
kill -KILL "$pid"
wait "$pid" 2> /dev/null
for k in $kids; do
    wait_exit "$k" 5000 2> /dev/null    # not our child: waits for it to vanish, SIGKILL after 5 s
    check "processes KILL: child $k exits with the parent" [ "$EXIT_RC" != timeout ]
done
for w in $written; do
    case "$w" in
        /proc/self/fd/*) pass "processes KILL: nothing on disk ($w is a pipe)" ;;
        *) check "processes KILL: $(dirname "$w") removed" [ ! -e "$(dirname "$w")" ] ;;
    esac
done

# --- both --processes: options and output ---------------------------------------------
# Every --bind-address reaches the children (once they got only the first).
d=$TEST_TMP/processes-bind
mkdir -p "$d"
timeout 60 "$MQTTBENCH" both --processes -p "$BROKER_PORT" --publishers 2 --subscribers 2 --count 2000 \
    --bind-address 127.0.0.1,127.0.0.2 --json "$d/r.json" --quiet > "$d/out" 2> "$d/err"
check_eq "processes bind A,B: exits 0" 0 "$?"
check "processes bind A,B: the broker saw connections from 127.0.0.2" \
    grep -q 'New connection from 127\.0\.0\.2' "$TEST_TMP/mosquitto.log"
# --json -: the merged result alone on stdout; the children's summaries on stderr.
(cd "$d" && timeout 60 "$MQTTBENCH" both --processes -p "$BROKER_PORT" --count 2000 --json - --quiet \
    > stdout 2> stderr)
check_eq "processes json -: exits 0" 0 "$?"
check "processes json -: no file named -" [ ! -e "$d/-" ]
check_eq "processes json -: stdout is the merged result" "both ok 2000" \
    "$(json "$d/stdout" '"%s %s %d" % (d["mode"], d["status"], d["subscribe"]["messages"])')"
check "processes json -: summaries on stderr" grep -q "combined result .*: standard output" "$d/stderr"

# --- pub/sub pair with a skewed pub clock -------------------------------------------
# skewed_pair NAME SKEW_NS: a sub and a pub (clock shifted by SKEW_NS) of one
# run at QoS 1, 20000 messages at 10k/s. Sets S (the sub's result), PUB_RC, SUB_RC.
skewed_pair() {
    local name=$1 skew=$2
    local run_id
    run_id=$(printf '5%07x' $(( ($$ + ${#name}) & 0xfffffff )))
    S=$TEST_TMP/$name.sub.json
    timeout 60 "$MQTTBENCH" sub -p "$BROKER_PORT" --run-id "$run_id" --expect-publishers 1 --qos 1 \
        --json "$S" --quiet > "$TEST_TMP/$name.sub.out" 2> "$TEST_TMP/$name.sub.err" &
    local sub_pid=$!
    MQTTBENCH_TEST_CLOCK_SKEW_NS=$skew timeout 60 "$MQTTBENCH" pub -p "$BROKER_PORT" --run-id "$run_id" \
        --wait-subscribers 1 --wait-timeout 20s --qos 1 --count 20000 --rate 10000 \
        --json "$TEST_TMP/$name.pub.json" --quiet > "$TEST_TMP/$name.pub.out" 2> "$TEST_TMP/$name.pub.err" &
    local pub_pid=$!
    wait "$pub_pid"; PUB_RC=$?
    wait "$sub_pid"; SUB_RC=$?
    [ "$PUB_RC" = 0 ] || echo "pub stderr ($name): $(tail -n 5 "$TEST_TMP/$name.pub.err")"
    [ "$SUB_RC" = 0 ] || echo "sub stderr ($name): $(tail -n 5 "$TEST_TMP/$name.sub.err")"
}

# near NAME VALUE TARGET SLACK: PASS when |VALUE - TARGET| <= SLACK.
near() {
    if python3 -c 'import sys; v, t, s = map(float, sys.argv[1:]); sys.exit(0 if abs(v - t) <= s else 1)' \
        "${2:-nan}" "$3" "$4" 2> /dev/null; then pass "$1"; else fail "$1" "got ${2:-nothing}, not within $4 of $3"; fi
}
# between NAME VALUE LO HI: PASS when LO < VALUE < HI.
between() {
    if python3 -c 'import sys; v, lo, hi = map(float, sys.argv[1:]); sys.exit(0 if lo < v < hi else 1)' \
        "${2:-nan}" "$3" "$4" 2> /dev/null; then pass "$1"; else fail "$1" "got ${2:-nothing}, not in ($3, $4)"; fi
}

# check_skew NAME EXPECTED_OFFSET_US: the sub's measured offset is
# EXPECTED_OFFSET_US within max(its uncertainty, 200 us), and the corrected
# latency p50 is in (0, 5000) us. Uncorrected, a +5 ms pub clock gives
# latencies near -5 ms (p50 0, all negative) and a -5 ms one latencies above 5 ms.
check_skew() {
    local name=$1 want=$2 slack
    check_eq "$name: pub and sub exit 0" "0 0" "$PUB_RC $SUB_RC"
    json_load "$S"
    check_eq "$name: received, lost" "20000 0" "${J[subscribe.messages]} ${J[subscribe.lost]}"
    echo "$name: clock offset ${J[clock.offset_us]} us +- ${J[clock.uncertainty_us]} us, drift ${J[clock.drift_us]} us," \
        "${J[clock.samples]} samples; latency p50 ${J[latency_us.p50]} us, negative ${J[latency_us.negative]}"
    slack=$(python3 -c 'import sys; print(max(float(sys.argv[1]), 200))' "${J[clock.uncertainty_us]:-0}" 2> /dev/null || echo 200)
    near "$name: clock offset $want us within max(uncertainty, 200 us)" "${J[clock.offset_us]}" "$want" "$slack"
    check "$name: clock samples >= 32 (${J[clock.samples]})" [ "${J[clock.samples]:-0}" -ge 32 ]
    between "$name: corrected latency p50 in (0, 5000) us" "${J[latency_us.p50]}" 0 5000
}

skewed_pair ahead 5000000
check_skew "pub clock 5 ms ahead" -5000
skewed_pair behind -5000000
check_skew "pub clock 5 ms behind" 5000
finish
