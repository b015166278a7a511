# Flow control in `both` (--backlog) against a stock mosquitto (Nagle on, as
# mosquitto ships): QoS 2 is not slowed to a delayed-ACK crawl, share groups
# are bounded like any receiver, and a run paced by mqttbench's own window
# says so.
source tests/lib.sh
start_broker || exit 1

# QoS 2 with the defaults: every PUBREC/PUBCOMP to the publisher used to wait
# for its delayed ACK (40 ms), about 1,000 msgs/s here; now well above.
F=$TEST_TMP/q2.json
timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" -q 2 -n 5000 --quiet --json "$F" > /dev/null 2>&1
json_load "$F"
check_eq "qos 2 default: ok, nothing lost" "ok 5000 0" "${J[status]} ${J[subscribe.messages]} ${J[subscribe.lost]}"
check_eq "qos 2 default: backlog 100" 100 "${J[config.backlog]}"
check "qos 2 default: not held to delayed ACKs (${J[publish.msgs_per_s]} msgs/s)" \
    python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 4000 else 1)' "${J[publish.msgs_per_s]}"

# The same with the old default window of 10: the acks alone no longer wait.
F=$TEST_TMP/q2b10.json
timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" -q 2 -n 5000 --backlog 10 --quiet --json "$F" > /dev/null 2>&1
json_load "$F"
check "qos 2 --backlog 10: publisher acks are not delayed (${J[publish.msgs_per_s]} msgs/s)" \
    python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 4000 else 1)' "${J[publish.msgs_per_s]}"

# A share group of 4 is one receiver: the publishers may run at most
# --backlog ahead of what the group received. Its members each see sequence
# numbers near the head, so progress summed over them let the publishers
# flood (p50 latency 200-900 ms on this kind of machine).
F=$TEST_TMP/share.json
timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" --publishers 2 --subscribers 4 --sub-topic '$share/g/mqttbench/test' \
    -n 100k --backlog 50 --quiet --json "$F" > /dev/null 2>&1
json_load "$F"
check_eq "share group: ok, counted once, nothing lost" "ok 100000 0 0" \
    "${J[status]} ${J[subscribe.messages]} ${J[subscribe.lost]} ${J[subscribe.duplicates]}"
check "share group: bounded by the backlog (p50 ${J[latency_us.p50]} us)" \
    python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 50000 else 1)' "${J[latency_us.p50]}"

# A window that sets the pace (one message in flight) is named as such.
F=$TEST_TMP/window.json
timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" -q 1 -n 2000 --backlog 1 --json "$F" > "$TEST_TMP/window.out" 2>&1
json_load "$F"
check_eq "window: flow recorded" "1 true" "${J[flow.backlog]} ${J[flow.paced_by_window]}"
check "window: held most of the run (${J[flow.held_s]} of ${J[publish.duration_s]} s)" \
    python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) / 2 else 1)' \
    "${J[flow.held_s]}" "${J[publish.duration_s]}"
check "window: a NOTE says mqttbench's window set the pace" \
    grep -q "NOTE         publishers waited on mqttbench's flow window (--backlog 1)" "$TEST_TMP/window.out"

F=$TEST_TMP/flood.json
timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" -q 1 -n 2000 --backlog 0 --json "$F" > "$TEST_TMP/flood.out" 2>&1
check_eq "no window: flow is null" null "$(json "$F" 'd["flow"]')"
check "no window: no NOTE about it" bash -c "! grep -q 'flow window' '$TEST_TMP/flood.out'"
# --coalesce: on by default in an unpaced QoS 0 `both` only, and it works: the
# subscribers' thread reads at most a few times (5) per 100 us it waited.
F=$TEST_TMP/coalesce.json
timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" -n 200000 --size 16 --quiet --json "$F" > /dev/null 2>&1
json_load "$F"
check_eq "coalesce: default 100 us in an unpaced QoS 0 both" "0.0001 ${J[publish.messages]}" \
    "${J[config.coalesce_s]} ${J[subscribe.messages]}"
check "coalesce: reads bounded by the waits (${J[resources.read_syscalls]} reads in ${J[subscribe.duration_s]} s)" \
    python3 -c 'import sys; sys.exit(0 if int(sys.argv[1]) <= 5 * float(sys.argv[2]) / 100e-6 + 1000 else 1)' \
    "${J[resources.read_syscalls]}" "${J[subscribe.duration_s]}"
timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" -n 300 --rate 1000 --quiet --json "$F" > /dev/null 2>&1
check_eq "coalesce: none in a paced run" 0 "$(json "$F" 'd["config"]["coalesce_s"]')"
timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" -n 2000 -q 1 --quiet --json "$F" > /dev/null 2>&1
check_eq "coalesce: none at QoS 1" 0 "$(json "$F" 'd["config"]["coalesce_s"]')"
# QoS 1 1 -> 1: the subscriber on its publisher's thread (one worker); QoS 0:
# a thread each (two, when the machine has two cores).
check_eq "placement: QoS 1 1 -> 1 on one thread" 1 "$(json "$F" 'len(d["workers"])')"
timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" -n 2000 -q 1 --publishers 2 --threads 2 --quiet --json "$F" > /dev/null 2>&1
check_eq "placement: two publishers on one subscriber: not put together" "2 2000" \
    "$(json "$F" 'str(len(d["workers"])) + " " + str(d["subscribe"]["messages"])')"
timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" -n 2000 --coalesce 2ms --quiet --json "$F" > /dev/null 2>&1
check_eq "coalesce: as given, every message" "0.002 2000" \
    "$(json "$F" 'str(d["config"]["coalesce_s"]) + " " + str(d["subscribe"]["messages"])')"
"$MQTTBENCH" pub --coalesce 1ms -p 1 > /dev/null 2> "$TEST_TMP/co.err"
check_eq "coalesce: not a pub option (exit 2)" 2 "$?"
finish
