# bench/lib.sh — what the bench scripts share: the work directory and the
# exit cleanup, a private mosquitto, its CPU and $SYS drop counter, free
# ports, arithmetic, JSON fields, report rows and the machine lines.
# Sourced, not run.
#
# The caller sets BENCH_NAME (e.g. headline: the prefix of its messages and
# of its work directory) before sourcing it, then calls bench_init (the work
# directory $WORK and the exit cleanup). bench_start_broker (stock config)
# or bench_broker_conf + bench_broker_run (a config of the caller's) start
# mosquitto and set BROKER_PID; a caller keeps the pids of the processes it
# runs in the background in SUB_PID, PUB_PID and CLIENT_PID (a null broker
# in BROKER_PID). On exit the cleanup ends them all, calls the caller's
# bench_at_exit if it has one, and removes $WORK (KEEP=1: keeps it).
# shellcheck shell=bash
# shellcheck disable=SC2317  # bench_cleanup() is reached through trap

NA=n/a
WORK=""
BROKER_PID=""
SUB_PID=""
PUB_PID=""
CLIENT_PID=""
PORT=""
KEEP=${KEEP:-0}

log()  { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }
warn() { printf '%s: WARNING: %s\n' "$BENCH_NAME" "$*" >&2; }
die()  { printf '%s: error: %s\n' "$BENCH_NAME" "$*" >&2; exit 1; }
usage_die() { printf '%s: error: %s\n' "$BENCH_NAME" "$*" >&2; exit 2; }   # bad settings

bench_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	local pid
	for pid in $PUB_PID $SUB_PID $CLIENT_PID $BROKER_PID; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if declare -F bench_at_exit >/dev/null; then bench_at_exit || true; fi
	if [[ -n $WORK ]]; then
		if [[ $KEEP == 1 ]]; then log "results kept in $WORK"; else rm -rf "$WORK"; fi
	fi
	exit "$rc"
}

# bench_init: the exit cleanup, then a private work directory in $WORK.
bench_init() {
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/mqttbench-$BENCH_NAME.XXXXXX")
}
MOSQUITTO=${MOSQUITTO:-${MQTTBENCH_MOSQUITTO:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}}
CLK_TCK=$(getconf CLK_TCK)

# calc FMT EXPR: floating-point arithmetic; prints n/a if any operand is n/a.
calc() {
	local fmt=$1 expr=$2
	[[ $expr == *"$NA"* ]] && { echo "$NA"; return; }
	awk -v f="$fmt" "BEGIN { v = ($expr); printf f, v }" 2>/dev/null || echo "$NA"
}

# kv LINE KEY: value of KEY=... in a probe result line.
kv() {
	local w
	for w in $1; do
		[[ $w == "$2="* ]] && { echo "${w#*=}"; return; }
	done
	echo "$NA"
}

# jf FILE EXPR...: one line per python expression over d (the result), n/a
# when it cannot be had; floats to 6 significant digits.
jf() { _json_eval lines "$@"; }

# json_fields FILE KEY...: one value per key (dotted paths) on one line, as
# the file has it; n/a when missing or not a number, string or boolean.
json_fields() {
	local file=$1 k
	shift
	local -a e=()
	for k in "$@"; do e+=("d[\"${k//./\"][\"}\"]"); done
	_json_eval words "$file" "${e[@]}"
}

_json_eval() {
	python3 -c '
import json, sys
mode, out = sys.argv[1], []
try:
    d = json.load(open(sys.argv[2]))
except Exception:
    d = None
for e in sys.argv[3:]:
    try:
        v = eval(e)
    except Exception:
        v = None
    if mode == "words":
        out.append("n/a" if v is None or isinstance(v, (dict, list)) else str(v))
    else:
        out.append("n/a" if v is None else ("%.6g" % v if isinstance(v, float) else str(v)))
print((" " if mode == "words" else "\n").join(out))
' "$@"
}

# machine_summary: the machine in one line, and OpenSSL's version.
machine_summary() {
	echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -sr), mosquitto version $(mosquitto_version)"
	echo "openssl: $(openssl version)"
}

# broker_ticks: the broker's utime+stime in clock ticks.
broker_ticks() {
	local stat rest
	stat=$(<"/proc/$BROKER_PID/stat") || { echo "$NA"; return; }
	rest=${stat##*) }          # fields from 3 (state) on; comm may hold spaces
	local -a fld
	read -ra fld <<<"$rest"
	echo $(( fld[11] + fld[12] ))  # fields 14 (utime) and 15 (stime)
}

# broker_cpu_us T0 T1 MESSAGES: broker CPU µs per message between two broker_ticks.
broker_cpu_us() {
	calc '%.3f' "($2 - $1) / $CLK_TCK * 1e6 / $3"
}

# sys_dropped: the broker's $SYS dropped-message counter (sys_interval 1).
sys_dropped() {
	command -v mosquitto_sub >/dev/null || { echo "$NA"; return; }
	local v
	# shellcheck disable=SC2016  # $SYS is a topic, not a variable
	v=$(timeout 5 mosquitto_sub -h 127.0.0.1 -p "$PORT" -i "$BENCH_NAME-sys-$$" \
		-t '$SYS/broker/publish/messages/dropped' -C 1 -W 3 2>/dev/null) || v=""
	[[ $v =~ ^[0-9]+$ ]] && echo "$v" || echo "$NA"
}

# broker_cpu_s T0 T1: broker CPU seconds between two broker_ticks.
broker_cpu_s() {
	calc '%.3f' "($2 - $1) / $CLK_TCK"
}

# free_port: a free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
		2>/dev/null && return
	local p
	for p in $(seq 18830 18930); do
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
	die "no free port found"
}

