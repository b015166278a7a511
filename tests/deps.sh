#!/usr/bin/env bash
# Install the Debian packages given as arguments when they are missing.
# As root: apt-get installs them. Otherwise: print the exact command and fail.
# A newly installed rabbitmq-server is not started as a system service: the
# tests run private nodes (tests/brokers/rabbitmq.sh), and a system node would
# only take CPU and memory from the benchmarks. Nor is prometheus: the tests
# need only its promtool.
# Without dpkg (not Debian), say so and leave the packages to the user.
set -euo pipefail
if ! command -v dpkg-query > /dev/null 2>&1; then
    echo "mqttbench: not a Debian system; make sure these (Debian names) are installed: $*" >&2
    exit 0
fi
missing=()
for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "mqttbench: missing Debian packages: ${missing[*]}" >&2
    echo "  install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "mqttbench: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
if [[ " ${missing[*]} " == *" rabbitmq-server "* || " ${missing[*]} " == *" prometheus "* ]] && [ ! -e "$policy" ]; then
    # invoke-rc.d asks this script before starting a service; 101: not allowed.
    printf '#!/bin/sh\ncase "$1" in rabbitmq-server|prometheus) exit 101;; esac\nexit 0\n' > "$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
