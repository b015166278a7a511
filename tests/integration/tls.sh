# TLS and mutual TLS against a real mosquitto with TLS listeners, on
# certificates openssl makes now (tests/tls/make-certs.sh): exact counts in
# both, pub and sub at QoS 0/1/2, mutual TLS, PSK, and every error a TLS
# setup can give, before the run (exit 2) and at connect time (exit 1).
source tests/lib.sh
C=$TEST_TMP/certs
if ! tests/tls/make-certs.sh "$C" > "$TEST_TMP/certs.log" 2>&1; then
    fail "certificates" "tests/tls/make-certs.sh: $(tail -n 3 "$TEST_TMP/certs.log")"
    exit 1
fi
PSK=00112233445566778899aabbccddeeff0123
echo "bench:$PSK" > "$C/psk"
tls_listener() {   # PORT CERT [MORE LINES...]: a TLS listener with C/CERT.pem
    local port=$1 cert=$2; shift 2
    printf '%s\n' "listener $port 127.0.0.1" "cafile $C/ca.pem" "certfile $C/$cert.pem" "keyfile $C/$cert.key" "$@"
}
P_MTLS=$(free_port) P_EXPIRED=$(free_port) P_OTHER=$(free_port) P_NAME=$(free_port) P_PSK=$(free_port)
P_PLAIN=$(free_port)
mapfile -t extra < <(
    tls_listener "$P_MTLS" server "require_certificate true"
    tls_listener "$P_EXPIRED" expired
    tls_listener "$P_OTHER" other
    tls_listener "$P_NAME" name
    printf '%s\n' "listener $P_PSK 127.0.0.1" "psk_hint mqttbench" "psk_file $C/psk"
    printf '%s\n' "listener $P_PLAIN 127.0.0.1")
# The first listener (start_broker's port) is TLS with the good certificate;
# no queue limit, so every message arrives and counts are exact.
start_broker "max_queued_messages 0" "cafile $C/ca.pem" "certfile $C/server.pem" "keyfile $C/server.key" \
    "${extra[@]}" || exit 1
CA=(--cafile "$C/ca.pem")

# --- both at QoS 0, 1, 2: exact counts, the connect phase split ---------------
for qos in 0 1 2; do
    f=$TEST_TMP/both-q$qos.json
    "$MQTTBENCH" both -p "$BROKER_PORT" "${CA[@]}" --qos $qos --count 6000 --publishers 2 --subscribers 2 \
        --quiet --json "$f" > "$TEST_TMP/out" 2>&1
    check_eq "both qos $qos: exits 0" 0 "$?"
    json_load "$f"
    check_eq "both qos $qos: status ok" ok "${J[status]}"
    check_eq "both qos $qos: published" 6000 "${J[publish.messages]}"
    check_eq "both qos $qos: received (2 subscribers)" 12000 "${J[subscribe.messages]}"
    check_eq "both qos $qos: lost/dup/foreign" "0 0 0" \
        "${J[subscribe.lost]} ${J[subscribe.duplicates]} ${J[subscribe.foreign]}"
    check_eq "both qos $qos: TLS 1.3 negotiated" TLSv1.3 "${J[environment.tls.protocol]}"
    # 2 publishers, 2 subscribers and the $SYS reader: 5 handshakes
    check_eq "both qos $qos: handshakes timed" "5 5 5 5" \
        "${J[connect.tcp_us.count]} ${J[connect.tls_us.count]} ${J[connect.connack_us.count]} ${J[connect.time_us.count]}"
done
json_load "$TEST_TMP/both-q0.json"
check "connect split: tls > 0 and handshakes/s > 0" python3 -c '
import json,sys; c=json.load(open(sys.argv[1]))["connect"]
assert c["tls_us"]["min"] > 0 and c["tcp_us"]["min"] > 0 and c["connack_us"]["min"] > 0, c
assert c["tls_handshakes_per_s"] > 0, c["tls_handshakes_per_s"]' "$TEST_TMP/both-q0.json"
check_eq "environment.tls.verify" "chain and host name" "${J[environment.tls.verify]}"
check "environment.tls.library is OpenSSL" grep -q '"library":[[:space:]]*"OpenSSL' "$TEST_TMP/both-q0.json"
"$MQTTBENCH" both -p "$BROKER_PORT" "${CA[@]}" --count 100 --quiet --json "$TEST_TMP/sum.json" > "$TEST_TMP/out" 2>&1
check "summary has the TLS connect line" grep -q "^  tls .*handshakes/s" "$TEST_TMP/out"
# QoS 0 completion under TLS: no write gathering, so every message is its
# own SSL_write, and on_publish after it means the record is in the kernel.
f=$TEST_TMP/pub-q0.json
"$MQTTBENCH" pub -p "$BROKER_PORT" "${CA[@]}" --count 3000 --no-control --quiet --json "$f" > /dev/null 2>&1
json_load "$f"
check "qos 0 under TLS: a write per message (gathering off)" \
    test "${J[resources.write_syscalls]}" -ge "${J[publish.messages]}"
