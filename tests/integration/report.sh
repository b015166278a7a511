# `mqttbench report`: the HTML report of real results, opened in headless
# Chromium (no script error, every plot with its series, the tables'
# numbers the results' own), refused inputs, and the CSV and HdrHistogram
# exports checked against references computed here from the JSON.
# A screenshot goes to $SCREENSHOT_DIR (default build/screenshots).
source tests/lib.sh
start_broker "max_queued_messages 0" || exit 1

A="$TEST_TMP/paced.json"      # paced, with a warm-up: latency and service latency differ
B="$TEST_TMP/flood.json"      # unpaced
P="$TEST_TMP/pub.json"        # pub alone: nothing received
RUNOUT="$TEST_TMP/run"        # A's --report, --csv and --hgrm
"$MQTTBENCH" both -p "$BROKER_PORT" --duration 2 --rate 4000 --warmup 0.5 --quiet --json "$A" \
    --report "$RUNOUT/a.html" --csv "$RUNOUT/a.csv" --hgrm "$RUNOUT/a.hgrm" > /dev/null 2>&1
"$MQTTBENCH" both -p "$BROKER_PORT" --count 20000 --quiet --json "$B" > /dev/null 2>&1
"$MQTTBENCH" pub -p "$BROKER_PORT" --count 2000 --no-control --quiet --json "$P" > /dev/null 2>&1
# Outputs that cannot be written are refused before the run (nothing written).
for flag in --report --csv --hgrm; do
    "$MQTTBENCH" both -p "$BROKER_PORT" --count 100 --quiet --json "$TEST_TMP/x.json" $flag "$TEST_TMP" \
        > /dev/null 2> "$TEST_TMP/err"
    check_eq "run $flag DIRECTORY: exit 2, one line, no result" "2 1 no" \
        "$? $(wc -l < "$TEST_TMP/err") $(test -e "$TEST_TMP/x.json" && echo yes || echo no)"
    "$MQTTBENCH" both -p "$BROKER_PORT" --count 100 --quiet --json "$TEST_TMP/x.json" $flag - > /dev/null 2> "$TEST_TMP/err"
    check_eq "run $flag -: exit 2" 2 "$?"
done
# A run through an outage: the broker killed 1.5 s in, back 0.5 s later.
O="$TEST_TMP/outage.json"
"$MQTTBENCH" both -p "$BROKER_PORT" --rate 2000 --duration 3s --reconnect 100ms..300ms --quiet --json "$O" \
    > /dev/null 2>&1 &
opid=$!
sleep 1.5
kill -9 "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null
sleep 0.5
restart_broker || exit 1
wait_exit "$opid" 30000
check_eq "outage run: ok, one outage recorded" "0 ok 1" "$EXIT_RC $(json "$O" 'd["status"] + " " + str(len(d["outages"]))')"
"$MQTTBENCH" both -p "$BROKER_PORT" --count 100 --processes --report "$TEST_TMP/x.html" > /dev/null 2> "$TEST_TMP/err"
check_eq "run --report with --processes: exit 2" 2 "$?"
check "run --report with --processes: says what to do" grep -q 'run mqttbench report on the merged result' "$TEST_TMP/err"
# Two short sweeps whose knees a slow subscriber forces (1 ms and 0.5 ms a
# message): their curves are drawn together. The rates are far either side of
# the knee (10% and 250% busy at 0.5 ms), so a loaded machine cannot move it.
S1="$TEST_TMP/sweep1.json"
S2="$TEST_TMP/sweep2.json"
for spec in "1ms $S1" "500us $S2"; do
    set -- $spec
    "$MQTTBENCH" sweep -p "$BROKER_PORT" --sub-delay "$1" --rates 200,5000 --step-duration 0.6s --warmup 100ms \
        --slo 'p99<200ms,loss=0' --quiet --json "$2" > /dev/null 2>&1
done
stop_broker
check_eq "two real sweeps recorded, each passing then failing" "2 2 [true, false] [true, false]" \
    "$(json "$S1" 'len(d["runs"])') $(json "$S2" 'len(d["runs"])') $(json "$S1" '[s["pass"] for s in d["sweep"]["steps"]]') $(json "$S2" '[s["pass"] for s in d["sweep"]["steps"]]')"
