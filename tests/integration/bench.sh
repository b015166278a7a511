# The peer benchmark, in small numbers: bench/rusage (what it reports, and
# that its own memory stays out of a command's peak RSS) and bench/peers.sh
# end to end (mqttbench, an mqttbench variant, MQTT.js and the probe on the
# broker it starts; QoS 0 and 1; bad settings). The figures are not judged
# here, only that every row is measured and adds up. About 15 s.
# shellcheck shell=bash
source tests/lib.sh

# The bench helpers, built here the way `make bench-peers` builds them.
for b in rusage probe; do
    ${CC:-cc} -std=c11 -Wall -Wextra -D_GNU_SOURCE -O2 -o "$TEST_TMP/$b" "bench/$b.c" 2> "$TEST_TMP/$b.cc" ||
        { fail "build bench/$b.c" "$(head -c 400 "$TEST_TMP/$b.cc")"; exit 1; }
done
RU=$TEST_TMP/rusage

# --- bench/rusage -------------------------------------------------------------
"$RU" "$TEST_TMP/false.ru" false
check_eq "rusage: passes on the command's exit status" 1 "$?"
check "rusage: writes exit=1" grep -q ' exit=1$' "$TEST_TMP/false.ru"
# shellcheck disable=SC2016  # the loop is for sh to expand
"$RU" "$TEST_TMP/spin.ru" sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i + 1)); done'
check_eq "rusage: a command that succeeds exits 0" 0 "$?"
spin=$(cat "$TEST_TMP/spin.ru")
check "rusage: counts the command's CPU ($spin)" \
    awk -v l="$spin" 'BEGIN { split(l, f, /[ =]/); exit !(f[2] + f[4] > 0.01) }'
# Linux counts a child's memory before exec() in its ru_maxrss: a launcher
# bigger than the client (a Python one is ~10 MB) would show as its peak.
"$RU" "$TEST_TMP/true.ru" true
rss=$(sed -n 's/.*peak_rss_kb=\([0-9]*\).*/\1/p' "$TEST_TMP/true.ru")
check "rusage: peak RSS of true is its own, not a launcher's (${rss:-none} kB < 3000)" \
    test "${rss:-999999}" -lt 3000
"$RU" "$TEST_TMP/none.ru" "$TEST_TMP/no-such-command" 2> /dev/null
check_eq "rusage: a command that cannot run: 127" 127 "$?"

# --- bench/peers.sh -----------------------------------------------------------
peers() {   # NAME VAR=VALUE...: run bench/peers.sh, JSON in $TEST_TMP/NAME.json; sets RC
    local name=$1; shift
    env "$@" OUT="$TEST_TMP/$name.json" MQTTBENCH="$MQTTBENCH" PROBE="$TEST_TMP/probe" RUSAGE="$RU" \
        timeout 120 bench/peers.sh > "$TEST_TMP/$name.out" 2> "$TEST_TMP/$name.err"
    RC=$?
}
summary() { # FILE ROW: [status, received, lost, every figure measured] of ROW's first run
    json "$1" "[[r['status'], r.get('received'), r.get('lost'),
                 r.get('msgs_per_s', 0) > 0 and r.get('client_cpu_us_per_msg', 0) > 0
                 and r.get('broker_cpu_us_per_msg') is not None and r.get('peak_rss_kb', 0) > 1000]
                for r in d['runs'] if r['row'] == '$2'][0]"
}

tools="mqttbench probe"
if bench/peers.sh install 2> "$TEST_TMP/install.err"; then
    tools="mqttbench mqttjs probe"
else
    echo "SKIP MQTT.js rows: $(tail -n 1 "$TEST_TMP/install.err")"
fi

peers q0 COUNT=3000 ROUNDS=1 TOOLS="$tools" MB_ALT_FLAGS="--backlog 0"
check_eq "peers qos 0: exit 0" 0 "$RC"
[ "$RC" = 0 ] || echo "stderr: $(tail -n 5 "$TEST_TMP/q0.err")"
for r in $tools mqttbench-alt1; do
    check_eq "peers qos 0, $r: ok, all received, every figure measured" '["ok", 3000, 0, true]' \
        "$(summary "$TEST_TMP/q0.json" "$r")"
done
check_eq "peers qos 0: rows in round order, the variant after mqttbench" \
    "${tools/mqttbench/mqttbench mqttbench-alt1}" \
    "$(json "$TEST_TMP/q0.json" "' '.join(r['name'] for r in d['config']['rows'])")"
check_eq "peers qos 0: the variant ran with its flags" "--backlog 0" \
    "$(json "$TEST_TMP/q0.json" "d['config']['rows'][1]['flags']")"
check_eq "peers qos 0: mqttbench lost nothing: PASS" PASS \
    "$(json "$TEST_TMP/q0.json" "[t['result'] for t in d['targets'] if t['name'].startswith('messages lost')][0]")"
check "peers qos 0: the table has the medians and the ratios" \
    grep -q 'mqttbench / row' "$TEST_TMP/q0.out"
if [[ $tools == *mqttjs* ]]; then
    check_eq "peers qos 0: MQTT.js target judged" true \
        "$(json "$TEST_TMP/q0.json" "any(t['name'].endswith('/ MQTT.js') and t['result'] in ('PASS', 'MISS') for t in d['targets'])")"
    check_eq "peers qos 0: MQTT.js's start-up CPU is measured (and left out)" true \
        "$(json "$TEST_TMP/q0.json" "[r for r in d['runs'] if r['row'] == 'mqttjs'][0]['startup_cpu_s'] > 0")"
fi

# QoS 1: the probe says why it does not run; the others deliver everything.
peers q1 COUNT=500 ROUNDS=1 QOS=1 TOOLS="$tools"
check_eq "peers qos 1: exit 0" 0 "$RC"
check_eq "peers qos 1: the probe is skipped, with the reason" \
    '["skipped", "the probe publishes at QoS 0 only"]' \
    "$(json "$TEST_TMP/q1.json" "[[r['status'], r.get('why')] for r in d['runs'] if r['row'] == 'probe'][0]")"
for r in $tools; do
    [ "$r" = probe ] && continue
    check_eq "peers qos 1, $r: ok, all received, every figure measured" '["ok", 500, 0, true]' \
        "$(summary "$TEST_TMP/q1.json" "$r")"
done

# Bad settings: exit 2 before any broker starts.
peers bad QOS=3
check_eq "peers: QOS=3 is refused with exit 2" 2 "$RC"
check "peers: QOS=3 names the setting" grep -q 'QOS must be 0, 1 or 2' "$TEST_TMP/bad.err"
