#!/usr/bin/env bash
# The README's second command (and CI's): set up and build, then run the
# default test suite (lit + GoogleTest) with ctest. Tests labelled `slow`
# (trainings to a target accuracy) are excluded; run them with
#   ctest --test-dir build -L slow
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${NNC_BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"
ctest --test-dir "$build" --output-on-failure -LE slow -j "$(nproc)"
