#!/usr/bin/env bash
# Runs `nnc train` and checks the final `test accuracy:` line against a
# minimum. Used by the ctest tests labelled `slow` (see README.md).
#
#   check_accuracy.sh MIN NNC MODEL.nn [nnc train options...]
set -euo pipefail
min=$1 nnc=$2 model=$3
shift 3
out=$("$nnc" train "$model" --progress=lines "$@")
echo "$out"
accuracy=$(printf '%s\n' "$out" | sed -n 's/^test accuracy: \([0-9.]*\)$/\1/p' | tail -n 1)
if [ -z "$accuracy" ]; then
  echo "FAIL: no 'test accuracy:' line" >&2
  exit 1
fi
if awk -v a="$accuracy" -v m="$min" 'BEGIN { exit !(a >= m) }'; then
  echo "PASS: test accuracy $accuracy >= $min"
else
  echo "FAIL: test accuracy $accuracy < $min" >&2
  exit 1
fi
