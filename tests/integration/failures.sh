# Failures: a broker that dies or is not there, the private broker's life
# cycle, a missing mosquitto, and results that cannot be written. Each must
# give exit 1, one clear line on stderr, and (where possible) a result file
# with status "failed" -- never a hang, a stray broker or a partial file.
source tests/lib.sh

# stderr_has NAME FILE WORDS: PASS when FILE (stderr) contains WORDS.
stderr_has() {
    if grep -q -- "$3" "$2"; then pass "$1"; else fail "$1" "stderr lacks '$3': $(head -c 400 "$2")"; fi
}

# --- the broker is killed mid-run ---------------------------------------------
start_broker "max_queued_messages 0" || exit 1
d=$TEST_TMP/killed
mkdir "$d"
"$MQTTBENCH" both -p "$BROKER_PORT" --duration 30s --rate 1000 --quiet --json "$d/r.json" \
    > "$d/out" 2> "$d/err" &
pid=$!
sleep 1
t0=$(now_ms)
kill -9 "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null
BROKER_PID=
wait_exit "$pid" 20000
took=$(( $(now_ms) - t0 ))
check_eq "broker killed: exit 1" 1 "$EXIT_RC"
check "broker killed: exits within 5 s (took $took ms)" [ "$took" -lt 5000 ]
json_load "$d/r.json"
check_eq "broker killed: status failed" failed "${J[status]}"
case "${J[error]}" in
    *connection*lost*) pass "broker killed: error says the connection was lost" ;;
    *) fail "broker killed: error says the connection was lost" "error is '${J[error]}'" ;;
esac
check_eq "broker killed: one line on stderr" 1 "$(grep -c . "$d/err")"
stderr_has "broker killed: stderr says the connection was lost" "$d/err" "connection to the broker lost"
check "broker killed: counts so far present (${J[publish.messages]} sent, ${J[subscribe.messages]} received)" \
    [ "${J[publish.messages]:-0}" -gt 0 -a "${J[subscribe.messages]:-0}" -gt 0 ]
check "broker killed: no more than ~1 s worth sent at 1000/s" [ "${J[publish.messages]:-0}" -le 3000 ]

# --- nothing listens on the port --------------------------------------------
d=$TEST_TMP/refused
mkdir "$d"
port=$(free_port)
t0=$(now_ms)
timeout 60 "$MQTTBENCH" both -p "$port" --count 100 --quiet --json "$d/r.json" > "$d/out" 2> "$d/err"
rc=$?
took=$(( $(now_ms) - t0 ))
check_eq "refused: exit 1" 1 "$rc"
check "refused: fails fast (took $took ms)" [ "$took" -lt 5000 ]
check_eq "refused: one line on stderr" 1 "$(grep -c . "$d/err")"
stderr_has "refused: stderr mentions connect" "$d/err" "connect"
json_load "$d/r.json"
check_eq "refused: result status failed" failed "${J[status]}"
case "${J[error]}" in
    *connect*) pass "refused: result error mentions connect" ;;
    *) fail "refused: result error mentions connect" "error is '${J[error]}'" ;;
esac
check_eq "refused: broker address recorded" "127.0.0.1:$port" "${J[environment.broker_address]}"

# A host name that does not resolve, with a control character in it: one line.
timeout 60 "$MQTTBENCH" both -h $'no\nsuch\e[2J' --count 100 --quiet --json "$d/h.json" > "$d/out" 2> "$d/err"
check_eq "unresolvable host: exit 1" 1 "$?"
check_eq "unresolvable host: one line on stderr" 1 "$(grep -c . "$d/err")"
stderr_has "unresolvable host: shown sanitized" "$d/err" "cannot resolve host 'no?such?\[2J'"

# --- the port accepts TCP but never answers CONNECT: the connect timeout ------
d=$TEST_TMP/silent
mkdir "$d"
port=$(free_port)
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64); time.sleep(60)' "$port" &
silent_pid=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.02; done
t0=$(now_ms)
timeout 60 "$MQTTBENCH" both -p "$port" --count 100 --connect-timeout 700ms --quiet --json "$d/r.json" \
    > "$d/out" 2> "$d/err"
