# Loss is counted exactly: a broker with a tiny queue and a slow subscriber
# drops messages, and mqttbench's "lost" must equal the number mosquitto says
# it dropped ($SYS/broker/publish/messages/dropped), no more and no fewer.
source tests/lib.sh
# QoS 0: mosquitto drops when the subscriber's outgoing queue (socket data not
# yet written) passes 10 messages; QoS 1: when more than 10 wait for a PUBACK.
start_broker "max_queued_messages 10" || exit 1
DROPPED='$SYS/broker/publish/messages/dropped'

# dropped_now: the broker's dropped counter once it has settled: two reads
# more than a $SYS refresh (sys_interval 1 s) apart that agree.
dropped_now() {
    local v prev=none
    for _ in 1 2 3 4 5 6; do
        sleep 1.1
        v=$(sys_value "$DROPPED")
        [ "$v" = "$prev" ] && break
        prev=$v
    done
    [[ "$v" =~ ^[0-9]+$ ]] && echo "$v" || echo "unknown"
}

# A fresh broker has dropped nothing; sys_value waits for its first $SYS publish.
before=$(sys_value "$DROPPED")
[[ "$before" =~ ^[0-9]+$ ]] || before=unknown
for qos in 0 1; do
    f=$TEST_TMP/loss-q$qos.json
    # 64 KiB payloads and a 2 ms pause per message in the subscriber: the
    # subscriber's socket fills at once. --backlog 0: publishers never pause
    # for the subscriber, so the broker has to drop.
    timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" --qos $qos --size 64k --count 1500 \
        --sub-delay 2ms --backlog 0 --drain-timeout 1s --quiet --json "$f" > "$TEST_TMP/out" 2>&1
    rc=$?
    after=$(dropped_now)
    dropped=unknown
    [ "$before" != unknown ] && [ "$after" != unknown ] && dropped=$((after - before))
    check_eq "qos $qos: exits 0 (loss is a result, not an error)" 0 "$rc"
    json_load "$f"
    sent=${J[publish.messages]} received=${J[subscribe.messages]} lost=${J[subscribe.lost]}
    check_eq "qos $qos: status ok" ok "${J[status]}"
    check_eq "qos $qos: all published" 1500 "$sent"
    check "qos $qos: the broker dropped messages (got '$dropped')" [ "${dropped/unknown/0}" -gt 0 ]
    check "qos $qos: lost > 0 (got '$lost')" [ "${lost:-0}" -gt 0 ]
    check_eq "qos $qos: lost == the broker's dropped count" "$dropped" "$lost"
    check_eq "qos $qos: sent == received + lost" "$sent" "$((received + lost))"
    check_eq "qos $qos: expected == sent" "$sent" "${J[subscribe.expected]}"
    check_eq "qos $qos: lost is exact" true "${J[subscribe.lost_exact]}"
    check_eq "qos $qos: no duplicates or foreign" "0 0" "${J[subscribe.duplicates]} ${J[subscribe.foreign]}"
    check_eq "qos $qos: one latency sample per message received" "$received" "${J[latency_us.count]}"
    before=$after
done
finish
