# mqttbench conn (connection churn) against a real mosquitto with password
# authentication, an ACL and a TLS listener: exact counts of connects (ours
# and the broker's log), a refused CONNACK counted by reason, a TCP failure,
# --subscribe, takeovers with --id-pool, TLS timings and a TLS failure,
# compare of two conn results, merge's refusal, a timeout (the broker
# stopped), and usage errors.
source tests/lib.sh
C=$TEST_TMP/certs
if ! tests/tls/make-certs.sh "$C" > "$TEST_TMP/certs.log" 2>&1; then
    fail "certificates" "tests/tls/make-certs.sh: $(tail -n 3 "$TEST_TMP/certs.log")"
    exit 1
fi
mosquitto_passwd -b -c "$TEST_TMP/passwd" bench secret > /dev/null 2>&1 || { fail "passwd" "mosquitto_passwd"; exit 1; }
printf '%s\n' "user bench" "topic readwrite mqttbench/#" > "$TEST_TMP/acl"
P_TLS=$(free_port)
start_broker "allow_anonymous false" "password_file $TEST_TMP/passwd" "acl_file $TEST_TMP/acl" \
    "listener $P_TLS 127.0.0.1" "cafile $C/ca.pem" "certfile $C/server.pem" "keyfile $C/server.key" || exit 1
AUTH=(-u bench -P secret)

# --- exact counts at the rate -------------------------------------------------
f=$TEST_TMP/plain.json
"$MQTTBENCH" conn -p "$BROKER_PORT" "${AUTH[@]}" --count 200 --rate 400 --id-prefix cx1 --quiet --json "$f" \
    > "$TEST_TMP/out" 2>&1
check_eq "plain: exits 0" 0 "$?"
json_load "$f"
check_eq "plain: status ok, mode conn" "ok conn" "${J[status]} ${J[mode]}"
check_eq "plain: scheduled, started, done" "200 200 200" "${J[conn.scheduled]} ${J[conn.started]} ${J[conn.done]}"
check_eq "plain: no failure of any kind" "0 0 0 0 0 0 0" \
    "${J[conn.failed.refused]} ${J[conn.failed.timeout]} ${J[conn.failed.tcp]} ${J[conn.failed.tls]} ${J[conn.failed.subscribe]} ${J[conn.failed.lost]} ${J[connect.failures]}"
check_eq "plain: every connect timed" "200 200 200" \
    "${J[connect.time_us.count]} ${J[connect.tcp_us.count]} ${J[connect.connack_us.count]}"
check_eq "plain: no TLS part" "null" "${J[connect.tls_us]}"
check "plain: on the schedule (200 connects at 400/s take 0.5 s or more: at most 400/s)" python3 -c '
import json,sys; c=json.load(open(sys.argv[1]))["conn"]
assert c["duration_s"] >= 0.5 and 0 < c["connects_per_s"] <= 400 and c["target_per_s"] == 400, c' "$f"
# The broker's own count: one "New client connected" line per connect, as cx1-....
check_eq "plain: the broker saw 200 connects" 200 "$(grep -c "New client connected .* as cx1-" "$TEST_TMP/mosquitto.log")"
check "plain: summary in the house layout" grep -q "^  done  *200 " "$TEST_TMP/out"
check "plain: summary has the connect latency row" grep -q "^  connect  " "$TEST_TMP/out"

# --- a refused CONNACK, counted by reason --------------------------------------
f=$TEST_TMP/refused.json
"$MQTTBENCH" conn -p "$BROKER_PORT" -u bench -P wrong --count 20 --rate 200 --quiet --json "$f" > "$TEST_TMP/out" 2>&1
check_eq "refused: exits 1 (not one connect succeeded)" 1 "$?"
json_load "$f"
check_eq "refused: status failed" failed "${J[status]}"
check_eq "refused: 20 refused, none done" "20 0" "${J[conn.failed.refused]} ${J[conn.done]}"
check "refused: the reason is the CONNACK's" python3 -c '
import json,sys; r=json.load(open(sys.argv[1]))["connect"]["failure_reasons"]
assert list(r.values()) == [20] and "not authorised" in list(r)[0], r' "$f"
check "refused: one error line on stderr" grep -q "^mqttbench: not one of 20 connects succeeded: .*not authorised" "$TEST_TMP/out"

