# `mqttbench compare`: exit codes and messages CI relies on, on real result
# files and on variants of them edited with python3.
source tests/lib.sh
start_broker "max_queued_messages 0" || exit 1

B="$TEST_TMP/base.json"
N="$TEST_TMP/new.json"
"$MQTTBENCH" both -p "$BROKER_PORT" --count 5000 --quiet --json "$B" > /dev/null 2>&1
"$MQTTBENCH" both -p "$BROKER_PORT" --count 5000 --quiet --json "$N" > /dev/null 2>&1
stop_broker
check_eq "two real runs recorded" "ok ok" "$(json "$B" 'd["status"]') $(json "$N" 'd["status"]')"

out="$TEST_TMP/out"
errf="$TEST_TMP/err"
# cmp_run ARGS...: run compare, stdout to $out, stderr to $errf, status in RC.
cmp_run() {
    "$MQTTBENCH" compare "$@" > "$out" 2> "$errf"
    RC=$?
}

# Two real runs of one scenario: usable (0 or 1, never 2), and with limits no
# real run can exceed, 0.
cmp_run "$B" "$N"
check "two real runs: usable (exit 0 or 1)" test "$RC" -eq 0 -o "$RC" -eq 1
check "two real runs: the table" grep -q '^subscribe msgs/s ' "$out"
cmp_run "$B" "$N" --max-throughput-drop 100 --max-latency-rise 1000000
check_eq "two real runs, loose limits: exit 0" 0 "$RC"

cmp_run "$B" "$B"
check_eq "identical: exit 0" 0 "$RC"
check "identical: verdict OK" grep -q '^verdict: OK' "$out"
check_eq "identical: nothing on stderr" "" "$(cat "$errf")"
cp "$out" "$TEST_TMP/out.first"
cmp_run "$B" "$B"
check "identical: output stable" cmp -s "$out" "$TEST_TMP/out.first"
check_eq "table: ten rows in a fixed order" \
    "publish msgs/s|subscribe msgs/s|latency p50 (us)|latency p90 (us)|latency p99 (us)|latency p99.9 (us)|latency max (us)|lost|duplicates|tool CPU (s)" \
    "$(sed -n '/^metric /,/^$/p' "$out" | sed '1d;/^$/d' | cut -c1-20 | sed 's/ *$//' | paste -sd'|')"

# A file must agree with itself (the reader recomputes every rate and
# percentile from the counts and histograms), so a variant is made by
# changing what they come from.
# slower SRC DST FACTOR: the subscribers' duration / FACTOR, so msgs/s * FACTOR.
slower() {
    json_edit "$1" "$2" "s = d[\"subscribe\"]; s[\"duration_s\"] /= $3; s[\"msgs_per_s\"] = s[\"messages\"] / s[\"duration_s\"]"
}
json_edit "$B" "$TEST_TMP/edited.json" 'd["subscribe"]["msgs_per_s"] *= 0.8'
cmp_run "$B" "$TEST_TMP/edited.json"
check_eq "a rate its counts do not give: exit 2" 2 "$RC"
check "a rate its counts do not give: says so" grep -q "edited.json: subscribe.msgs_per_s: .*, but the rest of the result gives " "$errf"

# Throughput -20%: regression on that row only.
slower "$B" "$TEST_TMP/slow.json" 0.8
cmp_run "$B" "$TEST_TMP/slow.json"
check_eq "throughput -20%: exit 1" 1 "$RC"
check_eq "throughput -20%: the regression line" "regression: subscribe msgs/s dropped 20.0% (limit 10%)" "$(cat "$errf")"
check "throughput -20%: row says worse" grep -Eq '^subscribe msgs/s .* -20\.0%  worse$' "$out"
check "throughput -20%: verdict REGRESSION" grep -q '^verdict: REGRESSION (1 metric beyond the limits)' "$out"
cmp_run "$B" "$TEST_TMP/slow.json" --max-throughput-drop 25
check_eq "throughput -20% with --max-throughput-drop 25: exit 0" 0 "$RC"

# Every latency doubled: in the histogram's layout, bucket index + 128 is the
# same bucket one power of two up (for values of 256 ns and more), so every
# value, sum and percentile doubles exactly (sumsq four times).
json_edit "$B" "$TEST_TMP/p99.json" '
l = d["latency_us"]; h = l["histogram"]
h["buckets"] = [v + 128 if i % 2 == 0 else v for i, v in enumerate(h["buckets"])]
h["min_ns"] *= 2; h["max_ns"] *= 2; h["sum_ns"] *= 2; h["sumsq_ns"] *= 4
for k in ("min", "mean", "stdev", "p50", "p90", "p99", "p999", "p9999", "max"): l[k] *= 2'
cmp_run "$B" "$TEST_TMP/p99.json"
check_eq "latency x2: exit 1" 1 "$RC"
check_eq "latency x2: the regression lines" "regression: latency p50 rose 100.0% (limit 20%)|regression: latency p99 rose 100.0% (limit 20%)" \
    "$(paste -sd'|' "$errf")"