# A plain run reports no TLS.
"$MQTTBENCH" both -p "$P_PLAIN" --count 100 --quiet --json "$TEST_TMP/plain.json" > /dev/null 2>&1
json_load "$TEST_TMP/plain.json"
check_eq "plain run: environment.tls null, tls_us null" "null null" "${J[environment.tls]} ${J[connect.tls_us]}"

# --- pub and sub as two processes, QoS 0/1/2 ----------------------------------
for qos in 0 1 2; do
    id=7e5700000000000$qos
    S=$TEST_TMP/sub-q$qos.json P=$TEST_TMP/pub-q$qos.json
    timeout 60 "$MQTTBENCH" sub -p "$BROKER_PORT" "${CA[@]}" --qos $qos --count 4000 --run-id $id \
        --expect-publishers 1 --quiet --json "$S" > "$TEST_TMP/sub.out" 2>&1 &
    sub_pid=$!
    timeout 60 "$MQTTBENCH" pub -p "$BROKER_PORT" "${CA[@]}" --qos $qos --count 4000 --run-id $id \
        --wait-subscribers 1 --quiet --json "$P" > "$TEST_TMP/pub.out" 2>&1
    check_eq "pub qos $qos: exits 0" 0 "$?"
    wait_exit "$sub_pid" 40000
    check_eq "sub qos $qos: exits 0" 0 "$EXIT_RC"
    json_load "$P"
    check_eq "pub qos $qos: published" "ok 4000" "${J[status]} ${J[publish.messages]}"
    json_load "$S"
    check_eq "sub qos $qos: received, expected, lost" "ok 4000 4000 0" \
        "${J[status]} ${J[subscribe.messages]} ${J[subscribe.expected]} ${J[subscribe.lost]}"
done

# --- mutual TLS, PSK ------------------------------------------------------------
MTLS=(-p "$P_MTLS" "${CA[@]}" --cert "$C/client.pem" --key "$C/client.key")
"$MQTTBENCH" both "${MTLS[@]}" --qos 1 --count 2000 --quiet --json "$TEST_TMP/mtls.json" > "$TEST_TMP/out" 2>&1
check_eq "mutual TLS: exits 0" 0 "$?"
json_load "$TEST_TMP/mtls.json"
check_eq "mutual TLS: exact counts" "ok 2000 2000 0" \
    "${J[status]} ${J[publish.messages]} ${J[subscribe.messages]} ${J[subscribe.lost]}"
MQTTBENCH_KEY_PASSWORD=$(cat "$C/client-enc.pass") "$MQTTBENCH" both -p "$P_MTLS" "${CA[@]}" --cert "$C/client.pem" \
    --key "$C/client-enc.key" --count 100 --quiet --json "$TEST_TMP/enc.json" > "$TEST_TMP/out" 2>&1
check_eq "encrypted key, passphrase in MQTTBENCH_KEY_PASSWORD: exits 0" 0 "$?"
KEYPASS=$(cat "$C/client-enc.pass") "$MQTTBENCH" both -p "$P_MTLS" "${CA[@]}" --cert "$C/client.pem" \
    --key "$C/client-enc.key" --key-password-env KEYPASS --count 100 --quiet --json "$TEST_TMP/enc2.json" \
    > "$TEST_TMP/out" 2>&1
check_eq "encrypted key, --key-password-env: exits 0" 0 "$?"
check "passphrase absent from the result" bash -c "! grep -q '$(cat "$C/client-enc.pass")' '$TEST_TMP/enc.json' '$TEST_TMP/enc2.json'"

