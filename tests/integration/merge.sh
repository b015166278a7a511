# `mqttbench merge`: the merge of two halves of one recorded run equals the
# whole (every count, every latency key, exactly); a `pub` and a `sub` of one
# run id merge into a `both`; unusable inputs and other scenarios are refused.
source tests/lib.sh
start_broker "max_queued_messages 0" || exit 1

# --- two halves of one run ---------------------------------------------------
# A paced run of ~2.5 s, so the timeseries has several points.
W="$TEST_TMP/whole.json"
"$MQTTBENCH" both -p "$BROKER_PORT" --count 20000 --rate 8000 --subscribers 2 --quiet --json "$W" > /dev/null 2>&1
check_eq "whole run recorded" ok "$(json "$W" 'd["status"]')"

# Split every count of the whole into A + B, and every histogram (latency,
# service latency, connect times) into two whose merge is the whole's. Each
# half's reported percentiles are recomputed the way docs/results.md says.
# A key the split does not know stays the same in both halves, so a key merge
# does not know shows up below as a difference.
python3 - "$W" "$TEST_TMP/a.json" "$TEST_TMP/b.json" <<'EOF' || fail "split the whole" "python failed"
import copy, json, math, sys
whole = json.load(open(sys.argv[1]))

def bucket_index(v):
    v = min(v, (1 << 36) - 1)
    if v < 256:
        return v
    k = v.bit_length() - 8
    return (k << 7) + (v >> k)

def bucket_low(i):
    if i < 256:
        return i
    k = (i >> 7) - 1
    return (i - (k << 7)) << k

def bucket_width(i):
    return 1 if i < 256 else 1 << ((i >> 7) - 1)

def percentile_ns(h, pct):
    n = h["count"]
    if n == 0: return 0
    if pct <= 0: return h["min_ns"]
    if pct >= 100: return h["max_ns"]
    x = pct * n / 100.0
    rank = math.floor(x)
    if x - rank > x * 1e-12: rank += 1
    rank = min(n, max(1, rank))
    seen = 0
    b = h["buckets"]
    for idx, cnt in zip(b[0::2], b[1::2]):
        seen += cnt
        if seen >= rank:
            mid = bucket_low(idx) + bucket_width(idx) // 2
            return min(max(mid, h["min_ns"]), h["max_ns"])
    return h["max_ns"]

def split(x):
    return x // 2, x - x // 2

def split_latency(lat):
    """Two latency objects whose merge is lat: the lowest bucket all in A (A
    keeps min_ns), the highest all in B (B keeps max_ns), the others halved;
    sums split so that A + B is exactly lat's. Reported keys recomputed."""
    h = lat["histogram"]
    pairs = list(zip(h["buckets"][0::2], h["buckets"][1::2]))
    empty = dict(h, count=0, min_ns=0, max_ns=0, sum_ns=0, sumsq_ns=0, buckets=[])
    if len(pairs) < 3:
        ha, hb = dict(h), empty
    else:
        ha, hb = dict(h), dict(h)
        ba, bb = [], []
        for n, (idx, cnt) in enumerate(pairs):
            ca, cb = (cnt, 0) if n == 0 else (0, cnt) if n == len(pairs) - 1 else split(cnt)
            if ca: ba += [idx, ca]
            if cb: bb += [idx, cb]
        ha["buckets"], hb["buckets"] = ba, bb
        ha["count"], hb["count"] = sum(ba[1::2]), sum(bb[1::2])
        # A's values sit at their bucket's low end (at least the whole's min)
        rep = lambda i: max(bucket_low(i), h["min_ns"])
        ha["max_ns"] = rep(ba[-2])
        hb["min_ns"] = bucket_low(bb[0])
        ha["sum_ns"] = float(sum(rep(i) * c for i, c in zip(ba[0::2], ba[1::2])))
        hb["sum_ns"] = h["sum_ns"] - ha["sum_ns"]
        sa = float(sum(rep(i) ** 2 * c for i, c in zip(ba[0::2], ba[1::2])))
        for _ in range(1000):
            sb = h["sumsq_ns"] - sa
            if sa + sb == h["sumsq_ns"] and sb >= 0: break
            sa = math.nextafter(sa, math.inf)
        ha["sumsq_ns"], hb["sumsq_ns"] = sa, sb
        assert ha["sum_ns"] + hb["sum_ns"] == h["sum_ns"] and ha["sumsq_ns"] + hb["sumsq_ns"] == h["sumsq_ns"]
    out = []
    for hh in (ha, hb):
        l = dict(lat, histogram=hh, count=hh["count"])
        l["min"] = hh["min_ns"] / 1e3
        l["max"] = hh["max_ns"] / 1e3
        l["mean"] = hh["sum_ns"] / hh["count"] / 1e3 if hh["count"] else 0
        for key, pct in (("p50", 50), ("p90", 90), ("p99", 99), ("p999", 99.9), ("p9999", 99.99)):
            l[key] = percentile_ns(hh, pct) / 1e3
        out.append(l)
    return out

