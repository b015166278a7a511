# mqttbench at scale, in small numbers: a thousand connections, fan-in and
# fan-out, shared subscriptions, topic patterns, pacing, warm-up, the fd
# preflight and the connect ramp, each against a real mosquitto with exact
# counts. Every call is bounded by `timeout 120`; the whole script takes
# about 10 s (2-3x that under ASan+UBSan).
# shellcheck shell=bash disable=SC2016  # '$share/...' is a topic, not a variable
source tests/lib.sh

# 1000+ clients need more than the usual 1024 fds, in mqttbench and in the
# broker, which inherits this shell's limit. A container may cap the hard
# limit: then take what it allows.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# No queue limit: every message must arrive, so counts are exact and lost is 0.
start_broker "max_queued_messages 0" || exit 1

# mb NAME ARGS...: run `both` against the test broker, bounded, with the result
# in $TEST_TMP/NAME.json, stdout/stderr in NAME.out/NAME.err; sets RC and
# loads the result into J.
mb() {
    local name=$1; shift
    timeout 120 "$MQTTBENCH" both -p "$BROKER_PORT" --quiet --json "$TEST_TMP/$name.json" "$@" \
        > "$TEST_TMP/$name.out" 2> "$TEST_TMP/$name.err"
    RC=$?
    json_load "$TEST_TMP/$name.json" || echo "no result file for $name; stderr: $(head -c 400 "$TEST_TMP/$name.err")"
}

# num NAME "A OP B": numeric comparison (floats) of values, e.g. "${J[x]} >= 0.3".
num() {
    if awk "BEGIN { exit !($2) }" 2>/dev/null; then pass "$1"; else fail "$1" "not true: $2"; fi
}

# exact NAME PUBLISHED RECEIVED: status ok, counts as given, nothing lost or doubled.
exact() {
    check_eq "$1: exit 0" 0 "$RC"
    check_eq "$1: status ok" ok "${J[status]}"
    check_eq "$1: published" "$2" "${J[publish.messages]}"
    check_eq "$1: received" "$3" "${J[subscribe.messages]}"
    check_eq "$1: expected" "$3" "${J[subscribe.expected]}"
    check_eq "$1: lost/duplicates" "0 0" "${J[subscribe.lost]} ${J[subscribe.duplicates]}"
}

# --- 500 publishers -> 500 subscribers, one to one, QoS 1 ---------------------
if [ "$(ulimit -n)" -lt 1200 ]; then
    echo "SKIP pairs 500x500: this shell may open only $(ulimit -n) files (hard limit $(ulimit -Hn))"
else
    mb pairs --shape pairs --publishers 500 --subscribers 500 --count 5000 --qos 1
    exact "pairs 500x500 qos 1" 5000 5000
    check_eq "pairs 500x500: connected (500 + 500 + \$SYS reader)" 1001 "${J[connect.connected]}"
    check_eq "pairs 500x500: connect failures" 0 "${J[connect.failures]}"
fi

# --- fan-in and fan-out ------------------------------------------------------
mb fanin --shape fan-in --publishers 50 --subscribers 1 --count 10000
exact "fan-in 50->1" 10000 10000

mb fanout --shape fan-out --subscribers 50 --count 2000
exact "fan-out 1->50" 2000 100000
check_eq "fan-out: one publisher" 1 "${J[config.publishers]}"

# --- shared subscriptions: one delivery per group -----------------------------
for qos in 0 1; do
    mb "share-q$qos" --publishers 4 --subscribers 6 --sub-topic '$share/g/mqttbench/test' --count 12000 --qos "$qos"
    exact "shared 4->6 members qos $qos" 12000 12000
done

# A mix on one topic: a plain subscriber (a separate `sub`: one process's
# subscribers all use the same filter) and a share group of 2 in `both`. Each
# receiver must get every message once: 2 x count in all.
t=mix/shared
timeout 120 "$MQTTBENCH" sub -p "$BROKER_PORT" -t "$t" --count 6000 --run-id 5ca1e00000000001 \
    --id-prefix plain --json "$TEST_TMP/mix-sub.json" > "$TEST_TMP/mix-sub.out" 2> "$TEST_TMP/mix-sub.err" &
sub_pid=$!
# The first progress line comes once the subscriber has subscribed.
for _ in $(seq 1 200); do grep -q 'recv' "$TEST_TMP/mix-sub.err" && break; sleep 0.05; done
mb mix -t "$t" --sub-topic "\$share/g/$t" --publishers 2 --subscribers 2 --count 6000 --run-id 5ca1e00000000001
exact "mix: share group of 2 (both)" 6000 6000
both_rx=${J[subscribe.messages]} both_exp=${J[subscribe.expected]}
wait_exit "$sub_pid" 30000
check_eq "mix: plain subscriber (sub) exit 0" 0 "$EXIT_RC"
json_load "$TEST_TMP/mix-sub.json"
check_eq "mix: plain subscriber received / lost / duplicates" "6000 0 0" \
    "${J[subscribe.messages]} ${J[subscribe.lost]} ${J[subscribe.duplicates]}"
