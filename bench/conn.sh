#!/usr/bin/env bash
# conn.sh — the connect rate `mqttbench conn` sustains against a stock
# mosquitto on this machine, plain TCP and TLS 1.3, for docs/performance.md
# (issue 11, item 5).
#
# Run from anywhere (it changes to the repo root); build first with `make`:
#   bench/conn.sh 2>&1 | tee /tmp/conn-bench.txt
# One mosquitto, started here, with two loopback listeners: plain TCP and TLS
# with an ECDSA P-256 certificate (made now by tests/tls/make-certs.sh). For
# each transport and each rate of RATES (connects/s, rising), one
#   mqttbench conn --rate R --duration DURATION --clients CLIENTS --lifetime LIFETIME
# run: connects done per second, the connect time's p50/p99 (connect call to
# CONNACK) and, with TLS, the handshake's p99, failures of every kind,
# connects started a whole interval late, and the CPU per connect of the
# broker (/proc/PID/stat around the run) and of mqttbench (its rusage).
# A rate is SUSTAINED when every connect was done (no failure), the schedule
# was kept (schedule_lagging false), mqttbench was not the bottleneck
# (generator_saturated false) and connects/s reached 97% of the target. The
# last line per transport names the highest sustained rate; a transport stops
# at its first rate that is not (a broker already failing is not pushed).
#
# Environment:
#   RATES="250 500 1000 2000 4000"  DURATION=10s  CLIENTS=1000  LIFETIME=0
#   TRANSPORTS="plain tls"  MQTTBENCH=./mqttbench
#   OUT=DIR   also keep every result file in DIR (e.g. results/conn-bench)
# Validation run (small): RATES="100 200" DURATION=1s bench/conn.sh
# Exit status: 0 when every run ran, 1 when something could not run at all.
set -euo pipefail
export LC_ALL=C.UTF-8
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RATES=${RATES:-250 500 1000 2000 4000}
DURATION=${DURATION:-10s}
CLIENTS=${CLIENTS:-1000}
LIFETIME=${LIFETIME:-0}
TRANSPORTS=${TRANSPORTS:-plain tls}
MQTTBENCH=${MQTTBENCH:-./mqttbench}
OUT=${OUT:-}
BENCH_NAME=conn-bench
# shellcheck source=bench/lib.sh
source bench/lib.sh

for r in $RATES; do [[ $r =~ ^[1-9][0-9]*$ ]] || die "RATES must be positive integers (got '$r')"; done
[[ $CLIENTS =~ ^[1-9][0-9]*$ ]] || die "CLIENTS must be a positive integer (got '$CLIENTS')"
[[ -x $MQTTBENCH ]] || die "$MQTTBENCH not found: run make first"
command -v openssl > /dev/null || die "openssl not found (Debian: openssl)"
need_mosquitto

bench_init
bench_at_exit() {
    if [[ -n $OUT ]]; then mkdir -p "$OUT" && cp "$WORK"/*.json "$OUT"/ 2>/dev/null && log "results in $OUT"; fi
}

C=$WORK/certs
tests/tls/make-certs.sh "$C" > /dev/null 2>&1 || die "tests/tls/make-certs.sh failed"
P_PLAIN=$(free_port) P_TLS=$(free_port)
bench_broker_conf "allow_anonymous true" "persistence false" "sys_interval 10" "listener $P_PLAIN 127.0.0.1" \
    "listener $P_TLS 127.0.0.1" "cafile $C/ca.pem" "certfile $C/server-ec.pem" "keyfile $C/server-ec.key"
bench_broker_run "$P_TLS"

machine_summary
echo "conn: --duration $DURATION --clients $CLIENTS --lifetime $LIFETIME"
printf '  %-6s %7s %8s %11s %11s %11s %11s %7s %6s %12s %14s  %s\n' run target "done" "connects/s" "connect p50" \
    "connect p99" "tls p99" failed late "broker us/c" "mqttbench us/c" verdict
for kind in $TRANSPORTS; do
    case $kind in
        plain) args=(-p "$P_PLAIN") ;;
        tls) args=(-p "$P_TLS" --cafile "$C/ca.pem" --tls-version tlsv1.3) ;;
        *) die "TRANSPORTS: plain or tls (got '$kind')" ;;
    esac
    best=none
    for rate in $RATES; do
        f=$WORK/$kind-$rate.json
        before=$(broker_ticks)
        "$MQTTBENCH" conn "${args[@]}" --rate "$rate" --duration "$DURATION" --clients "$CLIENTS" \
            --lifetime "$LIFETIME" --quiet --json "$f" > "$WORK/$kind-$rate.out" 2>&1 || true
        after=$(broker_ticks)
        [[ -s $f ]] || die "$kind at $rate/s: no result: $(tail -n 3 "$WORK/$kind-$rate.out")"
        mapfile -t res < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); c = d["conn"]; k = d["connect"]
bcpu = float(sys.argv[2]); n = max(c["done"], 1)
mcpu = d["resources"]["cpu_user_s"] + d["resources"]["cpu_sys_s"]
failed = sum(c["failed"].values())
tls = "%.0fus" % k["tls_us"]["p99"] if k["tls_us"] else "-"
ok = (d["status"] == "ok" and failed == 0 and c["done"] == c["scheduled"] and not d["schedule_lagging"]
      and not d["generator_saturated"] and c["connects_per_s"] >= 0.97 * c["target_per_s"])
why = "SUSTAINED" if ok else "not: " + ", ".join(w for w, b in (
    ("status " + d["status"], d["status"] != "ok"), ("%d failed" % failed, failed > 0),
    ("schedule not kept (" + ("all --clients busy" if c["slot_waits"] * 2 >= c["late"] else "mqttbench late") + ")",
     d["schedule_lagging"]), ("mqttbench saturated", d["generator_saturated"]),
    ("rate short", c["connects_per_s"] < 0.97 * c["target_per_s"])) if b)
print("%7d %8d %11.0f %11s %11s %11s %7d %6d %12.0f %14.0f  %s\n%d" % (
    c["target_per_s"], c["done"], c["connects_per_s"], "%.0fus" % k["time_us"]["p50"],
    "%.0fus" % k["time_us"]["p99"], tls, failed, c["late"], bcpu * 1e6 / n, mcpu * 1e6 / n, why, ok))' \
            "$f" "$(broker_cpu_s "$before" "$after")")
        printf '  %-6s %s\n' "$kind" "${res[0]}"
        if [[ ${res[1]} == 1 ]]; then best=$rate; else break; fi
    done
    echo "  $kind: highest sustained rate $best connects/s"
done
