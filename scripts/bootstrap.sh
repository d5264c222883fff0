#!/usr/bin/env bash
# Installs the Debian 12 packages scxsim needs (when missing) and builds it into build/.
# Used by scripts/demo.sh, scripts/test.sh and CI; safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake ninja-build pkg-config
          libgtest-dev libgmock-dev libbenchmark-dev
          libfmt-dev nlohmann-json3-dev libcli11-dev libboost-math-dev
          libelf-dev libbpf-dev clang-19 llvm-19 libclang-rt-19-dev protobuf-compiler rt-app
          python3-yaml)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

BUILD_TYPE="${SCXSIM_BUILD_TYPE:-RelWithDebInfo}"
WERROR="${SCXSIM_WERROR:-OFF}"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DSCXSIM_WERROR="$WERROR" >/dev/null
ninja -C build -j"${SCXSIM_JOBS:-2}"
