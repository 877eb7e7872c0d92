#!/usr/bin/env bash
# The README's first command: set up and build (scripts/setup.sh), compile
# the example model with nnc, and run the embedding example on it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${NNC_BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"

echo
echo "== nnc examples/mlp.nn -o mlp.o --header mlp.h"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$build/bin/nnc" "$root/examples/mlp.nn" -o "$out/mlp.o" --header "$out/mlp.h"
ls -l "$out/mlp.o" "$out/mlp.h"
echo
echo "== examples/embed (built by CMake with nnc_add_model)"
"$build/bin/nnc-embed-example" "$out/mlp.nncp"
