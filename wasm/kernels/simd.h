// One spelling for SIMD code: WebAssembly SIMD128 intrinsics (wasm_simd128.h). In wasm they compile to
// SIMD128 instructions; in the native build SIMDe maps the same intrinsics to SSE/AVX, so the kernels
// that ship are the kernels the native tests (and sanitizers) exercise.
// EDGEINFER_SIMD128 is 1 when the SIMD variants are compiled; the baseline wasm build sets it to 0
// and uses the scalar reference kernels only.
// Clamps use wasm_f32x4_pmin/pmax with the value first, pmin(pmax(v, lo), hi): one minps/maxps each
// on x86 engines, where f32x4.min/max take about 8 instructions for their NaN and -0 rules. Like
// std::min/std::max in the scalar references, a NaN v passes through and -0 stays -0.
#pragma once

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define EDGEINFER_SIMD128 1
#elif defined(EDGEINFER_USE_SIMDE)
#define SIMDE_WASM_SIMD128_ENABLE_NATIVE_ALIASES
#include <simde/wasm/simd128.h>
#define EDGEINFER_SIMD128 1
#else
#define EDGEINFER_SIMD128 0
#endif