a, b = copy.deepcopy(whole), copy.deepcopy(whole)
for key in ("messages", "bytes", "errors", "publishers", "publishers_done", "missed_slots"):
    a["publish"][key], b["publish"][key] = split(whole["publish"][key])
a["publish"]["target_msgs_per_s"] = b["publish"]["target_msgs_per_s"] = whole["publish"]["target_msgs_per_s"] / 2
for key in ("expected", "lost", "duplicates", "out_of_order", "foreign", "subscribers"):
    a["subscribe"][key], b["subscribe"][key] = split(whole["subscribe"][key])
for key in ("read_syscalls", "write_syscalls"):
    a["resources"][key], b["resources"][key] = split(whole["resources"][key])
for key in ("cpu_user_s", "cpu_sys_s"):
    a["resources"][key] = round(whole["resources"][key] / 2, 6)
    b["resources"][key] = whole["resources"][key] - a["resources"][key]
b["workers"] = []
for pa, pb, pw in zip(a["timeseries"], b["timeseries"], whole["timeseries"]):
    pa["sent"], pb["sent"] = split(pw["sent"])
    pa["received"], pb["received"] = split(pw["received"])
for key in ("clients", "connected", "failures", "disconnects"):
    a["connect"][key], b["connect"][key] = split(whole["connect"][key])
a["connect"]["time_us"], b["connect"]["time_us"] = split_latency(whole["connect"]["time_us"])
a["latency_us"], b["latency_us"] = split_latency(whole["latency_us"])
a["latency_us"]["negative"], b["latency_us"]["negative"] = split(whole["latency_us"]["negative"])
a["service_latency_us"], b["service_latency_us"] = split_latency(whole["service_latency_us"])
a["subscribe"]["messages"] = a["latency_us"]["count"]
b["subscribe"]["messages"] = b["latency_us"]["count"]
assert a["subscribe"]["messages"] + b["subscribe"]["messages"] == whole["subscribe"]["messages"]
json.dump(a, open(sys.argv[2], "w"), indent=1)
json.dump(b, open(sys.argv[3], "w"), indent=1)
EOF

