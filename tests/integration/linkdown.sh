# --reconnect across a network link that goes down: mosquitto in one network
# namespace, mqttbench in another, joined by a veth pair; the client side's
# link is set down 2 s into the run for 8.5 s, then up again. Nothing sees a
# link go down: a client's keepalive (5 s, the least libmosquitto takes) gives
# up 10 s after its last exchange with the broker (the $SYS reader, which
# sends nothing, ~10 s into the run), and the broker, which closed the
# connections after 1.5 x 5 s of silence, resets the others when the link is
# back (~10.5 s). So the outage begins ~10 s in, not at 2 s, and may come as
# two (a client back before another saw its loss). Two runs share it: QoS 1
# with persistent sessions loses nothing; QoS 0 with clean sessions loses
# what the dead connection held: the socket's send buffer and up to
# --inflight (20) messages queued behind it. The publisher stops there and
# sends the rest of the outage's schedule late, after the reconnect, so the
# loss is as large as the kernel let the buffer grow (845 to over 4,000 of
# the 4,250 due while the link was down, from one machine to another), and
# no more than was sent from the link going down to the reconnect; every
# loss is an outage's. Needs root and iproute2 (tests/netns.sh).
source tests/lib.sh

NETNS_TEST=linkdown
source tests/netns.sh

NS_BK=mbt-lbk-$$ NS_CL=mbt-lcl-$$
BROKER_IP=198.18.1.1
netns_add "$NS_BK"
netns_add "$NS_CL"
ip -n "$NS_BK" link add vb type veth peer name vc netns "$NS_CL" 2> "$TEST_TMP/ns.err" ||
    netns_skip "cannot create a veth pair: $(head -n 1 "$TEST_TMP/ns.err")"
ip -n "$NS_BK" addr add "$BROKER_IP/24" dev vb
ip -n "$NS_CL" addr add 198.18.1.2/24 dev vc
ip -n "$NS_BK" link set vb up
ip -n "$NS_CL" link set vc up

netns_broker "$NS_BK" "$BROKER_IP" "broker reachable across the veth pair" "$NS_CL"

# run NAME ARGS...: `mqttbench both` in the client namespace, 14 s at 500
# msgs/s, in the background; sets RUN_PID. The drain timeout outlasts the
# silence before the clients learn of the loss (a stall otherwise), and QoS 0
# waits it out for the messages it lost.
run() {
    local name=$1; shift
    timeout 60 ip netns exec "$NS_CL" "$MQTTBENCH" both -h "$BROKER_IP" --rate 500 --duration 14s -k 5 \
        --reconnect 100ms..500ms --drain-timeout 11s --quiet --json "$TEST_TMP/$name.json" "$@" \
        > "$TEST_TMP/$name.out" 2> "$TEST_TMP/$name.err" &
    RUN_PID=$!
}
run q1 -q 1 --no-clean -t linkdown/q1 --id-prefix ld1
pid_q1=$RUN_PID
run q0 -q 0 -t linkdown/q0 --id-prefix ld0
pid_q0=$RUN_PID
sleep 2
ip -n "$NS_CL" link set vc down
sleep 8.5
ip -n "$NS_CL" link set vc up
wait_exit "$pid_q1" 40000; rc1=$EXIT_RC
wait_exit "$pid_q0" 40000; rc0=$EXIT_RC

for name in q1 q0; do
    OUT=$TEST_TMP/$name.json
    json_load "$OUT"
    [ "${J[status]}" = ok ] || echo "$name: $(cat "$TEST_TMP/$name.err")"
    check_eq "$name: status ok" ok "${J[status]}"
    check_eq "$name: every client lost its connection and made it again" "3 3" \
        "${J[connect.disconnects]} ${J[connect.reconnects]}"
    echo "$name: outages $(json "$OUT" '[(o["start_s"], o["end_s"], o["clients"], o["lost"], o["duplicates"], o["redelivered"]) for o in d["outages"]]') outside $(json "$OUT" 'd["outages_outside"]') lost ${J[subscribe.lost]} dup ${J[subscribe.duplicates]}"
    check "$name: the outage began when a keepalive or the link's return told, not when the link went ($(json "$OUT" 'd["outages"][0]["start_s"]') s)" \
        json "$OUT" 'exit(not 9 < d["outages"][0]["start_s"] < 13)'
    # The link is back ~10.5 s after the start; a client may learn of the
    # loss only then (one outage or two: 9.0-10.7 s and 11.0-11.1 s once).
    check "$name: every client back within 2.5 s of the link's return" \
        json "$OUT" 'exit(not all(o["end_s"] is not None for o in d["outages"]) or d["outages"][-1]["end_s"] > 13)'
    check_eq "$name: lost and duplicates over the outages plus outside are the run's" true \
        "$(json "$OUT" 'sum(o["lost"] for o in d["outages"]) + d["outages_outside"]["lost"] == d["subscribe"]["lost"] and sum(o["duplicates"] for o in d["outages"]) + d["outages_outside"]["duplicates"] == d["subscribe"]["duplicates"]')"
done
check_eq "q1: exit 0" 0 "$rc1"
check_eq "q0: exit 0" 0 "$rc0"

json_load "$TEST_TMP/q1.json"
check_eq "q1 persistent: lost 0" 0 "${J[subscribe.lost]}"
check_eq "q1 persistent: every message published was received" "${J[publish.messages]}" "${J[subscribe.messages]}"

json_load "$TEST_TMP/q0.json"
check_eq "q0 clean: loss exact" true "${J[subscribe.lost_exact]}"
check_eq "q0 clean: received + lost = published" "${J[publish.messages]}" \
    "$(( ${J[subscribe.messages]:-0} + ${J[subscribe.lost]:-0} ))"
check "q0 clean: what the dead connection held is lost (${J[subscribe.lost]})" \
    [ "${J[subscribe.lost]:-0}" -gt 0 ]
check_eq "q0 clean: every loss is the outage's, none outside" 0 "$(json "$TEST_TMP/q0.json" 'd["outages_outside"]["lost"]')"
# at most what was due from the link going down (~2 s) to the outage's end
check "q0 clean: no more lost than was sent from the link going down to the reconnect" \
    json "$TEST_TMP/q0.json" 'exit(not d["subscribe"]["lost"] <= 500 * (d["outages"][-1]["end_s"] - 1.5))'
finish
