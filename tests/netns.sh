# Network namespaces for the integration scripts that need hosts apart
# (hosts.sh, linkdown.sh). Source after tests/lib.sh with NETNS_TEST set to
# the script's name: without root or iproute2 the script prints
# "SKIP NAME: why" and exits 0 (tests/expected-skips lists these). Every
# namespace made with netns_add is removed on exit, with what runs in it.

netns_skip() { echo "SKIP $NETNS_TEST: $1"; exit 0; }
[ "$(id -u)" -eq 0 ] || netns_skip "needs root (network namespaces)"
command -v ip > /dev/null 2>&1 || netns_skip "needs iproute2 (no 'ip' command)"

NETNS=()      # namespaces created so far, removed on exit

# Kill every process inside our namespaces (TERM, then KILL after ~3 s) and
# delete the namespaces; their veths and bridges go with them.
netns_cleanup() {
    local ns pids
    for ns in "${NETNS[@]}"; do
        pids=$(ip netns pids "$ns" 2> /dev/null)
        # shellcheck disable=SC2086
        [ -n "$pids" ] && kill $pids 2> /dev/null
    done
    for ns in "${NETNS[@]}"; do
        for _ in $(seq 1 150); do
            [ -z "$(ip netns pids "$ns" 2> /dev/null)" ] && break
            sleep 0.02
        done
        pids=$(ip netns pids "$ns" 2> /dev/null)
        # shellcheck disable=SC2086
        [ -n "$pids" ] && kill -9 $pids 2> /dev/null
        ip netns del "$ns" 2> /dev/null
    done
    NETNS=()
}
# lib.sh turns INT and TERM into exit 1, so this runs on Ctrl-C too.
trap 'netns_cleanup; cleanup' EXIT

# netns_add NAME: a namespace with its loopback up (skips when none can be made).
netns_add() {
    NETNS+=("$1")   # before the add: a half-made namespace is removed too
    ip netns add "$1" 2> "$TEST_TMP/ns.err" || netns_skip "cannot create network namespace $1: $(head -n 1 "$TEST_TMP/ns.err")"
    ip netns exec "$1" true 2> "$TEST_TMP/ns.err" || netns_skip "cannot enter network namespace $1: $(head -n 1 "$TEST_TMP/ns.err")"
    ip -n "$1" link set lo up
}

# netns_broker NS IP NAME FROM...: mosquitto in namespace NS on IP:1883
# (anonymous, no persistence, unlimited queues; its log in
# $TEST_TMP/broker.log), then a check NAME that every namespace FROM reaches
# it (within 5 s); exits 1 when one does not.
netns_broker() {
    local ns=$1 ip=$2 name=$3 from up=0
    shift 3
    printf '%s\n' "listener 1883 $ip" "allow_anonymous true" "persistence false" "max_queued_messages 0" \
        "user root" > "$TEST_TMP/broker.conf"
    ip netns exec "$ns" "$(mosquitto_bin)" -c "$TEST_TMP/broker.conf" > "$TEST_TMP/broker.log" 2>&1 &
    for _ in $(seq 1 200); do
        up=1
        for from in "$@"; do
            ip netns exec "$from" timeout 1 bash -c "exec 3<>/dev/tcp/$ip/1883" 2> /dev/null || { up=0; break; }
        done
        [ "$up" = 1 ] && break
        sleep 0.025
    done
    if [ "$up" != 1 ]; then
        fail "$name" "no TCP connection to $ip:1883: $(tail -n 3 "$TEST_TMP/broker.log")"
        exit 1
    fi
    pass "$name"
}
