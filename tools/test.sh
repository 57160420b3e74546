#!/usr/bin/env bash
# The test command (README, and .ci/run on a fresh machine): sets up, builds and runs every suite.
#   1. tools/setup.sh                     Debian packages and npm dev dependencies
#   2. native build (Release)             core, CLI, GoogleTest suites
#   3. native unit, kernel and op tests   build/native/edgeinfer_tests; tests/wasm/ninja_settled_test.sh
#   4. models/prepare.sh                  real models + onnxruntime-node 1.30 golden outputs
#   5. golden model tests                 build/native/edgeinfer_model_tests (1 and 2 threads)
#      model bundle tests                 build/native/edgeinfer_bundle_tests (needs models/cache for ppocr_det)
#      quantize tests                     build/native/edgeinfer_quantize_tests; node --test tests/quantize/
#                                         (onnxruntime-node runs edgeinfer quantize's output; PP-OCRv4 det)
#      int8 evaluation (node --test tests/int8/)  MNIST CNN accuracy in the CLI vs onnxruntime-node, data export,
#                                         stand-in QDQ model through the accuracy script, rendered pages through det
#   6. wasm build (3 variants)            tools/build_wasm.sh, plus test binaries for simd and baseline
#   7. the same unit/kernel/op suites in wasm under Node (simd and baseline variants)
#   8. JS tests (node --test)             the Embind module of all three variants vs onnxruntime-node,
#                                         errors, leaks
#   9. JS package (js-bindings/)          npm package: Node API, goldens, pack/install, Chromium, Firefox
#  10. offline delivery (service-worker/)  store logic with fake-indexeddb (deltas, resume, atomic switch,
#                                         rollback, pin, GC, tamper, rollout); the package loading bundles;
#                                         service worker + store in headless Chromium and Firefox ESR
# The last line is "N passed, N failed" over all suites; the exit code is non-zero on any failure.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JOBS="${EDGEINFER_JOBS:-2}"
LOG_DIR="$ROOT/build/test-logs"

