# Ctrl-C, SIGTERM and SIGHUP: mqttbench stops within about a second, exits
# 130, and still writes complete results (status "aborted") atomically.
source tests/lib.sh
start_broker "max_queued_messages 0" || exit 1
# "Stops within 1 s"; the slack is for loaded CI machines and sanitizer builds.
LIMIT_MS=2000

# interrupt NAME SIGNAL RUN_MS ARGS...: start mqttbench ARGS in the background
# with --json into a fresh directory, send SIGNAL after RUN_MS, and check the
# exit code, how fast it left, and the result file. Leaves J loaded.
interrupt() {
    local name=$1 sig=$2 run_ms=$3; shift 3
    local dir=$TEST_TMP/$name
    mkdir -p "$dir"
    # Not under `timeout`: the signal must reach mqttbench itself. wait_exit
    # below bounds it (SIGKILL after 20 s).
    "$MQTTBENCH" "$@" --json "$dir/r.json" > "$dir/out" 2> "$dir/err" &
    local pid=$!
    sleep "$(awk -v ms="$run_ms" 'BEGIN { print ms / 1000 }')"
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid"
        fail "$name: still running when signalled" "exited $? early: $(tail -n 3 "$dir/err")"
        J=()
        return
    fi
    local t0
    t0=$(now_ms)
    kill -s "$sig" "$pid"
    wait_exit "$pid" 20000
    local took=$(( $(now_ms) - t0 ))
    check_eq "$name: exit code 130" 130 "$EXIT_RC"
    check "$name: exited within ${LIMIT_MS} ms of $sig (took $took ms)" [ "$took" -lt "$LIMIT_MS" ]
    check "$name: result file written" [ -s "$dir/r.json" ]
    check_eq "$name: no temp file left beside it" "r.json" "$(ls -A "$dir" | grep -v -x -e out -e err | xargs)"
    json_load "$dir/r.json"
    check_eq "$name: status aborted" aborted "${J[status]}"
    case "${J[error]}" in
        *interrupted*) pass "$name: error says interrupted" ;;
        *) fail "$name: error says interrupted" "error is '${J[error]}'" ;;
    esac
    check "$name: stderr says interrupted" grep -q '^mqttbench: .*interrupted' "$dir/err"
}

# Steady load at 2000 msgs/s, then the signal. SIGHUP is what a dropped ssh
# session sends: it must not lose the run either.
for case in "INT 1500" "TERM 1000" "HUP 1000"; do
    set -- $case
    sig=$1 run_ms=$2
    interrupt "both $sig" "$sig" "$run_ms" both -p "$BROKER_PORT" --duration 60s --rate 2000
    sent=${J[publish.messages]:-0}
    check "both $sig: received before the signal (${J[subscribe.messages]})" [ "${J[subscribe.messages]:-0}" -gt 0 ]
    # 2000/s for run_ms, less the start-up and connect time (which a loaded
    # machine or a sanitizer build stretches); more would mean it kept going.
    check "both $sig: published up to $((2 * run_ms)) before the signal ($sent)" \
        [ "$sent" -gt 0 -a "$sent" -le $((2 * run_ms + 2000)) ]
    check "both $sig: timeseries present" python3 -c '
import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["timeseries"] else 1)' "$TEST_TMP/both $sig/r.json"
done

# Flat out at QoS 1 with several clients: the workers are busy, not idle.
interrupt "busy INT" INT 700 both -p "$BROKER_PORT" --duration 60s --qos 1 --publishers 4 \
    --subscribers 4 --quiet
check "busy INT: published before the signal (${J[publish.messages]})" [ "${J[publish.messages]:-0}" -gt 0 ]

# Interrupted while the subscriber still drains a backlog (the broker keeps
# every message: max_queued_messages 0): what had not arrived yet is in flight,
# not lost, and the loss is not called exact (reliability #3).
interrupt "drain INT" INT 600 both -p "$BROKER_PORT" --count 50000 --backlog 0 --sub-delay 50us --quiet
dir="$TEST_TMP/drain INT"
check "drain INT: messages still in flight (${J[subscribe.in_flight]})" [ "${J[subscribe.in_flight]:-0}" -gt 0 ]
check_eq "drain INT: lost_exact false" false "${J[subscribe.lost_exact]}"
check_eq "drain INT: nothing lost (the broker dropped nothing)" 0 "${J[subscribe.lost]}"
check_eq "drain INT: received + lost + in flight = expected" "${J[subscribe.expected]}" \
    "$(( ${J[subscribe.messages]:-0} + ${J[subscribe.lost]:-0} + ${J[subscribe.in_flight]:-0} ))"
