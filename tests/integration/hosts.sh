# Separate hosts on one machine: the broker, a publishing host and a
# subscribing host each in its own network namespace, joined by veth pairs to
# a bridge in a fourth namespace (the root namespace is not touched). Traffic
# stays on 198.18.0.0/24 (RFC 2544 benchmarking range) inside the namespaces:
#   198.18.0.1 broker   198.18.0.2 pub host   198.18.0.3 sub host
# Checks the control plane across "hosts": start barrier, exact tail
# accounting, the NTP-style clock offset (0 here: one kernel clock; -5 ms when
# the pub process's clock is skewed +5 ms), two pub processes with
# --first-publisher ranges, and `merge` of the result files.
# Needs root and iproute2; prints "SKIP hosts: why" and exits 0 otherwise.
source tests/lib.sh

NETNS_TEST=hosts
source tests/netns.sh

NS_BR=mbt-br-$$ NS_BK=mbt-bk-$$ NS_PUB=mbt-pub-$$ NS_SUB=mbt-sub-$$
BROKER_IP=198.18.0.1

# --- the network: bridge br0 in NS_BR, one veth pair per host ------------------
for ns in "$NS_BR" "$NS_BK" "$NS_PUB" "$NS_SUB"; do netns_add "$ns"; done
ip -n "$NS_BR" link add br0 type bridge 2> "$TEST_TMP/ns.err" || netns_skip "cannot create a bridge: $(head -n 1 "$TEST_TMP/ns.err")"
ip -n "$NS_BR" link set br0 up
n=1
for ns in "$NS_BK" "$NS_PUB" "$NS_SUB"; do
    ip -n "$NS_BR" link add "v$n" type veth peer name eth0 netns "$ns" 2> "$TEST_TMP/ns.err" ||
        netns_skip "cannot create a veth pair: $(head -n 1 "$TEST_TMP/ns.err")"
    ip -n "$NS_BR" link set "v$n" master br0 up
    ip -n "$ns" addr add "198.18.0.$n/24" dev eth0
    ip -n "$ns" link set eth0 up
    n=$((n + 1))
done

# --- the broker host ------------------------------------------------------------
netns_broker "$NS_BK" "$BROKER_IP" "broker reachable from the pub and sub namespaces" "$NS_SUB" "$NS_PUB"

# Every mqttbench runs in the background and is waited for with `wait`, so a
# Ctrl-C runs the cleanup at once; `timeout 60` bounds each one.
# start_sub NAME ARGS...: `mqttbench sub` on the sub host; sets SUB_PID.
start_sub() {
    local name=$1; shift
    timeout 60 ip netns exec "$NS_SUB" "$MQTTBENCH" sub -h "$BROKER_IP" "$@" \
        > "$TEST_TMP/$name.sub.out" 2> "$TEST_TMP/$name.sub.err" &
    SUB_PID=$!
}
# start_pub NAME [VAR=VALUE...] ARGS...: `mqttbench pub` on the pub host, with
# the environment variables given first; sets PUB_PID.
start_pub() {
    local name=$1; shift
    local envs=()
    while [[ "${1:-}" == *=* && "${1:-}" != -* ]]; do envs+=("$1"); shift; done
    env "${envs[@]}" timeout 60 ip netns exec "$NS_PUB" "$MQTTBENCH" pub -h "$BROKER_IP" --wait-timeout 20s "$@" \
        > "$TEST_TMP/$name.pub.out" 2> "$TEST_TMP/$name.pub.err" &
    PUB_PID=$!
}
# rc_of PID: set RC to the exit status of that background job. Call it
# directly, not in $(...): a subshell cannot wait for the job.
rc_of() { wait "$1"; RC=$?; }
# show_on_fail NAME RC KIND: print a failed process's stderr for the log.
show_on_fail() {
    [ "$2" = 0 ] || echo "$3 stderr ($1, exit $2): $(tail -n 5 "$TEST_TMP/$1.$3.err")"
}
# within NAME VALUE TARGET SLACK: PASS when |VALUE - TARGET| <= SLACK.
within() {
    if python3 -c 'import sys; v, t, s = map(float, sys.argv[1:]); sys.exit(0 if abs(v - t) <= s else 1)' \
        "${2:-nan}" "$3" "$4" 2> /dev/null; then pass "$1"; else fail "$1" "got ${2:-nothing}, not within $4 of $3"; fi
}
# between NAME VALUE LO HI: PASS when LO < VALUE < HI.
between() {
    if python3 -c 'import sys; v, lo, hi = map(float, sys.argv[1:]); sys.exit(0 if lo < v < hi else 1)' \
        "${2:-nan}" "$3" "$4" 2> /dev/null; then pass "$1"; else fail "$1" "got ${2:-nothing}, not in ($3, $4)"; fi
}
starts_with() { [[ "$1" == "$2"* ]]; }
max() { python3 -c 'import sys; print(max(map(float, sys.argv[1:])))' "$@" 2> /dev/null || echo 0; }

