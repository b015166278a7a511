#!/usr/bin/env bash
# Runs every unit-test binary and integration script, counts their PASS, FAIL
# and SKIP lines, and ends with the summary line "N passed, N failed, N skipped".
#   BUILD=build-san tests/run.sh      runs the sanitizer build's binaries
#   TESTS="cli both" tests/run.sh     runs only the integration scripts named
#                                     ("unit" names the unit-test binaries)
#   EXCLUDE="brokers" tests/run.sh    leaves the integration scripts named out
#   tests/run.sh tests/tsan.sh        runs only the scripts given
#   SKIPS_AS_FAILS=1 tests/run.sh     a skip that tests/expected-skips and
#                                     $EXPECTED_SKIPS do not allow is a failure
# A script that prints no PASS, FAIL or SKIP line fails: it checked nothing.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export MQTTBENCH=${MQTTBENCH:-$PWD/$BUILD/mqttbench}
passed=0
failed=0
skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# The allowed skips: one glob per line (tests/expected-skips, then the lines or
# ';'-separated items of $EXPECTED_SKIPS), matched against "SCRIPT: TEXT" where
# SCRIPT is the name run.sh prints (integration/hosts) and TEXT what follows
# "SKIP " on the script's line.
allowed=()
while IFS= read -r line; do
    line=${line%%#*}
    line=$(echo "$line" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
    [ -n "$line" ] && allowed+=("$line")
done < <(cat tests/expected-skips 2>/dev/null; echo "${EXPECTED_SKIPS:-}" | tr ';' '\n')

skip_allowed() {   # "SCRIPT: TEXT"
    local pat
    for pat in "${allowed[@]}"; do
        # shellcheck disable=SC2053
        [[ $1 == $pat ]] && return 0
    done
    return 1
}

run_one() {   # NAME COMMAND...
    local name=$1; shift
    local t0=$SECONDS
    echo "== $name"
    "$@" > "$log" 2>&1
    local rc=$?
    local p f s=0 line
    p=$(grep -c '^PASS ' "$log")
    f=$(grep -c '^FAIL ' "$log")
    grep -E '^(FAIL|SKIP) ' "$log"
    while IFS= read -r line; do
        if [ "${SKIPS_AS_FAILS:-0}" = 1 ] && ! skip_allowed "$name: ${line#SKIP }"; then
            echo "FAIL $name: unexpected skip (not in tests/expected-skips or EXPECTED_SKIPS): ${line#SKIP }"
            f=$((f + 1))
        else
            s=$((s + 1))
        fi
    done < <(grep '^SKIP ' "$log")
    if [ "$rc" -ne 0 ] && [ "$(grep -c '^FAIL ' "$log")" -eq 0 ]; then
        echo "FAIL $name: exited $rc without a FAIL line; last output:"
        tail -n 15 "$log" | sed 's/^/    /'
        f=$((f + 1))
    elif [ $((p + f + s)) -eq 0 ]; then
        echo "FAIL $name: ran no check (no PASS, FAIL or SKIP line); last output:"
        tail -n 15 "$log" | sed 's/^/    /'
        f=1
    elif [ "$f" -gt 0 ]; then
        echo "   (output of $name:)"
        tail -n 30 "$log" | sed 's/^/    /'
    fi
    echo "   $p passed, $f failed, $s skipped ($((SECONDS - t0)) s)"
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
}

if [ $# -gt 0 ]; then
    for s in "$@"; do
        name=${s#tests/}
        run_one "${name%.sh}" bash "$s"
    done
else
    if [ -z "${TESTS:-}" ] || [[ " $TESTS " == *" unit "* ]]; then
        for t in "$BUILD"/tests/test_*; do
            [ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
        done
    fi
    for s in tests/integration/*.sh; do
        name=$(basename "$s" .sh)
        if [ -n "${TESTS:-}" ] && ! [[ " $TESTS " == *" $name "* ]]; then continue; fi
        if [[ " ${EXCLUDE:-} " == *" $name "* ]]; then continue; fi
        run_one "integration/$name" bash "$s"
    done
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ $((passed + skipped)) -gt 0 ]
