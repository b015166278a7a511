# Live metrics of a real run: --metrics-listen scraped with curl while it
# runs (promtool check metrics on the Prometheus text, a strict checker on
# the OpenMetrics text, a private Prometheus server scraping it), a scraper
# that hangs does not hold the run, --metrics-file rewritten atomically and
# ending with the result's own totals, and addresses that cannot be used.
source tests/lib.sh
start_broker "max_queued_messages 0" || exit 1

# om_check: a strict reading of OpenMetrics 1.0 text on stdin (families
# declared before their samples, sample names by type, histogram buckets in
# order and matching _count, # EOF last); prints "ok" or what is wrong.
om_check() {
    python3 -c '
import re, sys
t = sys.stdin.read(); bad = []
if not t.endswith("# EOF\n"): bad.append("does not end with # EOF")
lines = t[:-len("# EOF\n")].split("\n")[:-1] if t.endswith("# EOF\n") else t.split("\n")
fams, cur, typ, seen = {}, None, None, set()
suffixes = {"counter": ["_total", "_created"], "gauge": [""], "info": ["_info"], "histogram": ["_bucket", "_count", "_sum", "_created"]}
sample = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\n]|\\\\.)*\",?)*)\})? (\S+)$")
les = []
for ln in lines:
    if ln.startswith("# HELP ") or ln.startswith("# TYPE "):
        parts = ln.split(" ", 3)
        if parts[1] == "HELP":
            if parts[2] in fams: bad.append("family twice: " + parts[2])
            cur, typ = parts[2], None; fams[cur] = None
        else:
            if parts[2] != cur: bad.append("TYPE for another family: " + ln)
            typ = parts[3]; fams[cur] = typ
            if typ not in suffixes: bad.append("type " + typ)
        continue
    if ln.startswith("#") or not ln: bad.append("stray line: %r" % ln); continue
    m = sample.match(ln)
    if not m: bad.append("not a sample: " + ln); continue
    name, labels, value = m.groups()
    if cur is None or typ is None or not name.startswith(cur) or name[len(cur):] not in suffixes.get(typ, []):
        bad.append("sample outside its family: " + ln); continue
    try: v = float(value)
    except ValueError: bad.append("value: " + ln); continue
    if typ == "counter" and v < 0: bad.append("negative counter: " + ln)
    if name.endswith("_bucket"):
        le = re.search(r"le=\"([^\"]*)\"", labels or "").group(1)
        les.append((float(le), v))
    if typ == "histogram" and name.endswith("_count"):
        if [x for x, _ in les] != sorted(x for x, _ in les) or les[-1][0] != float("inf"): bad.append("le order")
        if [c for _, c in les] != sorted(c for _, c in les): bad.append("bucket counts decrease")
        if les[-1][1] != v: bad.append("+Inf bucket is not _count")
print("; ".join(bad[:3]) or "ok")'
}

# A private Prometheus scrapes it (it asks for OpenMetrics first); started
# before the run, as its start takes a few seconds.
MP=$(free_port)
PROM_PID=
if command -v prometheus > /dev/null; then
    WP=$(free_port)
    cat > "$TEST_TMP/prometheus.yml" <<EOF
global: { scrape_interval: 1s, scrape_timeout: 1s }
scrape_configs:
  - job_name: mqttbench
    static_configs: [ { targets: ['127.0.0.1:$MP'] } ]
EOF
    prometheus --config.file="$TEST_TMP/prometheus.yml" --storage.tsdb.path="$TEST_TMP/tsdb" \
        --web.listen-address="127.0.0.1:$WP" > "$TEST_TMP/prometheus.log" 2>&1 &
    PROM_PID=$!
fi

OUT="$TEST_TMP/run.json"
PROM="$TEST_TMP/textfile/mqttbench.prom"
"$MQTTBENCH" both -p "$BROKER_PORT" --duration 8 --rate 4000 --metrics-listen "127.0.0.1:$MP" \
    --metrics-file "$PROM" --quiet --json "$OUT" > "$TEST_TMP/run.out" 2> "$TEST_TMP/run.err" &
RUN_PID=$!
URL="http://127.0.0.1:$MP/metrics"
for _ in $(seq 1 100); do curl -sf -o /dev/null "$URL" && break; sleep 0.05; done
check "says where it serves" grep -q "^mqttbench: metrics on http://127.0.0.1:$MP/metrics$" "$TEST_TMP/run.err"