# bench_broker_conf LINE...: $WORK/mosquitto.conf with these lines, and
# "user root" when run as root (else mosquitto drops to the user mosquitto,
# who cannot read $WORK: certificates, persistence).
bench_broker_conf() {
	{
		echo "# generated by bench/$(basename "$0")"
		if [[ $(id -u) -eq 0 ]]; then echo "user root"; fi
		printf '%s\n' "$@"
	} >"$WORK/mosquitto.conf"
}

# need_mosquitto: dies when $MOSQUITTO is not there (call it early to fail
# before any work).
need_mosquitto() {
	command -v "$MOSQUITTO" >/dev/null || die "$MOSQUITTO not found (apt-get install mosquitto)"
}

# _broker_try PORT: mosquitto with $WORK/mosquitto.conf, its fd limit raised
# to the hard limit (a socket per client); 0 once PORT listens, else 1 with
# the broker gone. Sets BROKER_PID.
_broker_try() {
	need_mosquitto
	(ulimit -n "$(ulimit -Hn)" 2>/dev/null || true; exec "$MOSQUITTO" -c "$WORK/mosquitto.conf") \
		>>"$WORK/mosquitto.log" 2>&1 &
	BROKER_PID=$!
	local _
	for _ in $(seq 400); do
		kill -0 "$BROKER_PID" 2>/dev/null || break
		ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
		sleep 0.025
	done
	kill "$BROKER_PID" 2>/dev/null || true
	wait "$BROKER_PID" 2>/dev/null || true
	BROKER_PID=""
	return 1
}

# bench_broker_run PORT: start (or restart) mosquitto with the config of
# bench_broker_conf; returns once PORT (its last listener) listens, dies if
# it does not.
bench_broker_run() {
	_broker_try "$1" ||
		die "mosquitto did not start: $(tail -n 3 "$WORK/mosquitto.log")"
}

# bench_start_broker [CONF_LINE...]: mosquitto on a free 127.0.0.1 port with
# a stock config (Nagle on, default limits) plus the given lines; sets PORT.
bench_start_broker() {
	local try
	for try in 1 2 3; do
		PORT=$(free_port)
		bench_broker_conf "listener $PORT 127.0.0.1" "allow_anonymous true" "sys_interval 1" \
			"persistence false" "log_dest stderr" "$@"
		_broker_try "$PORT" && return 0
		warn "mosquitto did not start on port $PORT (try $try): $(tail -n 2 "$WORK/mosquitto.log" | tr '\n' ' ')"
	done
	die "could not start mosquitto"
}

# verdict VALUE OP TARGET -> PASS / MISS / -
verdict() {
	[[ $1 == "$NA" ]] && { echo "-"; return; }
	awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN {
		ok = (op == ">=") ? (v >= t) : (v <= t); print ok ? "PASS" : "MISS" }'
}

# row LABEL VALUE [TARGET [RESULT]]: a line of a report table, columns
# ROW_WIDTHS wide (label, value, target); pads by characters (bash printf
# pads by bytes, and labels hold µ).
ROW_WIDTHS="46 16 10"
row() {
	local lw vw tw
	read -r lw vw tw <<<"$ROW_WIDTHS"
	local pad=$(( lw - ${#1} ))
	(( pad > 0 )) || pad=0
	printf "  %s%*s %${vw}s  %-${tw}s %s\n" "$1" "$pad" "" "$2" "${3:-}" "${4:-}"
}

# The machine: the values the reports' machine lines are made of.
cpu_model() {
	local model
	model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
	[[ -n $model ]] || model=$(LC_ALL=C lscpu 2>/dev/null | awk -F': *' '/^Model name/ { print $2; exit }' || true)
	echo "${model:-unknown}"
}
mosquitto_version() {
	local v
	v=$({ "$MOSQUITTO" -h 2>&1 || true; } | sed -n '1s/^mosquitto version //p')
	echo "${v:-unknown}"
}
git_version() {
	echo "$(git rev-parse --short=12 HEAD 2>/dev/null || echo none)$(git diff --quiet HEAD 2>/dev/null || echo ' (uncommitted changes)')"
}
# machine_line LABEL VALUE: "  LABEL VALUE", labels MACHINE_WIDTH wide.
MACHINE_WIDTH=14
machine_line() { printf "  %-${MACHINE_WIDTH}s %s\n" "$1" "$2"; }

# bench_machine [BROKER_NOTE]: the machine lines every report starts with.
bench_machine() {
	local mbver
	machine_line "cores (nproc)" "$(nproc)"
	machine_line CPU "$(cpu_model)"
	machine_line kernel "$(uname -srm)"
	machine_line mosquitto "$(mosquitto_version) (127.0.0.1:$PORT${1:+, $1})"
	if [[ -x ${MQTTBENCH:-} ]]; then
		mbver=$({ "$MQTTBENCH" --version 2>/dev/null || true; } | head -n 1)
		machine_line mqttbench "${mbver:-present} ($MQTTBENCH)"
	fi
	machine_line git "$(git_version)"
}
