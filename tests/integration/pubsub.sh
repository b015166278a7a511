# `pub` and `sub` as two processes against one real mosquitto: exact counts,
# wall-clock latency, and run-id matching (foreign messages).
source tests/lib.sh
# No queue limit: every message must arrive, so counts are exact and lost is 0.
start_broker "max_queued_messages 0" || exit 1

# start_sub NAME ARGS...: run `mqttbench sub` in the background and wait until
# all its clients have subscribed. Sets SUB_PID. The sub is bounded by
# --duration 30s besides what ARGS say.
# How we know it subscribed: the sub enters its measure phase only after every
# SUBACK, and prints its first progress line ("[   1.0s] ...") one second into
# that phase. (The broker's $SYS/broker/subscriptions/count is published only
# on change and up to a second late, so a baseline read from it can be stale.)
start_sub() {
    local name=$1; shift
    local err=$TEST_TMP/$name.sub.err
    timeout 60 "$MQTTBENCH" sub -p "$BROKER_PORT" --duration 30s "$@" \
        > "$TEST_TMP/$name.sub.out" 2> "$err" &
    SUB_PID=$!
    for _ in $(seq 1 500); do
        grep -q '^\[' "$err" 2>/dev/null && return 0
        kill -0 "$SUB_PID" 2>/dev/null || break
        sleep 0.02
    done
    fail "$name: sub subscribed" "no progress line within 10 s: $(cat "$err")"
    return 1
}

# json_has_warning FILE REGEX: one of FILE's warnings matches REGEX.
json_has_warning() {
    python3 -c '
import json,re,sys; w=json.load(open(sys.argv[1])).get("warnings", [])
sys.exit(0 if any(re.search(sys.argv[2], x) for x in w) else 1)' "$1" "$2"
}

# finish_sub NAME: wait (at most 40 s) for the background sub; sets SUB_RC.
finish_sub() {
    wait_exit "$SUB_PID" 40000
    SUB_RC=$EXIT_RC
    [ "$SUB_RC" = 0 ] || echo "sub stderr ($1): $(cat "$TEST_TMP/$1.sub.err")"
}

# --- QoS 0, one publisher, one subscriber, the same run id --------------------
# Many messages as fast as possible: the sub must wait for all of them (its
# drain timeout counts from the last message, never from before it).
N=50000
ID=00c0ffee12345678
S=$TEST_TMP/q0.sub.json P=$TEST_TMP/q0.pub.json
if start_sub q0 --count $N --run-id $ID --json "$S"; then
    timeout 60 "$MQTTBENCH" pub -p "$BROKER_PORT" --count $N --run-id $ID --json "$P" --quiet \
        > "$TEST_TMP/q0.pub.out" 2>&1
    check_eq "qos 0: pub exits 0" 0 "$?"
    finish_sub q0
    check_eq "qos 0: sub exits 0" 0 "$SUB_RC"
    json_load "$P"
    check_eq "qos 0: pub status ok" ok "${J[status]}"
    check_eq "qos 0: published" $N "${J[publish.messages]}"
    check_eq "qos 0: pub has no subscribe section" null "${J[subscribe]}"
    check_eq "qos 0: pub latency clock" CLOCK_REALTIME "${J[environment.latency_clock]}"
    check_eq "qos 0: pub run id" $ID "${J[config.run_id]}"
    json_load "$S"
    check_eq "qos 0: sub status ok" ok "${J[status]}"
    check_eq "qos 0: sub has no publish section" null "${J[publish]}"
    check_eq "qos 0: received" $N "${J[subscribe.messages]}"
    check_eq "qos 0: expected" $N "${J[subscribe.expected]}"
    check_eq "qos 0: lost/dup/foreign" "0 0 0" \
        "${J[subscribe.lost]} ${J[subscribe.duplicates]} ${J[subscribe.foreign]}"
    check_eq "qos 0: latency count" $N "${J[latency_us.count]}"
    check_eq "qos 0: no negative latencies" 0 "${J[latency_us.negative]}"
    check_eq "qos 0: sub latency clock" CLOCK_REALTIME "${J[environment.latency_clock]}"
    check_eq "qos 0: sub run id" $ID "${J[config.run_id]}"
    # A sub has no payload size, no publishers and sends nothing: its summary
    # and progress lines say only what it knows (reliability #19).
    check "qos 0: sub summary names no payload size or publishers ($(grep '^mqttbench sub' "$TEST_TMP/q0.sub.out"))" \
        bash -c "grep -q '^mqttbench sub: ok, QoS 0, 1 subscriber, ' '$TEST_TMP/q0.sub.out'"
    check "qos 0: sub progress lines have no 'sent'" bash -c "grep -q '^\[.*recv' '$TEST_TMP/q0.sub.err' && ! grep -q '^\[.*sent' '$TEST_TMP/q0.sub.err'"
    check "qos 0: latency plausible (0 < min <= p50 <= max < 10 s)" python3 -c '