cmp_run "$B" "$TEST_TMP/p99.json" --max-latency-rise 100
check_eq "latency x2 with --max-latency-rise 100: exit 0" 0 "$RC"
check "latency x2: p90 informational" grep -Eq '^latency p90 \(us\) .* \+100\.0%  -$' "$out"

# Loss in NEW.
json_edit "$B" "$TEST_TMP/lossy.json" 'd["subscribe"]["lost"] = 5'
cmp_run "$B" "$TEST_TMP/lossy.json"
check_eq "loss: exit 1" 1 "$RC"
check "loss: the regression line" grep -q '^regression: lost: 5 messages in NEW (base 0)' "$errf"
cmp_run "$B" "$TEST_TMP/lossy.json" --allow-loss
check_eq "loss with --allow-loss: exit 0" 0 "$RC"
check "loss with --allow-loss: row says allowed" grep -Eq '^lost .* allowed$' "$out"

# A base with repeats: NEW inside the base's spread is noise, not a regression.
json_edit "$B" "$TEST_TMP/repeat.json" '
m = {"publish_msgs_per_s": d["publish"]["msgs_per_s"], "subscribe_msgs_per_s": d["subscribe"]["msgs_per_s"],
     "latency_p50_us": d["latency_us"]["p50"], "latency_p90_us": d["latency_us"]["p90"],
     "latency_p99_us": d["latency_us"]["p99"], "latency_p999_us": d["latency_us"]["p999"],
     "latency_max_us": d["latency_us"]["max"], "lost": 0, "duplicates": 0,
     "cpu_s": d["resources"]["cpu_user_s"] + d["resources"]["cpu_sys_s"]}
run = json.loads(json.dumps(d))
d["repeat"] = {"runs": 3, "metrics": {k: {"median": v, "min": v * 0.7, "max": v * 1.3} for k, v in m.items()}}
d["runs"] = [run]'
cmp_run "$TEST_TMP/repeat.json" "$TEST_TMP/slow.json"
check_eq "inside the repeat spread: exit 0" 0 "$RC"
check "inside the repeat spread: within noise" grep -Eq '^subscribe msgs/s .* -20\.0%  within noise ' "$out"
check "repeat base: range column" grep -q 'base range$' "$out"
check "repeat base: runs shown" grep -q "^  base .*(3 runs)" "$out"
slower "$B" "$TEST_TMP/slower.json" 0.6
cmp_run "$TEST_TMP/repeat.json" "$TEST_TMP/slower.json"
check_eq "outside the repeat spread: exit 1" 1 "$RC"

# Unusable input: exit 2 and one line naming the file.
head -c 300 "$B" > "$TEST_TMP/trunc.json"
cmp_run "$B" "$TEST_TMP/trunc.json"
check_eq "truncated: exit 2" 2 "$RC"
check_eq "truncated: one line" 1 "$(wc -l < "$errf")"
check "truncated: says where" grep -q "^mqttbench compare: $TEST_TMP/trunc.json: invalid JSON: unexpected end of file at line" "$errf"
echo 'not json' > "$TEST_TMP/garbage.json"
cmp_run "$TEST_TMP/garbage.json" "$B"
check_eq "not JSON: exit 2" 2 "$RC"
check "not JSON: one line" test "$(wc -l < "$errf")" -eq 1
json_edit "$B" "$TEST_TMP/schema.json" 'd["schema"] = "other.tool.v1"'
cmp_run "$B" "$TEST_TMP/schema.json"
check_eq "schema mismatch: exit 2" 2 "$RC"
check_eq "schema mismatch: message" \
    "mqttbench compare: $TEST_TMP/schema.json: schema \"other.tool.v1\", expected \"mqttbench.result.v1\"" "$(cat "$errf")"
