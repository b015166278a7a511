# The I/O layer (src/iobuf.h) against a real mosquitto: it catches every I/O
# call the libraries import, its syscall counts stay within bounds (a library
# that bypasses or defeats it fails here instead of silently changing the
# numbers), MQTTBENCH_NO_IOBUF turns it off, and each client holds one fd.
source tests/lib.sh

# 1. Every socket I/O call that libmosquitto and the libssl/libcrypto it links
# import must be defined by mqttbench (so it resolves to the layer), or be
# reviewed here as unable to touch a client socket. A new import fails: read
# iobuf.h's checklist, then interpose the call or review it below.
interposed="read recv recvfrom readv recvmsg write send sendto writev sendmsg close socketpair"
reviewed="sendfile syscall"   # libssl: SSL_sendfile (kernel TLS only, never called);
                              # libcrypto: syscall(SYS_getrandom)
family='^(read|write|p?readv2?|p?writev2?|pread(64)?|pwrite(64)?|recv|recvfrom|recvmsg|recvmmsg|send|sendto|sendmsg|sendmmsg|sendfile(64)?|splice|vmsplice|tee|copy_file_range|syscall|__[a-z0-9]*(read|recv)[a-z0-9]*_chk|close|close_range|dup2|dup3|socketpair|io_uring_[a-z_]*)$'
defined=" $(nm -D --defined-only "$MQTTBENCH" | awk '{print $3}' | sed 's/@.*//' | tr '\n' ' ') "
for name in $interposed; do
    case $defined in *" $name "*) pass "mqttbench defines $name" ;; *) fail "mqttbench defines $name" "not in its dynamic symbols" ;; esac
done
mosq=$(ldd "$MQTTBENCH" | awk '$1 ~ /^libmosquitto\.so/ {print $3}')
check "libmosquitto found" test -r "$mosq"
libs="$mosq $(ldd "$mosq" | awk '$1 ~ /^lib(ssl|crypto)\.so/ {print $3}')"
for lib in $libs; do
    for name in $(nm -D --undefined-only "$lib" | awk '{print $2}' | sed 's/@.*//' | grep -E "$family"); do
        case " $interposed $reviewed " in
            *" $name "*) pass "$(basename "$lib") imports $name: handled" ;;
            *) fail "$(basename "$lib") imports $name" "an I/O call the layer does not catch (see src/iobuf.h)" ;;
        esac
    done
done

start_broker || exit 1

# per_msg FILE: "reads/msg writes/msg" of a result, per published message.
per_msg() {
    json "$1" '"%.4f %.4f" % (d["resources"]["read_syscalls"] / d["publish"]["messages"], d["resources"]["write_syscalls"] / d["publish"]["messages"])'
}

# 2. The bounds, on a default 100k QoS 0 `both` run. Measured on 2 cores with
# libmosquitto 2.0.11: reads 0.3-0.5/msg, writes 0.05-0.06/msg. Lower bound:
# a 4 KiB buffer holds at most ~50 of these 82-byte packets (0.02/msg), so
# fewer syscalls than 0.01/msg means calls went around the layer. Upper bound:
# without the layer, reads are >= 3/msg and writes 1/msg (see 3.).
f="$TEST_TMP/on.json"
env -u MQTTBENCH_NO_IOBUF "$MQTTBENCH" both -p "$BROKER_PORT" --count 100000 --quiet --json "$f" >/dev/null 2>&1
check_eq "on: status ok" ok "$(json "$f" 'd["status"]')"
check_eq "on: environment.io_layer" iobuf "$(json "$f" 'd["environment"]["io_layer"]')"
read -r rd wr <<< "$(per_msg "$f")"
check "on: reads/msg $rd in (0.01, 1.5)" python3 -c "import sys; sys.exit(not 0.01 < $rd < 1.5)"
check "on: writes/msg $wr in (0.01, 0.2)" python3 -c "import sys; sys.exit(not 0.01 < $wr < 0.2)"

# 3. Switched off: every call goes to the kernel, and is still counted: the
# counts show libmosquitto's own pattern (a write per publish, 2-3 reads per
# packet), which proves they see the library's calls.
f="$TEST_TMP/off.json"
MQTTBENCH_NO_IOBUF=1 "$MQTTBENCH" both -p "$BROKER_PORT" --count 20000 --quiet --json "$f" >/dev/null 2>&1
check_eq "off: status ok" ok "$(json "$f" 'd["status"]')"
check_eq "off: every message arrived" 20000 "$(json "$f" 'd["subscribe"]["messages"]')"
check_eq "off: environment.io_layer" off "$(json "$f" 'd["environment"]["io_layer"]')"
read -r rd wr <<< "$(per_msg "$f")"
check "off: reads/msg $rd >= 2" python3 -c "import sys; sys.exit(not $rd >= 2)"
check "off: writes/msg $wr >= 1" python3 -c "import sys; sys.exit(not $wr >= 1)"

# 4. One fd per client: libmosquitto's socketpair is refused in mosquitto_new
# (3 sockets per client with it). 20 clients + the $SYS reader, in the middle
# of a paced run.
"$MQTTBENCH" both -p "$BROKER_PORT" --publishers 10 --subscribers 10 --rate 200 --duration 3 \
    --quiet --json "$TEST_TMP/fds.json" >/dev/null 2>&1 &
pid=$!
sleep 1.5
sockets=$(find "/proc/$pid/fd" -lname 'socket:*' 2>/dev/null | wc -l)
check_eq "sockets of 21 clients" 21 "$sockets"
wait_exit "$pid" 10000
check_eq "paced run exits 0" 0 "$EXIT_RC"
finish
