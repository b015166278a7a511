#!/usr/bin/env bash
# Runs every unit-test binary and integration script, counts PASS/FAIL lines,
# and ends with the summary line "N passed, N failed".
#   BUILD=build-san tests/run.sh   runs the sanitizer build's binaries
#   TESTS="cli both" tests/run.sh  runs only the integration scripts named
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export MQTTBENCH=${MQTTBENCH:-$PWD/$BUILD/mqttbench}
passed=0
failed=0
log=$(mktemp)

run_one() {   # NAME COMMAND...
    local name=$1; shift
    echo "== $name"
    "$@" > "$log" 2>&1
    local rc=$?
    local p f
    p=$(grep -c '^PASS ' "$log")
    f=$(grep -c '^FAIL ' "$log")
    grep -E '^(FAIL|SKIP) ' "$log"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name: exited $rc without a FAIL line; last output:"
        tail -n 15 "$log" | sed 's/^/    /'
        f=1
    elif [ "$f" -gt 0 ]; then
        echo "   (output of $name:)"
        tail -n 30 "$log" | sed 's/^/    /'
    fi
    echo "   $p passed, $f failed"
    passed=$((passed + p))
    failed=$((failed + f))
}

if [ -z "${TESTS:-}" ]; then
    for t in "$BUILD"/tests/test_*; do
        [ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
    done
fi
for s in tests/integration/*.sh; do
    name=$(basename "$s" .sh)
    if [ -n "${TESTS:-}" ] && ! [[ " $TESTS " == *" $name "* ]]; then continue; fi
    run_one "integration/$name" bash "$s"
done
rm -f "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