json_edit "$B" "$TEST_TMP/hist.json" 'd["latency_us"]["histogram"]["buckets"].append(1)'
cmp_run "$B" "$TEST_TMP/hist.json"
check_eq "broken histogram: exit 2" 2 "$RC"
check "broken histogram: names the key" grep -q 'latency_us.histogram.buckets: .* values, expected (index, count) pairs' "$errf"
cmp_run "$B" "$TEST_TMP"
check_eq "a directory: exit 2" 2 "$RC"
check "a directory: says so" grep -q 'is a directory' "$errf"
cmp_run "$B" "$TEST_TMP/missing.json"
check_eq "missing file: exit 2" 2 "$RC"
json_edit "$B" "$TEST_TMP/failed.json" 'd["status"] = "failed"; d["error"] = "connection to the broker lost"'
cmp_run "$TEST_TMP/failed.json" "$B"
check_eq "failed base: exit 2" 2 "$RC"
cmp_run "$B" "$TEST_TMP/failed.json"
check_eq "failed new: exit 1" 1 "$RC"
check "failed new: the regression line" grep -q '^regression: the new run has status "failed": connection to the broker lost' "$errf"

# Different scenarios: exit 2 listing the differences, unless --force.
json_edit "$B" "$TEST_TMP/qos1.json" 'd["config"]["qos"] = 1; d["config"]["size"] = 16'
cmp_run "$B" "$TEST_TMP/qos1.json"
check_eq "different qos: exit 2" 2 "$RC"
check "different qos: lists qos and size" grep -q 'ran different scenarios: qos 0 vs 1; size 64 vs 16 (--force compares anyway)' "$errf"
check_eq "different qos: one line" 1 "$(wc -l < "$errf")"
cmp_run "$B" "$TEST_TMP/qos1.json" --force
check_eq "different qos with --force: exit 0" 0 "$RC"
check "different qos with --force: warns" grep -q 'warning: different scenarios, compared because of --force: qos 0 vs 1' "$errf"

# --json OUT: the verdict, written atomically.
vdir="$TEST_TMP/verdicts"
mkdir -p "$vdir"
cmp_run "$B" "$TEST_TMP/slow.json" --json "$vdir/verdict.json"
check_eq "--json: exit still 1" 1 "$RC"
check_eq "--json: verdict" "regression 1 14 worse" \
    "$(json "$vdir/verdict.json" '"%s %d %d %s" % (d["verdict"], d["exit_code"], len(d["rows"]), d["rows"][1]["verdict"])')"
check_eq "--json: regressions listed" '["subscribe msgs/s dropped 20.0% (limit 10%)"]' "$(json "$vdir/verdict.json" 'd["regressions"]')"
check_eq "--json: every row" \
    '["publish_msgs_per_s", "subscribe_msgs_per_s", "latency_p50_us", "latency_p90_us", "latency_p99_us", "latency_p999_us", "latency_max_us", "lost", "duplicates", "cpu_s", "connects_per_s", "connect_p50_us", "connect_p99_us", "connect_failures"]' \
    "$(json "$vdir/verdict.json" '[r["metric"] for r in d["rows"]]')"
check_eq "--json: no temp file left" "verdict.json" "$(ls -A "$vdir" | paste -sd' ')"
cmp_run "$B" "$TEST_TMP/qos1.json" --json "$vdir/unusable.json"
check_eq "--json on unusable input: verdict unusable" "unusable 2" \
    "$(json "$vdir/unusable.json" '"%s %d" % (d["verdict"], d["exit_code"])')"
cmp_run "$B" "$B" --json "$TEST_TMP/no/such/dir/v.json"
check_eq "--json unwritable: exit 2" 2 "$RC"

# --format markdown: a GitHub table.
cmp_run "$B" "$TEST_TMP/slow.json" --format markdown
check_eq "markdown: exit 1" 1 "$RC"
check "markdown: header" grep -qx '| metric | base | new | delta | delta % | verdict |' "$out"
check "markdown: separator" grep -qx '|---|---:|---:|---:|---:|---|' "$out"
check "markdown: worse in bold" grep -q '^| subscribe msgs/s | .* | \*\*worse\*\* |$' "$out"
check "markdown: regressions listed" grep -qx -- '- subscribe msgs/s dropped 20.0% (limit 10%)' "$out"

# Usage.
cmp_run "$B"
check_eq "one file: exit 2" 2 "$RC"
cmp_run "$B" "$B" --bogus
check_eq "unknown option: exit 2" 2 "$RC"
check "unknown option: named" grep -q "unknown option '--bogus'" "$errf"
cmp_run "$B" "$B" --format xml
check_eq "bad --format: exit 2" 2 "$RC"
cmp_run "$B" "$B" --max-throughput-drop ten
check_eq "bad percentage: exit 2" 2 "$RC"
cmp_run --help
check_eq "--help: exit 0" 0 "$RC"
check "--help: usage" grep -q '^usage: mqttbench compare BASE.json NEW.json' "$out"
finish