passed=0
failed=0
stage() { printf '\n=== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }
fail_stage() { echo "FAILED: $1"; failed=$((failed + 1)); }

# Adds the counts from a GoogleTest log ("[  PASSED  ] N tests", "[  FAILED  ] N tests").
count_gtest() {
  local p f
  p=$(grep -Eo '\[  PASSED  \] [0-9]+' "$1" | tail -1 | grep -Eo '[0-9]+$' || true)
  f=$(grep -Eo '\[  FAILED  \] [0-9]+ tests?,' "$1" | tail -1 | grep -Eo '[0-9]+' || true)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
}
# Adds the counts from a node --test log ("# pass N", "# fail N").
count_node() {
  local p f
  p=$(grep -Eo '^# pass [0-9]+' "$1" | tail -1 | grep -Eo '[0-9]+' || true)
  f=$(grep -Eo '^# fail [0-9]+' "$1" | tail -1 | grep -Eo '[0-9]+' || true)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
}

stage "setup"
bash tools/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
mkdir -p "$LOG_DIR"

stage "native build"
# ninja_settled.sh: ninja, again for any source saved during the build (see the script).
if ! { cmake -S . -B build/native -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null &&
       bash tools/ninja_settled.sh . -C build/native -j"$JOBS"; } >"$LOG_DIR/native-build.log" 2>&1; then
  tail -40 "$LOG_DIR/native-build.log"
  echo "native build failed"; echo "$passed passed, $((failed + 1)) failed"; exit 1
fi

stage "native unit, kernel and op tests"
build/native/edgeinfer_tests --gtest_brief=1 2>&1 | tee "$LOG_DIR/native-tests.log" | tail -30
[ "${PIPESTATUS[0]}" = 0 ] || fail_stage "native tests"
count_gtest "$LOG_DIR/native-tests.log"

stage "build tooling: rebuilds after a header saved mid-build"
if bash tests/wasm/ninja_settled_test.sh >"$LOG_DIR/ninja-settled.log" 2>&1; then
  passed=$((passed + 1))
else
  cat "$LOG_DIR/ninja-settled.log"
  fail_stage "tests/wasm/ninja_settled_test.sh"
fi
tail -1 "$LOG_DIR/ninja-settled.log"

stage "models: real models and onnxruntime-node goldens"
if bash models/prepare.sh >"$LOG_DIR/prepare.log" 2>&1; then
  stage "golden model tests"
  build/native/edgeinfer_model_tests 2>&1 | tee "$LOG_DIR/model-tests.log" | grep -E '^\[|max abs|FAIL' | tail -60
  [ "${PIPESTATUS[0]}" = 0 ] || fail_stage "golden model tests"
  count_gtest "$LOG_DIR/model-tests.log"

  stage "model bundle tests (pack/sign/verify/diff/gate, CLI, delta update of PP-OCRv4 det)"
  build/native/edgeinfer_bundle_tests --gtest_brief=1 2>&1 | tee "$LOG_DIR/bundle-tests.log" | tail -12
  [ "${PIPESTATUS[0]}" = 0 ] || fail_stage "model bundle tests"
  count_gtest "$LOG_DIR/bundle-tests.log"

  stage "quantize tests (edgeinfer quantize: every mode in our runtime; onnxruntime-node runs the output)"
  build/native/edgeinfer_quantize_tests --gtest_brief=1 2>&1 | tee "$LOG_DIR/quantize-tests.log" | tail -8
  [ "${PIPESTATUS[0]}" = 0 ] || fail_stage "quantize tests"
  count_gtest "$LOG_DIR/quantize-tests.log"
  node --test tests/quantize/ 2>&1 | tee "$LOG_DIR/quantize-node-tests.log" | grep -E '^# (tests|pass|fail)|^not ok|^# ppocr' | tail -12
  [ "${PIPESTATUS[0]}" = 0 ] || fail_stage "quantize tests (onnxruntime-node)"
  count_node "$LOG_DIR/quantize-node-tests.log"
else
  tail -20 "$LOG_DIR/prepare.log"
  fail_stage "models/prepare.sh"
fi

# int8 evaluation (seconds): MNIST accuracy and logits vs onnxruntime-node, calibration data export, the
# accuracy script on a stand-in QDQ model, det metrics, rendered text pages through PP-OCRv4 det.
stage "int8 evaluation: MNIST CNN accuracy, data export, rendered pages through PP-OCRv4 det"
node --test tests/int8/ 2>&1 | tee "$LOG_DIR/int8-tests.log" | grep -E '^# (tests|pass|fail)|^not ok' | tail -10
[ "${PIPESTATUS[0]}" = 0 ] || fail_stage "int8 evaluation tests"
count_node "$LOG_DIR/int8-tests.log"

stage "wasm build (four variants; test binaries for simd and baseline)"
if bash tools/build_wasm.sh --jobs "$JOBS" simd-threads relaxed-threads >"$LOG_DIR/wasm-build.log" 2>&1 &&
   bash tools/build_wasm.sh --tests --jobs "$JOBS" simd baseline >>"$LOG_DIR/wasm-build.log" 2>&1; then
  grep -E '^(variant|simd|baseline|relaxed)|budget|built in|relaxed_simd_patch' "$LOG_DIR/wasm-build.log" | tail -14

  stage "wasm unit, kernel and op tests under Node (simd and baseline variants)"
  bash tests/wasm/run_wasm_tests.sh simd baseline 2>&1 | tee "$LOG_DIR/wasm-tests.log" |
    grep -E 'PASSED|FAILED|wasm-tests|== wasm-' | tail -20
  [ "${PIPESTATUS[0]}" = 0 ] || fail_stage "wasm tests"
  # One line per variant ("== wasm-<v>: exit N, P passed, F failed"); count_gtest would see only the last.
  wp=$(sed -n 's/^wasm-tests: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$LOG_DIR/wasm-tests.log" | tail -1)
  wf=$(sed -n 's/^wasm-tests: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$LOG_DIR/wasm-tests.log" | tail -1)
  passed=$((passed + ${wp:-0}))
  failed=$((failed + ${wf:-1}))

  stage "JS tests (node --test): the Embind module of all three variants vs onnxruntime-node"
  # Listed explicitly: a variant that failed to build then fails here instead of being skipped.
  EDGEINFER_WASM_VARIANTS=simd-threads,simd,baseline node --test tests/wasm/ 2>&1 | tee "$LOG_DIR/js-tests.log" | grep -E '^# (tests|pass|fail)|^not ok' | tail -20
  [ "${PIPESTATUS[0]}" = 0 ] || fail_stage "JS tests"
  count_node "$LOG_DIR/js-tests.log"
else
  tail -40 "$LOG_DIR/wasm-build.log"
  fail_stage "wasm build"
fi

# --- JS package (js-bindings/, the npm package `edgeinfer`): about 3 minutes on 2 loaded cores -------
# Assembles js-bindings/dist from build/wasm-dist, then node --test tests/js/: the API under Node on
# every variant and through the proxy worker (1000-cycle heap check), npm pack + offline install +
# esbuild + tsc, headless Chromium and Firefox ESR (main thread / proxy, with and without COOP/COEP,
# the example page), the golden models through the package on all three variants.
stage "JS package (js-bindings): build, Node, pack/install, Chromium, Firefox"
if [ -f build/wasm-dist/simd-threads/edgeinfer.wasm ] && [ -f build/wasm-dist/simd/edgeinfer.wasm ] &&
   [ -f build/wasm-dist/baseline/edgeinfer.wasm ] && [ -f build/wasm-dist/relaxed-threads/edgeinfer.wasm ]; then
  if npm ci --prefix js-bindings --no-audit --no-fund >"$LOG_DIR/js-package.log" 2>&1 &&
     node js-bindings/scripts/build.mjs >>"$LOG_DIR/js-package.log" 2>&1; then
    PUPPETEER_SKIP_DOWNLOAD=1 node --test tests/js/api.test.mjs tests/js/pack.test.mjs tests/js/browser-chromium.test.mjs \
      tests/js/browser-firefox.test.mjs 2>&1 | tee "$LOG_DIR/js-package-tests.log" | grep -E '^# (tests|pass|fail)|^not ok|^    not ok' | tail -20
    [ "${PIPESTATUS[0]}" = 0 ] || fail_stage "JS package tests"
    count_node "$LOG_DIR/js-package-tests.log"
    node --test tests/js/golden.test.mjs 2>&1 | tee "$LOG_DIR/js-package-golden.log" |
      grep -E '^# (tests|pass|fail)|^not ok|^    not ok' | tail -20
    [ "${PIPESTATUS[0]}" = 0 ] || fail_stage "JS package golden tests"
    count_node "$LOG_DIR/js-package-golden.log"
  else
    tail -30 "$LOG_DIR/js-package.log"
    fail_stage "JS package build"
  fi
else
  fail_stage "JS package: build/wasm-dist is missing a variant"
fi
# --- end of JS package stage ------------------------------------------------------------------------

# --- offline model store (service-worker/): the store logic under Node (seconds), then the package
# loading bundles and the service worker in headless Chromium and Firefox ESR with bundles from the native CLI (~4 min).
stage "offline model delivery (service-worker): store under Node, package, Chromium, Firefox"
node --test tests/service-worker/store.test.mjs 2>&1 | tee "$LOG_DIR/service-worker-tests.log" |
  grep -E '^# (tests|pass|fail)|^not ok|^    not ok' | tail -20
[ "${PIPESTATUS[0]}" = 0 ] || fail_stage "offline model store tests"
count_node "$LOG_DIR/service-worker-tests.log"
if [ -f js-bindings/dist/bundle-store.mjs ] && [ -x build/native/tools/edgeinfer ]; then
  PUPPETEER_SKIP_DOWNLOAD=1 node --test tests/service-worker/package.test.mjs tests/service-worker/browser-chromium.test.mjs \
    tests/service-worker/browser-firefox.test.mjs 2>&1 |
    tee "$LOG_DIR/service-worker-browser.log" | grep -E '^# (tests|pass|fail)|^not ok|^    not ok|delta update' | tail -20
  [ "${PIPESTATUS[0]}" = 0 ] || fail_stage "offline model delivery: package and Chromium tests"
  count_node "$LOG_DIR/service-worker-browser.log"
else
  fail_stage "offline model delivery: js-bindings/dist or build/native/tools/edgeinfer missing"
fi

stage "done"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
