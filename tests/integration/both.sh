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
finish
