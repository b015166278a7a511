#!/usr/bin/env bash
# A private mosquitto with a stock configuration, like a user's broker: Nagle
# on, the default max_queued_messages (1000), no persistence. Only the
# listener (127.0.0.1, a free port) and anonymous access are set.
# Commands: see common.sh.
source "$(dirname "$0")/common.sh"
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] || usage

case $cmd in
install) exit 0 ;;
start)
    [ -n "$dir" ] || usage
    bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
    [ -x "$bin" ] || { echo "mosquitto is not installed (Debian package mosquitto)" >&2; exit 77; }
    command -v mosquitto_pub > /dev/null || { echo "mosquitto_pub is not installed (Debian package mosquitto-clients)" >&2; exit 77; }
    mkdir -p "$dir"
    port=$(free_port)
    {
        echo "listener $port 127.0.0.1"
        echo "allow_anonymous true"
        # As root mosquitto would switch to the user mosquitto; stay root so
        # it can read this file in a private directory.
        [ "$(id -u)" -eq 0 ] && echo "user root"
    } > "$dir/mosquitto.conf"
    launch "$dir" "$port" 10 "$dir/mosquitto.log" "$bin" -c "$dir/mosquitto.conf" || exit 1
    ;;
kill) [ -n "$dir" ] || usage; kill_group "$dir/pgid" ;;
stop) [ -n "$dir" ] || usage; stop_group "$dir/pgid" 5 ;;
*) usage ;;
esac