"$MQTTBENCH" both -p "$P_PSK" --psk "$PSK" --psk-identity bench --qos 2 --count 2000 --quiet \
    --json "$TEST_TMP/psk.json" > "$TEST_TMP/psk.out" 2>&1
check_eq "PSK: exits 0" 0 "$?"
json_load "$TEST_TMP/psk.json"
check_eq "PSK: exact counts, verify psk" "ok 2000 2000 psk" \
    "${J[status]} ${J[publish.messages]} ${J[subscribe.messages]} ${J[environment.tls.verify]}"
check "PSK absent from the result and the output" bash -c "! grep -qi '$PSK' '$TEST_TMP/psk.json' '$TEST_TMP/psk.out'"
MQTTBENCH_PSK=$PSK "$MQTTBENCH" both -p "$P_PSK" --psk-identity bench --count 100 --quiet \
    --json "$TEST_TMP/psk2.json" > /dev/null 2>&1
check_eq "PSK from MQTTBENCH_PSK: exits 0" 0 "$?"

# --- secrets off the command line (the process title) -------------------------
# title_of PATTERN: the command lines of the running processes whose command
# line holds PATTERN, one a line
title_of() {
    local p
    for p in $(pgrep -f -- "$1"); do tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null; echo; done
}
"$MQTTBENCH" both -p "$P_PSK" --psk "$PSK" --psk-identity bench --id-prefix title-check --processes --rate 1000 \
    --count 3000 \
    --quiet --json "$TEST_TMP/title.json" > "$TEST_TMP/title.out" 2>&1 &
bg=$!
for _ in $(seq 1 100); do [ "$(title_of title-check | grep -c .)" -ge 3 ] && break; sleep 0.02; done
titles=$(title_of title-check)
check_eq "--processes: parent and both children seen" 3 "$(echo "$titles" | grep -c .)"
check "PSK not in any process title" bash -c "! echo \"\$1\" | grep -q '$PSK'" _ "$titles"
wait_exit "$bg" 20000
check_eq "--processes over PSK (the key passed by environment): exits 0" 0 "$EXIT_RC"
check_eq "--processes over PSK: every message" "ok 3000" "$(json "$TEST_TMP/title.json" 'd["status"] + " " + str(d["subscribe"]["messages"])')"
"$MQTTBENCH" both -p "$BROKER_PORT" "${CA[@]}" -u title-user -P s3cr3t-pw-title --rate 1000 --count 2000 \
    --quiet --json "$TEST_TMP/title2.json" > /dev/null 2>&1 &
bg=$!
# the title is scrubbed right after the options are read, before any socket is
# opened: wait for a socket, not for the process, or the check races its start
for _ in $(seq 1 250); do ls -l "/proc/$bg/fd" 2>/dev/null | grep -q 'socket:' && break; sleep 0.02; done
check "password not in the process title" bash -c "title=\$(tr '\\0' ' ' < /proc/$bg/cmdline); [ -n \"\$title\" ] && ! echo \"\$title\" | grep -q s3cr3t-pw-title"
wait_exit "$bg" 20000
check_eq "password run: exits 0" 0 "$EXIT_RC"

# --- the broker's name: checked against its certificate, in every process -----
"$MQTTBENCH" both -h localhost -p "$P_NAME" "${CA[@]}" --count 500 --quiet --json "$TEST_TMP/name.json" \
    > "$TEST_TMP/out" 2>&1
check_eq "a certificate for the name only, -h localhost: exits 0" 0 "$?"
"$MQTTBENCH" both -h localhost -p "$P_NAME" "${CA[@]}" --processes --count 500 --quiet \
    --json "$TEST_TMP/name2.json" > "$TEST_TMP/out" 2>&1
check_eq "the same with --processes (children check the name too): exits 0" 0 "$?"

