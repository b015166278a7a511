# The control plane's failure modes: nobody announces, overlapping index ranges.
source tests/lib.sh
start_broker "max_queued_messages 0" || exit 1

# A subscriber waiting for publishers that never come fails after --wait-timeout.
t0=$(now_ms)
timeout 30 "$MQTTBENCH" sub -p "$BROKER_PORT" --run-id 5151 --expect-publishers 1 --wait-timeout 1500ms \
    --json "$TEST_TMP/none.json" --quiet > "$TEST_TMP/none.out" 2> "$TEST_TMP/none.err"
rc=$?
elapsed=$(( $(now_ms) - t0 ))
check_eq "no publisher: exit 1" 1 "$rc"
check "no publisher: gives up near the timeout" [ "$elapsed" -ge 1400 ] && [ "$elapsed" -lt 10000 ]
check_eq "no publisher: status failed" failed "$(json "$TEST_TMP/none.json" 'd["status"]')"
check "no publisher: says who did not announce" grep -q "announced themselves" "$TEST_TMP/none.err"

# Two publishing processes with the same index range: counted as duplicates, and said.
timeout 60 "$MQTTBENCH" sub -p "$BROKER_PORT" --run-id 5252 --expect-publishers 2 \
    --json "$TEST_TMP/ov.json" --quiet > /dev/null 2>&1 &
sub=$!
sleep 0.5
timeout 60 "$MQTTBENCH" pub -p "$BROKER_PORT" --run-id 5252 --count 500 --json "$TEST_TMP/p1.json" --quiet >/dev/null 2>&1
timeout 60 "$MQTTBENCH" pub -p "$BROKER_PORT" --run-id 5252 --count 500 --id-prefix other \
    --json "$TEST_TMP/p2.json" --quiet >/dev/null 2>&1
wait "$sub"
check_eq "overlap: duplicates counted" 500 "$(json "$TEST_TMP/ov.json" 'd["subscribe"]["duplicates"]')"
check "overlap: a warning names it" python3 -c '
import json,sys; w=json.load(open(sys.argv[1]))["warnings"]
sys.exit(0 if any("overlapping publisher indexes" in x for x in w) else 1)' "$TEST_TMP/ov.json"
finish
