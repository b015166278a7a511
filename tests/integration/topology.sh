# Who should hear whom in `both`: a subscription that matches no publisher
# topic is a usage error before anything connects, not an `ok` with 0 received.
source tests/lib.sh
start_broker || exit 1

F=$TEST_TMP/none.json
timeout 30 "$MQTTBENCH" both -p "$BROKER_PORT" -t 'mqttbench/a' --sub-topic 'mqttbench/b' -n 100 --json "$F" \
    > "$TEST_TMP/none.out" 2> "$TEST_TMP/none.err"
check_eq "filter hears nobody: exit 2" 2 "$?"
check_eq "filter hears nobody: one line" \
    "mqttbench: subscriber 0's filter 'mqttbench/b' matches no publisher topic (publisher 0 publishes to 'mqttbench/a')" \
    "$(cat "$TEST_TMP/none.err")"
check "filter hears nobody: nothing written" test ! -e "$F"

# A '.' in a topic: MQTT keeps it inside the level, RabbitMQ maps it to '/'.
timeout 30 "$MQTTBENCH" both -p "$BROKER_PORT" -t 'mqttbench/a.b' --sub-topic 'mqttbench/a/b' -n 100 \
    --json "$TEST_TMP/dot.json" > /dev/null 2> "$TEST_TMP/dot.err"
check_eq "dot: exit 2" 2 "$?"
check "dot: names RabbitMQ's mapping" grep -q "'.' is not a level separator in MQTT, though RabbitMQ maps it to '/'" \
    "$TEST_TMP/dot.err"

# Only some subscribers hear nobody: still refused, naming the first.
timeout 30 "$MQTTBENCH" both -p "$BROKER_PORT" -t 'mqttbench/%i' --sub-topic 'mqttbench/%i' --publishers 2 \
    --subscribers 3 -n 100 --json "$TEST_TMP/some.json" > /dev/null 2> "$TEST_TMP/some.err"
check_eq "subscriber 2 hears nobody: exit 2" 2 "$?"
check "subscriber 2 hears nobody: named" grep -q "subscriber 2's filter 'mqttbench/2' matches no publisher topic" \
    "$TEST_TMP/some.err"

# Each subscriber hears its own publisher: exact counts, nothing foreign.
F=$TEST_TMP/own.json
timeout 30 "$MQTTBENCH" both -p "$BROKER_PORT" -t 'mqttbench/%i' --sub-topic 'mqttbench/%i' --publishers 2 \
    --subscribers 2 -n 1000 --quiet --json "$F" > /dev/null 2>&1
check_eq "one publisher each: ok" 0 "$?"
json_load "$F"
check_eq "one publisher each: expected, received, lost, foreign" "1000 1000 0 0" \
    "${J[subscribe.expected]} ${J[subscribe.messages]} ${J[subscribe.lost]} ${J[subscribe.foreign]}"
finish
