# The control plane's failure modes: nobody announces, overlapping index
# ranges, a broker without retained messages, a publisher that gives up or dies.
source tests/lib.sh
start_broker "max_queued_messages 0" || exit 1

# A subscriber waiting for publishers that never come fails after --wait-timeout.
t0=$(now_ms)
timeout 30 "$MQTTBENCH" sub -p "$BROKER_PORT" --run-id 5151 --expect-publishers 1 --wait-timeout 1500ms \
    --json "$TEST_TMP/none.json" --quiet > "$TEST_TMP/none.out" 2> "$TEST_TMP/none.err"
rc=$?
elapsed=$(( $(now_ms) - t0 ))
check_eq "no publisher: exit 1" 1 "$rc"
check "no publisher: gives up near the timeout ($elapsed ms)" test "$elapsed" -ge 1400 -a "$elapsed" -lt 10000
check_eq "no publisher: status failed" failed "$(json "$TEST_TMP/none.json" 'd["status"]')"
check "no publisher: says who did not announce" grep -q "announced themselves" "$TEST_TMP/none.err"

# Two publishing processes with the same index range: counted as duplicates, and said.
timeout 60 "$MQTTBENCH" sub -p "$BROKER_PORT" --run-id 5252 --expect-publishers 2 \
    --json "$TEST_TMP/ov.json" --quiet > /dev/null 2>&1 &
sub=$!
# Both at once: each waits for the sub to be subscribed, and then for it to
# be done, which it is only when both have ended.
timeout 60 "$MQTTBENCH" pub -p "$BROKER_PORT" --run-id 5252 --count 500 --wait-subscribers 1 \
    --json "$TEST_TMP/p1.json" --quiet >/dev/null 2>&1 &
p1=$!
timeout 60 "$MQTTBENCH" pub -p "$BROKER_PORT" --run-id 5252 --count 500 --id-prefix other --wait-subscribers 1 \
    --json "$TEST_TMP/p2.json" --quiet >/dev/null 2>&1
wait "$p1" "$sub"
check_eq "overlap: duplicates counted" 500 "$(json "$TEST_TMP/ov.json" 'd["subscribe"]["duplicates"]')"
check "overlap: a warning names it" python3 -c '
import json,sys; w=json.load(open(sys.argv[1]))["warnings"]
sys.exit(0 if any("overlapping publisher indexes" in x for x in w) else 1)' "$TEST_TMP/ov.json"

# D2: the sub heard a publisher, which then gave up at its start barrier (it
# waited for a second subscriber that never came). The sub must not wait
# forever: it fails at once and says which publisher gave up.
timeout 30 "$MQTTBENCH" sub -p "$BROKER_PORT" -q 1 --run-id 5353 --expect-publishers 1 --id-prefix sa \
    --json "$TEST_TMP/gu.sub.json" --quiet > /dev/null 2> "$TEST_TMP/gu.sub.err" &
sub=$!
sleep 0.5
timeout 30 "$MQTTBENCH" pub -p "$BROKER_PORT" -q 1 --run-id 5353 --wait-subscribers 2 --wait-timeout 2s \
    --count 1000 --id-prefix pa --json "$TEST_TMP/gu.pub.json" --quiet > /dev/null 2>&1
check_eq "publisher gave up: pub exits 1" 1 "$?"
t0=$(now_ms)
wait_exit "$sub" 8000
check_eq "publisher gave up: sub exits 1 soon after" 1 "$EXIT_RC"
check "publisher gave up: sub names it" grep -q "publisher .* gave up before publishing: start barrier" \
    "$TEST_TMP/gu.sub.err"
check_eq "publisher gave up: sub status failed" failed "$(json "$TEST_TMP/gu.sub.json" 'd["status"]')"

# A publisher killed (no DISCONNECT) while it waits: its will tells the sub.
timeout 30 "$MQTTBENCH" sub -p "$BROKER_PORT" -q 1 --run-id 5454 --expect-publishers 1 --id-prefix sk \
    --json "$TEST_TMP/kill.sub.json" --quiet > /dev/null 2> "$TEST_TMP/kill.sub.err" &
sub=$!
"$MQTTBENCH" pub -p "$BROKER_PORT" -q 1 --run-id 5454 --wait-subscribers 2 --wait-timeout 20s \
    --count 1000 --id-prefix pk --json "$TEST_TMP/kill.pub.json" --quiet > /dev/null 2>&1 &
pub=$!
sleep 2
kill -9 "$pub"
wait_exit "$sub" 8000
check_eq "publisher killed: sub exits 1" 1 "$EXIT_RC"
check "publisher killed: sub says it left without its end" grep -q "left without announcing its end" \
    "$TEST_TMP/kill.sub.err"

# D1: a broker that does not hand out retained messages (RabbitMQ 3.x sends
# them only to exact-topic subscriptions; this mosquitto refuses them). The
# pub starts 2 s before the sub: start order must not matter.
stop_broker
start_broker "max_queued_messages 0" "retain_available false" || exit 1
timeout 40 "$MQTTBENCH" pub -p "$BROKER_PORT" -q 1 --run-id 5555 --wait-subscribers 1 --wait-timeout 15s \
    --count 2000 --id-prefix pr --json "$TEST_TMP/nr.pub.json" --quiet > /dev/null 2> "$TEST_TMP/nr.pub.err" &
pub=$!
sleep 2
timeout 40 "$MQTTBENCH" sub -p "$BROKER_PORT" -q 1 --run-id 5555 --expect-publishers 1 --id-prefix sr \
    --json "$TEST_TMP/nr.sub.json" --quiet > /dev/null 2> "$TEST_TMP/nr.sub.err"
check_eq "no retained messages, pub first: sub exits 0" 0 "$?"
wait_exit "$pub" 20000
check_eq "no retained messages, pub first: pub exits 0" 0 "$EXIT_RC"
check_eq "no retained messages, pub first: every message arrived" "2000 2000 0" \
    "$(json "$TEST_TMP/nr.sub.json" '"%d %d %d" % (d["subscribe"]["messages"], d["subscribe"]["expected"], d["subscribe"]["lost"])')"
check_eq "no retained messages, pub first: clock measured" 1 \
    "$(json "$TEST_TMP/nr.sub.json" 'len(d["clock"]["publishers"])')"
finish