rc=$?
took=$(( $(now_ms) - t0 ))
kill "$silent_pid" 2>/dev/null
wait "$silent_pid" 2>/dev/null
check_eq "silent broker: exit 1" 1 "$rc"
check "silent broker: gives up after the 700 ms connect timeout (took $took ms)" \
    [ "$took" -ge 600 -a "$took" -lt 5000 ]
check_eq "silent broker: one line on stderr" 1 "$(grep -c . "$d/err")"
stderr_has "silent broker: stderr names the connect timeout" "$d/err" "connect timeout"
check_eq "silent broker: result status failed" failed "$(json "$d/r.json" 'd["status"]')"

# --- --spawn-broker: a private mosquitto, gone afterwards --------------------
# TMPDIR points into our test dir, so the broker's config dir (and any process
# started with it) is ours alone and can be found by name.
spawned_pids() { pgrep -f "$1/mqttbench-broker-" | xargs; }
d=$TEST_TMP/spawn
mkdir -p "$d/tmp"
TMPDIR="$d/tmp" timeout 60 "$MQTTBENCH" both --spawn-broker --count 1000 --quiet --json "$d/r.json" \
    > "$d/out" 2> "$d/err"
rc=$?
check_eq "spawn: exit 0" 0 "$rc"
stderr_has "spawn: stderr says it started mosquitto" "$d/err" "started mosquitto"
stderr_has "spawn: stderr names the config dir" "$d/err" "$d/tmp/mqttbench-broker-"
json_load "$d/r.json"
check_eq "spawn: status ok" ok "${J[status]}"
check_eq "spawn: environment.broker_spawned" true "${J[environment.broker_spawned]}"
check "spawn: broker on 127.0.0.1 (${J[environment.broker_address]})" \
    grep -qx '127\.0\.0\.1:[0-9]*' <<< "${J[environment.broker_address]}"
check_eq "spawn: all messages through" "1000 1000 0" \
    "${J[publish.messages]} ${J[subscribe.messages]} ${J[subscribe.lost]}"