check_eq "mix: expected in all (2 x count)" 12000 $(( both_exp + ${J[subscribe.expected]:-0} ))
check_eq "mix: received in all (2 x count)" 12000 $(( both_rx + ${J[subscribe.messages]:-0} ))

# --- topic patterns: the hostname in the publish topic -------------------------
host=$(hostname)
mb host-fanin --topic 'bench/%h/%i' --shape fan-in --publishers 5 --subscribers 1 --count 5000
exact "topic bench/%h/%i fan-in" 5000 5000
# The same with the filter spelled out: proves %h is the real hostname.
mb host-literal --topic 'bench/%h/%i' --shape fan-in --sub-topic "bench/$host/+" --publishers 5 --subscribers 1 --count 5000
exact "topic bench/%h/%i, filter bench/$host/+" 5000 5000
check_eq "environment.hostname" "$host" "${J[environment.hostname]}"

# --- pacing: 2000 msgs/s for 2 s ----------------------------------------------
mb paced --rate 2000 --count 4000
exact "paced 2000/s" 4000 4000
num "paced: publish msgs/s within 10% of 2000 (${J[publish.msgs_per_s]})" \
    "${J[publish.msgs_per_s]:-0} >= 1800 && ${J[publish.msgs_per_s]:-0} <= 2200"
check_eq "paced: target_msgs_per_s" 2000 "${J[publish.target_msgs_per_s]}"
check_eq "paced: latency from the intended time" intended "${J[latency_us.from]}"
check_eq "paced: service latency from the send call" send "${J[service_latency_us.from]}"
check_eq "paced: service latency count" 4000 "${J[service_latency_us.count]}"
check "paced: missed_slots is a number (${J[publish.missed_slots]})" \
    grep -qE '^[0-9]+$' <<< "${J[publish.missed_slots]}"
num "paced: intended p99 >= service p99" "${J[latency_us.p99]:-0} >= ${J[service_latency_us.p99]:-1}"

# --- warm-up: its messages are in no count -------------------------------------
mb warmup --warmup 1s --count 5000
exact "warm-up 1s" 5000 5000
check_eq "warm-up: phases.warmup_s" 1 "${J[phases.warmup_s]}"
check_eq "warm-up: latency count" 5000 "${J[latency_us.count]}"
check_eq "warm-up: foreign" 0 "${J[subscribe.foreign]}"

# --- preflight: too few file descriptors, nothing connects ---------------------
before=$(grep -c 'New connection from' "$TEST_TMP/mosquitto.log")
(
    ulimit -n 200
    timeout 120 "$MQTTBENCH" both -p "$BROKER_PORT" --publishers 150 --subscribers 150 --count 1000 \
        --quiet --json "$TEST_TMP/preflight.json" > "$TEST_TMP/preflight.out" 2> "$TEST_TMP/preflight.err"
)
rc=$?
check_eq "preflight: exit 1" 1 "$rc"
check_eq "preflight: one line on stderr" 1 "$(grep -c . "$TEST_TMP/preflight.err")"
check "preflight: stderr mentions file descriptors" grep -q 'file descriptors' "$TEST_TMP/preflight.err"
json_load "$TEST_TMP/preflight.json"
check_eq "preflight: status failed" failed "${J[status]}"
case "${J[error]}" in
    *"file descriptors"*) pass "preflight: error mentions file descriptors" ;;
    *) fail "preflight: error mentions file descriptors" "error is '${J[error]}'" ;;
esac
check_eq "preflight: nothing opened or connected" "0 0" "${J[connect.clients]} ${J[connect.connected]}"
sleep 0.2
check_eq "preflight: the broker saw no connection" "$before" "$(grep -c 'New connection from' "$TEST_TMP/mosquitto.log")"
check "this shell's fd limit is untouched ($(ulimit -n))" [ "$(ulimit -n)" -gt 200 ]

# --- connect ramp: 400 clients at 1000/s ----------------------------------------
mb ramp --shape pairs --publishers 200 --subscribers 200 --connect-rate 1000 --count 2000
exact "ramp 200+200" 2000 2000
check_eq "ramp: connected" 401 "${J[connect.connected]}"
num "ramp: connect phase >= 0.3 s at 1000/s (${J[phases.connect_s]} s)" "${J[phases.connect_s]:-0} >= 0.3"
num "ramp: clients_per_s <= 1500 (${J[connect.clients_per_s]})" \
    "${J[connect.clients_per_s]:-99999} <= 1500 && ${J[connect.clients_per_s]:-0} > 0"

finish