import sys; a, b, c = map(float, sys.argv[1:]); sys.exit(0 if 0 < a <= b <= c < 10e6 else 1)' \
        "${J[latency_us.min]:-0}" "${J[latency_us.p50]:-0}" "${J[latency_us.max]:-0}"
fi

# --- QoS 1, two publishers, two subscribers (N per subscriber) ---------------
# Distinct --id-prefix: with the same run id and prefix, pub and sub both name
# their $SYS reader "mqttbench-<tag>-x0" and the broker disconnects one of them
# (the qos 0 case above shows that); here the counts are checked regardless.
N=6000
ID=0000000000000b0b
S=$TEST_TMP/q1.sub.json P=$TEST_TMP/q1.pub.json
if start_sub q1 --qos 1 --subscribers 2 --count $N --run-id $ID --id-prefix q1sub --json "$S"; then
    timeout 60 "$MQTTBENCH" pub -p "$BROKER_PORT" --qos 1 --publishers 2 --count $N --run-id $ID \
        --id-prefix q1pub --json "$P" --quiet > "$TEST_TMP/q1.pub.out" 2>&1
    check_eq "qos 1: pub exits 0" 0 "$?"
    finish_sub q1
    check_eq "qos 1: sub exits 0" 0 "$SUB_RC"
    json_load "$P"
    check_eq "qos 1: published by 2 publishers" "$N 2" "${J[publish.messages]} ${J[publish.publishers_done]}"
    json_load "$S"
    check_eq "qos 1: sub status ok" ok "${J[status]}"
    check_eq "qos 1: received (2 subscribers)" $((2 * N)) "${J[subscribe.messages]}"
    check_eq "qos 1: expected" $((2 * N)) "${J[subscribe.expected]}"
    check_eq "qos 1: lost/dup/foreign" "0 0 0" \
        "${J[subscribe.lost]} ${J[subscribe.duplicates]} ${J[subscribe.foreign]}"
    check_eq "qos 1: latency count" $((2 * N)) "${J[latency_us.count]}"
    check_eq "qos 1: latency clock" CLOCK_REALTIME "${J[environment.latency_clock]}"
fi

# --- a sub without --run-id accepts a publisher with any run id ---------------
N=2000
S=$TEST_TMP/any.sub.json P=$TEST_TMP/any.pub.json
if start_sub any --count $N --json "$S"; then
    timeout 60 "$MQTTBENCH" pub -p "$BROKER_PORT" --count $N --run-id 1234abcd --json "$P" --quiet \
        > "$TEST_TMP/any.pub.out" 2>&1
    check_eq "no run id: pub exits 0" 0 "$?"
    finish_sub any
    check_eq "no run id: sub exits 0" 0 "$SUB_RC"
    json_load "$S"
    check "no run id: sub picked its own run id" [ "${J[config.run_id]}" != 000000001234abcd ]
    check_eq "no run id: received everything" "$N 0 0 0" \
        "${J[subscribe.messages]} ${J[subscribe.foreign]} ${J[subscribe.lost]} ${J[subscribe.duplicates]}"
fi

# --- a sub with --run-id X counts a publisher with run id Y as foreign --------
N=1500
S=$TEST_TMP/foreign.sub.json P=$TEST_TMP/foreign.pub.json
t0=$(now_ms)
if start_sub foreign --duration 2500ms --run-id aaaa --json "$S"; then
    timeout 60 "$MQTTBENCH" pub -p "$BROKER_PORT" --count $N --run-id bbbb --json "$P" --quiet \
        > "$TEST_TMP/foreign.pub.out" 2>&1
    check_eq "foreign: pub exits 0" 0 "$?"
    finish_sub foreign
    check_eq "foreign: sub exits 0 after its --duration" 0 "$SUB_RC"
    check "foreign: sub ran about 2.5 s, not 30 s" [ $(( $(now_ms) - t0 )) -lt 15000 ]
    check_eq "foreign: published" $N "$(json "$P" 'd["publish"]["messages"]')"
    json_load "$S"
    check_eq "foreign: all counted as foreign" $N "${J[subscribe.foreign]}"
    check_eq "foreign: none received/lost/dup" "0 0 0" \
        "${J[subscribe.messages]} ${J[subscribe.lost]} ${J[subscribe.duplicates]}"
    check_eq "foreign: no latency samples" 0 "${J[latency_us.count]}"
