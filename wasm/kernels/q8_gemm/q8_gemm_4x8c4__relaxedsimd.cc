// 4x8c4 quantized GEMM microkernels on relaxed SIMD's 8-bit dot product (see q8_gemm_simd128.inl and
// edgeinfer_i32x4_dot_i8x16_u8x16_add in kernels/simd.h), and the start-up check that the engine's
// relaxed dot is exact for the full byte range, which the spec does not promise.
#include "kernels/q8_gemm/q8_gemm_simd128.inl"

#if EDGEINFER_Q8_RELAXED_DOT
namespace edgeinfer {

const Q8GemmConfig& q8_gemm_4x8c4__relaxedsimd() {
  return q8_gemm_detail::q8_gemm_config_for<4, 4>("4x8c4__relaxedsimd");
}

// Bytes that saturate a 16-bit pairwise sum (pmaddubsw, Firefox on x86), differ between signed and
// unsigned readings of b (ARM sdot, AVX-VNNI-INT8) and check every lane.
bool q8_relaxed_dot_is_exact() {
  alignas(16) int8_t a[16];
  alignas(16) uint8_t b[16];
  for (int i = 0; i < 16; ++i) {
    a[i] = static_cast<int8_t>(i < 8 ? -128 + i : 127 - i);
    b[i] = static_cast<uint8_t>(255 - 3 * i);
  }
  alignas(16) int32_t got[4];
  const v128_t acc = wasm_i32x4_make(1, -2, 3, -4);
  wasm_v128_store(got, edgeinfer_i32x4_dot_i8x16_u8x16_add(wasm_v128_load(a), wasm_v128_load(b), acc));
  const int32_t init[4] = {1, -2, 3, -4};
  for (int l = 0; l < 4; ++l) {
    int32_t want = init[l];
    for (int j = 0; j < 4; ++j) want += a[4 * l + j] * b[4 * l + j];
    if (got[l] != want) return false;
  }
  return true;
}

}  // namespace edgeinfer
#endif
