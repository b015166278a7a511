#!/usr/bin/env bash
# A private aedes (npm, pinned by aedes/package-lock.json) with default
# options on 127.0.0.1 and a free port, run by aedes/server.js under Node.
# install runs `npm ci` into the cache directory (tests/brokers/.cache/aedes,
# or $MQTTBENCH_BROKER_CACHE/aedes; git ignores it) when the lockfile changed.
# Commands: see common.sh.
source "$(dirname "$0")/common.sh"
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] || usage
src=$BROKERS_DIR/aedes
cache=${MQTTBENCH_BROKER_CACHE:-$BROKERS_DIR/.cache}/aedes

installed() {
    [ -f "$cache/node_modules/aedes/package.json" ] && cmp -s "$src/package-lock.json" "$cache/package-lock.json"
}

case $cmd in
install)
    command -v node > /dev/null && command -v npm > /dev/null ||
        { echo "aedes: node and npm are not installed; its checks will SKIP" >&2; exit 0; }
    installed && exit 0
    rm -rf "$cache" && mkdir -p "$cache" || exit 1
    cp "$src/package.json" "$src/package-lock.json" "$cache/" || exit 1
    echo "aedes: npm ci into $cache" >&2
    (cd "$cache" && npm ci --no-audit --no-fund --loglevel=error >&2) || { rm -rf "$cache"; exit 1; }
    ;;
start)
    [ -n "$dir" ] || usage
    command -v node > /dev/null || { echo "node is not installed (Debian package nodejs)" >&2; exit 77; }
    command -v mosquitto_pub > /dev/null || { echo "mosquitto_pub is not installed (Debian package mosquitto-clients)" >&2; exit 77; }
    installed || { echo "aedes is not installed in $cache (run: $0 install, or make test)" >&2; exit 77; }
    mkdir -p "$dir"
    port=$(free_port)
    launch "$dir" "$port" 20 "$dir/aedes.log" node "$src/server.js" "$port" "$cache/node_modules" || exit 1
    ;;
kill) [ -n "$dir" ] || usage; kill_group "$dir/pgid" ;;
stop) [ -n "$dir" ] || usage; stop_group "$dir/pgid" 5 ;;
*) usage ;;
esac
