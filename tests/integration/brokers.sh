# The core scenarios against three real brokers, each a private process on a
# free loopback port started by tests/brokers/NAME.sh: a stock mosquitto
# (Nagle on, default queue limits), RabbitMQ with rabbitmq_mqtt, and aedes.
#   BROKERS="aedes" TESTS=brokers tests/run.sh    one broker's checks only
# Per broker: `both` at QoS 0/1/2 with 4 publishers and 4 subscribers; `pub`
# and `sub` as separate processes joined by the control plane, sub first and
# pub first; a shared subscription; MQTT 5; the broker killed mid-run. Counts
# are asserted exactly from the JSON. Where a broker lacks a feature the run
# must fail with exit 1 and a line naming the cause:
#   aedes:    no MQTT 5, no $share
#   RabbitMQ: no QoS 2 (it grants QoS 1), no MQTT 5, no $share
# A broker that cannot be had here (not installed) SKIPs its checks.
source tests/lib.sh

BROKERS=${BROKERS:-mosquitto aedes rabbitmq}
N=5000           # messages per `both` run (4 x 4: 20000 deliveries)
NP=5000          # messages per pub/sub pair
B=               # the broker under test
PORT=
STARTED=()       # brokers started, stopped on exit

brokers_cleanup() {
    local b
    for b in "${STARTED[@]}"; do tests/brokers/"$b".sh stop "$TEST_TMP/$b" 2> /dev/null; done
    cleanup
}
trap brokers_cleanup EXIT

# RabbitMQ boots in ~20 s: start it first, in the background, and test the
# other brokers meanwhile. rabbit_wait collects it.
RABBIT_PID=
if [[ " $BROKERS " == *" rabbitmq "* ]]; then
    STARTED+=(rabbitmq)
    tests/brokers/rabbitmq.sh start "$TEST_TMP/rabbitmq" > "$TEST_TMP/rabbitmq.port" 2> "$TEST_TMP/rabbitmq.start" &
    RABBIT_PID=$!
fi

# start NAME: start the broker (RabbitMQ: wait for the start above); sets B
# and PORT. Status 1, after a SKIP or FAIL line, when there is no broker.
start() {
    local rc
    B=$1 PORT=
    if [ "$B" = rabbitmq ]; then
        wait "$RABBIT_PID"
        rc=$?
    else
        STARTED+=("$B")
        tests/brokers/"$B".sh start "$TEST_TMP/$B" > "$TEST_TMP/$B.port" 2> "$TEST_TMP/$B.start"
        rc=$?
    fi
    PORT=$(cat "$TEST_TMP/$B.port")
    case $rc in
    0) return 0 ;;
    77) echo "SKIP $B: $(head -n 1 "$TEST_TMP/$B.start")" ;;
    *) fail "$B: broker starts" "$(tr '\n' ' ' < "$TEST_TMP/$B.start" | cut -c1-600)" ;;
    esac
    return 1
}

# mb LABEL MODE ARGS...: run mqttbench against the broker under test, at most
# 120 s; RC, OUT (its JSON), ERR (its stderr file), J (the JSON's values).
mb() {
    local label=$1 mode=$2; shift 2
    OUT=$TEST_TMP/$B-$label.json ERR=$TEST_TMP/$B-$label.err
    timeout 120 "$MQTTBENCH" "$mode" -h 127.0.0.1 -p "$PORT" --quiet --json "$OUT" "$@" \
        > "$TEST_TMP/$B-$label.out" 2> "$ERR"
    RC=$?
    json_load "$OUT"
}

# exact LABEL PUBLISHED RECEIVED: the last run ended ok with every message
# delivered once.
exact() {
    check_eq "$B: $1: exit 0" 0 "$RC"
    [ "$RC" = 0 ] || echo "stderr: $(head -n 3 "$ERR")"
    check_eq "$B: $1: status ok" ok "${J[status]}"
    check_eq "$B: $1: published" "$2" "${J[publish.messages]}"
    check_eq "$B: $1: expected" "$3" "${J[subscribe.expected]}"
    check_eq "$B: $1: received" "$3" "${J[subscribe.messages]}"
    check_eq "$B: $1: lost, exact, duplicates" "0 true 0" \
        "${J[subscribe.lost]} ${J[subscribe.lost_exact]} ${J[subscribe.duplicates]}"
}

