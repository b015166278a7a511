# What the broker answered, not what was asked: SUBACK grants checked against
# the QoS requested, CONNACK refusals of MQTT 5 named. mosquitto stands in for
# the brokers that behave so (max_qos 1 grants QoS 1 to a QoS 2 subscription
# and closes a QoS 2 publisher, as RabbitMQ 3.x cannot take QoS 2 either).
source tests/lib.sh

# --- a broker that supports QoS 1 at most -----------------------------------
start_broker "max_qos 1" || exit 1
J2=$TEST_TMP/q2.json
timeout 30 "$MQTTBENCH" both -p "$BROKER_PORT" -q 2 -n 1000 --quiet --json "$J2" \
    > "$TEST_TMP/q2.out" 2> "$TEST_TMP/q2.err"
check_eq "qos 2 not granted: exit 1" 1 "$?"
check "qos 2 not granted: one line names the grant" grep -q "^mqttbench: the broker granted QoS 1 to a QoS 2 subscription (it does not support QoS 2.*use -q 1$" "$TEST_TMP/q2.err"
check_eq "qos 2 not granted: one error line" 1 "$(wc -l < "$TEST_TMP/q2.err")"
json_load "$J2"
check_eq "qos 2 not granted: failed before publishing" "failed 0" "${J[status]} ${J[publish.messages]}"
# The subscriber's SUBACK or the control client's (whichever came first; the
# run stops at the first) records the grant.
check "qos 2 not granted: JSON records the grant" python3 -c '
import json,sys; q=json.load(open(sys.argv[1]))["qos"]
sys.exit(0 if (q["subscribe"]["requested"], q["publish"]["requested"]) == (2, 2) and
         1 in (q["subscribe"]["granted"], q["publish"]["granted"]) else 1)' "$J2"
check "qos 2 not granted: the header shows what was granted" grep -q "QoS 1 (2 requested)" "$TEST_TMP/q2.out"

# Only the subscription downgraded: the run goes on, and says so.
JS=$TEST_TMP/sq2.json
timeout 30 "$MQTTBENCH" both -p "$BROKER_PORT" --pub-qos 1 --sub-qos 2 -n 1000 --quiet --json "$JS" \
    > "$TEST_TMP/sq2.out" 2> "$TEST_TMP/sq2.err"
check_eq "sub qos downgraded: exit 0" 0 "$?"
json_load "$JS"
check_eq "sub qos downgraded: every message" "ok 1000 0" "${J[status]} ${J[subscribe.messages]} ${J[subscribe.lost]}"
check_eq "sub qos downgraded: JSON" "1 1 2 1" \
    "${J[qos.publish.requested]} ${J[qos.publish.granted]} ${J[qos.subscribe.requested]} ${J[qos.subscribe.granted]}"
check "sub qos downgraded: a warning in the JSON" python3 -c '
import json,sys; w=json.load(open(sys.argv[1]))["warnings"]
sys.exit(0 if any("granted QoS 1 to the QoS 2 subscriptions" in x for x in w) else 1)' "$JS"
check "sub qos downgraded: WARNING in the summary" grep -q "WARNING .*granted QoS 1 to the QoS 2 subscriptions" "$TEST_TMP/sq2.out"
check "sub qos downgraded: header never says QoS 2 was granted" grep -q "publish QoS 1, subscribe QoS 1 (2 requested)" "$TEST_TMP/sq2.out"

# pub alone has no subscription of its own: its control client's SUBACK tells.
JP=$TEST_TMP/p2.json
timeout 30 "$MQTTBENCH" pub -p "$BROKER_PORT" -q 2 -n 100 --no-control --quiet --json "$JP" \
    > /dev/null 2> "$TEST_TMP/p2.err"
check_eq "pub qos 2 not granted: exit 1" 1 "$?"
check "pub qos 2 not granted: named before publishing" grep -q "granted QoS 1 to a QoS 2 subscription" "$TEST_TMP/p2.err"
check_eq "pub qos 2 not granted: nothing published, grant recorded" "0 2 1" \
    "$(json "$JP" '"%d %d %d" % (d["publish"]["messages"], d["qos"]["publish"]["requested"], d["qos"]["publish"]["granted"])')"
stop_broker

# --- Ctrl-C while --sub-delay sleeps ---------------------------------------------
# 20 messages of 1 s each wait in the subscriber: an interrupt must not wait
# for all of them (it used to take 20 s).
start_broker || exit 1
"$MQTTBENCH" both -p "$BROKER_PORT" --sub-delay 1s --count 20 --quiet --json "$TEST_TMP/sd.json" \
    > /dev/null 2>&1 &
pid=$!
sleep 1.5
t0=$(now_ms)
kill -INT "$pid"
wait_exit "$pid" 5000
elapsed=$(( $(now_ms) - t0 ))
check_eq "sub-delay interrupted: exit 130" 130 "$EXIT_RC"
check "sub-delay interrupted: within 2 s ($elapsed ms)" test "$elapsed" -lt 2000
check_eq "sub-delay interrupted: status aborted" aborted "$(json "$TEST_TMP/sd.json" 'd["status"]')"

# --- --sub-delay sets the pace: the NOTE names mqttbench, never the broker -------
# 1 ms a message is at most 1,000 msgs/s for the subscriber, against 3,000
# published. On one thread its waits hold the publisher back too.
"$MQTTBENCH" both -p "$BROKER_PORT" --rate 3000 --duration 1s --warmup 0 --sub-delay 1ms --threads 1 \
    --json "$TEST_TMP/sd1.json" > "$TEST_TMP/sd1.out" 2>&1