# --- case 1: one pub host, one sub host, same kernel clock ---------------------
R=$(printf '1%07x' $(($$ & 0xfffffff)))
S=$TEST_TMP/c1.sub.json P=$TEST_TMP/c1.pub.json
start_sub c1 --run-id "$R" --expect-publishers 1 --qos 1 --json "$S" --quiet
start_pub c1 --run-id "$R" --wait-subscribers 1 --qos 1 --count 20000 --rate 10000 --json "$P" --quiet
rc_of "$PUB_PID"; pub_rc=$RC; rc_of "$SUB_PID"; sub_rc=$RC
show_on_fail c1 "$pub_rc" pub; show_on_fail c1 "$sub_rc" sub
check_eq "one pub host: pub exits 0" 0 "$pub_rc"
check_eq "one pub host: sub exits 0" 0 "$sub_rc"
json_load "$P"
check_eq "one pub host: published" 20000 "${J[publish.messages]}"
check_eq "one pub host: pub talked to the broker namespace" "$BROKER_IP:1883" "${J[environment.broker_address]}"
json_load "$S"
check_eq "one pub host: received" 20000 "${J[subscribe.messages]}"
check_eq "one pub host: expected (from the end announcement)" 20000 "${J[subscribe.expected]}"
check_eq "one pub host: lost 0, exact" "0 true" "${J[subscribe.lost]} ${J[subscribe.lost_exact]}"
check_eq "one pub host: sub talked to the broker namespace" "$BROKER_IP:1883" "${J[environment.broker_address]}"
check "one pub host: clock measured over the broker (${J[clock.method]})" starts_with "${J[clock.method]}" NTP-style
echo "one pub host: clock offset ${J[clock.offset_us]} us +- ${J[clock.uncertainty_us]} us, drift ${J[clock.drift_us]} us, ${J[clock.samples]} samples; latency p50 ${J[latency_us.p50]} us, negative ${J[latency_us.negative]}"
within "one pub host: clock offset 0 within max(uncertainty, 200 us)" "${J[clock.offset_us]}" 0 \
    "$(max "${J[clock.uncertainty_us]:-0}" 200)"
check "one pub host: clock samples >= 32 (${J[clock.samples]})" [ "${J[clock.samples]:-0}" -ge 32 ]

M=$TEST_TMP/c1.merged.json
timeout 60 "$MQTTBENCH" merge "$P" "$S" -o "$M" > "$TEST_TMP/merge.out" 2>&1
rc=$?
[ "$rc" = 0 ] || echo "merge output: $(cat "$TEST_TMP/merge.out")"
check_eq "merge pub + sub: exits 0" 0 "$rc"
json_load "$M"
check_eq "merge pub + sub: mode, published, received" "both 20000 20000" \
    "${J[mode]} ${J[publish.messages]} ${J[subscribe.messages]}"

# --- case 2: the pub host's clock is 5 ms ahead --------------------------------
# peer clock + offset = our clock, so the sub must measure -5000 us and take it
# out of every latency (uncorrected, the latencies would be about -5 ms).
R=$(printf '2%07x' $(($$ & 0xfffffff)))
S=$TEST_TMP/c2.sub.json P=$TEST_TMP/c2.pub.json
start_sub c2 --run-id "$R" --expect-publishers 1 --qos 1 --json "$S" --quiet
start_pub c2 MQTTBENCH_TEST_CLOCK_SKEW_NS=5000000 \
    --run-id "$R" --wait-subscribers 1 --qos 1 --count 20000 --rate 10000 --json "$P" --quiet
