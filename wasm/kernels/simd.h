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

// edgeinfer_i32x4_dot_i8x16_u8x16_add(a, b, c): c + the dot products of 4 signed bytes of a with the 4
// unsigned bytes of b in each 32-bit lane, exactly. The q8 GEMM kernels with KR = 4 use it.
//  - wasm relaxed variant (EDGEINFER_RELAXED_SIMD): relaxed SIMD's i32x4.relaxed_dot_i8x16_i7x16_add_s,
//    16 products in one instruction. The spec leaves bytes of b >= 128 implementation-defined; it is
//    exact where the engine lowers it to AVX-VNNI's vpdpbusd (unsigned x signed, no saturation), and
//    q8_gemm_relaxed_config() tests for that before any kernel uses it. LLVM 14 (Emscripten 3.1.6) has
//    no intrinsic for it, so the code calls an import of the same signature, v128 (v128, v128, v128),
//    and tools/relaxed_simd_patch.mjs replaces each call with the instruction after linking (the stack
//    effect is the same; wasm/bindings/relaxed_placeholder.js provides the import that is never called).
//  - native (SIMDe): the exact definition, for tests under sanitizers.
#if defined(__wasm_simd128__) && defined(EDGEINFER_RELAXED_SIMD)
#define EDGEINFER_Q8_RELAXED_DOT 1
extern "C" v128_t edgeinfer_relaxed_dot_i8x16_i7x16_add_s(v128_t a, v128_t b, v128_t c)
    __attribute__((import_module("env"), import_name("edgeinfer_relaxed_dot_i8x16_i7x16_add_s"), const));
inline v128_t edgeinfer_i32x4_dot_i8x16_u8x16_add(v128_t a, v128_t b, v128_t c) {
  return edgeinfer_relaxed_dot_i8x16_i7x16_add_s(a, b, c);
}
#elif defined(EDGEINFER_USE_SIMDE)
#define EDGEINFER_Q8_RELAXED_DOT 1
inline v128_t edgeinfer_i32x4_dot_i8x16_u8x16_add(v128_t a, v128_t b, v128_t c) {
  const v128_t lo = wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(a), wasm_u16x8_extend_low_u8x16(b));
  const v128_t hi = wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(a), wasm_u16x8_extend_high_u8x16(b));
  return wasm_i32x4_add(c, wasm_i32x4_add(wasm_i32x4_shuffle(lo, hi, 0, 2, 4, 6), wasm_i32x4_shuffle(lo, hi, 1, 3, 5, 7)));
}
#else
#define EDGEINFER_Q8_RELAXED_DOT 0
#endif
