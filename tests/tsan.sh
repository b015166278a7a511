# ThreadSanitizer checks (CI runs them on `make SAN=thread`, build-tsan/):
# `both` at QoS 0, 1 and 2 with 2 publishers and 2 subscribers, and a `pub`
# and a `sub` joined by the control plane, against a real mosquitto. Any
# ThreadSanitizer report fails: halt_on_error makes the process exit 66 at the
# first one, and its stderr is searched as well.
#   make SAN=thread mqttbench && BUILD=build-tsan tests/run.sh tests/tsan.sh
# libmosquitto is not instrumented: only its calls into pthreads (locks) are
# seen, so a data race inside it cannot be reported, and no suppression is
# needed for it today. Suppressions, each with its reason, go to tests/tsan.supp.
source tests/lib.sh
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp ${TSAN_OPTIONS:-}"

if ! grep -q __tsan_init "$MQTTBENCH" 2> /dev/null; then
    fail "tsan build" "$MQTTBENCH is not built with -fsanitize=thread (make SAN=thread)"
    exit 1
fi
start_broker "max_queued_messages 0" || exit 1

# no_report NAME RC EXPECTED-RC STDERR-FILE
no_report() {
    if grep -q ThreadSanitizer "$4"; then
        fail "$1: no ThreadSanitizer report" "$(grep -m 1 'SUMMARY: ThreadSanitizer' "$4")"
        grep -m 1 -A 24 'WARNING: ThreadSanitizer' "$4" | sed 's/^/    /'
    else
        pass "$1: no ThreadSanitizer report"
    fi
    check_eq "$1: exit $3" "$3" "$2"
}

for qos in 0 1 2; do
    f=$TEST_TMP/both-q$qos
    timeout 120 "$MQTTBENCH" both -p "$BROKER_PORT" -q "$qos" --count 10000 --publishers 2 --subscribers 2 \
        --quiet --json "$f.json" > /dev/null 2> "$f.err"
    no_report "both -q $qos 2x2" "$?" 0 "$f.err"
    check_eq "both -q $qos 2x2: received" 20000 "$(json "$f.json" 'd["subscribe"]["messages"]' 2> /dev/null)"
done

# pub and sub processes with the control plane (it has its own thread-shared
# state: announcements, clock samples, the outbox).
ID=7500aa00bb11cc22
S=$TEST_TMP/sub P=$TEST_TMP/pub
timeout 120 "$MQTTBENCH" sub -p "$BROKER_PORT" -q 1 --run-id $ID --expect-publishers 1 --wait-timeout 20s \
    --quiet --json "$S.json" > /dev/null 2> "$S.err" &
sub=$!
sleep 0.5
timeout 120 "$MQTTBENCH" pub -p "$BROKER_PORT" -q 1 --run-id $ID --wait-subscribers 1 --wait-timeout 20s \
    --count 10000 --quiet --json "$P.json" > /dev/null 2> "$P.err"
no_report "control plane: pub" "$?" 0 "$P.err"
wait_exit "$sub" 60000
no_report "control plane: sub" "$EXIT_RC" 0 "$S.err"
check_eq "control plane: sub received" 10000 "$(json "$S.json" 'd["subscribe"]["messages"]' 2> /dev/null)"

# Live metrics: the controller publishes, the server thread answers scrapes
# and writes the file (metricsrv.h); scraped all through a 3 s run.
M=$TEST_TMP/metrics MP=$(free_port)
timeout 120 "$MQTTBENCH" both -p "$BROKER_PORT" --duration 3 --rate 2000 --metrics-listen "127.0.0.1:$MP" \
    --metrics-file "$M.prom" --quiet --json "$M.json" > /dev/null 2> "$M.err" &
run=$!
scrapes=0
while kill -0 "$run" 2> /dev/null; do
    curl -s -o /dev/null "http://127.0.0.1:$MP/metrics" && scrapes=$((scrapes + 1))
    sleep 0.05
done
wait_exit "$run" 60000
no_report "metrics scraped during a run" "$EXIT_RC" 0 "$M.err"
check "metrics scraped during a run: scraped ($scrapes times)" test "$scrapes" -gt 10
finish
