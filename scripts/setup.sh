#!/usr/bin/env bash
# Installs the Debian packages nnc needs (only those missing; nothing is
# downloaded when all are present), then configures and builds everything
# into build/ with Ninja, clang-22 and ccache.
#
#   scripts/setup.sh            install what is missing, build
#   NNC_BUILD_DIR=dir scripts/setup.sh    build elsewhere
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${NNC_BUILD_DIR:-$root/build}

packages=(
  cmake ninja-build ccache gcc g++
  clang-22 llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  libfmt-dev libgtest-dev zlib1g-dev libomp-22-dev
  dataset-fashion-mnist
  python3-torch python3-numpy
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22
fi
cmake --build "$build" -j "$(nproc)"