check "sub-delay, one thread: the publishers' shortfall is put on --sub-delay" \
    grep -q "in a run$" "$TEST_TMP/sd1.out"
check "sub-delay, one thread: the NOTE says mqttbench may have set the pace" \
    grep -q "mqttbench itself may have set this pace, not the broker" "$TEST_TMP/sd1.out"
"$MQTTBENCH" both -p "$BROKER_PORT" --rate 3000 --duration 1s --warmup 0 --sub-delay 1ms --threads 2 \
    --json "$TEST_TMP/sd2.json" > "$TEST_TMP/sd2.out" 2>&1
check "sub-delay, two threads: the subscribers' own pace is named" \
    grep -q "lets each take at most 1000 msgs/s, so mqttbench's own slow" "$TEST_TMP/sd2.out"
# The subscriber's thread is busy for seconds on end: the per-second points
# count it anyway (they used to drop it: 0 received, after 4,141 a second
# before), every count at least the one before and the last the total.
check "sub-delay: the timeseries counts the busy subscriber every second" python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); rx = [p["received"] for p in d["timeseries"]]
sys.exit(0 if rx[0] > 0 and all(b >= a for a, b in zip(rx, rx[1:])) and rx[-1] == d["subscribe"]["messages"] else rx)' \
    "$TEST_TMP/sd2.json"
check "sub-delay: no NOTE blames the broker (issue 8, item 4)" \
    bash -c "! grep -q 'the broker did not keep up' '$TEST_TMP/sd1.out' '$TEST_TMP/sd2.out'"
stop_broker

# --- --no-clean: the persistent sessions left behind ----------------------------
# session_left RESULT: 0 when the run's subscriber 0 still has a persistent
# session on the broker: a QoS 1 message published after the run is queued
# for it, and a client resuming its id receives that message.
session_left() {
    local id
    id=$(json "$1" '"mqttbench-%04x-s0" % (int(d["config"]["run_id"], 16) & 0xffff)')
    mosquitto_pub -p "$BROKER_PORT" -q 1 -t mqttbench/nc -m leftover
    local got
    got=$(timeout 5 mosquitto_sub -p "$BROKER_PORT" -c -i "$id" -q 1 -t mqttbench/nc -C 1 -W 2 2>/dev/null)
    mosquitto_sub -p "$BROKER_PORT" -i "$id" -t mqttbench/none -C 1 -W 1 > /dev/null 2>&1   # clean it up
    [ "$got" = leftover ]
}
start_broker || exit 1
timeout 30 "$MQTTBENCH" both -p "$BROKER_PORT" -q 1 --no-clean -n 200 -t mqttbench/nc --quiet \
    --json "$TEST_TMP/nc.json" > /dev/null 2>&1
check_eq "no-clean: ok" 0 "$?"
if session_left "$TEST_TMP/nc.json"; then fail "no-clean: no session left behind (random run id)" "it was resumed"
else pass "no-clean: no session left behind (random run id)"; fi
timeout 30 "$MQTTBENCH" both -p "$BROKER_PORT" -q 1 --no-clean -n 200 -t mqttbench/nc --run-id 4e4e --quiet \
    --json "$TEST_TMP/nc-id.json" > /dev/null 2>&1
check "no-clean --run-id: the session stays for a later run to resume" session_left "$TEST_TMP/nc-id.json"
stop_broker

# --- MQTT 5 refusals ----------------------------------------------------------
# A v5 CONNACK refusal gets its reason's name, never "unknown reason".
start_broker "allow_anonymous false" || exit 1
timeout 30 "$MQTTBENCH" both -p "$BROKER_PORT" -V 5 -n 100 --quiet --json "$TEST_TMP/v5a.json" \
    > /dev/null 2> "$TEST_TMP/v5a.err"
check_eq "v5 refused: exit 1" 1 "$?"
check "v5 refused: the reason is named" grep -q "could not connect to the broker: Not authorized (MQTT 5 reason code 135)" "$TEST_TMP/v5a.err"
check "v5 refused: no 'unknown reason'" bash -c "! grep -qi 'unknown reason' '$TEST_TMP/v5a.err'"
stop_broker

# A connection closed before any CONNACK (here: over max_connections) while
# -V 5 is set: a broker without MQTT 5 may do that (RabbitMQ 3.x does).
start_broker "max_connections 1" || exit 1
timeout 30 "$MQTTBENCH" both -p "$BROKER_PORT" -V 5 -n 100 --quiet --json "$TEST_TMP/v5c.json" \
    > /dev/null 2> "$TEST_TMP/v5c.err"
check_eq "v5 closed without CONNACK: exit 1" 1 "$?"
check "v5 closed without CONNACK: hints at MQTT 5" grep -q "no CONNACK: if the broker does not support MQTT 5, try -V 3.1.1" "$TEST_TMP/v5c.err"
timeout 30 "$MQTTBENCH" both -p "$BROKER_PORT" -n 100 --quiet --json "$TEST_TMP/v4c.json" \
    > /dev/null 2> "$TEST_TMP/v4c.err"
check "3.1.1 closed without CONNACK: no MQTT 5 hint" bash -c "! grep -q 'MQTT 5' '$TEST_TMP/v4c.err'"
finish