# adds_up LABEL PUBLISHED RECEIVERS: ok, and what was not received is counted
# as lost, exactly (QoS 0 on a stock mosquitto may drop messages).
adds_up() {
    check_eq "$B: $1: exit 0" 0 "$RC"
    [ "$RC" = 0 ] || echo "stderr: $(head -n 3 "$ERR")"
    check_eq "$B: $1: status ok" ok "${J[status]}"
    check_eq "$B: $1: published" "$2" "${J[publish.messages]}"
    check_eq "$B: $1: expected" "$(($2 * $3))" "${J[subscribe.expected]}"
    check_eq "$B: $1: received + lost = expected" "$(($2 * $3))" \
        "$(( ${J[subscribe.messages]:-0} + ${J[subscribe.lost]:-0} ))"
    check_eq "$B: $1: lost exact, no duplicates" "true 0" \
        "${J[subscribe.lost_exact]} ${J[subscribe.duplicates]}"
}

# refused LABEL TEXT: the last run failed (exit 1, status failed) and its
# stderr contains TEXT.
refused() {
    check_eq "$B: $1: exit 1" 1 "$RC"
    check_eq "$B: $1: status failed" failed "${J[status]}"
    if grep -qF -- "$2" "$ERR"; then pass "$B: $1: says '$2'"
    else fail "$B: $1: says '$2'" "stderr: $(head -c 400 "$ERR")"; fi
}

# both at QoS 0, 1 and 2, 4 publishers x 4 subscribers.
scenario_qos() {
    local qos
    for qos in 0 1 2; do
        mb "q$qos" both -q "$qos" --count $N --publishers 4 --subscribers 4
        if [ "$B" = rabbitmq ] && [ "$qos" = 2 ]; then
            refused "both -q 2" "granted QoS 1"
        elif [ "$B" = mosquitto ] && [ "$qos" != 2 ]; then
            # A stock mosquitto 2.0.11 (max_queued_messages 1000) drops some
            # QoS 0 and, with several publishers per subscriber, QoS 1
            # messages (about 1 run in 8 here; loss.sh shows lost equals its
            # own dropped counter): the counts must add up exactly.
            adds_up "both -q $qos 4x4" $N 4
        else
            exact "both -q $qos 4x4" $N $((4 * N))
        fi
    done
}

# pub and sub as two processes joined by the control plane (QoS 1, one run
# id). ORDER is "sub-first" (the pub starts 1 s after the sub) or "pub-first"
# (the sub starts 2 s after the pub).
scenario_pubsub() {
    local order=$1 id sub pub S P
    id=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
    S=$TEST_TMP/$B-$order.sub.json P=$TEST_TMP/$B-$order.pub.json
    run_sub() {
        timeout 90 "$MQTTBENCH" sub -h 127.0.0.1 -p "$PORT" -q 1 --run-id "$id" --expect-publishers 1 \
            --id-prefix "s$id" --quiet --json "$S" > /dev/null 2> "$S.err" &
        sub=$!
    }
    run_pub() {
        timeout 90 "$MQTTBENCH" pub -h 127.0.0.1 -p "$PORT" -q 1 --run-id "$id" --wait-subscribers 1 \
            --count $NP --id-prefix "p$id" --quiet --json "$P" > /dev/null 2> "$P.err" &
        pub=$!
    }
    if [ "$order" = sub-first ]; then run_sub; sleep 1; run_pub
    else run_pub; sleep 2; run_sub; fi
    wait_exit "$pub" 80000; local pub_rc=$EXIT_RC
    wait_exit "$sub" 80000; local sub_rc=$EXIT_RC
    check_eq "$B: pub/sub $order: exit codes pub, sub" "0 0" "$pub_rc $sub_rc"
    [ "$pub_rc $sub_rc" = "0 0" ] || echo "pub: $(head -n 2 "$P.err") sub: $(head -n 2 "$S.err")"
    json_load "$P"
    check_eq "$B: pub/sub $order: pub status, published" "ok $NP" "${J[status]} ${J[publish.messages]}"
    json_load "$S"
    check_eq "$B: pub/sub $order: sub status ok" ok "${J[status]}"
    check_eq "$B: pub/sub $order: expected" "$NP" "${J[subscribe.expected]}"
    if [ "$B" = mosquitto ]; then
        # Nothing paces a separate pub to its sub, and a stock mosquitto drops
        # QoS 1 messages for a subscriber whose queue holds 1000 (its $SYS
        # dropped counter rises by exactly the lost count): loss is allowed,
        # but it must be counted exactly.
        check_eq "$B: pub/sub $order: received + lost = expected" "$NP" \
            "$(( ${J[subscribe.messages]:-0} + ${J[subscribe.lost]:-0} ))"
        check_eq "$B: pub/sub $order: lost exact, no duplicates" "true 0" \
            "${J[subscribe.lost_exact]} ${J[subscribe.duplicates]}"
    else
        check_eq "$B: pub/sub $order: received" "$NP" "${J[subscribe.messages]}"
        check_eq "$B: pub/sub $order: lost, exact, duplicates" "0 true 0" \
            "${J[subscribe.lost]} ${J[subscribe.lost_exact]} ${J[subscribe.duplicates]}"
    fi
}

