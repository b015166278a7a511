# Shared helpers for the integration tests (bash; sourced, not run).
# Each check prints "PASS name" or "FAIL name: why"; tests/run.sh counts them.
# A real mosquitto is started per test on a free 127.0.0.1 port; no mocks.

MQTTBENCH=${MQTTBENCH:-./mqttbench}
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mqttbench-test.XXXXXX")
BROKER_PID=
BROKER_PORT=
FAILURES=0

cleanup() {
    stop_broker
    # shellcheck disable=SC2046
    kill $(jobs -p) 2>/dev/null || true
    rm -rf "$TEST_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; FAILURES=$((FAILURES + 1)); }

# check NAME CONDITION-COMMAND... : PASS when the command succeeds.
check() {
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name" "$*"; fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected '$2', got '$3'"; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

mosquitto_bin() {
    command -v mosquitto 2>/dev/null || echo /usr/sbin/mosquitto
}

# start_broker [extra config lines...]: a mosquitto on a free loopback port.
start_broker() {
    BROKER_PORT=$(free_port)
    local conf="$TEST_TMP/mosquitto.conf"
    {
        echo "listener $BROKER_PORT 127.0.0.1"
        echo "allow_anonymous true"
        echo "persistence false"
        echo "sys_interval 1"
        [ "$(id -u)" -eq 0 ] && echo "user root"
        for line in "$@"; do echo "$line"; done
    } > "$conf"
    "$(mosquitto_bin)" -c "$conf" > "$TEST_TMP/mosquitto.log" 2>&1 &
    BROKER_PID=$!
    for _ in $(seq 1 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$BROKER_PORT") 2>/dev/null; then return 0; fi
        sleep 0.025
    done
    echo "FAIL start_broker: mosquitto did not start: $(tail -n 3 "$TEST_TMP/mosquitto.log")"
    return 1
}

stop_broker() {
    if [ -n "$BROKER_PID" ]; then
        kill "$BROKER_PID" 2>/dev/null || true
        wait "$BROKER_PID" 2>/dev/null || true
        BROKER_PID=
    fi
}

# json FILE PYTHON-EXPR: evaluate EXPR with d = the parsed file; prints the value.
json() {
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$1" "$2"
}

# sys_value TOPIC: the broker's current $SYS value (waits for one publish).
sys_value() {
    mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -t "$1" -C 1 -W 5 2>/dev/null
}

finish() {
    [ "$FAILURES" -eq 0 ]
}
