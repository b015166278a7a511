# --reconnect with separate pub and sub processes (other hosts, or `both
# --processes`): a real mosquitto is stopped mid-run and started again on the
# same port. The control plane takes a process whose connection was lost
# and made again for the same participant (mosquitto sends every client's
# will when it shuts down: the sub must not read the pub's as "it left"), each
# side announces again what the broker forgot, and the pub's end, with its
# final counts, ends the run: counts exact. A pub killed for good
# (SIGKILL) ends the sub after --wait-timeout, with one line naming it.
source tests/lib.sh

RECONNECT=(--reconnect 100ms..500ms)

# outage NAME RUN SIGNAL COUNT ARGS...: a sub and a pub of run RUN (COUNT
# messages at 2000 msgs/s, --reconnect); once the pub has sent 2000 the broker gets
# SIGNAL and comes back 1 s later. Sets PUB_RC, SUB_RC; results in
# $TEST_TMP/NAME.pub.json and NAME.sub.json.
outage() {
    local name=$1 run=$2 sig=$3 count=$4 sub pub
    shift 4
    "$MQTTBENCH" sub -p "$BROKER_PORT" --run-id "$run" --expect-publishers 1 "${RECONNECT[@]}" --quiet \
        --json "$TEST_TMP/$name.sub.json" "$@" > /dev/null 2> "$TEST_TMP/$name.sub.err" &
    sub=$!
    "$MQTTBENCH" pub -p "$BROKER_PORT" --run-id "$run" --wait-subscribers 1 --count "$count" --rate 2000 \
        "${RECONNECT[@]}" --report-every 1000 --quiet --json "$TEST_TMP/$name.pub.json" "$@" \
        > "$TEST_TMP/$name.pub.out" 2> "$TEST_TMP/$name.pub.err" &
    pub=$!
    wait_line "$TEST_TMP/$name.pub.out" "^sent 2000$" 10000 || fail "$name: the pub published" "no 'sent 2000'"
    kill "-$sig" "$BROKER_PID"
    wait "$BROKER_PID" 2>/dev/null
    sleep 1
    restart_broker
    wait_exit "$pub" 20000
    PUB_RC=$EXIT_RC
    wait_exit "$sub" 20000
    SUB_RC=$EXIT_RC
}

# --- QoS 1, persistent sessions, the broker restarted with its sessions saved --
start_broker "max_queued_messages 0" "persistence true" "persistence_location $TEST_TMP/" || exit 1
outage persist a1 TERM 5000 -q 1 --no-clean
check_eq "qos1 persistent: pub exit 0" 0 "$PUB_RC"
check_eq "qos1 persistent: sub exit 0 ($(head -c 300 "$TEST_TMP/persist.sub.err"))" 0 "$SUB_RC"
json_load "$TEST_TMP/persist.pub.json"
check_eq "qos1 persistent: pub status ok" ok "${J[status]}"
check_eq "qos1 persistent: pub published every message" 5000 "${J[publish.messages]}"
check "qos1 persistent: the pub reconnected, control client too (${J[connect.reconnects]})" \
    [ "${J[connect.reconnects]:-0}" -ge 2 ]
json_load "$TEST_TMP/persist.sub.json"
check_eq "qos1 persistent: sub status ok" ok "${J[status]}"
check "qos1 persistent: the sub reconnected, control client too (${J[connect.reconnects]})" \
    [ "${J[connect.reconnects]:-0}" -ge 2 ]
check_eq "qos1 persistent: expected is what the pub announced at its end" 5000 "${J[subscribe.expected]}"
check_eq "qos1 persistent: lost 0" 0 "${J[subscribe.lost]}"
check_eq "qos1 persistent: every message received" 5000 "${J[subscribe.messages]}"
check_eq "qos1 persistent: loss exact" true "${J[subscribe.lost_exact]}"

# --- both --processes: the same, its two processes merged -------------------
OUT=$TEST_TMP/procs.json
"$MQTTBENCH" both --processes -p "$BROKER_PORT" -q 1 --no-clean --count 5000 --rate 2000 "${RECONNECT[@]}" \
    --report-every 1000 --quiet --json "$OUT" > "$TEST_TMP/procs.out" 2> "$TEST_TMP/procs.err" &
pid=$!
wait_line "$TEST_TMP/procs.out" "^sent 2000$" 10000 || fail "both --processes: published" "no 'sent 2000'"
kill -TERM "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null
sleep 1
restart_broker
wait_exit "$pid" 25000
json_load "$OUT"
check_eq "both --processes: exit 0 ($(head -c 300 "$TEST_TMP/procs.err"))" 0 "$EXIT_RC"
check_eq "both --processes: status ok" ok "${J[status]}"
check "both --processes: both processes reconnected (${J[connect.reconnects]})" [ "${J[connect.reconnects]:-0}" -ge 4 ]
check_eq "both --processes: lost 0" 0 "${J[subscribe.lost]}"
check_eq "both --processes: every message received" "5000 5000" "${J[publish.messages]} ${J[subscribe.messages]}"
stop_broker

