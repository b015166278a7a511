# Shared helpers for the integration tests (bash; sourced, not run).
# Each check prints "PASS name" or "FAIL name: why"; tests/run.sh counts them.
# A real mosquitto is started per test on a free 127.0.0.1 port; no mocks.

MQTTBENCH=${MQTTBENCH:-./mqttbench}
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mqttbench-test.XXXXXX")
BROKER_PID=
BROKER_PORT=
FAILURES=0

# Debian's python3 (a test dependency, with python3-yaml), not whatever comes
# first on PATH: a version manager's shim (pyenv) costs about 0.3 s a call,
# against 0.05 s, and the suite makes hundreds of calls.
if [ -x /usr/bin/python3 ] && [ "$(command -v python3)" != /usr/bin/python3 ]; then
    mkdir -p "$TEST_TMP/bin" && ln -sf /usr/bin/python3 "$TEST_TMP/bin/python3" && PATH="$TEST_TMP/bin:$PATH"
fi

cleanup() {
    stop_broker
    # Stop what is still running and let it exit before removing TEST_TMP: an
    # interrupted mqttbench writes its results on the way out, and would
    # otherwise recreate a directory under TEST_TMP after the rm.
    local pids p i
    pids=$(jobs -p)
    # shellcheck disable=SC2086
    [ -n "$pids" ] && kill $pids 2>/dev/null
    for p in $pids; do
        for i in $(seq 1 250); do kill -0 "$p" 2>/dev/null || break; sleep 0.02; done
        kill -9 "$p" 2>/dev/null
    done
    rm -rf "$TEST_TMP"
}
trap cleanup EXIT
# A signal ends the script through its EXIT trap, which stops its brokers.
trap 'exit 1' INT TERM HUP PIPE

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

# restart_broker: start mosquitto again (after a kill) on BROKER_PORT with the
# same config, as a failover test does.
restart_broker() {
    "$(mosquitto_bin)" -c "$TEST_TMP/mosquitto.conf" >> "$TEST_TMP/mosquitto.log" 2>&1 &
    BROKER_PID=$!
    for _ in $(seq 1 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$BROKER_PORT") 2>/dev/null; then return 0; fi
        sleep 0.025
    done
    fail "restart_broker" "mosquitto did not start again: $(tail -n 3 "$TEST_TMP/mosquitto.log")"
    return 1
}

# json FILE PYTHON-EXPR: evaluate EXPR with d = the parsed file; prints the value.
json() {
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$1" "$2"
}

# json_load FILE: fill the associative array J with every scalar of FILE by
# dotted path (J[subscribe.lost], J[environment.broker_spawned]); null, true
# and false as in JSON; lists are left out. One python start for many checks.
# J is empty (and the status 1) when FILE is missing or not JSON.
declare -A J
json_load() {
    local k v
    J=()
    while IFS= read -r -d '' k && IFS= read -r -d '' v; do J[$k]=$v; done < <(python3 -c '
import json,sys
try: d=json.load(open(sys.argv[1]))
except Exception: sys.exit(0)
def walk(p, v):
    if isinstance(v, dict):
        for k, x in v.items(): walk(p + [k], x)
    elif not isinstance(v, list):
        s = json.dumps(v) if isinstance(v, bool) or v is None else str(v)
        sys.stdout.write(".".join(p) + "\0" + s + "\0")
walk([], d)' "$1")
    [ ${#J[@]} -gt 0 ]
}

# sys_value TOPIC: the broker's current $SYS value (waits for one publish).
sys_value() {
    mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -t "$1" -C 1 -W 5 2>/dev/null
}

# wait_line FILE PATTERN MS: wait until FILE has a line matching PATTERN;
# 1 after MS milliseconds without one.
wait_line() {
    local deadline=$(( $(now_ms) + $3 ))
    until grep -q "$2" "$1" 2>/dev/null; do
        [ "$(now_ms)" -ge "$deadline" ] && return 1
        sleep 0.01
    done
}

finish() {
    [ "$FAILURES" -eq 0 ]
}

# now_ms: wall-clock milliseconds, for timing how fast something exits.
now_ms() { date +%s%3N; }

# wait_exit PID MS: wait for a background job to end, at most MS milliseconds,
# and set EXIT_RC to its exit status. When it is still running then, kill it
# with SIGKILL, set EXIT_RC=timeout and return 1. Call it directly, not in
# $(...): a subshell cannot wait for the job.
wait_exit() {
    local pid=$1 deadline=$(( $(now_ms) + $2 ))
    EXIT_RC=
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$(now_ms)" -ge "$deadline" ]; then
            kill -9 "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            EXIT_RC=timeout
            return 1
        fi
        sleep 0.01
    done
    wait "$pid"
    EXIT_RC=$?
}

# json_edit SRC DST PYTHON: write DST as SRC's JSON after running the Python
# statements PYTHON on it as d (d["subscribe"]["msgs_per_s"] *= 0.8).
json_edit() {
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); exec(sys.argv[3]); json.dump(d, open(sys.argv[2], "w"), indent=1)' "$1" "$2" "$3"
}
