# `both` at QoS 0, 1 and 2 against a real mosquitto: exact counts in the JSON.
source tests/lib.sh
# No queue limit: every message must arrive, so counts are exact and lost is 0.
start_broker "max_queued_messages 0" || exit 1

for qos in 0 1 2; do
    f="$TEST_TMP/both-q$qos.json"
    "$MQTTBENCH" both -p "$BROKER_PORT" --qos "$qos" --count 20000 --publishers 2 --subscribers 2 \
        --size 100 --quiet --json "$f" > "$TEST_TMP/out" 2>&1
    rc=$?
    check_eq "qos $qos exits 0" 0 "$rc"
    check_eq "qos $qos status ok" ok "$(json "$f" 'd["status"]')"
    check_eq "qos $qos published" 20000 "$(json "$f" 'd["publish"]["messages"]')"
    check_eq "qos $qos bytes" 2000000 "$(json "$f" 'd["publish"]["bytes"]')"
    check_eq "qos $qos received (2 subscribers)" 40000 "$(json "$f" 'd["subscribe"]["messages"]')"
    check_eq "qos $qos expected" 40000 "$(json "$f" 'd["subscribe"]["expected"]')"
    check_eq "qos $qos lost/dup/foreign" "0 0 0" \
        "$(json "$f" '"%d %d %d" % (d["subscribe"]["lost"], d["subscribe"]["duplicates"], d["subscribe"]["foreign"])')"
    check_eq "qos $qos latency count" 40000 "$(json "$f" 'd["latency_us"]["count"]')"
    check "qos $qos percentiles ordered" python3 -c '
import json,sys; l=json.load(open(sys.argv[1]))["latency_us"]
ks=["min","p50","p90","p99","p999","p9999","max"]
sys.exit(0 if all(l[a] <= l[b] for a,b in zip(ks,ks[1:])) and l["min"] > 0 else 1)' "$f"
done

# With mosquitto's default queue limit (1000), two QoS 1 subscribers of two
# pipelining publishers may lose messages; whatever happens must add up.
stop_broker
start_broker || exit 1
f="$TEST_TMP/both-default.json"
"$MQTTBENCH" both -p "$BROKER_PORT" --qos 1 --count 20000 --publishers 2 --subscribers 2 --quiet --json "$f" >/dev/null 2>&1
check_eq "default broker: received + lost = 2 x published" \
    "$(json "$f" '2 * d["publish"]["messages"]')" "$(json "$f" 'd["subscribe"]["messages"] + d["subscribe"]["lost"]')"

f="$TEST_TMP/both-q0.json"
check "json schema and keys" python3 -c '
import json,sys; d=json.load(open(sys.argv[1]))
assert d["schema"] == "mqttbench.result.v1"
for k in ["config","environment","publish","subscribe","latency_us","timeseries","resources"]: assert k in d, k
for k in ["messages","bytes","errors","duration_s","msgs_per_s"]: assert k in d["publish"], k
for k in ["messages","lost","duplicates","out_of_order","foreign","duration_s","msgs_per_s"]: assert k in d["subscribe"], k
for k in ["count","min","mean","stdev","p50","p90","p99","p999","p9999","max","histogram"]: assert k in d["latency_us"], k
for k in ["cpu_user_s","cpu_sys_s","peak_rss_kb"]: assert k in d["resources"], k
e=d["environment"]
for k in ["version","git_revision","libmosquitto","hostname","cpu_model","cpu_count","kernel","start_time","broker_address","broker_spawned","broker_version"]: assert k in e, k
assert e["broker_spawned"] is False
assert e["broker_version"].startswith("mosquitto version"), e["broker_version"]
assert all(k in d["timeseries"][-1] for k in ["t","sent","received","p50","p99"])
assert d["timeseries"][-1]["received"] == 40000
assert "password" not in json.dumps(d["config"]).replace("password_set","").replace("key_password_env","")
' "$f"

# Bad input found when the clients are set up: exit 2 with one line naming
# the cause and nothing written when the topology finds it before anything
# connects; exit 1 with a `failed` result when only libmosquitto refuses it
# (a user name). It used to crash in the delivery accounting (exit 139, no
# result).
# setup_fails NAME EXIT CAUSE-REGEX ARGS...
setup_fails() {
    local name=$1 want=$2 cause=$3; shift 3
    local f="$TEST_TMP/setup-$RANDOM.json"
    timeout 60 "$MQTTBENCH" "$@" -p "$BROKER_PORT" --quiet --json "$f" > "$TEST_TMP/setup.out" 2> "$TEST_TMP/setup.err"
    local rc=$?
    check_eq "$name: exit $want" "$want" "$rc"
    check_eq "$name: one line on stderr" 1 "$(grep -c . "$TEST_TMP/setup.err")"
    check "$name: stderr names the cause ($(head -c 200 "$TEST_TMP/setup.err"))" grep -qE "^mqttbench: .*($cause)" "$TEST_TMP/setup.err"
    if [ "$want" = 2 ]; then
        check "$name: nothing written" [ ! -e "$f" ]
    else
        json_load "$f"
        check_eq "$name: status failed" failed "${J[status]}"
        check_eq "$name: nothing published" 0 "${J[publish.messages]:-0}"
    fi
}
setup_fails "too many topic pairs" 2 "too many topic pairs" both --publishers 2001 --subscribers 2000 -n 10k
setup_fails "latin-1 id prefix" 2 "id-prefix.*UTF-8" both -n 1k --id-prefix $'caf\xe9'
setup_fails "latin-1 user name" 1 "username" both -n 1k -u $'caf\xe9' -P x
setup_fails "%c expands to a wildcard" 2 "not a valid publish topic" both -n 1k --id-prefix 'a+b' -t 'x/%c'
setup_fails "sub: latin-1 id prefix" 2 "id-prefix.*UTF-8" sub --duration 1s --id-prefix $'caf\xe9'
setup_fails "sub: %c expands to a wildcard" 2 "not a valid filter" sub --duration 1s --sub-topic 'x/%c' --id-prefix 'a+b'
setup_fails "sub: latin-1 user name" 1 "username" sub --duration 1s -u $'caf\xe9' -P x
setup_fails "pub: latin-1 id prefix" 2 "id-prefix.*UTF-8" pub -n 10 --id-prefix $'caf\xe9'