# --- QoS 0, clean sessions, the broker killed: loss allowed, counted exactly --
start_broker || exit 1
outage clean b2 KILL 8000 -q 0
check_eq "qos0 clean: pub exit 0" 0 "$PUB_RC"
check_eq "qos0 clean: sub exit 0 ($(head -c 300 "$TEST_TMP/clean.sub.err"))" 0 "$SUB_RC"
json_load "$TEST_TMP/clean.pub.json"
check_eq "qos0 clean: pub published every message" 8000 "${J[publish.messages]}"
json_load "$TEST_TMP/clean.sub.json"
check_eq "qos0 clean: sub status ok" ok "${J[status]}"
check_eq "qos0 clean: loss exact" true "${J[subscribe.lost_exact]}"
check_eq "qos0 clean: expected is what the pub published" 8000 "${J[subscribe.expected]}"
check_eq "qos0 clean: lost = expected - received" "$(( 8000 - ${J[subscribe.messages]:-0} ))" "${J[subscribe.lost]}"
# The pub catches up on what it could not send while down, maybe before the
# sub has resubscribed: that burst may be lost, the messages after it not.
check "qos0 clean: the sub resubscribed: messages after the outage (${J[subscribe.messages]})" \
    [ "${J[subscribe.messages]:-0}" -gt 3000 ]
check_eq "qos0 clean: no duplicates" 0 "${J[subscribe.duplicates]}"

# --- the pub ends during the outage: its end reaches the sub afterwards -----
# Its --duration runs out while the broker is down, so its end cannot go out
# then (and a broker without persistence would not keep it for the sub's new
# control client anyway). Back, the pub announces its end again.
"$MQTTBENCH" sub -p "$BROKER_PORT" --run-id d4 --expect-publishers 1 "${RECONNECT[@]}" -q 0 --drain-timeout 1s \
    --quiet --json "$TEST_TMP/late.sub.json" > /dev/null 2> "$TEST_TMP/late.sub.err" &
sub=$!
"$MQTTBENCH" pub -p "$BROKER_PORT" --run-id d4 --wait-subscribers 1 --duration 2s --rate 2000 -q 0 "${RECONNECT[@]}" \
    --report-every 1000 --quiet --json "$TEST_TMP/late.pub.json" > "$TEST_TMP/late.pub.out" 2>&1 &
pub=$!
wait_line "$TEST_TMP/late.pub.out" "^sent 1000$" 10000 || fail "pub ends in the outage: it published" "no 'sent 1000'"
kill -KILL "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null
sleep 2   # past the pub's --duration
restart_broker
wait_exit "$pub" 20000
check_eq "pub ends in the outage: pub exit 0" 0 "$EXIT_RC"
wait_exit "$sub" 20000
check_eq "pub ends in the outage: sub exit 0 ($(head -c 300 "$TEST_TMP/late.sub.err"))" 0 "$EXIT_RC"
sent=$(json "$TEST_TMP/late.pub.json" 'd["publish"]["messages"]')
json_load "$TEST_TMP/late.sub.json"
check_eq "pub ends in the outage: expected is the pub's end" "$sent" "${J[subscribe.expected]}"
check_eq "pub ends in the outage: loss exact" true "${J[subscribe.lost_exact]}"
check_eq "pub ends in the outage: received + lost = expected" "$sent" \
    "$(( ${J[subscribe.messages]:-0} + ${J[subscribe.lost]:-0} ))"

# --- a pub killed for good: the sub gives up on it after --wait-timeout -----
"$MQTTBENCH" sub -p "$BROKER_PORT" --run-id c3 --expect-publishers 1 "${RECONNECT[@]}" --wait-timeout 2s \
    --quiet --json "$TEST_TMP/dead.sub.json" > /dev/null 2> "$TEST_TMP/dead.sub.err" &
sub=$!
"$MQTTBENCH" pub -p "$BROKER_PORT" --run-id c3 --wait-subscribers 1 --count 100000 --rate 2000 "${RECONNECT[@]}" \
    --report-every 1000 --quiet --json "$TEST_TMP/dead.pub.json" > "$TEST_TMP/dead.pub.out" 2>&1 &
pub=$!
wait_line "$TEST_TMP/dead.pub.out" "^sent 1000$" 10000 || fail "pub killed: it published" "no 'sent 1000'"
t0=$(now_ms)   # before the kill: the lower bound must not lose the kill's own time
kill -9 "$pub"
wait "$pub" 2>/dev/null
wait_exit "$sub" 15000
took=$(( $(now_ms) - t0 ))
check_eq "pub killed: sub exit 1" 1 "$EXIT_RC"
check "pub killed: the sub gave up 2 s (--wait-timeout) after the will (took $took ms)" \
    [ "$took" -ge 1900 -a "$took" -lt 6000 ]
check_eq "pub killed: one line on stderr" 1 "$(grep -c . "$TEST_TMP/dead.sub.err")"
check "pub killed: it names the publisher and why" grep -q \
    "^mqttbench: publisher .*-$pub left without announcing its end: its connection to the broker ended without a DISCONNECT (killed?) and it did not come back within 2 s (--wait-timeout)" \
    "$TEST_TMP/dead.sub.err"
check_eq "pub killed: sub status failed" failed "$(json "$TEST_TMP/dead.sub.json" 'd["status"]')"

finish
