# `mqttbench merge` on real result files: a `pub` and a `sub` of one run id
# merge into a `both`; two processes of one scenario merge with their
# warnings; a copy of one process's result, inputs of other scenarios and
# unusable inputs are refused; invalid UTF-8 does not reach the output.
# (That the halves of one run merge into that run, byte for byte, is unit-
# tested on typed data in tests/unit/test_merge.c.)
source tests/lib.sh
start_broker "max_queued_messages 0" || exit 1

W="$TEST_TMP/whole.json"
"$MQTTBENCH" both -p "$BROKER_PORT" --count 5000 --rate 5000 --subscribers 2 --quiet --json "$W" > /dev/null 2>&1
check_eq "a run recorded" ok "$(json "$W" 'd["status"]')"

# --- pub + sub of one run id ------------------------------------------------
start_sub() {   # ARGS...: a background `sub`; returns once it has subscribed
    timeout 60 "$MQTTBENCH" sub -p "$BROKER_PORT" --duration 30s "$@" > /dev/null 2> "$TEST_TMP/sub.err" &
    SUB_PID=$!
    for _ in $(seq 1 500); do
        grep -q '^\[' "$TEST_TMP/sub.err" 2>/dev/null && return 0
        kill -0 "$SUB_PID" 2>/dev/null || break
        sleep 0.02
    done
    fail "sub subscribed" "no progress line within 10 s: $(cat "$TEST_TMP/sub.err")"
    return 1
}
N=20000
ID=00000000000fe11a
P="$TEST_TMP/pub.json" S="$TEST_TMP/sub.json"
if start_sub --count $N --run-id $ID --subscribers 2 --json "$S"; then
    timeout 60 "$MQTTBENCH" pub -p "$BROKER_PORT" --count $N --run-id $ID --quiet --json "$P" > /dev/null 2>&1
    check_eq "pub+sub: pub exits 0" 0 "$?"
    wait_exit "$SUB_PID" 40000
    check_eq "pub+sub: sub exits 0" 0 "$EXIT_RC"
fi
stop_broker
PS="$TEST_TMP/merged/pubsub.json"
"$MQTTBENCH" merge "$S" "$P" -o "$PS" > "$TEST_TMP/merge.out" 2>&1
rc=$?
check_eq "pub+sub: merge exits 0" 0 "$rc"
[ "$rc" = 0 ] || cat "$TEST_TMP/merge.out"
check "pub+sub: summary line" grep -q "^mqttbench merge: 2 results into $PS: mode both, status ok, published $N, received $((2 * N))$" "$TEST_TMP/merge.out"
check_eq "pub+sub: no temp file left" "pubsub.json" "$(ls -A "$TEST_TMP/merged" | paste -sd' ')"
json_load "$PS"
check_eq "pub+sub: mode both" "both both" "${J[mode]} ${J[config.mode]}"
check_eq "pub+sub: publish from pub" "$(json "$P" 'd["publish"]')" "$(json "$PS" 'd["publish"]')"
check_eq "pub+sub: subscribe from sub" "$(json "$S" 'd["subscribe"]')" "$(json "$PS" 'd["subscribe"]')"
check_eq "pub+sub: latency from sub, exactly" "$(json "$S" 'd["latency_us"]')" "$(json "$PS" 'd["latency_us"]')"
check_eq "pub+sub: service latency from sub, exactly" "$(json "$S" 'd["service_latency_us"]')" \
    "$(json "$PS" 'd["service_latency_us"]')"
check_eq "pub+sub: the sub's clock" "$(json "$S" 'd["clock"]')" "$(json "$PS" 'd["clock"]')"
check_eq "pub+sub: counts" "$N $((2 * N)) 0" "${J[publish.messages]} ${J[subscribe.messages]} ${J[subscribe.lost]}"
check_eq "pub+sub: clients from each side" "1 2" "${J[config.publishers]} ${J[config.subscribers]}"
check_eq "pub+sub: sources" '[["sub", "ok", true], ["pub", "ok", true]]' \
    "$(json "$PS" '[[s["mode"], s["status"], s["pid"] > 0] for s in d["sources"]]')"