# A scraper that connects and says nothing: it must not hold the run.
exec 7<>"/dev/tcp/127.0.0.1/$MP"
sleep 1.5
curl -s -D "$TEST_TMP/h1" "$URL" > "$TEST_TMP/s1"
sleep 1.2
curl -s "$URL" > "$TEST_TMP/s2"
exec 7>&-
check "scrape: 200 with the Prometheus text type" grep -q '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$TEST_TMP/h1"
check_eq "scrape: promtool check metrics" "" "$(promtool check metrics < "$TEST_TMP/s1" 2>&1)"
check "scrape: in the measured phase" grep -q '^mqttbench_phase{phase="measure"} 1$' "$TEST_TMP/s1"
v1=$(awk '$1 == "mqttbench_messages_received_total" { print $2 }' "$TEST_TMP/s1")
v2=$(awk '$1 == "mqttbench_messages_received_total" { print $2 }' "$TEST_TMP/s2")
check "scrape: received grows second by second ($v1, then $v2)" test "${v1:-0}" -gt 0 -a "${v2:-0}" -gt "${v1:-0}"
check "scrape: clients connected (publisher, subscriber, \$SYS reader)" grep -q '^mqttbench_clients_connected 3$' "$TEST_TMP/s1"
check "scrape: latencies counted" test "$(awk '$1 == "mqttbench_latency_seconds_count" { print $2 }' "$TEST_TMP/s1")" -gt 0
curl -s -D "$TEST_TMP/h3" -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' \
    "$URL" > "$TEST_TMP/s3"
check "openmetrics: its type when asked" grep -q '^Content-Type: application/openmetrics-text; version=1.0.0' "$TEST_TMP/h3"
check_eq "openmetrics: a strict reading" ok "$(om_check < "$TEST_TMP/s3")"
check "openmetrics checker can fail: text without # EOF" grep -q 'does not end with # EOF' \
    <(head -n -1 "$TEST_TMP/s3" | om_check)
check "promtool can fail: a counter declared as another type" test "$(sed \
    's/^# TYPE mqttbench_errors_total counter/# TYPE mqttbench_errors_total summary/' "$TEST_TMP/s1" |
    promtool check metrics > /dev/null 2>&1; echo $?)" -ne 0
check "textfile: there during the run" test -s "$PROM"
check_eq "textfile: promtool check metrics" "" "$(promtool check metrics < "$PROM" 2>&1)"
# Atomic: a reader never sees part of the file.
partial=0
for _ in $(seq 1 40); do
    tail -n 1 "$PROM" | grep -q '^mqttbench_latency_seconds_count ' || partial=$((partial + 1))
    sleep 0.03
done
check_eq "textfile: every read a whole file" 0 "$partial"

