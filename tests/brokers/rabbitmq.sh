#!/usr/bin/env bash
# A private RabbitMQ node (Debian rabbitmq-server, not its systemd service)
# with the rabbitmq_mqtt plugin: its own config, enabled_plugins, data and log
# directories under DIR, a unique node name, its own epmd, and every port on
# 127.0.0.1: MQTT on a free port (anonymous clients log in as guest, which
# RabbitMQ allows from loopback only), Erlang distribution and epmd on free
# ports, no AMQP listener. The node boots in about 20 s.
# Commands: see common.sh. stop also stops the node's epmd.
source "$(dirname "$0")/common.sh"
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] || usage
# The node's own start script, not /usr/sbin/rabbitmq-server (which switches
# to the rabbitmq user and reads /etc/rabbitmq).
sbin=$(ls -d /usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin 2> /dev/null | sort -V | tail -n 1)
epmd_bin=$(command -v epmd || ls /usr/lib/erlang/erts-*/bin/epmd 2> /dev/null | tail -n 1)

case $cmd in
install) exit 0 ;;
start)
    [ -n "$dir" ] || usage
    [ -n "$sbin" ] && [ -x "$sbin/rabbitmq-server" ] ||
        { echo "RabbitMQ is not installed (Debian package rabbitmq-server)" >&2; exit 77; }
    [ -n "$epmd_bin" ] || { echo "epmd (Erlang) is not installed" >&2; exit 77; }
    command -v mosquitto_pub > /dev/null || { echo "mosquitto_pub is not installed (Debian package mosquitto-clients)" >&2; exit 77; }
    mkdir -p "$dir/home" "$dir/data" "$dir/log" || exit 1
    dir=$(cd "$dir" && pwd)
    port=$(free_port); epmd_port=$(free_port); dist_port=$(free_port)
    cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp = none
loopback_users.guest = true
mqtt.listeners.tcp.default = 127.0.0.1:$port
mqtt.allow_anonymous = true
mqtt.default_user = guest
mqtt.default_pass = guest
disk_free_limit.absolute = 50MB
log.file.level = info
log.console = false
CONF
    echo "[rabbitmq_mqtt]." > "$dir/enabled_plugins"
    : > "$dir/rabbitmq-env.conf"
    export HOME=$dir/home   # the Erlang cookie
    export ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT=$epmd_port
    export RABBITMQ_NODENAME=mqttbench-$$-$RANDOM@localhost
    export RABBITMQ_DIST_PORT=$dist_port
    export RABBITMQ_CONF_ENV_FILE=$dir/rabbitmq-env.conf
    export RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf
    export RABBITMQ_ADVANCED_CONFIG_FILE=$dir/advanced.config
    export RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins
    export RABBITMQ_MNESIA_BASE=$dir/data
    export RABBITMQ_LOG_BASE=$dir/log
    export RABBITMQ_PID_FILE=$dir/rabbitmq.pid
    # Distribution listens on loopback only.
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    # Our own epmd, so that stop can end it (the node would start a daemon).
    spawn_group "$dir/epmd.pgid" "$dir/log/epmd.log" "$epmd_bin" -port "$epmd_port" -address 127.0.0.1
    echo "$RABBITMQ_NODENAME" > "$dir/nodename"
    if ! launch "$dir" "$port" "${RABBITMQ_START_TIMEOUT:-90}" "$dir/log/console.log" "$sbin/rabbitmq-server"; then
        tail -n 20 "$dir"/log/mqttbench-*.log >&2 2> /dev/null
        stop_group "$dir/epmd.pgid" 2
        exit 1
    fi
    ;;
kill) [ -n "$dir" ] || usage; kill_group "$dir/pgid" ;;
stop)
    [ -n "$dir" ] || usage
    stop_group "$dir/pgid" 20
    stop_group "$dir/epmd.pgid" 2
    ;;
*) usage ;;
esac