check "pub+sub: the merged timeseries ends at the totals ($(json "$PS" '[d["timeseries"][-1]["sent"], d["publish"]["messages"], d["timeseries"][-1]["received"], d["subscribe"]["messages"]]'))" python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); p = d["timeseries"][-1]
sys.exit(0 if p["received"] == d["subscribe"]["messages"] and p["sent"] <= d["publish"]["messages"] else 1)' "$PS"
"$MQTTBENCH" compare "$PS" "$PS" > /dev/null 2>&1
check_eq "pub+sub: the merged file reads back" 0 "$?"

json_edit "$S" "$TEST_TMP/sub-other.json" 'd["config"]["run_id"] = "00000000000000aa"'
"$MQTTBENCH" merge "$P" "$TEST_TMP/sub-other.json" -o "$TEST_TMP/x.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "pub+sub of other run ids: exit 2" 2 "$?"
check "pub+sub of other run ids: lists run_id" grep -q 'are not parts of one run: run_id 00000000000fe11a vs 00000000000000aa' "$TEST_TMP/err"

# --- one process twice (reliability #10) ------------------------------------
cp "$W" "$TEST_TMP/copy.json"
"$MQTTBENCH" merge "$W" "$TEST_TMP/copy.json" -o "$TEST_TMP/x.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "a copy of a result: exit 2" 2 "$?"
check "a copy of a result: says why" grep -q "whole.json and .*copy.json hold the result of one process (run id .*, both on .*, pid [1-9][0-9]*, started .*): its messages would count twice$" "$TEST_TMP/err"
cp "$P" "$TEST_TMP/pub2.json"
"$MQTTBENCH" merge "$P" "$TEST_TMP/pub2.json" "$S" -o "$TEST_TMP/x.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "one pub process given twice: exit 2" 2 "$?"
"$MQTTBENCH" merge "$PS" "$P" -o "$TEST_TMP/x.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "a merged result with one of its inputs: exit 2" 2 "$?"
check "a merged result with one of its inputs: says why" grep -q "pubsub.json and .*pub.json hold the result of one process" "$TEST_TMP/err"
check "refused: no output written" test ! -e "$TEST_TMP/x.json"

# --- two processes of one scenario: warnings kept (code review 2.5) ---------
W2="$TEST_TMP/other-process.json"
json_edit "$W" "$W2" 'd["environment"]["pid"] += 1; d["warnings"] = ["publishers of two processes overlap"]'
M="$TEST_TMP/two.json"
"$MQTTBENCH" merge "$W" "$W2" -o "$M" > "$TEST_TMP/merge.out" 2> "$TEST_TMP/err"
check_eq "two processes: merge exits 0" 0 "$?"
check_eq "two processes: counts summed" "10000 20000" "$(json "$M" '"%d %d" % (d["publish"]["messages"], d["subscribe"]["messages"])')"
check_eq "two processes: the warning kept" '["publishers of two processes overlap"]' "$(json "$M" 'd["warnings"]')"
check "two processes: the warning shown" grep -q "^mqttbench merge: warning: publishers of two processes overlap$" "$TEST_TMP/err"
check_eq "two processes: latency count" 20000 "$(json "$M" 'd["latency_us"]["count"]')"
check_eq "two processes: same percentiles as one" "$(json "$W" '[d["latency_us"][k] for k in ("p50", "p99", "max")]')" \
    "$(json "$M" '[d["latency_us"][k] for k in ("p50", "p99", "max")]')"

json_edit "$W2" "$TEST_TMP/later.json" 'd["environment"]["start_time"] = "2000-01-01T00:00:00Z"'
"$MQTTBENCH" merge "$W" "$TEST_TMP/later.json" -o "$TEST_TMP/later-m.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "not at the same time: merged" 0 "$?"
check "not at the same time: warned" grep -q "^mqttbench merge: warning: .*whole.json started at .*, [0-9]* s after .*later.json (started at 2000-01-01T00:00:00Z) had ended: not one run$" "$TEST_TMP/err"
check_eq "not at the same time: in the result" 2 "$(json "$TEST_TMP/later-m.json" 'len(d["warnings"])')"