check "drain INT: no LOSS line" bash -c "! grep -q LOSS '$dir/out'"
check "drain INT: summary says what was not accounted for" \
    grep -q "${J[subscribe.in_flight]:-x} not accounted for: the run did not wait for the tail" "$dir/out"

# A subscriber that is only waiting: nothing arrives, it must still stop.
interrupt "idle sub INT" INT 700 sub -p "$BROKER_PORT" --duration 60s --quiet
check_eq "idle sub INT: received nothing" 0 "${J[subscribe.messages]}"

# A publisher alone, rate-limited (sleeping between messages).
interrupt "pub TERM" TERM 700 pub -p "$BROKER_PORT" --duration 60s --rate 100 --quiet
check "pub TERM: published before the signal (${J[publish.messages]})" [ "${J[publish.messages]:-0}" -gt 0 ]

# mqttbench itself stopped (SIGSTOP/SIGCONT, as in a VM pause): it notices the
# gap in its own polling, says so, and blames neither the broker for the
# schedule nor a stall for the silence (reliability #6). --drain-timeout 1s is
# shorter than the 2 s pause: a stall verdict would be false.
dir=$TEST_TMP/selfstop
mkdir -p "$dir"
"$MQTTBENCH" both -p "$BROKER_PORT" --duration 5s --rate 2000 --drain-timeout 1s --quiet \
    --json "$dir/r.json" > "$dir/out" 2> "$dir/err" &
pid=$!
sleep 1.5
kill -STOP "$pid"
sleep 2
kill -CONT "$pid"
wait_exit "$pid" 30000
check_eq "self stop: exit 0" 0 "$EXIT_RC"
json_load "$dir/r.json"
check_eq "self stop: status ok (not stalled)" ok "${J[status]}"
check "self stop: self_stall counted (${J[self_stall.count]})" [ "${J[self_stall.count]:-0}" -ge 1 ]
check "self stop: self_stall.total_s about 2 s (${J[self_stall.total_s]})" \
    awk "BEGIN { exit !(${J[self_stall.total_s]:-0} >= 1.5 && ${J[self_stall.total_s]:-0} <= 4) }"
check "self stop: the summary says mqttbench itself was stopped" grep -q "mqttbench itself was stopped" "$dir/out"
check "self stop: no note blames the broker" bash -c "! grep -q 'the broker did not keep up' '$dir/out'"

# Interrupted while connecting: a listener that accepts TCP but never answers
# the MQTT CONNECT, so mqttbench stays in its connect phase.
BLACKHOLE_PORT=$(free_port)
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64); time.sleep(60)' "$BLACKHOLE_PORT" &
BLACKHOLE_PID=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$BLACKHOLE_PORT") 2>/dev/null && break; sleep 0.02; done
interrupt "connecting INT" INT 500 both -p "$BLACKHOLE_PORT" --count 100 --connect-timeout 30s --quiet
check_eq "connecting INT: nothing published" 0 "${J[publish.messages]}"
# The time spent connecting (the signal comes 500 ms after the start, less
# the process's own start-up) is recorded, not 0.
check "connecting INT: phases.connect_s counts the time spent (${J[phases.connect_s]})" \
    awk "BEGIN { exit !(${J[phases.connect_s]:-0} >= 0.1) }"
# Nothing was published: expected is 0 in the JSON and in the text alike.
check_eq "connecting INT: expected 0, exact" "0 true" "${J[subscribe.expected]} ${J[subscribe.lost_exact]}"
check "connecting INT: the summary says expected 0" grep -q "delivery     expected 0 " "$TEST_TMP/connecting INT/out"
kill "$BLACKHOLE_PID" 2>/dev/null
wait "$BLACKHOLE_PID" 2>/dev/null
finish