rc_of "$PUB_PID"; pub_rc=$RC; rc_of "$SUB_PID"; sub_rc=$RC
show_on_fail c2 "$pub_rc" pub; show_on_fail c2 "$sub_rc" sub
check_eq "skewed pub host: pub and sub exit 0" "0 0" "$pub_rc $sub_rc"
json_load "$S"
check_eq "skewed pub host: received, lost" "20000 0" "${J[subscribe.messages]} ${J[subscribe.lost]}"
echo "skewed pub host: clock offset ${J[clock.offset_us]} us +- ${J[clock.uncertainty_us]} us, drift ${J[clock.drift_us]} us; latency p50 ${J[latency_us.p50]} us, negative ${J[latency_us.negative]}"
within "skewed pub host: clock offset -5000 us within max(uncertainty, 200 us)" "${J[clock.offset_us]}" -5000 \
    "$(max "${J[clock.uncertainty_us]:-0}" 200)"
between "skewed pub host: corrected latency p50 in (0, 5000) us" "${J[latency_us.p50]}" 0 5000

# --- case 3: two pub processes with --first-publisher ranges, one sub ----------
R=$(printf '3%07x' $(($$ & 0xfffffff)))
S=$TEST_TMP/c3.sub.json
start_sub c3 --run-id "$R" --expect-publishers 2 --qos 1 --json "$S" --quiet
start_pub c3a --run-id "$R" --wait-subscribers 1 --qos 1 --count 20000 --rate 10000 \
    --first-publisher 0 --publishers 2 --json "$TEST_TMP/c3a.pub.json" --quiet
pid_a=$PUB_PID
start_pub c3b --run-id "$R" --wait-subscribers 1 --qos 1 --count 20000 --rate 10000 \
    --first-publisher 2 --publishers 2 --json "$TEST_TMP/c3b.pub.json" --quiet
pid_b=$PUB_PID
rc_of "$pid_a"; a_rc=$RC; rc_of "$pid_b"; b_rc=$RC; rc_of "$SUB_PID"; sub_rc=$RC
show_on_fail c3a "$a_rc" pub; show_on_fail c3b "$b_rc" pub; show_on_fail c3 "$sub_rc" sub
check_eq "two pub processes: both pubs and the sub exit 0" "0 0 0" "$a_rc $b_rc $sub_rc"
sent=$(( $(json "$TEST_TMP/c3a.pub.json" 'd["publish"]["messages"]' 2> /dev/null || echo 0) +
         $(json "$TEST_TMP/c3b.pub.json" 'd["publish"]["messages"]' 2> /dev/null || echo 0) ))
check_eq "two pub processes: published in all" 40000 "$sent"
json_load "$S"
check_eq "two pub processes: received = published" "$sent" "${J[subscribe.messages]}"
check_eq "two pub processes: expected = published" "$sent" "${J[subscribe.expected]}"
check_eq "two pub processes: lost 0, exact, no duplicates" "0 true 0" \
    "${J[subscribe.lost]} ${J[subscribe.lost_exact]} ${J[subscribe.duplicates]}"
check_eq "two pub processes: both clocks measured" 2 "$(json "$S" 'len(d["clock"]["publishers"])' 2> /dev/null)"
M=$TEST_TMP/c3.merged.json
timeout 60 "$MQTTBENCH" merge "$TEST_TMP/c3a.pub.json" "$TEST_TMP/c3b.pub.json" "$S" -o "$M" \
    > "$TEST_TMP/merge3.out" 2>&1
rc=$?
[ "$rc" = 0 ] || echo "merge output: $(cat "$TEST_TMP/merge3.out")"
check_eq "merge two pubs + sub: exits 0" 0 "$rc"
json_load "$M"
check_eq "merge two pubs + sub: published, received, lost" "40000 40000 0" \
    "${J[publish.messages]} ${J[subscribe.messages]} ${J[subscribe.lost]}"
finish
