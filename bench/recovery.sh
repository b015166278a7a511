#!/usr/bin/env bash
# recovery.sh — time to recover after a mosquitto restart, for
# docs/performance.md (issue 11).
#
# Run from anywhere (it changes to the repo root); build first with `make`:
#   bench/recovery.sh 2>&1 | tee /tmp/recovery-bench.txt
# A private mosquitto (persistence on, unlimited queues) on a free loopback
# port. `mqttbench both` with PUBLISHERS publishers and SUBSCRIBERS
# subscribers in pairs (publisher i -> subscriber i), RATE msgs/s in all,
# QoS QOS, persistent sessions (--no-clean) and --reconnect RECONNECT, for
# DURATION s. KILL_AT s after the start the broker gets SIGNAL (TERM: it
# saves its sessions and exits; KILL: it dies), is started again on the
# same port DOWN s after it exited, and the clients come back. From the
# result's outages[0]: the connections hit, each one's reconnect time
# (p50/p99/max: from the loss to the client being ready again, backoff
# included), how long until every client was back (end_s - start_s), when
# messages flowed again (flowing_s), and what the outage lost, duplicated
# and redelivered. "after listening" is the all-back time less the time
# the broker was not listening (measured here, from the signal to the
# moment it listened again): what the clients themselves took.
#
# Environment:
#   PUBLISHERS=500  SUBSCRIBERS=500  RATE=1000  QOS=1  DURATION=30
#   KILL_AT=10  DOWN=1  SIGNAL=TERM  RECONNECT=100ms..2s  ROUNDS=1
#   MQTTBENCH=./mqttbench   KEEP=1 keeps the results   RESULTS=DIR copies
#   each run's JSON to DIR (under results/, say)
# Exit status: 0 when every round ran (a failed run is reported as such),
# 1 when something could not run at all.
set -euo pipefail
export LC_ALL=C.UTF-8
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PUBLISHERS=${PUBLISHERS:-500}
SUBSCRIBERS=${SUBSCRIBERS:-500}
RATE=${RATE:-1000}
QOS=${QOS:-1}
DURATION=${DURATION:-30}
KILL_AT=${KILL_AT:-10}
DOWN=${DOWN:-1}
SIGNAL=${SIGNAL:-TERM}
RECONNECT=${RECONNECT:-100ms..2s}
ROUNDS=${ROUNDS:-1}
MQTTBENCH=${MQTTBENCH:-./mqttbench}
KEEP=${KEEP:-0}
RESULTS=${RESULTS:-}
BENCH_NAME=recovery-bench
# shellcheck source=bench/lib.sh
source bench/lib.sh

for v in PUBLISHERS SUBSCRIBERS RATE DURATION KILL_AT ROUNDS; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[[ $DOWN =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "DOWN must be a number of seconds (got '$DOWN')"
[[ $QOS =~ ^[012]$ ]] || die "QOS must be 0, 1 or 2 (got '$QOS')"
[[ $SIGNAL =~ ^(TERM|KILL|INT)$ ]] || die "SIGNAL must be TERM, KILL or INT (got '$SIGNAL')"
(( KILL_AT < DURATION )) || die "KILL_AT ($KILL_AT) must come before the end (DURATION $DURATION)"
[[ -x $MQTTBENCH ]] || die "$MQTTBENCH not found: run make first"
need_mosquitto
[[ -z $RESULTS ]] || mkdir -p "$RESULTS" || die "cannot create $RESULTS"

bench_init
PORT=$(free_port)
bench_broker_conf "listener $PORT 127.0.0.1" "allow_anonymous true" "persistence true" \
    "persistence_location $WORK/" "max_queued_messages 0"

now_ns() { date +%s%N; }

log "mosquitto $(mosquitto_version), port $PORT; $PUBLISHERS publishers + $SUBSCRIBERS subscribers (pairs), $RATE msgs/s, QoS $QOS, --no-clean, --reconnect $RECONNECT; SIG$SIGNAL at ${KILL_AT}s, down ${DOWN}s"
printf '| round | clients hit | reconnect p50 | p99 | max | all back | after listening | flowing | lost | dup | redelivered | status |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|---|\n'
for round in $(seq 1 "$ROUNDS"); do
    rm -f "$WORK"/mosquitto.db
    bench_broker_run "$PORT"
    OUT=$WORK/round$round.json
    "$MQTTBENCH" both -p "$PORT" --shape pairs --publishers "$PUBLISHERS" --subscribers "$SUBSCRIBERS" \
        --rate "$RATE" -q "$QOS" --no-clean --reconnect "$RECONNECT" --duration "${DURATION}s" \
        --drain-timeout 30s --id-prefix "rec$round" --quiet --json "$OUT" > "$WORK/round$round.out" 2>&1 &
    CLIENT_PID=$!
    sleep "$KILL_AT"
    t_kill=$(now_ns)
    kill "-$SIGNAL" "$BROKER_PID"
    wait "$BROKER_PID" 2>/dev/null || true
    sleep "$DOWN"
    bench_broker_run "$PORT"
    down_s=$(python3 -c "print(($(now_ns) - $t_kill) / 1e9)")
    rc=0
    wait "$CLIENT_PID" || rc=$?
    CLIENT_PID=
    kill "$BROKER_PID" 2>/dev/null || true
    wait "$BROKER_PID" 2>/dev/null || true
    BROKER_PID=
    [[ -z $RESULTS ]] || cp "$OUT" "$RESULTS/recovery-round$round.json"
    [[ -s $OUT ]] || die "round $round: no result (exit $rc): $(tail -n 3 "$WORK/round$round.out")"
    python3 - "$OUT" "$round" "$down_s" "$rc" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rnd, down, rc = sys.argv[2], float(sys.argv[3]), sys.argv[4]
status = d["status"] + ("" if rc == "0" else f" (exit {rc})")
if not d.get("outages"):
    print(f"| {rnd} | no outage | | | | | | | | | | {status} |")
    sys.exit(0)
o = d["outages"][0]
r = o["reconnect_us"]
ms = lambda us: f"{us / 1000:,.0f} ms"
back = f"{o['end_s'] - o['start_s']:.3f} s" if o["end_s"] is not None else "never"
after = f"{o['end_s'] - o['start_s'] - down:.3f} s" if o["end_s"] is not None else ""
flow = f"{o['flowing_s']:.3f} s" if o["flowing_s"] is not None else "none"
more = f" ({d['outages_total']} outages)" if d["outages_total"] > 1 else ""
print(f"| {rnd} | {o['clients']}{more} | {ms(r['p50'])} | {ms(r['p99'])} | {ms(r['max'])} | {back} | {after} | {flow} | "
      f"{o['lost']} | {o['duplicates']} | {o['redelivered']} | {status} |")
PY
done
log "broker down ${down_s}s in the last round (signal to listening again); whole-run loss and duplicates are in the JSON (subscribe)"