# --- a TCP failure: nothing listens -------------------------------------------
f=$TEST_TMP/tcp.json
"$MQTTBENCH" conn -p "$(free_port)" --count 5 --rate 100 --quiet --json "$f" > "$TEST_TMP/out" 2>&1
check_eq "tcp: exits 1" 1 "$?"
json_load "$f"
check_eq "tcp: 5 tcp failures" "5 0" "${J[conn.failed.tcp]} ${J[conn.done]}"

# --- --subscribe: ready at the SUBACK; a denied one counted ---------------------
f=$TEST_TMP/sub.json
"$MQTTBENCH" conn -p "$BROKER_PORT" "${AUTH[@]}" --subscribe -q 1 --count 50 --rate 500 --quiet --json "$f" \
    > "$TEST_TMP/out" 2>&1
check_eq "subscribe: exits 0" 0 "$?"
json_load "$f"
check_eq "subscribe: 50 done, none failed" "50 0 true" "${J[conn.done]} ${J[connect.failures]} ${J[config.subscribe]}"
# (mosquitto 2.0 grants a subscription its ACL denies, and delivers nothing:
# a refused SUBACK cannot be made here.)

# --- takeovers: ids cycle over a pool -------------------------------------------
# 20 ms apart, so each CONNACK is in before the next client takes its id over
# even on a loaded machine; each lives 3 s, well past the last takeover.
f=$TEST_TMP/pool1.json
"$MQTTBENCH" conn -p "$BROKER_PORT" "${AUTH[@]}" --id-pool 1 --lifetime 3s --count 20 --rate 50 --quiet \
    --json "$f" > "$TEST_TMP/out" 2>&1
check_eq "pool 1: exits 0" 0 "$?"
json_load "$f"
check_eq "pool 1: 20 done, 19 taken over, none lost" "20 19 0" \
    "${J[conn.done]} ${J[conn.takeovers]} ${J[conn.failed.lost]}"
f=$TEST_TMP/pool5.json
"$MQTTBENCH" conn -p "$BROKER_PORT" "${AUTH[@]}" --id-pool 5 --lifetime 3s --count 20 --rate 50 --quiet \
    --json "$f" > "$TEST_TMP/out" 2>&1
json_load "$f"
check_eq "pool 5: 20 done, 15 taken over" "20 15" "${J[conn.done]} ${J[conn.takeovers]}"
check "pool 5: the summary counts them" grep -q "^  takeovers *15 " "$TEST_TMP/out"
f=$TEST_TMP/unique.json
"$MQTTBENCH" conn -p "$BROKER_PORT" "${AUTH[@]}" --lifetime 3s --count 20 --rate 50 --quiet --json "$f" \
    > /dev/null 2>&1
json_load "$f"
check_eq "unique ids: none taken over" "20 0" "${J[conn.done]} ${J[conn.takeovers]}"

# --- too few --clients: the schedule is not kept, and the result says why -------
f=$TEST_TMP/starved.json
"$MQTTBENCH" conn -p "$BROKER_PORT" "${AUTH[@]}" --clients 2 --lifetime 20ms --count 60 --rate 500 \
    --json "$f" > "$TEST_TMP/out" 2>&1