# --- at connect time: exit 1, a failed result, one line naming the TLS reason -
# connect_fails NAME EXPECTED-TEXT ARGS...
connect_fails() {
    local name=$1 want=$2; shift 2
    local f=$TEST_TMP/cf.json
    rm -f "$f"
    timeout 30 "$MQTTBENCH" both --count 100 --connect-timeout 5s --quiet --json "$f" "$@" \
        > "$TEST_TMP/cf.out" 2> "$TEST_TMP/cf.err"
    local rc=$?
    local line
    line=$(grep -v '^$' "$TEST_TMP/cf.err")
    check_eq "$name: exits 1" 1 "$rc"
    check_eq "$name: failed result" failed "$(json "$f" 'd["status"]' 2>/dev/null)"
    check_eq "$name: one line on stderr" 1 "$(echo "$line" | wc -l)"
    # WANT may list texts that are each right, separated by ' || '
    local ok=0 alt rest=$want
    while [ -n "$rest" ]; do
        alt=${rest%% || *}
        [ "$alt" = "$rest" ] && rest= || rest=${rest#* || }
        case $line in *"$alt"*) ok=1 ;; esac
    done
    if [ "$ok" = 1 ]; then pass "$name: says '$want'"; else fail "$name: says '$want'" "stderr: $line"; fi
}
# With TLS 1.3 the broker checks a client certificate after the client's
# handshake; its alert may then be lost when the CONNECT meets the closed
# connection, and mqttbench can only say that the broker closed it.
AFTER="TLS: the broker closed the connection after the handshake"
connect_fails "unknown CA" "TLS: the broker's certificate: self-signed certificate in certificate chain" \
    -p "$BROKER_PORT" --cafile "$C/rogue-ca.pem"
connect_fails "host name mismatch" "IP address mismatch (it is not issued for 127.0.0.1" \
    -p "$P_OTHER" "${CA[@]}"
connect_fails "host name mismatch (a name)" "hostname mismatch (it is not issued for localhost" \
    -h localhost -p "$P_OTHER" "${CA[@]}"
"$MQTTBENCH" both -p "$P_OTHER" "${CA[@]}" --insecure --count 100 --quiet --json "$TEST_TMP/ins.json" >/dev/null 2>&1
check_eq "--insecure: another host's certificate accepted" 0 "$?"
connect_fails "expired certificate" "TLS: the broker's certificate: certificate has expired" \
    -p "$P_EXPIRED" "${CA[@]}"
connect_fails "client certificate required (TLS 1.3)" \
    "TLS: tlsv13 alert certificate required (the broker wants a client certificate: give --cert and --key) || $AFTER (with TLS 1.3 a broker that wants a client certificate does this: give --cert and --key)" \
    -p "$P_MTLS" "${CA[@]}"
connect_fails "client certificate required (TLS 1.2)" \
    "TLS: sslv3 alert handshake failure (the broker wants a client certificate" -p "$P_MTLS" "${CA[@]}" \
    --tls-version tlsv1.2
connect_fails "client certificate of an unknown CA" \
    "TLS: tlsv1 alert unknown ca (the broker refused the client certificate in --cert) || $AFTER (with TLS 1.3 a broker that refuses the client certificate in --cert does this)" \
    -p "$P_MTLS" "${CA[@]}" --cert "$C/rogue-client.pem" --key "$C/rogue-client.key"
connect_fails "PSK of an unknown identity" "(does the broker know this --psk-identity, with this key?)" \
    -p "$P_PSK" --psk "$PSK" --psk-identity stranger
connect_fails "TLS to a plain listener" "connection during the handshake (is the broker's port a TLS listener?)" \
    -p "$P_PLAIN" "${CA[@]}"