check_eq "three real runs recorded" "ok ok ok" "$(json "$A" 'd["status"]') $(json "$B" 'd["status"]') $(json "$P" 'd["status"]')"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
SHOTS=${SCREENSHOT_DIR:-build/screenshots}

# browse HTML NAME: load HTML in headless Chromium with the network cut off;
# the DOM after the script ran goes to $TEST_TMP/NAME.dom, the console (and
# Chromium's own log) to $TEST_TMP/NAME.log.
browse() {
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$TEST_TMP/chrome" \
        --host-resolver-rules="MAP * ~NOTFOUND" --enable-logging=stderr --v=0 \
        --dump-dom "file://$1" > "$TEST_TMP/$2.dom" 2> "$TEST_TMP/$2.log"
}

# ids NAME: the ids of the drawn series in NAME's DOM, sorted, space-separated.
ids() {
    grep -o '<path id="[^"]*"' "$TEST_TMP/$1.dom" | sed 's/.*id="//; s/"$//' | sort | paste -sd' '
}

R="$TEST_TMP/out/report.html"
"$MQTTBENCH" report "$A" "$B" -o "$R" > "$TEST_TMP/out.txt" 2>&1
check_eq "two results: exit 0" 0 "$?"
check "two results: the file" test -s "$R"
# Self-contained: nothing in it names anything to load.
check_eq "self-contained: no src, href, url() but #fragments, or @import" "" \
    "$(grep -Eo '(src|href)=|url\([^#]|@import|XMLHttpRequest|fetch\(' "$R" | sort -u | paste -sd' ')"
check "report names both files" grep -q 'A \xc2\xb7 paced.json\|A · paced.json' "$R"

if [ -z "$CHROMIUM" ]; then
    echo "SKIP browser: chromium is not installed (Debian package chromium; make test installs it)"
