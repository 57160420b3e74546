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

#if EDGEINFER_SIMD128
// float(v) for int32 lanes with |v| < 2^22, exactly: the lanes added to the bit pattern of 1.5 * 2^23
// and that float subtracted. Use it on widened 8/16-bit values instead of
// f32x4.convert_i32x4(i32x4.extend_*_i16x8(h)): LLVM 14 folds that pair into a conversion of 16-bit
// lanes, which the wasm backend scalarizes into eight extract/convert/insert sequences (a 3.6x slower
// QLinearAdd).
inline v128_t edgeinfer_f32x4_from_small_i32x4(v128_t v) {
  return wasm_f32x4_sub(wasm_i32x4_add(v, wasm_i32x4_splat(0x4B400000)), wasm_f32x4_splat(12582912.0f));
}
#endif