fi
# --- stray messages cost a tracker each, not memory up to their index ----------
# Two crafted 16-byte payloads (src/payload.h): publisher index 0xFFFFF, and
# publisher 5 with sequence number 0xFFFFFFFF. 20 subscribers used to allocate
# 64 MB each for the first and report "lost 4294967295" each for the second
# (reliability #7).
S=$TEST_TMP/stray.sub.json
if start_sub stray --no-control --subscribers 20 --duration 2s --json "$S"; then
    printf '\xb1\x00\x00\xff\xff\x0f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' > "$TEST_TMP/stray1.bin"
    printf '\xb1\x00\x00\x05\x00\x00\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00' > "$TEST_TMP/stray2.bin"
    mosquitto_pub -p "$BROKER_PORT" -t mqttbench/test -f "$TEST_TMP/stray1.bin"
    mosquitto_pub -p "$BROKER_PORT" -t mqttbench/test -f "$TEST_TMP/stray2.bin"
    finish_sub stray
    check_eq "stray: sub exits 0" 0 "$SUB_RC"
    json_load "$S"
    check_eq "stray: both strays received by 20 subscribers" "40 0" "${J[subscribe.messages]} ${J[subscribe.foreign]}"
    check_eq "stray: nothing skipped, so nothing lost" 0 "${J[subscribe.lost]}"
    check "stray: peak RSS stays small (${J[resources.peak_rss_kb]} KiB)" [ "${J[resources.peak_rss_kb]:-999999999}" -lt 300000 ]
fi
# --- stale or twin messages get a WARNING naming the likely cause ---------------
# reliability #12: two runs with the same --run-id on one topic count each
# other's messages as duplicates, which QoS 0 cannot produce.
twin_pids=()
for side in A B; do
    timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" --run-id 4242 --id-prefix "twin$side" --count 6000 --rate 3000 \
        --quiet --json "$TEST_TMP/twin$side.json" > "$TEST_TMP/twin$side.out" 2>&1 &
    twin_pids+=("$!")
done
for p in "${twin_pids[@]}"; do wait_exit "$p" 60000; done
for side in A B; do
    json_load "$TEST_TMP/twin$side.json"
    check "twin run $side: duplicates counted (${J[subscribe.duplicates]})" [ "${J[subscribe.duplicates]:-0}" -gt 0 ]
    check "twin run $side: a warning names another run with the same run id" \
        json_has_warning "$TEST_TMP/twin$side.json" "duplicates at QoS 0.*another run with the same run id"
    check "twin run $side: the summary shows it" grep -q "WARNING .*duplicates at QoS 0" "$TEST_TMP/twin$side.out"
done

# A resumed session (--no-clean) holding messages of an earlier run with the
# same run id: they arrive first, stamped by another clock.
timeout 60 "$MQTTBENCH" sub -p "$BROKER_PORT" --no-clean --run-id 77 -q 1 --no-control --duration 1s \
    --quiet --json "$TEST_TMP/stale1.json" > /dev/null 2>&1
timeout 60 "$MQTTBENCH" pub -p "$BROKER_PORT" --no-control --run-id 77 -q 1 -n 2000 \
    --quiet --json "$TEST_TMP/stale2.json" > /dev/null 2>&1
timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" --no-clean --run-id 77 -q 1 -n 5000 \
    --quiet --json "$TEST_TMP/stale3.json" > "$TEST_TMP/stale3.out" 2>&1
json_load "$TEST_TMP/stale3.json"
check "resumed session: negative latencies seen (${J[latency_us.negative]})" [ "${J[latency_us.negative]:-0}" -gt 0 ]
check "resumed session: a warning names a resumed session" \
    json_has_warning "$TEST_TMP/stale3.json" "negative latencies.*resumed session"
finish