check_eq "starved: exits 0, all done" "0 60" "$? $(json "$f" 'd["conn"]["done"]')"
check "starved: late, each for want of a slot; schedule_lagging" python3 -c '
import json,sys; d=json.load(open(sys.argv[1])); c=d["conn"]
assert c["late"] > 30 and 0 <= c["late"] - c["slot_waits"] <= 3 and d["schedule_lagging"] and c["connects_per_s"] < 250, c' "$f"
check "starved: the NOTE says raise --clients" grep -q "raise --clients" "$TEST_TMP/out"
check_eq "plain: no connect waited for a slot" "0" "$(json "$TEST_TMP/plain.json" 'd["conn"]["slot_waits"]')"

# --- TLS: the handshake timed on its own ----------------------------------------
f=$TEST_TMP/tls.json
"$MQTTBENCH" conn -p "$P_TLS" "${AUTH[@]}" --cafile "$C/ca.pem" --count 40 --rate 200 --quiet --json "$f" \
    > "$TEST_TMP/out" 2>&1
check_eq "tls: exits 0" 0 "$?"
json_load "$f"
check_eq "tls: 40 done" "40 0" "${J[conn.done]} ${J[connect.failures]}"
check_eq "tls: tcp, tls and connack parts timed" "40 40 40" \
    "${J[connect.tcp_us.count]} ${J[connect.tls_us.count]} ${J[connect.connack_us.count]}"
check_eq "tls: TLS 1.3 negotiated" TLSv1.3 "${J[environment.tls.protocol]}"
"$MQTTBENCH" conn -p "$BROKER_PORT" "${AUTH[@]}" --cafile "$C/ca.pem" --count 5 --rate 100 --quiet \
    --json "$TEST_TMP/tls-plain.json" > /dev/null 2>&1
json_load "$TEST_TMP/tls-plain.json"
check_eq "tls: a handshake with a plain listener counts as a TLS failure" "5 0" \
    "${J[conn.failed.tls]} ${J[conn.done]}"

# --- compare and merge ----------------------------------------------------------
"$MQTTBENCH" conn -p "$BROKER_PORT" "${AUTH[@]}" --count 200 --rate 400 --quiet --json "$TEST_TMP/plain2.json" \
    > /dev/null 2>&1
# Two real runs differ by what the machine did meanwhile: the limits are wide,
# since this checks the rows, not the broker's speed.
"$MQTTBENCH" compare "$TEST_TMP/plain.json" "$TEST_TMP/plain2.json" --max-throughput-drop 100 \
    --max-latency-rise 1000000 > "$TEST_TMP/cmp" 2>&1
check_eq "compare: two conn runs compare (exit 0)" 0 "$?"
check "compare: connects/s is a compared row" grep -q "^connects/s " "$TEST_TMP/cmp"
check "compare: connect p99 is a compared row" grep -q "^connect p99 (us)" "$TEST_TMP/cmp"
check "compare: no message rows between conn results" bash -c "! grep -q '^publish msgs/s' '$TEST_TMP/cmp'"
json_edit "$TEST_TMP/plain.json" "$TEST_TMP/slow.json" \
    'd["conn"]["duration_s"] *= 2; d["conn"]["connects_per_s"] = d["conn"]["done"] / d["conn"]["duration_s"]'
