#!/bin/bash
# Runs xvio's whole test suite (unit, property and end-to-end tests with testpmd and QEMU guests).
# Works on a fresh Debian 12 machine as root: installs what it needs, finds JDK 25.
set -euo pipefail
. "$(dirname "$0")/env.sh"
xvio_setup test
cd "$xvio_root"
# `verify` builds the jar and bin/xvio's classpath first: end-to-end tests run the real launcher
mvn -B -ntp verify "$@"
# a few seconds of the benchmark rig: asserts only that packets flowed through xvio, testpmd and OVS-DPDK
if [ "${XVIO_SKIP_BENCH_SMOKE:-}" != 1 ]; then
  bench/loopback --smoke --cases "inport normal flows1000 conntrack ovn"
fi