# A share group of 4 subscribers: each message reaches one member. QoS 1, so
# that a stock mosquitto drops nothing.
scenario_share() {
    mb share both -q 1 --count $N --subscribers 4 --sub-topic '$share/g/mqttbench/test'
    if [ "$B" = mosquitto ]; then
        exact "\$share 4 subscribers" $N $N
    else
        refused "\$share" "no subscriber received any message"
    fi
}

scenario_v5() {
    mb v5 both -V 5 -q 1 --count $N --publishers 4 --subscribers 4
    case $B in
    mosquitto) adds_up "-V 5 4x4" $N 4 ;;   # QoS 1, 4 publishers a subscriber: as above
    aedes) refused "-V 5" "does not support MQTT 5" ;;
    rabbitmq) refused "-V 5" "MQTT 5" ;;
    esac
}

# The broker is SIGKILLed 1.5 s into a long QoS 1 run: the run fails at once
# (exit 1, status failed) and writes the counts it has. Last: the broker is gone.
scenario_killed() {
    local big=50000000 pid t0 ms
    OUT=$TEST_TMP/$B-killed.json ERR=$TEST_TMP/$B-killed.err
    "$MQTTBENCH" both -h 127.0.0.1 -p "$PORT" -q 1 --count $big --quiet --json "$OUT" \
        > /dev/null 2> "$ERR" &
    pid=$!
    sleep 1.5
    tests/brokers/"$B".sh kill "$TEST_TMP/$B"
    t0=$(now_ms)
    wait_exit "$pid" 20000
    ms=$(( $(now_ms) - t0 ))
    check_eq "$B: killed broker: exit 1" 1 "$EXIT_RC"
    check "$B: killed broker: exits within 10 s ($ms ms)" test "$EXIT_RC" != timeout -a "$ms" -lt 10000
    json_load "$OUT"
    check_eq "$B: killed broker: status failed" failed "${J[status]}"
    check "$B: killed broker: partial counts (published ${J[publish.messages]:-none}, received ${J[subscribe.messages]:-none})" \
        test "${J[publish.messages]:-0}" -gt 0 -a "${J[publish.messages]:-0}" -lt $big -a "${J[subscribe.messages]:-0}" -gt 0
}

for b in $BROKERS; do
    case $b in
    mosquitto | aedes | rabbitmq) ;;
    *) fail "BROKERS" "unknown broker '$b' (mosquitto, aedes, rabbitmq)"; continue ;;
    esac
    [ "$b" = aedes ] && tests/brokers/aedes.sh install 2> "$TEST_TMP/aedes.install"
    start "$b" || continue
    t0=$SECONDS
    scenario_qos
    scenario_v5
    scenario_share
    scenario_pubsub sub-first
    scenario_pubsub pub-first
    scenario_killed
    tests/brokers/"$b".sh stop "$TEST_TMP/$b"
    echo "$b: $((SECONDS - t0)) s"
done
finish
