# Bad input: one line on stderr naming the flag, exit 2, nothing connected or written.
source tests/lib.sh
mkdir "$TEST_TMP/empty"
cd "$TEST_TMP/empty"

# bad NAME EXPECTED-SUBSTRING ARGS...
bad() {
    local name=$1 want=$2; shift 2
    local out rc lines
    out=$("$MQTTBENCH" "$@" 2>&1 >/dev/null)
    rc=$?
    lines=$(printf '%s\n' "$out" | grep -c .)
    if [ "$rc" -ne 2 ]; then fail "$name" "exit $rc, want 2 ($out)"; return; fi
    if [ "$lines" -ne 1 ]; then fail "$name" "want one line on stderr, got $lines: $out"; return; fi
    case "$out" in *"$want"*) ;; *) fail "$name" "message '$out' lacks '$want'"; return ;; esac
    if [ -n "$(ls -A .)" ]; then fail "$name" "a file was written: $(ls -A .)"; return; fi
    pass "$name"
}

bad "no command"            "missing command"   
bad "unknown command"       "unknown command"    frob
bad "unknown flag"          "unknown option '--frobnicate'" both --frobnicate
bad "unknown short flag"    "unknown option '-Z'" both -Z
bad "count not a number"    "--count"            both --count abc
bad "count zero"            "--count: must be at least 1" both --count 0
bad "count negative"        "--count: must be at least 1" both --count -5
bad "count junk suffix"     "--count"            both --count 10x
bad "qos 3"                 "--qos: must be 0, 1 or 2" both --qos 3
bad "qos word"              "--qos"              both --qos high
bad "size below header"     "--size: must be at least 16" both --size 8
bad "size junk"             "--size"             both --size 1q
bad "empty topic"           "--topic: must not be empty" both --topic ""
bad "wildcard publish +"    "--topic: a publish topic cannot contain" both --topic 'a/+/b'
bad "wildcard publish #"    "--topic: a publish topic cannot contain" pub --topic 'a/#'
bad "bad sub filter"        "--topic: not a valid topic filter" sub --topic 'a/#/b'
bad "port zero"             "--port"             both --port 0
bad "port too big"          "--port"             both --port 70000
bad "port not a number"     "--port"             both --port http
bad "duration junk"         "--duration"         both --duration 5parsecs
bad "rate negative"         "--rate"             both --rate -10
bad "inflight zero"         "--inflight"         both --inflight 0
bad "threads zero"          "--threads"          both --threads 0
bad "publishers zero"       "--publishers"       both --publishers 0
bad "subscribers junk"      "--subscribers"      both --subscribers many
bad "keepalive too small"   "--keepalive"        both --keepalive 1
bad "protocol 4"            "--protocol"         both -V 4
bad "missing value"         "--count: needs a value" both --count
bad "extra argument"        "unexpected argument 'extra'" both extra
bad "pub option on sub"     "not an option of 'sub'" sub --publishers 3
bad "sub option on pub"     "not an option of 'pub'" pub --subscribers 3
bad "password without user" "--password: needs --username" both -P secret
bad "spawn with host"       "--spawn-broker"     both --spawn-broker --host 127.0.0.1
bad "run id not hex"        "--run-id"           both --run-id xyz
bad "report-every zero"     "--report-every"     both --report-every 0
bad "expect without run id" "--expect-publishers: needs --run-id" sub --expect-publishers 1
bad "wait without run id"   "--wait-subscribers: needs --run-id" pub --wait-subscribers 1
bad "no-control and wait"   "--no-control: cannot be combined" pub --run-id 1 --no-control --wait-subscribers 1
bad "bad shape"             "--shape"            both --shape star
bad "pairs uneven"          "--shape pairs: needs as many" both --shape pairs --publishers 2 --subscribers 3
bad "bind not an address"   "--bind-address"     both --bind-address localhost
bad "repeat zero"           "--repeat"           both --repeat 0

# Nothing listens on NOPORT: should a check below let a run start, it fails
# at once with "connection refused" instead of benchmarking for long.
NOPORT=$(free_port)