check_eq "spawn: no mosquitto left running" "" "$(spawned_pids "$d/tmp")"
check_eq "spawn: temp dir removed" "" "$(ls -A "$d/tmp")"
port=${J[environment.broker_address]##*:}
check "spawn: nothing listens on its port any more" \
    bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null"

# Interrupted (Ctrl-C, or SIGHUP from a dropped ssh session): the private
# broker is stopped and its dir removed as well.
for sig in INT HUP; do
    d=$TEST_TMP/spawn-$sig
    mkdir -p "$d/tmp"
    TMPDIR="$d/tmp" "$MQTTBENCH" both --spawn-broker --duration 30s --rate 1000 --quiet --json "$d/r.json" \
        > "$d/out" 2> "$d/err" &
    pid=$!
    sleep 1
    check "spawn + $sig: the private mosquitto is running" [ -n "$(spawned_pids "$d/tmp")" ]
    kill -"$sig" "$pid"
    wait_exit "$pid" 20000
    check_eq "spawn + $sig: exit 130" 130 "$EXIT_RC"
    check_eq "spawn + $sig: result aborted" aborted "$(json "$d/r.json" 'd["status"]' 2> /dev/null)"
    check_eq "spawn + $sig: no mosquitto left running" "" "$(spawned_pids "$d/tmp")"
    check_eq "spawn + $sig: temp dir removed" "" "$(ls -A "$d/tmp")"
done

# Killed outright: mqttbench cannot clean up, but its broker must not outlive it.
d=$TEST_TMP/spawn-kill
mkdir -p "$d/tmp"
TMPDIR="$d/tmp" "$MQTTBENCH" both --spawn-broker --duration 30s --rate 1000 --quiet --json "$d/r.json" \
    > "$d/out" 2> "$d/err" &
pid=$!
sleep 1
check "spawn + KILL: the private mosquitto is running" [ -n "$(spawned_pids "$d/tmp")" ]
kill -KILL "$pid"
wait "$pid" 2>/dev/null
left=
for _ in $(seq 1 100); do
    left=$(spawned_pids "$d/tmp")
    [ -z "$left" ] && break
    sleep 0.05
done
check_eq "spawn + KILL: the private mosquitto exits with mqttbench" "" "$left"
[ -n "$left" ] && kill -9 $left 2>/dev/null

# --- mosquitto is not installed -------------------------------------------------
d=$TEST_TMP/nomosq
mkdir "$d"
MQTTBENCH_MOSQUITTO=/nonexistent timeout 60 "$MQTTBENCH" both --spawn-broker --count 10 --quiet \
    --json "$d/r.json" > "$d/out" 2> "$d/err"
rc=$?
check_eq "no mosquitto: exit 1" 1 "$rc"
check_eq "no mosquitto: one line on stderr" 1 "$(grep -c . "$d/err")"
stderr_has "no mosquitto: stderr says how to install it" "$d/err" "apt-get install mosquitto"
check_eq "no mosquitto: result status failed" failed "$(json "$d/r.json" 'd["status"]')"

# --- results that cannot be written: refused before the run ---------------------
start_broker "max_queued_messages 0" || exit 1
d=$TEST_TMP/unwritable
mkdir "$d"
bad=/nonexistent-dir-$$/x/y.json
t0=$(now_ms)
timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" --count 100k --rate 20k --quiet --json "$bad" > "$d/out" 2> "$d/err"
rc=$?
took=$(( $(now_ms) - t0 ))
check_eq "unwritable: exit 2" 2 "$rc"
check "unwritable: refused before the run (took $took ms of a 5 s run)" [ "$took" -lt 2000 ]
check_eq "unwritable: one line on stderr" 1 "$(grep -c . "$d/err")"
stderr_has "unwritable: the message names the path" "$d/err" "$bad"
check "unwritable: nothing created" [ ! -e "/nonexistent-dir-$$" ]

# The path is a directory: refused before the run; no temp file anywhere.
mkdir "$d/adir"
timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" --count 100 --quiet --json "$d/adir" > "$d/out" 2> "$d/err"
rc=$?
check_eq "json is a directory: exit 2" 2 "$rc"
stderr_has "json is a directory: the message names the path" "$d/err" "$d/adir: is a directory"
check_eq "json is a directory: no temp file left" "" "$(ls -A "$d" | grep -v -x -e out -e err -e adir | xargs)$(ls -A "$d/adir")"

# --- results to a device, a FIFO, a symlink, standard output ---------------------
d=$TEST_TMP/special
mkdir -p "$d/real"
# A null device node of our own (never the system's /dev/null: should this
# regress, only a test file is replaced).
if mknod "$d/null" c 1 3 2> /dev/null; then
    timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" --count 100 --quiet --json "$d/null" > "$d/out" 2> "$d/err"
    check_eq "device: exit 0" 0 "$?"
    check_eq "device: still a character device 1,3" "character special file 1,3" "$(stat -c '%F %t,%T' "$d/null")"
else
    echo "SKIP device: mknod needs root"
fi
mkfifo "$d/fifo"
cat "$d/fifo" > "$d/fifo.out" &
cat_pid=$!
timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" --count 100 --quiet --json "$d/fifo" > "$d/out" 2> "$d/err"
check_eq "fifo: exit 0" 0 "$?"
wait_exit "$cat_pid" 5000 || fail "fifo: the reader got an end of file" "cat still waiting after 5 s"
check_eq "fifo: still a FIFO" fifo "$(stat -c %F "$d/fifo")"
check_eq "fifo: the reader got the whole result" "ok 100" \
    "$(json "$d/fifo.out" '"%s %d" % (d["status"], d["subscribe"]["messages"])')"
echo '{"old": true}' > "$d/real/target.json"
ln -s real/target.json "$d/link.json"
timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" --count 100 --quiet --json "$d/link.json" > "$d/out" 2> "$d/err"
check_eq "symlink: exit 0" 0 "$?"
check_eq "symlink: the link stays" "symbolic link" "$(stat -c %F "$d/link.json")"
check_eq "symlink: its target holds the result" "ok 100" \
    "$(json "$d/real/target.json" '"%s %d" % (d["status"], d["subscribe"]["messages"])')"
check_eq "symlink: no temp file left" "target.json" "$(ls -A "$d/real" | xargs)"
# "-": the result alone on stdout (one JSON document), the summary on stderr.
(cd "$d" && timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" --count 100 --quiet --json - > stdout 2> stderr)
check_eq "json -: exit 0" 0 "$?"
check_eq "json -: stdout is the result" "ok 100" "$(json "$d/stdout" '"%s %d" % (d["status"], d["subscribe"]["messages"])')"
stderr_has "json -: the summary is on stderr" "$d/stderr" "results      standard output"
check "json -: no file named -" [ ! -e "$d/-" ]

# --- standard output that cannot be written --------------------------------------
timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" --count 100 --quiet --json "$d/r.json" > /dev/full 2> "$d/err"
check_eq "stdout full: exit 1" 1 "$?"
check_eq "stdout full: one line on stderr" 1 "$(grep -c . "$d/err")"
stderr_has "stdout full: says so" "$d/err" "cannot write to standard output: No space left on device"
check_eq "stdout full: the result is still written" ok "$(json "$d/r.json" 'd["status"]')"
timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" --count 100 --quiet --json - > /dev/full 2> "$d/err"
check_eq "json - to a full stdout: exit 1" 1 "$?"
stderr_has "json - to a full stdout: says so" "$d/err" "standard output: cannot write the result: No space left"
# A reader that stops reading (| head) is its choice, not an error.
timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" --count 100 --quiet --json "$d/r.json" 2> "$d/err" | (exit 0)
check_eq "stdout reader gone: exit 0" 0 "${PIPESTATUS[0]}"
check_eq "stdout reader gone: nothing on stderr" "" "$(cat "$d/err")"

# --- results replace an existing file atomically --------------------------------
# A rename gives the path a new inode; an in-place rewrite (which a reader could
# catch half-written) keeps it. A hard link to the old file keeps the old
# content only when the file was replaced, not rewritten.
d=$TEST_TMP/atomic
mkdir "$d"
echo '{"old": true}' > "$d/r.json"
ln "$d/r.json" "$d/old-link"
ino=$(stat -c %i "$d/r.json")
timeout 60 "$MQTTBENCH" both -p "$BROKER_PORT" --count 100 --quiet --json "$d/r.json" > "$d/out" 2> "$d/err"
check_eq "atomic: exit 0" 0 "$?"
check_eq "atomic: new complete result at the path" "ok 100" "$(json "$d/r.json" '"%s %d" % (d["status"], d["subscribe"]["messages"])')"
check "atomic: replaced by rename (new inode)" [ "$(stat -c %i "$d/r.json")" != "$ino" ]
check_eq "atomic: the old file itself untouched" '{"old": true}' "$(cat "$d/old-link")"
check_eq "atomic: mode 0644" 644 "$(stat -c %a "$d/r.json")"
check_eq "atomic: no temp file left" "old-link r.json" "$(ls -A "$d" | grep -v -x -e out -e err | xargs)"
# A failed run replaces it too, with a complete "failed" result.
timeout 60 "$MQTTBENCH" both -p "$(free_port)" --count 100 --quiet --json "$d/r.json" > "$d/out" 2> "$d/err"
check_eq "atomic: failed run exits 1" 1 "$?"
check_eq "atomic: failed run leaves a complete failed result" failed "$(json "$d/r.json" 'd["status"]')"
check_eq "atomic: still no temp file left" "old-link r.json" "$(ls -A "$d" | grep -v -x -e out -e err | xargs)"
finish