else
    browse "$R" two
    check "browser: the script ran to the end" grep -q '<body data-rendered="ok"' "$TEST_TMP/two.dom"
    check_eq "browser: no script error on the console" "" \
        "$(grep -E 'CONSOLE|Uncaught' "$TEST_TMP/two.log" | head -n 3)"
    check_eq "browser: every plot with its series" \
        "conn-0 conn-1 lat-0-p50 lat-0-p99 lat-1-p50 lat-1-p99 pct-0-latency pct-0-service pct-1-latency rate-0-received rate-0-sent rate-1-received rate-1-sent" \
        "$(ids two)"
    check "browser: series have points" grep -q 'id="rate-0-received"[^>]*data-points="[1-9]' "$TEST_TMP/two.dom"
    check_eq "browser: phases marked (connect, warm-up, measure)" "connect measure warmup" \
        "$(grep -o 'data-phase="[a-z]*"' "$TEST_TMP/two.dom" | sed 's/.*="//; s/"//' | grep -v drain | sort -u | paste -sd' ')"
    check "browser: the nines axis" grep -q '>99.99%</text>' "$TEST_TMP/two.dom"
    mkdir -p "$SHOTS"
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$TEST_TMP/chrome" \
        --host-resolver-rules="MAP * ~NOTFOUND" --hide-scrollbars --window-size=1280,3200 \
        --screenshot="$SHOTS/report.png" "file://$R" > /dev/null 2>&1
    check_eq "browser: screenshot saved ($SHOTS/report.png)" "89504e47" \
        "$(head -c 4 "$SHOTS/report.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')"

    # An outage is a red span over both time plots and in the phase ribbon,
    # titled with its length and what it lost.
    "$MQTTBENCH" report "$O" -o "$TEST_TMP/outage.html" > /dev/null 2>&1
    browse "$TEST_TMP/outage.html" outage
    check "outage: renders" grep -q '<body data-rendered="ok"' "$TEST_TMP/outage.dom"
    check_eq "outage: a span on each time plot, and in each ribbon" "2 2" \
        "$(grep -o 'data-outage="A-0"' "$TEST_TMP/outage.dom" | wc -l) $(grep -o 'data-phase="outage"' "$TEST_TMP/outage.dom" | wc -l)"
    check "outage: its title says how many connections, how long and what was lost" \
        grep -Eq '<title>A: outage 1, 3 connections lost, [0-9.]+ s, [0-9]+ lost, [0-9]+ duplicated</title>' \
        "$TEST_TMP/outage.dom"

    # A pub result has no latency: the page says so and still renders.
    "$MQTTBENCH" report "$P" -o "$TEST_TMP/pub.html" > /dev/null 2>&1
    browse "$TEST_TMP/pub.html" pub
    check "pub: renders" grep -q '<body data-rendered="ok"' "$TEST_TMP/pub.dom"
    check_eq "pub: only the published series and connect times" "conn-0 rate-0-sent" "$(ids pub)"
    check "pub: the latency plot says why it is empty" grep -q 'No latency: a pub result receives nothing' "$TEST_TMP/pub.dom"

    # Sweeps: the latency-throughput curve of each, overlaid, beside a plain run.
    SR="$TEST_TMP/out/sweep.html"
    "$MQTTBENCH" report "$S1" "$S2" "$A" -o "$SR" > /dev/null 2>&1
    check_eq "sweep: report exit 0" 0 "$?"
    browse "$SR" sweep
    check "sweep: the script ran to the end" grep -q '<body data-rendered="ok"' "$TEST_TMP/sweep.dom"
    check_eq "sweep: no script error on the console" "" "$(grep -E 'CONSOLE|Uncaught' "$TEST_TMP/sweep.log" | head -n 3)"
    check_eq "sweep: each sweep's percentiles against achieved throughput, none for the plain run" \
        "sweep-0-p50 sweep-0-p99 sweep-0-p999 sweep-0-service-p99 sweep-1-p50 sweep-1-p99 sweep-1-p999 sweep-1-service-p99" \
        "$(ids sweep | tr ' ' '\n' | grep '^sweep-' | paste -sd' ')"
    check "sweep: one point per step" grep -q 'id="sweep-0-p99"[^>]*data-points="2"' "$TEST_TMP/sweep.dom"
    check_eq "sweep: passing and failing steps styled apart" "fail pass" \
        "$(grep -o 'data-step="[a-z]*"' "$TEST_TMP/sweep.dom" | sed 's/.*="//; s/"//' | sort -u | paste -sd' ')"
    check_eq "sweep: the objective's latency line" 'objective p99 &lt; 200 ms' \
        "$(grep -o 'data-hmark="[^"]*"' "$TEST_TMP/sweep.dom" | sed 's/.*="//; s/"//' | sort -u | paste -sd' ')"
    check_eq "sweep: each knee marked (highest passing, first failing)" "knee-0-fail knee-0-pass knee-1-fail knee-1-pass" \
        "$(grep -o 'data-mark="knee-[^"]*"' "$TEST_TMP/sweep.dom" | sed 's/.*="//; s/"//' | sort | paste -sd' ')"
    check_eq "sweep: a steps table for each sweep" "2" "$(grep -c '<table class="sweep-steps"' "$SR")"
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$TEST_TMP/chrome" \
        --host-resolver-rules="MAP * ~NOTFOUND" --hide-scrollbars --window-size=1280,1500 \
        --screenshot="$SHOTS/sweep.png" "file://$SR" > /dev/null 2>&1
    check_eq "sweep: screenshot saved ($SHOTS/sweep.png)" "89504e47" \
        "$(head -c 4 "$SHOTS/sweep.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')"

    # A script error is seen: the same page with a broken script.
    sed 's/var data = JSON.parse/noSuchFunction(); var data = JSON.parse/' "$R" > "$TEST_TMP/broken.html"
    browse "$TEST_TMP/broken.html" broken
    check "browser check can fail: a broken script is caught" \
        grep -q '<body data-rendered="error"' "$TEST_TMP/broken.dom"
    check "browser check can fail: the console shows it" grep -q 'Uncaught ReferenceError' "$TEST_TMP/broken.log"
fi

# --report, --csv and --hgrm on the run: the same as report makes from its file.
"$MQTTBENCH" report "$A" -o "$TEST_TMP/a.html" --csv "$TEST_TMP/a-from-file.csv" --hgrm "$TEST_TMP/a-from-file.hgrm" \
    > /dev/null 2>&1
check "run --csv: what report --csv makes of its result" cmp "$RUNOUT/a.csv" "$TEST_TMP/a-from-file.csv"
check "run --hgrm: what report --hgrm makes of its result" cmp "$RUNOUT/a.hgrm" "$TEST_TMP/a-from-file.hgrm"
check "run --report: what report makes of its result" cmp "$RUNOUT/a.html" "$TEST_TMP/a.html"

# The tables show the results' own numbers (python reads the HTML).
check_eq "tables: the results' numbers" "ok" "$(python3 - "$R" "$A" "$B" <<'EOF'
import html.parser, json, sys
page = open(sys.argv[1]).read()
runs = [json.load(open(p)) for p in sys.argv[2:]]
class T(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.tables = {}; self.cur = None; self.row = None; self.cell = None
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == "table": self.cur = self.tables.setdefault(a.get("class"), [])
        elif tag == "tr" and self.cur is not None: self.row = []; self.cur.append(self.row)
        elif tag in ("td", "th") and self.row is not None: self.cell = ""
    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None: self.row.append(self.cell.strip()); self.cell = None
        elif tag == "table": self.cur = None
    def handle_data(self, d):
        if self.cell is not None: self.cell += d
t = T(); t.feed(page)
def num(s): return float(s.split()[0].replace(",", ""))
m = {r[0]: r[1:] for r in t.tables["metrics"][1:]}
bad = []
for k, r in enumerate(runs):
    want = {"latency p99 (us)": round(r["latency_us"]["p99"], 1), "subscribe msgs/s": round(r["subscribe"]["msgs_per_s"]),
            "lost": r["subscribe"]["lost"]}
    for row, v in want.items():
        if abs(num(m[row][k]) - v) > 1e-9: bad.append("%s %s: %s vs %s" % ("AB"[k], row, m[row][k], v))
    d = t.tables["delivery"][1 + k]
    if [num(d[i]) for i in (2, 3, 4)] != [r["subscribe"]["expected"], r["subscribe"]["messages"], r["subscribe"]["lost"]]:
        bad.append("delivery %s: %s" % ("AB"[k], d))
print("; ".join(bad) or "ok")
EOF
)"

# --- refused inputs: what the reader refuses, as compare refuses it --------
json_edit "$B" "$TEST_TMP/edited.json" 'd["subscribe"]["msgs_per_s"] *= 0.8'
"$MQTTBENCH" report "$TEST_TMP/edited.json" -o "$TEST_TMP/x.html" > /dev/null 2> "$TEST_TMP/err"
check_eq "refused input: exit 2" 2 "$?"
check_eq "refused input: one line" 1 "$(wc -l < "$TEST_TMP/err")"
"$MQTTBENCH" compare "$TEST_TMP/edited.json" "$B" > /dev/null 2> "$TEST_TMP/cmp.err"
check_eq "refused input: the reader's own message" "$(sed 's/^mqttbench compare: //' "$TEST_TMP/cmp.err")" \
    "$(sed 's/^mqttbench report: //' "$TEST_TMP/err")"
check "refused input: no file written" test ! -e "$TEST_TMP/x.html"
echo '{"schema": "something.else"}' > "$TEST_TMP/other.json"
"$MQTTBENCH" report "$TEST_TMP/other.json" -o "$TEST_TMP/x.html" > /dev/null 2> "$TEST_TMP/err"
check_eq "another schema: exit 2" 2 "$?"
"$MQTTBENCH" report "$A" > /dev/null 2> "$TEST_TMP/err"
check_eq "no output named: exit 2" 2 "$?"
check "no output named: says what is needed" grep -q -- '-o REPORT.html, --csv FILE or --hgrm FILE is required' "$TEST_TMP/err"
"$MQTTBENCH" report "$A" "$B" --csv "$TEST_TMP/x.csv" > /dev/null 2> "$TEST_TMP/err"
check_eq "csv of two results: exit 2" 2 "$?"
"$MQTTBENCH" report "$A" -o "$TEST_TMP" > /dev/null 2> "$TEST_TMP/err"
check_eq "output is a directory: exit 2" 2 "$?"

# --- exports -------------------------------------------------------------
"$MQTTBENCH" report "$A" --csv "$TEST_TMP/a.csv" --hgrm "$TEST_TMP/a.hgrm" > /dev/null 2>&1
check_eq "exports: exit 0" 0 "$?"
check_eq "csv: one row a second, the result's counts and latencies" "ok" "$(python3 - "$A" "$TEST_TMP/a.csv" <<'EOF'
import csv, json, sys
d = json.load(open(sys.argv[1])); rows = list(csv.DictReader(open(sys.argv[2])))
ts = d["timeseries"]; bad = []
if len(rows) != len(ts): bad.append("%d rows for %d points" % (len(rows), len(ts)))
pt, ps = 0.0, 0
for r, p in zip(rows, ts):
    if int(r["sent"]) != p["sent"] or int(r["received"]) != p["received"]: bad.append("counts at %s" % r["t_s"])
    if abs(float(r["t_s"]) - p["t"]) > 1e-6: bad.append("t %s" % r["t_s"])
    rate = (p["sent"] - ps) / (p["t"] - pt)
    if abs(float(r["sent_per_s"]) - rate) > 1e-3: bad.append("rate %s vs %s" % (r["sent_per_s"], rate))
    if p["p99"] and abs(float(r["p99_us"]) - p["p99"]) > 1e-3: bad.append("p99 %s" % r["p99_us"])
    pt, ps = p["t"], p["sent"]
print("; ".join(bad) or "ok")
EOF
)"
# The reference: HdrHistogram's percentile iteration and output format,
# written again here from the JSON histogram, with mqttbench's bucket values
# (docs/results.md, "Histogram").
python3 - "$A" > "$TEST_TMP/ref.hgrm" <<'EOF'
import json, math, sys
h = json.load(open(sys.argv[1]))["latency_us"]["histogram"]
def low(i): return i if i < 256 else (i - (((i >> 7) - 1) << 7)) << ((i >> 7) - 1)
def width(i): return 1 if i < 256 else 1 << ((i >> 7) - 1)
def value(i): return min(max(low(i) + width(i) // 2, h["min_ns"]), h["max_ns"])
n = h["count"]; b = h["buckets"]
rows, level, cum = [], 0.0, 0
for idx, c in zip(b[0::2], b[1::2]):
    cum += c
    while 100.0 * cum / n >= level:
        rows.append((level, h["min_ns"] if not rows else value(idx), cum))
        level += 100.0 / (5 * 2 ** (int(math.log(100.0 / (100.0 - level)) / math.log(2)) + 1))
        if cum == n: break
    if cum == n: break
rows.append((100.0, h["max_ns"], n))
out = ["%12s %14s %10s %14s\n\n" % ("Value", "Percentile", "TotalCount", "1/(1-Percentile)")]
for lv, v, c in rows:
    p = lv / 100.0
    out.append("%12.6f %2.12f %10d %14.2f\n" % (v / 1e6, p, c, 1 / (1 - p)) if lv < 100 else "%12.6f %2.12f %10d\n" % (v / 1e6, p, c))
mean = h["sum_ns"] / n
sd = math.sqrt(max(h["sumsq_ns"] / n - mean * mean, 0))
out.append("#[Mean    = %12.6f, StdDeviation   = %12.6f]\n" % (mean / 1e6, sd / 1e6))
out.append("#[Max     = %12.6f, Total count    = %12d]\n" % (h["max_ns"] / 1e6, n))
out.append("#[Buckets = %12d, SubBuckets     = %12d]\n" % (29, 256))
sys.stdout.write("".join(out))
EOF
check "hgrm: the independent reference, byte for byte" cmp "$TEST_TMP/ref.hgrm" "$TEST_TMP/a.hgrm"
# HdrHistogram's levels include 90% (not 99%: 98.90625, 99.0625, ...).
check_eq "hgrm: its 90% row is the result's p90" \
    "$(json "$A" '"%.6f" % (d["latency_us"]["p90"] / 1000)')" \
    "$(awk '$2 == "0.900000000000" { print $1; exit }' "$TEST_TMP/a.hgrm")"
check "hgrm: the plotter's four columns, the footer last" \
    sh -c "sed -n '3p' '$TEST_TMP/a.hgrm' | grep -Eq '^ +[0-9.]+ +0\\.0+ +[0-9]+ +1\\.00\$' && tail -n 1 '$TEST_TMP/a.hgrm' | grep -q '^#\\[Buckets'"

finish
