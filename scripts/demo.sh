#!/usr/bin/env bash
# The README's first command: set up and build (scripts/setup.sh), compile
# an example model with nnc, run the embedding example, then train the
# Fashion-MNIST MLP for one epoch and print its test accuracy.
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
echo
echo "== nnc train examples/fashion_mlp.nn --epochs 1   (Fashion-MNIST, 784-128-10 MLP)"
"$build/bin/nnc" train "$root/examples/fashion_mlp.nn" --epochs 1 --progress=lines
