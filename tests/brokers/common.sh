# Shared by the broker scripts in tests/brokers/ (sourced, not run).
# Every script takes the same commands:
#   NAME.sh install     fetch what the broker needs (a no-op unless it has a cache)
#   NAME.sh start DIR   start a private broker on a free 127.0.0.1 port, its
#                       files in DIR (created); print the port once it accepts
#                       MQTT connections
#   NAME.sh kill DIR    SIGKILL the broker (a crash, for the broker-killed checks)
#   NAME.sh stop DIR    stop everything start started; safe to repeat
# start exits 0 when the broker is up, 77 when it cannot be had here (not
# installed: the reason on stderr; the checks then SKIP), 1 when it failed
# (the end of its log on stderr). Each broker runs in its own process group,
# led by the process start made (DIR/pgid), so stop and kill reach every
# process it forked, and only those.
set -uo pipefail

BROKERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# spawn_group PIDFILE LOG COMMAND...: run COMMAND in a new session (its own
# process group) in the background; its pid, which is also the group id, goes
# to PIDFILE.
spawn_group() {
    local pidfile=$1 log=$2; shift 2
    setsid "$@" < /dev/null > "$log" 2>&1 &
    echo $! > "$pidfile"
}

# group_alive PGID: the leader or any process of its group still runs. (Just
# after spawn_group the leader may not have called setsid() yet, so the
# group does not exist but the leader does.)
group_alive() {
    kill -0 "$1" 2> /dev/null || kill -0 -- "-$1" 2> /dev/null
}

# stop_group PIDFILE SECONDS: SIGTERM the group's leader, wait up to SECONDS
# for the whole group to exit, then SIGKILL what is left of it. Removes PIDFILE.
stop_group() {
    local pidfile=$1 secs=$2 pg i
    [ -f "$pidfile" ] || return 0
    pg=$(cat "$pidfile")
    if [ -n "$pg" ] && group_alive "$pg"; then
        kill -TERM "$pg" 2> /dev/null
        for ((i = 0; i < secs * 20; i++)); do
            group_alive "$pg" || break
            sleep 0.05
        done
        kill -KILL -- "-$pg" 2> /dev/null
        kill -KILL "$pg" 2> /dev/null
        for ((i = 0; i < 100; i++)); do group_alive "$pg" || break; sleep 0.02; done
    fi
    rm -f "$pidfile"
}

kill_group() {   # PIDFILE: SIGKILL every process of the group now
    [ -f "$1" ] || return 0
    kill -KILL -- "-$(cat "$1")" 2> /dev/null
    kill -KILL "$(cat "$1")" 2> /dev/null
    return 0
}

# mqtt_ready PORT: an MQTT client can connect, subscribe and publish.
mqtt_ready() {
    mosquitto_pub -h 127.0.0.1 -p "$1" -i "mqttbench-probe-$$" -t probe/ready -m x -q 1 > /dev/null 2>&1
}

# wait_ready PIDFILE PORT SECONDS LOG: wait until PORT accepts MQTT; fail
# early (1) when the group died, or after SECONDS, printing the end of LOG.
wait_ready() {
    local pg i
    pg=$(cat "$1")
    for ((i = 0; i < $3 * 10; i++)); do
        if ! group_alive "$pg"; then
            echo "$(basename "$0" .sh) exited during start; last lines of $4:" >&2
            tail -n 20 "$4" >&2
            return 1
        fi
        if (exec 3<> "/dev/tcp/127.0.0.1/$2") 2> /dev/null && mqtt_ready "$2"; then
            return 0
        fi
        sleep 0.1
    done
    echo "$(basename "$0" .sh) did not accept MQTT on port $2 within $3 s; last lines of $4:" >&2
    tail -n 20 "$4" >&2
    return 1
}

# launch DIR PORT SECONDS LOG COMMAND...: start COMMAND as DIR's broker
# (spawn_group), wait until it serves MQTT on PORT, then record PORT in
# DIR/port and print it. Status 1, with the broker stopped, when it does not
# come up.
launch() {
    local dir=$1 port=$2 secs=$3 log=$4; shift 4
    spawn_group "$dir/pgid" "$log" "$@"
    if ! wait_ready "$dir/pgid" "$port" "$secs" "$log"; then
        stop_group "$dir/pgid" 10
        return 1
    fi
    echo "$port" > "$dir/port"
    echo "$port"
}

usage() {
    echo "usage: $0 install | start DIR | kill DIR | stop DIR" >&2
    exit 2
}
