# mqttbench sweep against a real mosquitto: a knee forced by a slow
# subscriber is found within the resolution, a step where mqttbench itself
# set the pace ends the search and says so, and bad objectives and rate
# lists exit 2 with one line. Kept short: CI runs every script.
source tests/lib.sh
start_broker || exit 1

# A subscriber that takes 1 ms per message delivers at most 1000 msgs/s:
# above that its backlog, and the latency from the intended send time,
# grow through the step. The knee must lie at or below 1000 msgs/s, and
# --find-max must close in on it to the resolution.
f="$TEST_TMP/knee.json"
"$MQTTBENCH" sweep -p "$BROKER_PORT" --sub-delay 1ms --rates 250,500,2000 --find-max --resolution 10% \
    --step-duration 1s --warmup 200ms --slo 'p99<100ms,loss=0' --quiet --json "$f" > "$TEST_TMP/out" 2> "$TEST_TMP/err"
rc=$?
check_eq "knee: exits 0" 0 "$rc"
check "knee: found at or below the subscriber's 1000 msgs/s, within 10%" python3 -c '
import json,sys; d=json.load(open(sys.argv[1])); k=d["sweep"]["knee"]
lo,hi=k["max_passing_msgs_per_s"],k["first_failing_msgs_per_s"]
sys.exit(0 if lo and hi and 250 <= lo <= 1000 and hi/lo-1 <= 0.10 and not k["tool_limited"] else 1)' "$f"
check "knee: never above the first failing rate, every step a run" python3 -c '
import json,sys; d=json.load(open(sys.argv[1])); s=d["sweep"]["steps"]; runs=d["runs"]
fails=[x["target_msgs_per_s"] for x in s if not x["pass"]]
ok=len(s)==len(runs) and all(r["config"]["rate"]==x["target_msgs_per_s"] for r,x in zip(runs,s))
ok=ok and all(x["target_msgs_per_s"] <= 2000 for x in s) and s[2]["target_msgs_per_s"]==2000 and not s[2]["pass"]
sys.exit(0 if ok and fails else 1)' "$f"
check "knee: the top level is the highest passing step" python3 -c '
import json,sys; d=json.load(open(sys.argv[1]))
sys.exit(0 if d["config"]["rate"]==d["sweep"]["knee"]["max_passing_msgs_per_s"] else 1)' "$f"
check "knee: the summary names the knee" grep -q "knee: the objective holds at" "$TEST_TMP/out"
check "knee: the result reads back (compare with itself)" "$MQTTBENCH" compare "$f" "$f" > /dev/null
# compare's --json verdict and --format markdown cover sweeps too: a CI gate
# reads the file, whatever was compared.
"$MQTTBENCH" compare "$f" "$f" --json "$TEST_TMP/v.json" --format markdown > "$TEST_TMP/md" 2>&1
check_eq "knee: compare --json writes the sweep verdict" "0 pass 0 [] True" \
    "$? $(json "$TEST_TMP/v.json" '"%s %d %s %s" % (d["verdict"], d["sweep"]["knee_change_pct"], d["regressions"], d["sweep"]["base_knee"] == d["sweep"]["new_knee"])')"
check "knee: compare --format markdown gives the knees as a table" grep -q '^| base | ' "$TEST_TMP/md"

# mqttbench stopped (SIGSTOP) in the middle of its first step: the step fails
# because of mqttbench, so the search stops there and blames no broker.
f="$TEST_TMP/self.json"
"$MQTTBENCH" sweep -p "$BROKER_PORT" --rates 1k,2k,4k --step-duration 3s --warmup 100ms --slo 'p99<100ms' \
    --quiet --json "$f" > "$TEST_TMP/out" 2> "$TEST_TMP/err" &
pid=$!
sleep 1.2
kill -STOP "$pid"
sleep 1.5
kill -CONT "$pid"
wait "$pid"
rc=$?
check_eq "self: exits 0" 0 "$rc"
check "self: one step, marked, the knee unknown" python3 -c '
import json,sys; d=json.load(open(sys.argv[1])); s=d["sweep"]; k=s["knee"]
sys.exit(0 if len(s["steps"])==1 and s["steps"][0]["tool_limited"] and k["tool_limited"] and "mqttbench itself" in k["verdict"] else 1)' "$f"
check "self: the summary says mqttbench set the pace" grep -q "mqttbench itself could not keep up" "$TEST_TMP/out"

# Bad input: exit 2, one line, nothing run.
bad() {
    local name=$1 want=$2; shift 2
    "$MQTTBENCH" sweep -p "$BROKER_PORT" --json "$TEST_TMP/never.json" "$@" > "$TEST_TMP/out" 2> "$TEST_TMP/err"
    local rc=$?
    if [ "$rc" = 2 ] && [ "$(wc -l < "$TEST_TMP/err")" = 1 ] && grep -q -- "$want" "$TEST_TMP/err" && [ ! -e "$TEST_TMP/never.json" ]; then
        pass "$name"
    else
        fail "$name" "rc $rc, stderr: $(head -c 300 "$TEST_TMP/err")"
    fi
}
bad "usage: an unknown objective term" "--slo: unknown term" --rates 1k --slo 'lat<5ms'
bad "usage: a latency without a unit" "expected a duration" --rates 1k --slo 'p99<5xs'
bad "usage: an empty objective term" "empty term" --rates 1k --slo 'p99<5ms,,loss=0'
bad "usage: falling rates" "--rates: must rise" --rates 2k,1k
bad "usage: a rate that is not one" "--rates: expected rates" --rates 1k,abc
bad "usage: no rates" "needs --rates" --slo 'p99<5ms'
bad "usage: --to below --from" "--to: must be above --from" --from 5k --to 1k
bad "usage: --rate in a sweep" "--rate: not with sweep" --rates 1k --rate 2k

exit $((FAILURES > 0))