if [ -n "$PROM_PID" ]; then
    up=
    for _ in $(seq 1 50); do
        up=$(curl -s "http://127.0.0.1:$WP/api/v1/targets" | python3 -c '
import json, sys
try: t = json.load(sys.stdin)["data"]["activeTargets"][0]
except Exception: sys.exit()
print(t["health"], t["lastError"] or "-")' 2>/dev/null)
        [ "${up%% *}" = up ] && break
        sleep 0.1
    done
    check_eq "prometheus: scrapes it without error" "up -" "$up"
    got=$(curl -s "http://127.0.0.1:$WP/api/v1/query?query=mqttbench_messages_published_total" |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print("yes" if r and float(r[0]["value"][1]) > 0 else "no")' 2>/dev/null)
    check_eq "prometheus: has the counters" yes "$got"
    # Every query of docs/grafana-dashboard.json runs on it, and names only
    # metrics mqttbench serves.
    check_eq "grafana dashboard: every query runs, on served metrics" ok "$(python3 - "$WP" "$TEST_TMP/s1" <<'EOF'
import json, re, sys, urllib.parse, urllib.request
d = json.load(open("docs/grafana-dashboard.json"))
served = open(sys.argv[2]).read()
bad, n = [], 0
for p in d["panels"]:
    for t in p["targets"]:
        e = t["expr"].replace("$instance", ".*").replace("$__rate_interval", "5s")
        n += 1
        for name in re.findall(r"mqttbench_[a-z_]+", e):
            if not re.search(r"^%s[ {]" % name, served, re.M): bad.append("not served: " + name)
        url = "http://127.0.0.1:%s/api/v1/query?query=%s" % (sys.argv[1], urllib.parse.quote(e))
        try: r = json.load(urllib.request.urlopen(url, timeout=5))
        except Exception as x: bad.append("%s: %s" % (e, x)); continue
        if r.get("status") != "success": bad.append("%s: %s" % (e, r.get("error")))
print("; ".join(bad[:3]) or ("ok" if n >= 10 else "only %d queries" % n))
EOF
)"
    kill "$PROM_PID"
    wait "$PROM_PID" 2>/dev/null
else
    echo "SKIP prometheus: not installed (Debian package prometheus; make test installs it)"
fi

wait_exit "$RUN_PID" 20000
check_eq "the run ends ok with a scraper that hung" 0 "$EXIT_RC"
check_eq "the run took its 8 s" "ok" "$(json "$OUT" '"ok" if d["phases"]["measure_s"] < 9.5 else d["phases"]["measure_s"]')"
check_eq "served until exit, then gone" "000" "$(curl -s -o /dev/null -w '%{http_code}' "$URL")"

# The last file holds the result's own totals, and the histogram's buckets
# are the result's histogram counted by each bucket's value.
check_eq "final: the result's totals" "ok" "$(python3 - "$OUT" "$PROM" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
m = {}
for ln in open(sys.argv[2]):
    if not ln.startswith("#"):
        k, v = ln.rsplit(" ", 1); m[k] = float(v)
h = d["latency_us"]["histogram"]
def low(i): return i if i < 256 else (i - (((i >> 7) - 1) << 7)) << ((i >> 7) - 1)
def width(i): return 1 if i < 256 else 1 << ((i >> 7) - 1)
def value(i): return min(max(low(i) + width(i) // 2, h["min_ns"]), h["max_ns"])
want = {"mqttbench_final": 1, 'mqttbench_phase{phase="done"}': 1,
        "mqttbench_messages_published_total": d["publish"]["messages"],
        "mqttbench_messages_received_total": d["subscribe"]["messages"],
        "mqttbench_messages_lost_total": d["subscribe"]["lost"],
        "mqttbench_messages_duplicated_total": d["subscribe"]["duplicates"],
        "mqttbench_errors_total": d["connect"]["failures"] + d["publish"]["errors"],
        "mqttbench_latency_seconds_count": h["count"]}
for le in (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10):
    key = 'mqttbench_latency_seconds_bucket{le="%s"}' % ("%.6f" % le).rstrip("0").rstrip(".")
    want[key] = sum(c for i, c in zip(h["buckets"][0::2], h["buckets"][1::2]) if value(i) <= round(le * 1e9))
bad = ["%s %s, want %s" % (k, m.get(k), v) for k, v in want.items() if m.get(k) != v]
if abs(m["mqttbench_latency_seconds_sum"] - h["sum_ns"] / 1e9) > 1e-6: bad.append("sum")
print("; ".join(bad) or "ok")
EOF
)"
check_eq "final: no temporary file left beside it" "mqttbench.prom" "$(ls -A "$TEST_TMP/textfile" | paste -sd' ')"

# --- addresses and files that cannot be used: refused before connecting ---
exec 8< <(python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(30)')
BUSY=$(head -n 1 <&8)
rm -f "$TEST_TMP/x.json"
"$MQTTBENCH" both -p "$BROKER_PORT" --count 100 --metrics-listen "127.0.0.1:$BUSY" --json "$TEST_TMP/x.json" \
    > /dev/null 2> "$TEST_TMP/err"
check_eq "port in use: exit 2" 2 "$?"
check_eq "port in use: one line" "mqttbench: --metrics-listen 127.0.0.1:$BUSY: cannot listen: Address already in use" \
    "$(cat "$TEST_TMP/err")"
check "port in use: nothing run, nothing written" test ! -e "$TEST_TMP/x.json"
exec 8<&-
"$MQTTBENCH" both -p "$BROKER_PORT" --count 100 --metrics-listen localhost --json "$TEST_TMP/x.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "no port: exit 2" 2 "$?"
check "no port: says the form" grep -q 'expected ADDR:PORT' "$TEST_TMP/err"
"$MQTTBENCH" both -p "$BROKER_PORT" --count 100 --metrics-file "$TEST_TMP" --json "$TEST_TMP/x.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "metrics file is a directory: exit 2" 2 "$?"
"$MQTTBENCH" both -p "$BROKER_PORT" --count 100 --metrics-file - --json "$TEST_TMP/x.json" > /dev/null 2> "$TEST_TMP/err"
check_eq "metrics file on stdout: exit 2" 2 "$?"
"$MQTTBENCH" both -p "$BROKER_PORT" --count 100 --processes --metrics-listen "127.0.0.1:0" > /dev/null 2> "$TEST_TMP/err"
check_eq "with --processes: exit 2" 2 "$?"

finish
