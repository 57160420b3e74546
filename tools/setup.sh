#!/usr/bin/env bash
# Installs everything the build, the tests and the benchmarks need on a fresh Debian machine:
# Debian packages (toolchains, Emscripten, SIMDe, GoogleTest, browsers) and the npm dev dependencies.
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  cmake ninja-build g++ clang libclang-rt-14-dev
  libgtest-dev libbenchmark-dev libsimde-dev nlohmann-json3-dev libcli11-dev libssl-dev
  emscripten python3-onnx python3-numpy python3-pil fonts-dejavu-core fonts-liberation
  chromium firefox-esr
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v node >/dev/null; then
  echo "setup: node is required (Node.js 20)" >&2
  exit 1
fi
# npm dev dependencies (reference runtimes, models, puppeteer-core). Never download a browser.
if [ ! -d node_modules/onnxruntime-node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null
fi
echo "setup: ok"