# Signs, prefixes and control characters (the unit tests cover every spelling;
# these check the same through the binary).
bad "qos -0"                "--qos"              both -p "$NOPORT" --qos -0
bad "run id 0x1"            "--run-id"           both -p "$NOPORT" --run-id 0x1
bad "run id -1"             "--run-id"           both -p "$NOPORT" --run-id -1
bad "count 2^64-1"          "--count"            both -p "$NOPORT" --count 18446744073709551615
bad "warmup 2^64-1 ns"      "--warmup: at most"  both -p "$NOPORT" --warmup 18446744073709551615ns
bad "newline in a value"    "--port"             pub --port $'1\n'
bad "escape in a value"     "got '1?[2J'"        pub --port $'1\e[2J'
bad "json - and report-every" "--report-every"   both -p "$NOPORT" --json - --report-every 10

# Result paths that cannot be written: refused before anything connects
# (a run would fail with "connection refused").
touch "$TEST_TMP/afile"
mkdir "$TEST_TMP/adir"
ln -s "$TEST_TMP/nowhere/x.json" "$TEST_TMP/dangling.json"
bad "json below a regular file"   "afile/x.json: Not a directory" both -p "$NOPORT" --json "$TEST_TMP/afile/x.json"
bad "json dir cannot be created"  "cannot create directory" both -p "$NOPORT" --json /proc/mqttbench-nope/x.json
bad "json two levels missing"     "cannot create directory" both -p "$NOPORT" --json "$TEST_TMP/no/such/x.json"
bad "json is a directory"         "adir: is a directory" both -p "$NOPORT" --json "$TEST_TMP/adir"
bad "json trailing slash"         "ends in /"          both -p "$NOPORT" --json "$TEST_TMP/newdir/"
bad "json dangling symlink"       "does not exist"     both -p "$NOPORT" --json "$TEST_TMP/dangling.json"
bad "json with a newline"         "a?b/c/x.json"       both -p "$NOPORT" --json "$TEST_TMP/a"$'\n'"b/c/x.json"
check "json trailing slash: no directory created" [ ! -e "$TEST_TMP/newdir" ]
check "json two levels missing: nothing created" [ ! -e "$TEST_TMP/no" ]
# The default results/ directory, when a regular file is in its way.
mkdir "$TEST_TMP/blocked" && touch "$TEST_TMP/blocked/results"
out=$(cd "$TEST_TMP/blocked" && "$MQTTBENCH" both -p "$NOPORT" 2>&1 >/dev/null); rc=$?
check_eq "default results/ blocked: exit 2 before connecting" "2" "$rc"
case "$out" in "mqttbench: results/mqttbench-both-"*"Not a directory") pass "default results/ blocked: says why" ;;
    *) fail "default results/ blocked: says why" "$out" ;; esac

# Good input paths that exit 0 without a run.
out=$("$MQTTBENCH" --version); rc=$?
check "version exits 0" [ "$rc" -eq 0 ]
case "$out" in "mqttbench "*"(git "*) pass "version names the git revision" ;; *) fail "version names the git revision" "$out" ;; esac
for cmd in pub sub both; do
    out=$("$MQTTBENCH" "$cmd" --help); rc=$?
    check "$cmd --help exits 0" [ "$rc" -eq 0 ]
    case "$out" in *"Usage: mqttbench $cmd"*) pass "$cmd --help shows its usage" ;; *) fail "$cmd --help shows its usage" "$out" ;; esac
done
out=$("$MQTTBENCH" --help); rc=$?
check "top-level --help exits 0" [ "$rc" -eq 0 ]

# Units are accepted where natural.
start_broker || exit 1
"$MQTTBENCH" both -p "$BROKER_PORT" --count 2k --duration 30s --drain-timeout 1500ms --size 1k \
    --quiet --json "$TEST_TMP/u.json" >/dev/null 2>&1
check_eq "units 2k/30s/1500ms/1k accepted" "2000 1024 1.5" \
    "$(json "$TEST_TMP/u.json" '"%d %d %s" % (d["subscribe"]["messages"], d["config"]["size"], d["config"]["drain_timeout_s"])')"
finish
