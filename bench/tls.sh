#!/usr/bin/env bash
# tls.sh — what TLS costs, on this machine, for docs/performance.md (issue 9).
#
# Run from anywhere (it changes to the repo root); build first with `make`:
#   bench/tls.sh 2>&1 | tee /tmp/tls-bench.txt
# One mosquitto for the whole run, started here, with four listeners on
# loopback: plain TCP, TLS with an ECDSA P-256 certificate, TLS with an
# RSA-2048 certificate (certificates made now by tests/tls/make-certs.sh).
#
#   (a) plain vs TLS 1.3, COUNT QoS 0 messages in `both` (1 publisher, 1
#       subscriber), back to back on the same broker, ROUNDS times each,
#       alternating: msgs/s, and CPU µs per message of mqttbench (its
#       rusage) and of the broker (/proc/PID/stat, around each run).
#   (b) full TLS handshakes per second: HANDSHAKES publishers connecting at
#       each rate of HS_RATES (0 = all at once), against the RSA-2048 and the
#       ECDSA P-256 certificate: the handshakes completed per second, the
#       handshake's p50/p99, and the CPU per handshake of the broker and of
#       mqttbench. Offered faster than the broker completes them, the
#       connections queue in its listen backlog (100 in mosquitto), which
#       overflows: the client's SYN is dropped and retried a second later,
#       and the rate falls. The best rate is the broker's.
#   (c) peak RSS per TLS connection at CONNS connections (pairs, QoS 1,
#       1 msg/s each for RSS_DURATION s, ramped at RSS_RATE/s), against the
#       same run over plain TCP.
#
# Environment:
#   COUNT=1000000  ROUNDS=1  HANDSHAKES=2000  HS_RATES="500 1000 2000 0"
#   CONNS=10000  RSS_DURATION=10  RSS_RATE=1000
#   PHASES="a b c"   MQTTBENCH=./mqttbench   KEEP=1 keeps the results
# Exit status: 0 when the phases ran (each target is marked PASS/MISS),
# 1 when something could not run at all.
set -euo pipefail
export LC_ALL=C.UTF-8
cd "$(dirname "${BASH_SOURCE[0]}")/.."

COUNT=${COUNT:-1000000}
ROUNDS=${ROUNDS:-1}
HANDSHAKES=${HANDSHAKES:-2000}
CONNS=${CONNS:-10000}
RSS_DURATION=${RSS_DURATION:-10}
RSS_RATE=${RSS_RATE:-1000}
HS_RATES=${HS_RATES:-500 1000 2000 0}
PHASES=${PHASES:-a b c}
MQTTBENCH=${MQTTBENCH:-./mqttbench}
KEEP=${KEEP:-0}
T_KIB_PER_CONN=64   # (c) peak RSS per TLS connection, KiB <=
BENCH_NAME=tls-bench
# shellcheck source=bench/lib.sh
source bench/lib.sh

for v in COUNT ROUNDS HANDSHAKES CONNS RSS_DURATION RSS_RATE; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[[ -x $MQTTBENCH ]] || die "$MQTTBENCH not found: run make first"
command -v openssl > /dev/null || die "openssl not found (Debian: openssl)"
need_mosquitto

bench_init

C=$WORK/certs
tests/tls/make-certs.sh "$C" > /dev/null 2>&1 || die "tests/tls/make-certs.sh failed"
P_PLAIN=$(free_port) P_EC=$(free_port) P_RSA=$(free_port)
conf=("allow_anonymous true" "persistence false" "sys_interval 10" "set_tcp_nodelay true" "listener $P_PLAIN 127.0.0.1")
for l in "$P_EC server-ec" "$P_RSA server-rsa"; do
    read -r port cert <<<"$l"
    conf+=("listener $port 127.0.0.1" "cafile $C/ca.pem" "certfile $C/$cert.pem" "keyfile $C/$cert.key")
done
bench_broker_conf "${conf[@]}"
bench_broker_run "$P_RSA"
CA=(--cafile "$C/ca.pem")

# mb NAME ARGS...: one mqttbench run against this broker; the broker's CPU
# seconds during it in B_CPU. Prints its summary to stderr.
mb() {
    local name=$1; shift
    local before after
    before=$(broker_ticks)
    "$MQTTBENCH" "$@" --quiet --json "$WORK/$name.json" > "$WORK/$name.out" 2>&1 || true
    after=$(broker_ticks)
    B_CPU=$(broker_cpu_s "$before" "$after")
    [[ -s $WORK/$name.json ]] || die "$name: no result: $(tail -n 3 "$WORK/$name.out")"
    [[ $(jf "$WORK/$name.json" 'd["status"]') == ok ]] || log "$name: $(jf "$WORK/$name.json" 'd.get("error")')"
}

machine_summary