# A password never reaches the result file.
"$MQTTBENCH" both -p "$BROKER_PORT" --count 100 -u bench -P s3cr3t-pw --quiet --json "$TEST_TMP/pw.json" >/dev/null 2>&1
check "password absent from results" bash -c "! grep -q s3cr3t-pw '$TEST_TMP/pw.json'"

# --report-every prints the cumulative count like the seed's subscriber did.
out=$("$MQTTBENCH" both -p "$BROKER_PORT" --count 30000 --report-every 10000 --quiet --json "$TEST_TMP/r.json" 2>"$TEST_TMP/r.err")
echo "$out" | grep -q "^received 30000" || { echo "$out"; cat "$TEST_TMP/r.err"; }
check_eq "report-every lines" "received 10000 received 20000 received 30000" "$(echo "$out" | grep '^received' | xargs)"

# Default result path under results/ when --json is not given.
( cd "$TEST_TMP" && "$MQTTBENCH" both -p "$BROKER_PORT" --count 100 --quiet >/dev/null 2>&1 )
check "default result path" bash -c "ls '$TEST_TMP'/results/mqttbench-both-*Z.json >/dev/null"
# --- why a run stalled: only what the evidence shows -------------------------
# stall_run NAME ARGS...: a `both` run expected to fail; loads J, sets ERR.
stall_run() {
    local name=$1; shift
    timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" --quiet --json "$TEST_TMP/$name.json" "$@" \
        > "$TEST_TMP/$name.out" 2> "$TEST_TMP/$name.err"
    check_eq "$name: exit 1" 1 "$?"
    json_load "$TEST_TMP/$name.json"
    check_eq "$name: status failed" failed "${J[status]}"
    ERR=${J[error]}
}
# lacks PATTERN TEXT: TEXT does not contain PATTERN.
lacks() { ! grep -q "$1" <<< "$2"; }

# A subscription the broker granted but never routed anything to (here an
# ACL that lets the subscriber subscribe but not read; on other brokers an
# unsupported $share or RabbitMQ's '.'): say so, not "stopped delivering"
# (brokers D7). The publishers were held by mqttbench's own window.
stop_broker
printf 'topic read $SYS/#\ntopic write mqttbench/test\n' > "$TEST_TMP/acl"
start_broker "acl_file $TEST_TMP/acl" || exit 1
stall_run routed-nothing -n 10k --drain-timeout 1s
check "routed nothing: 'no subscriber received any message' ($ERR)" \
    grep -q "^stalled: no subscriber received any message" <<< "$ERR"
check "routed nothing: the broker is not said to have stopped acknowledging" lacks acknowledging "$ERR"
check "routed nothing: what was published is in flight, not lost (${J[subscribe.lost]} / ${J[subscribe.in_flight]})" \
    [ "${J[subscribe.lost]}" = 0 -a "${J[subscribe.in_flight]:-0}" -gt 0 ]

# A broker that stops (SIGSTOP) while mqttbench's --backlog window holds the
# publishers: they waited for the subscribers, not for acknowledgements.
stop_broker
start_broker || exit 1
( sleep 1; kill -STOP "$BROKER_PID" ) &
stall_run frozen -n 5M --drain-timeout 1s
kill -CONT "$BROKER_PID"
check "frozen broker: names mqttbench's window ($ERR)" grep -q "publishers waited for the subscribers (mqttbench's --backlog" <<< "$ERR"
check "frozen broker: not 'stopped acknowledging'" lacks acknowledging "$ERR"

# mosquitto_publish itself fails (here: an MQTT 5 broker's maximum packet
# size; also out of memory): the error names it, not a broker stall
# (reliability #13).
stop_broker
start_broker "max_packet_size 1000" || exit 1
stall_run oversize -V 5 --size 2000 -n 20 --drain-timeout 1s
check "publish error: named ($ERR)" grep -q "^mosquitto_publish failed [0-9]* times\? (Packet larger" <<< "$ERR"
check "publish error: the broker is not blamed" lacks broker "$ERR"
check "publish error: publish.first_error (${J[publish.first_error]})" grep -q "Packet larger" <<< "${J[publish.first_error]}"
check "publish error: the summary has the errors row" grep -q "^  errors .* calls of mosquitto_publish failed" "$TEST_TMP/oversize.out"
finish