M="$TEST_TMP/merged/ab.json"
"$MQTTBENCH" merge "$TEST_TMP/a.json" "$TEST_TMP/b.json" -o "$M" > "$TEST_TMP/merge.out" 2>&1
rc=$?
check_eq "halves: merge exits 0" 0 "$rc"
[ "$rc" = 0 ] || cat "$TEST_TMP/merge.out"
check "halves: summary line" grep -q "^mqttbench merge: 2 results into $M: mode both, status ok" "$TEST_TMP/merge.out"
check_eq "halves: no temp file left" "ab.json" "$(ls -A "$TEST_TMP/merged" | paste -sd' ')"
# same_as WHOLE MERGED SECTION: the merged section equals the whole's, key by key. One
# allowance: a latency object's mean and stdev must be exactly what the summed
# sums give, and within 1e-12 of the whole's, because the writer's JSON
# (cJSON) may print a sum with 15 digits that give it back only within
# DBL_EPSILON, while the whole's mean and stdev came from the unprinted sums.
same_as() {
    python3 - "$1" "$2" "$3" <<'EOF'
import json, math, sys
w, m = (json.load(open(p)) for p in sys.argv[1:3])
key = sys.argv[3]
bad = []
def moments(h):
    n = h["count"]
    if n == 0: return 0.0, 0.0
    mean = h["sum_ns"] / n
    var = h["sumsq_ns"] / n - mean * mean
    return mean / 1e3, (math.sqrt(var) if var > 0 else 0.0) / 1e3
def cmp(path, a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        exp = moments(a["histogram"]) if "histogram" in a and "stdev" in a else None
        for k in sorted(set(a) | set(b)):
            if exp and k in ("mean", "stdev") and k in a and k in b:
                e = exp[0] if k == "mean" else exp[1]
                if b[k] != e or abs(a[k] - b[k]) > 1e-12 * abs(a[k]):
                    bad.append("%s.%s: whole %r, merged %r, from the sums %r" % (path, k, a[k], b[k], e))
            else:
                cmp(path + "." + k, a.get(k), b.get(k))
    elif a != b:
        bad.append("%s: whole %r, merged %r" % (path, a, b))
cmp(key, w.get(key), m.get(key))
for line in bad[:10]: print("  " + line)
sys.exit(1 if bad else 0)
EOF
}
for section in schema status mode config environment phases connect publish subscribe latency_us service_latency_us \
    clock timeseries workers generator_saturated schedule_lagging; do
    check "halves: $section equals the whole's" same_as "$W" "$M" "$section"
done
check "halves: exact percentiles (spelled out)" python3 -c '
import json, sys
w, m = (json.load(open(p))["latency_us"] for p in sys.argv[1:3])
keys = ["count", "min", "p50", "p90", "p99", "p999", "p9999", "max", "negative"]
sys.exit(0 if all(w[k] == m[k] for k in keys) and w["histogram"] == m["histogram"] else 1)' "$W" "$M"
check "halves: resources add up" python3 -c '
import json, sys
w, m = (json.load(open(p))["resources"] for p in sys.argv[1:3])
ok = all(abs(w[k] - m[k]) < 1e-9 for k in ("cpu_user_s", "cpu_sys_s")) and \
     all(w[k] == m[k] for k in ("peak_rss_kb", "read_syscalls", "write_syscalls"))
sys.exit(0 if ok else 1)' "$W" "$M"
check_eq "halves: sources" '[["a.json", "both", "ok"], ["b.json", "both", "ok"]]' \
    "$(json "$M" '[[s["path"].rsplit("/", 1)[-1], s["mode"], s["status"]] for s in d["sources"]]')"
"$MQTTBENCH" compare "$W" "$M" > "$TEST_TMP/cmp.out" 2>&1
check_eq "halves: compare whole vs merged exits 0" 0 "$?"
check_eq "halves: compare finds no change" 0 "$(grep -Ec ' (better|worse) *$' "$TEST_TMP/cmp.out")"

# --- pub + sub of one run id ------------------------------------------------
start_sub() {   # ARGS...: a background `sub`; returns once it has subscribed
    timeout 60 "$MQTTBENCH" sub -p "$BROKER_PORT" --duration 30s "$@" > /dev/null 2> "$TEST_TMP/sub.err" &
    SUB_PID=$!
    for _ in $(seq 1 500); do
        grep -q '^\[' "$TEST_TMP/sub.err" 2>/dev/null && return 0
        kill -0 "$SUB_PID" 2>/dev/null || break
        sleep 0.02
    done
    fail "sub subscribed" "no progress line within 10 s: $(cat "$TEST_TMP/sub.err")"
    return 1
}
N=20000
ID=00000000000fe11a
P="$TEST_TMP/pub.json" S="$TEST_TMP/sub.json"
if start_sub --count $N --run-id $ID --subscribers 2 --json "$S"; then
    timeout 60 "$MQTTBENCH" pub -p "$BROKER_PORT" --count $N --run-id $ID --quiet --json "$P" > /dev/null 2>&1
    check_eq "pub+sub: pub exits 0" 0 "$?"
    wait_exit "$SUB_PID" 40000
    check_eq "pub+sub: sub exits 0" 0 "$EXIT_RC"
fi
PS="$TEST_TMP/pubsub.json"
"$MQTTBENCH" merge "$S" "$P" -o "$PS" > "$TEST_TMP/merge.out" 2>&1
check_eq "pub+sub: merge exits 0" 0 "$?"
json_load "$PS"
check_eq "pub+sub: mode both" "both both" "${J[mode]} ${J[config.mode]}"
check_eq "pub+sub: publish from pub" "$(json "$P" 'd["publish"]')" "$(json "$PS" 'd["publish"]')"
check_eq "pub+sub: subscribe from sub" "$(json "$S" 'd["subscribe"]')" "$(json "$PS" 'd["subscribe"]')"
check "pub+sub: latency from sub, exactly" same_as "$S" "$PS" latency_us
check "pub+sub: service latency from sub, exactly" same_as "$S" "$PS" service_latency_us
check_eq "pub+sub: counts" "$N $((2 * N)) 0" "${J[publish.messages]} ${J[subscribe.messages]} ${J[subscribe.lost]}"
check_eq "pub+sub: clients from each side" "1 2" "${J[config.publishers]} ${J[config.subscribers]}"
check_eq "pub+sub: sources" '[["sub", "ok"], ["pub", "ok"]]' "$(json "$PS" '[[s["mode"], s["status"]] for s in d["sources"]]')"
check "pub+sub: the merged timeseries ends at the totals" python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); p = d["timeseries"][-1]
sys.exit(0 if p["received"] == d["subscribe"]["messages"] and p["sent"] <= d["publish"]["messages"] else 1)' "$PS"
"$MQTTBENCH" compare "$PS" "$PS" > /dev/null 2>&1
check_eq "pub+sub: the merged file reads back" 0 "$?"
stop_broker