if [[ " $PHASES " == *" a "* ]]; then
    echo
    echo "(a) plain vs TLS 1.3, $COUNT QoS 0 messages, both, 1 publisher, 1 subscriber"
    printf '  %-8s %12s %12s %16s %16s %10s %6s\n' run "msgs/s" "recv msgs/s" "mqttbench us/msg" "broker us/msg" \
        "writes/msg" lost
    for r in $(seq 1 "$ROUNDS"); do
        for kind in plain tls; do
            if [[ $kind == plain ]]; then args=(-p "$P_PLAIN"); else args=(-p "$P_EC" "${CA[@]}" --tls-version tlsv1.3); fi
            mb "a-$kind-$r" both "${args[@]}" --count "$COUNT"
            f=$WORK/a-$kind-$r.json
            read -r pub sub cpu n w lost < <(jf "$f" 'd["publish"]["msgs_per_s"]' 'd["subscribe"]["msgs_per_s"]' \
                'd["resources"]["cpu_user_s"] + d["resources"]["cpu_sys_s"]' 'd["subscribe"]["messages"]' \
                'd["resources"]["write_syscalls"]' 'd["subscribe"]["lost"]' | paste -sd' ')
            printf '  %-8s %12.0f %12.0f %16.2f %16.2f %10.2f %6s\n' "$kind" "$pub" "$sub" \
                "$(awk -v c="$cpu" -v n="$n" 'BEGIN { print n ? c * 1e6 / n : 0 }')" \
                "$(awk -v c="$B_CPU" -v n="$n" 'BEGIN { print n ? c * 1e6 / n : 0 }')" \
                "$(awk -v w="$w" -v n="$n" 'BEGIN { print n ? w / n : 0 }')" "$lost"
        done
    done
    echo "  $(jf "$WORK/a-tls-1.json" 'd["environment"]["tls"]["protocol"] + " " + d["environment"]["tls"]["cipher"]')"
fi

if [[ " $PHASES " == *" b "* ]]; then
    echo
    echo "(b) full TLS 1.3 handshakes: $HANDSHAKES publishers, offered at each --connect-rate"
    printf '  %-9s %8s %13s %11s %11s %10s %14s %14s %9s\n' cert offered "handshakes/s" "tls p50 ms" "tls p99 ms" \
        "connect s" "broker ms/hs" "client ms/hs" failures
    for cert in rsa ec; do
        port=$P_EC; [[ $cert == rsa ]] && port=$P_RSA
        for rate in $HS_RATES; do
            mb "b-$cert-$rate" pub -p "$port" "${CA[@]}" --tls-version tlsv1.3 --publishers "$HANDSHAKES" \
                --count "$HANDSHAKES" --no-control --connect-rate "$rate" --connect-timeout 60s
            f=$WORK/b-$cert-$rate.json
            read -r hs p50 p99 cs n fails cpu < <(jf "$f" 'd["connect"]["tls_handshakes_per_s"]' \
                'd["connect"]["tls_us"]["p50"] / 1e3' 'd["connect"]["tls_us"]["p99"] / 1e3' 'd["phases"]["connect_s"]' \
                'd["connect"]["tls_us"]["count"]' 'd["connect"]["failures"]' \
                'd["resources"]["cpu_user_s"] + d["resources"]["cpu_sys_s"]' | paste -sd' ')
            printf '  %-9s %8s %13.0f %11.2f %11.2f %10.2f %14.3f %14.3f %9s\n' \
                "$([[ $cert == rsa ]] && echo RSA-2048 || echo P-256)" "$([[ $rate == 0 ]] && echo "at once" || echo "$rate/s")" \
                "$hs" "$p50" "$p99" "$cs" "$(awk -v c="$B_CPU" -v n="$n" 'BEGIN { print n ? c * 1e3 / n : 0 }')" \
                "$(awk -v c="$cpu" -v n="$n" 'BEGIN { print n ? c * 1e3 / n : 0 }')" "$fails"
        done
    done
fi

if [[ " $PHASES " == *" c "* ]]; then
    echo
    pairs=$((CONNS / 2))
    echo "(c) peak RSS at $CONNS connections: pairs, $pairs publishers -> $pairs subscribers, QoS 1," \
         "1 msg/s each, ${RSS_DURATION}s, ramped at $RSS_RATE/s"
    printf '  %-8s %12s %14s %16s %10s %8s\n' run connected "peak RSS KiB" "KiB/connection" target result
    for kind in plain tls; do
        if [[ $kind == plain ]]; then args=(-p "$P_PLAIN"); else args=(-p "$P_EC" "${CA[@]}" --tls-version tlsv1.3); fi
        mb "c-$kind" both "${args[@]}" --shape pairs --publishers "$pairs" --subscribers "$pairs" --qos 1 \
            --rate "$pairs" --duration "${RSS_DURATION}s" --connect-rate "$RSS_RATE" --connect-timeout 120s
        read -r conn rss st < <(jf "$WORK/c-$kind.json" 'd["connect"]["connected"]' 'd["resources"]["peak_rss_kb"]' \
            'd["status"]' | paste -sd' ')
        per=$(awk -v r="$rss" -v c="$conn" 'BEGIN { printf "%.1f", c ? r / c : 0 }')
        eval "rss_$kind=$rss conn_$kind=$conn"
        if [[ $st != ok ]]; then
            printf '  %-8s %12s %14s %16s %10s %8s\n' "$kind" "$conn" "$rss" "$per" "" "$st"
        elif [[ $kind == tls ]]; then
            ok=$(awk -v p="$per" -v t=$T_KIB_PER_CONN 'BEGIN { print p <= t ? "PASS" : "MISS" }')
            printf '  %-8s %12s %14s %16s %10s %8s\n' "$kind" "$conn" "$rss" "$per" "<= $T_KIB_PER_CONN" "$ok"
        else
            printf '  %-8s %12s %14s %16s\n' "$kind" "$conn" "$rss" "$per"
        fi
    done
    # shellcheck disable=SC2154  # rss_tls, rss_plain, conn_tls: set by the eval above
    echo "  TLS's own share: $(awk -v a="$rss_tls" -v b="$rss_plain" -v c="$conn_tls" \
        'BEGIN { printf "%.1f", c ? (a - b) / c : 0 }') KiB per connection over the plain run"
    echo "  broker RSS now: $(awk '/VmRSS/ { print $2, $3 }' "/proc/$BROKER_PID/status")," \
         "peak $(awk '/VmHWM/ { print $2, $3 }' "/proc/$BROKER_PID/status") (the whole script)"
fi
