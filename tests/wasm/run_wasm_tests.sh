#!/usr/bin/env bash
# Runs the GoogleTest suites compiled to WebAssembly (edgeinfer_tests.js) under Node, per variant.
#
#   tests/wasm/run_wasm_tests.sh [variant...] [-- extra gtest flags]
#
# variants: simd-threads, simd, baseline. Without names, every variant whose build/wasm-<variant>/
# edgeinfer_tests.js exists is run (build them with tools/build_wasm.sh --tests); a variant named
# explicitly must exist. Exits non-zero if any variant fails, crashes or times out; the last line is
# "wasm-tests: N passed, M failed" summed over the variants.
#
# Environment: EDGEINFER_WASM_GTEST_FILTER (default '*') selects tests; EDGEINFER_WASM_TEST_TIMEOUT
# (seconds per variant, default 1800) stops a hung run (a deadlocked thread would otherwise hang CI).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"  # tests that read files use paths relative to the repo root (NODERAWFS maps the real FS)

VARIANTS=()
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; EXTRA=("$@"); break ;;
    simd-threads|simd|baseline) VARIANTS+=("$1") ;;
    *) echo "run_wasm_tests.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
explicit=1
if [ ${#VARIANTS[@]} -eq 0 ]; then
  explicit=0
  VARIANTS=(simd-threads simd baseline)
fi

command -v node >/dev/null || { echo "run_wasm_tests.sh: node not found" >&2; exit 1; }
FILTER="${EDGEINFER_WASM_GTEST_FILTER:-*}"
TIMEOUT="${EDGEINFER_WASM_TEST_TIMEOUT:-1800}"

total_pass=0
total_fail=0
ran=0
status=0
for v in "${VARIANTS[@]}"; do
  js="build/wasm-$v/edgeinfer_tests.js"
  if [ ! -f "$js" ]; then
    if [ "$explicit" = 1 ]; then
      echo "run_wasm_tests.sh: $js not built (tools/build_wasm.sh --tests $v)" >&2
      status=1
      total_fail=$((total_fail + 1))
    fi
    continue
  fi
  ran=$((ran + 1))
  log="build/wasm-$v/edgeinfer_tests.log"
  echo "== wasm-$v: node $js --gtest_filter=$FILTER ${EXTRA[*]:-}"
  start=$(date +%s)
  # --no-experimental-fetch: Emscripten 3.1.6 would otherwise fetch() the .wasm by file path under
  # Node 18+ (pre.js also reads it synchronously; the flag keeps older builds working too).
  # No --gtest_brief: with it GoogleTest 1.12 leaves out the "[  FAILED  ] N tests, listed below" summary.
  timeout --kill-after=10 "$TIMEOUT" node --no-experimental-fetch "$js" --gtest_filter="$FILTER" \
    "${EXTRA[@]}" >"$log" 2>&1
  rc=$?
  grep -vE '^\[ +(RUN|OK) +\]' "$log"  # the log keeps every line; the console gets failures and summaries
  secs=$(( $(date +%s) - start ))
  pass=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$log" | tail -1)
  fail=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$log" | tail -1)
  # Without the summary (a crash mid-run), count the tests that reported a failure.
  [ -z "$fail" ] && fail=$(grep -cE '^\[  FAILED  \] [A-Za-z_0-9/]+\.[A-Za-z_0-9/]+' "$log")
  pass=${pass:-0}
  fail=${fail:-0}
  if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
    # A crash, abort or timeout before GoogleTest printed its summary still counts as a failure.
    fail=1
    [ "$rc" -eq 124 ] && echo "== wasm-$v: timed out after ${TIMEOUT}s" || echo "== wasm-$v: exited with code $rc"
  fi
  echo "== wasm-$v: exit $rc, $pass passed, $fail failed (${secs}s)"
  total_pass=$((total_pass + pass))
  total_fail=$((total_fail + fail))
  [ "$rc" -ne 0 ] && status=1
done

if [ "$ran" -eq 0 ] && [ "$explicit" = 0 ]; then
  echo "run_wasm_tests.sh: no build/wasm-*/edgeinfer_tests.js found (tools/build_wasm.sh --tests)" >&2
  exit 1
fi
echo "wasm-tests: $total_pass passed, $total_fail failed"
exit $status