json_edit "$S" "$TEST_TMP/sub-other.json" 'd["config"]["run_id"] = "00000000000000aa"'
"$MQTTBENCH" merge "$P" "$TEST_TMP/sub-other.json" -o "$TEST_TMP/x.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "pub+sub of other run ids: exit 2" 2 "$?"
check "pub+sub of other run ids: lists run_id" grep -q 'are not parts of one run: run_id 00000000000fe11a vs 00000000000000aa' "$TEST_TMP/err"
check "refused: no output written" test ! -e "$TEST_TMP/x.json"

# --- refusals ----------------------------------------------------------------
json_edit "$TEST_TMP/b.json" "$TEST_TMP/b-qos1.json" 'd["config"]["qos"] = 1'
"$MQTTBENCH" merge "$TEST_TMP/a.json" "$TEST_TMP/b-qos1.json" -o "$TEST_TMP/x.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "other scenario: exit 2" 2 "$?"
check "other scenario: lists qos" grep -q 'ran different scenarios: qos 0 vs 1$' "$TEST_TMP/err"
"$MQTTBENCH" merge "$W" "$P" -o "$TEST_TMP/x.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "both with pub: exit 2" 2 "$?"
head -c 500 "$W" > "$TEST_TMP/trunc.json"
"$MQTTBENCH" merge "$W" "$TEST_TMP/trunc.json" -o "$TEST_TMP/x.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "truncated input: exit 2" 2 "$?"
check_eq "truncated input: one line" 1 "$(wc -l < "$TEST_TMP/err")"
json_edit "$W" "$TEST_TMP/neg.json" 'd["subscribe"]["lost"] = -1'
"$MQTTBENCH" merge "$W" "$TEST_TMP/neg.json" -o "$TEST_TMP/x.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "negative count: exit 2" 2 "$?"
check "negative count: names the key" grep -q "neg.json: subscribe.lost: negative (-1)" "$TEST_TMP/err"
"$MQTTBENCH" merge "$W" "$W" -o "$TEST_TMP/x.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "the same file twice: exit 2" 2 "$?"
"$MQTTBENCH" merge "$W" -o "$TEST_TMP/x.json" > /dev/null 2>&1
check_eq "one input: exit 2" 2 "$?"
"$MQTTBENCH" merge "$TEST_TMP/a.json" "$TEST_TMP/b.json" > /dev/null 2>&1
check_eq "no -o: exit 2" 2 "$?"
check "refusals: nothing written" test ! -e "$TEST_TMP/x.json"
"$MQTTBENCH" merge "$TEST_TMP/a.json" "$TEST_TMP/b.json" -o /proc/nope/x.json > /dev/null 2>&1
check_eq "unwritable output: exit 1" 1 "$?"
"$MQTTBENCH" merge --help > "$TEST_TMP/help" 2>&1
check_eq "--help: exit 0" 0 "$?"
finish