"$MQTTBENCH" compare "$TEST_TMP/plain.json" "$TEST_TMP/slow.json" --max-latency-rise 1000 > "$TEST_TMP/cmp" 2>&1
check_eq "compare: half the connects/s is a regression (exit 1)" 1 "$?"
check "compare: says connects/s dropped" grep -q "^regression: connects/s dropped 50.0%" "$TEST_TMP/cmp"
json_edit "$TEST_TMP/plain.json" "$TEST_TMP/liar.json" 'd["conn"]["connects_per_s"] *= 2'
"$MQTTBENCH" compare "$TEST_TMP/plain.json" "$TEST_TMP/liar.json" > "$TEST_TMP/cmp" 2>&1
check_eq "compare: a connects_per_s that done/duration_s does not give is refused (exit 2)" 2 "$?"
check "compare: says which key" grep -q "conn.connects_per_s: .*but the rest of the result gives" "$TEST_TMP/cmp"
"$MQTTBENCH" compare "$TEST_TMP/plain.json" "$TEST_TMP/refused.json" --force > "$TEST_TMP/cmp" 2>&1
check_eq "compare: failures are a regression (exit 1)" 1 "$?"
check "compare: says connect failures" grep -q "^regression: connect failures: 20" "$TEST_TMP/cmp"
"$MQTTBENCH" compare "$TEST_TMP/plain.json" "$TEST_TMP/pool5.json" > "$TEST_TMP/cmp" 2>&1
check_eq "compare: another scenario is refused (exit 2)" 2 "$?"
check "compare: names the difference" grep -q "lifetime_s 0 vs 3" "$TEST_TMP/cmp"
"$MQTTBENCH" merge "$TEST_TMP/plain.json" "$TEST_TMP/plain2.json" -o "$TEST_TMP/m.json" > "$TEST_TMP/out" 2>&1
rc=$?
check "merge: refuses conn results (exit not 0)" test "$rc" -ne 0
check_eq "merge: in one line" "1 1" "$(grep -c "a conn result" "$TEST_TMP/out") $(wc -l < "$TEST_TMP/out")"

# --- a timeout: the broker stopped (SIGSTOP) accepts TCP but never answers ------
kill -STOP "$BROKER_PID"
"$MQTTBENCH" conn -p "$BROKER_PORT" "${AUTH[@]}" --count 5 --rate 100 --connect-timeout 1s --quiet \
    --json "$TEST_TMP/timeout.json" > "$TEST_TMP/out" 2>&1
rc=$?
kill -CONT "$BROKER_PID"
check_eq "timeout: exits 1" 1 "$rc"
json_load "$TEST_TMP/timeout.json"
check_eq "timeout: 5 timeouts, none done" "5 0" "${J[conn.failed.timeout]} ${J[conn.done]}"
check_eq "timeout: the reason" 5 "$(json "$TEST_TMP/timeout.json" 'd["connect"]["failure_reasons"]["no CONNACK within the connect timeout"]')"

# --- interrupted: the result says so, with what was started --------------------
f=$TEST_TMP/int.json
"$MQTTBENCH" conn -p "$BROKER_PORT" "${AUTH[@]}" --count 100000 --rate 500 --json "$f" > "$TEST_TMP/int.out" 2>&1 &
pid=$!
for _ in $(seq 1 500); do grep -q "^\[ *1\.0s\] started" "$TEST_TMP/int.out" && break; sleep 0.01; done
kill -INT "$pid"
wait_exit "$pid" 5000
check_eq "interrupted: exits 130" 130 "$EXIT_RC"
json_load "$f"
check_eq "interrupted: status aborted" aborted "${J[status]}"
check "interrupted: part of the schedule, at most the target rate" python3 -c '
import json,sys; c=json.load(open(sys.argv[1]))["conn"]
assert 0 < c["started"] < c["scheduled"] and 0 < c["done"] <= c["started"] and c["connects_per_s"] <= 510, c' "$f"

# --- usage ------------------------------------------------------------------------
"$MQTTBENCH" conn --rate 0 > "$TEST_TMP/out" 2>&1
check_eq "usage: --rate 0 exits 2" 2 "$?"
check_eq "usage: in one line" "mqttbench: --rate: conn needs a rate above 0 (connects per second)" "$(cat "$TEST_TMP/out")"
"$MQTTBENCH" conn --count 10 --duration 1s > "$TEST_TMP/out" 2>&1
check_eq "usage: --count with --duration exits 2" 2 "$?"
"$MQTTBENCH" conn --publishers 2 > "$TEST_TMP/out" 2>&1
check_eq "usage: --publishers is not an option of conn" "2 1" "$? $(wc -l < "$TEST_TMP/out")"
"$MQTTBENCH" pub --lifetime 1s > "$TEST_TMP/out" 2>&1
check_eq "usage: --lifetime is not an option of pub" 2 "$?"
finish