# --- result hygiene (reliability #18) --------------------------------------
json_edit "$W2" "$TEST_TMP/utf8.json" 'd["environment"]["cpu_model"] = "CPUMARK"'
python3 -c 'import sys; p = sys.argv[1]; b = open(p, "rb").read(); open(p, "wb").write(b.replace(b"CPUMARK", b"CPU \xff\xc3"))' "$TEST_TMP/utf8.json"
"$MQTTBENCH" merge "$TEST_TMP/utf8.json" "$W" -o "$TEST_TMP/utf8-m.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "invalid UTF-8 in an input: merged" 0 "$?"
check_eq "invalid UTF-8 in an input: the output is UTF-8" "CPU ??" \
    "$(python3 -c 'import json, sys; print(json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))["environment"]["cpu_model"])' "$TEST_TMP/utf8-m.json" 2>&1)"
json_edit "$W2" "$TEST_TMP/sumsq.json" 'd["latency_us"]["histogram"]["sumsq_ns"] = 1e308'
"$MQTTBENCH" merge "$W" "$TEST_TMP/sumsq.json" -o "$TEST_TMP/x.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "absurd sumsq_ns: exit 2" 2 "$?"
check "absurd sumsq_ns: names the key" grep -q "sumsq.json: latency_us.histogram.sumsq_ns: 1e+308 does not fit the values' count, min_ns and max_ns$" "$TEST_TMP/err"
json_edit "$W2" "$TEST_TMP/rate.json" 'd["subscribe"]["msgs_per_s"] *= 2'
"$MQTTBENCH" merge "$W" "$TEST_TMP/rate.json" -o "$TEST_TMP/x.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "a rate its counts do not give: exit 2" 2 "$?"
check "a rate its counts do not give: says so" grep -q "rate.json: subscribe.msgs_per_s: .*, but the rest of the result gives " "$TEST_TMP/err"

# --- other refusals -----------------------------------------------------------
json_edit "$W2" "$TEST_TMP/qos1.json" 'd["config"]["qos"] = 1'
"$MQTTBENCH" merge "$W" "$TEST_TMP/qos1.json" -o "$TEST_TMP/x.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "other scenario: exit 2" 2 "$?"
check "other scenario: lists qos" grep -q 'ran different scenarios: qos 0 vs 1$' "$TEST_TMP/err"
"$MQTTBENCH" merge "$W" "$P" -o "$TEST_TMP/x.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "both with pub: exit 2" 2 "$?"
head -c 500 "$W" > "$TEST_TMP/trunc.json"
"$MQTTBENCH" merge "$W" "$TEST_TMP/trunc.json" -o "$TEST_TMP/x.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "truncated input: exit 2" 2 "$?"
check_eq "truncated input: one line" 1 "$(wc -l < "$TEST_TMP/err")"
json_edit "$W2" "$TEST_TMP/neg.json" 'd["subscribe"]["lost"] = -1'
"$MQTTBENCH" merge "$W" "$TEST_TMP/neg.json" -o "$TEST_TMP/x.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "negative count: exit 2" 2 "$?"
check "negative count: names the key" grep -q "neg.json: subscribe.lost: negative (-1)" "$TEST_TMP/err"
"$MQTTBENCH" merge "$W" "$W" -o "$TEST_TMP/x.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "the same file twice: exit 2" 2 "$?"
"$MQTTBENCH" merge "$W" -o "$TEST_TMP/x.json" > /dev/null 2>&1
check_eq "one input: exit 2" 2 "$?"
"$MQTTBENCH" merge "$W" "$W2" > /dev/null 2>&1
check_eq "no -o: exit 2" 2 "$?"
check "refusals: nothing written" test ! -e "$TEST_TMP/x.json"
"$MQTTBENCH" merge "$W" "$W2" -o /proc/nope/x.json > /dev/null 2>&1
check_eq "unwritable output: exit 1" 1 "$?"
"$MQTTBENCH" merge --help > "$TEST_TMP/help" 2>&1
check_eq "--help: exit 0" 0 "$?"
finish