check "failure reason is a key of connect.failure_reasons" python3 -c '
import json,sys; r=json.load(open(sys.argv[1]))["connect"]["failure_reasons"]
assert any(k.startswith("TLS: ") for k in r), r' "$TEST_TMP/cf.json"
# The default port with TLS is 8883.
free8883=$(python3 -c 'import socket; s=socket.socket()
try: s.bind(("127.0.0.1",8883)); print(1)
except OSError: print(0)')
if [ "$free8883" = 1 ]; then
    "$MQTTBENCH" pub "${CA[@]}" --count 1 --no-control --quiet --json "$TEST_TMP/p8883.json" >/dev/null 2>&1
    check_eq "default port 8883 with TLS" "127.0.0.1:8883 8883" \
        "$(json "$TEST_TMP/p8883.json" 'd["environment"]["broker_address"] + " " + str(d["config"]["port"])')"
else
    echo "SKIP default port 8883 with TLS: something listens on 127.0.0.1:8883"
fi

# SNI: libmosquitto names the numeric address; mqttbench sends the host name.
# openssl s_server presents other.pem only to a client that sends SNI
# "localhost", whose check of that certificate then fails on the name.
SP=$(free_port)
openssl s_server -quiet -accept "$SP" -cert "$C/server.pem" -key "$C/server.key" \
    -servername localhost -cert2 "$C/other.pem" -key2 "$C/other.key" < /dev/null > /dev/null 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do ss -Hltn "sport = :$SP" | grep -q . && break; sleep 0.02; done
connect_fails "SNI carries the host name" "hostname mismatch" -h localhost -p "$SP" "${CA[@]}"
kill "$SERVER_PID" 2>/dev/null
wait "$SERVER_PID" 2>/dev/null

# --- before the run: exit 2, one line, nothing written ---------------------------
# usage_fails NAME EXPECTED-TEXT ARGS...
usage_fails() {
    local name=$1 want=$2; shift 2
    local f=$TEST_TMP/uf.json
    rm -f "$f"
    "$MQTTBENCH" both -p "$BROKER_PORT" --count 10 --quiet --json "$f" "$@" > /dev/null 2> "$TEST_TMP/uf.err" < /dev/null
    local rc=$?
    check_eq "$name: exits 2" 2 "$rc"
    check_eq "$name: one line" 1 "$(wc -l < "$TEST_TMP/uf.err")"
    check "$name: no result written" test ! -e "$f"
    case $(cat "$TEST_TMP/uf.err") in
        *"$want"*) pass "$name: says '$want'" ;;
        *) fail "$name: says '$want'" "stderr: $(cat "$TEST_TMP/uf.err")" ;;
    esac
}
usage_fails "missing CA file" "--cafile: cannot read '$C/nope.pem': No such file or directory" --cafile "$C/nope.pem"
usage_fails "CA file without a certificate" "--cafile: no CA certificate in" --cafile "$C/client.key"
usage_fails "--capath not a directory" "--capath: '$C/ca.pem' is not a directory" --capath "$C/ca.pem"
usage_fails "missing key file" "--key: cannot read" "${CA[@]}" --cert "$C/client.pem" --key "$C/nope.key"
usage_fails "key of another certificate" "--key: '$C/server.key' is not the key of the certificate in --cert" \
    "${CA[@]}" --cert "$C/client.pem" --key "$C/server.key"
( unset MQTTBENCH_KEY_PASSWORD
  usage_fails "encrypted key without a passphrase" "is encrypted and no passphrase was given" \
      "${CA[@]}" --cert "$C/client.pem" --key "$C/client-enc.key"
  exit "$FAILURES" ) || FAILURES=$((FAILURES + 1))
MQTTBENCH_KEY_PASSWORD=wrong usage_fails "wrong passphrase" \
    "--key: cannot decrypt '$C/client-enc.key' with the passphrase in MQTTBENCH_KEY_PASSWORD" \
    "${CA[@]}" --cert "$C/client.pem" --key "$C/client-enc.key"
usage_fails "--key-password-env naming an unset variable" "the environment variable NO_SUCH_VAR_ is not set" \
    "${CA[@]}" --cert "$C/client.pem" --key "$C/client-enc.key" --key-password-env NO_SUCH_VAR_
usage_fails "--cert without --key" "--cert: needs --key" "${CA[@]}" --cert "$C/client.pem"
usage_fails "--psk without --psk-identity" "--psk: needs --psk-identity" --psk "$PSK"
usage_fails "--psk with --cafile" "--psk: cannot be combined with --cafile" --psk "$PSK" --psk-identity b "${CA[@]}"
usage_fails "--psk not hex" "--psk: expected an even number of hex digits" --psk "zz${PSK}" --psk-identity b
check "a bad --psk is not echoed" bash -c "! grep -q '$PSK' '$TEST_TMP/uf.err'"
usage_fails "--tls-version" "--tls-version: expected tlsv1.2 or tlsv1.3, got 'tlsv1.0'" --tls-version tlsv1.0
usage_fails "--ciphers unknown" "--ciphers: no cipher in 'NOPE'" "${CA[@]}" --ciphers NOPE
usage_fails "--spawn-broker with TLS" "--spawn-broker: the mosquitto mqttbench starts has no TLS listener" \
    --spawn-broker "${CA[@]}"
finish
