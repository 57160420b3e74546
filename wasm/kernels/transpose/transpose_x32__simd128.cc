#include "kernels/transpose/transpose.h"

#if EDGEINFER_SIMD128

namespace edgeinfer {

void transpose2d_x32__simd128(const uint32_t* src, int64_t src_ld, uint32_t* dst, int64_t dst_ld, int64_t rows,
                              int64_t cols) {
  constexpr int64_t kB = 32;
  for (int64_t r0 = 0; r0 < rows; r0 += kB) {
    const int64_t r1 = r0 + kB < rows ? r0 + kB : rows;
    for (int64_t c0 = 0; c0 < cols; c0 += kB) {
      const int64_t c1 = c0 + kB < cols ? c0 + kB : cols;
      int64_t r = r0;
      for (; r + 4 <= r1; r += 4) {
        const uint32_t* s = src + r * src_ld;
        int64_t c = c0;
        for (; c + 4 <= c1; c += 4) {
          const v128_t a = wasm_v128_load(s + c);
          const v128_t b = wasm_v128_load(s + src_ld + c);
          const v128_t e = wasm_v128_load(s + 2 * src_ld + c);
          const v128_t f = wasm_v128_load(s + 3 * src_ld + c);
          const v128_t t0 = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5);  // a0 b0 a1 b1
          const v128_t t1 = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7);  // a2 b2 a3 b3
          const v128_t t2 = wasm_i32x4_shuffle(e, f, 0, 4, 1, 5);
          const v128_t t3 = wasm_i32x4_shuffle(e, f, 2, 6, 3, 7);
          uint32_t* d = dst + c * dst_ld + r;
          wasm_v128_store(d, wasm_i64x2_shuffle(t0, t2, 0, 2));
          wasm_v128_store(d + dst_ld, wasm_i64x2_shuffle(t0, t2, 1, 3));
          wasm_v128_store(d + 2 * dst_ld, wasm_i64x2_shuffle(t1, t3, 0, 2));
          wasm_v128_store(d + 3 * dst_ld, wasm_i64x2_shuffle(t1, t3, 1, 3));
        }
        for (; c < c1; ++c)
          for (int64_t k = 0; k < 4; ++k) dst[c * dst_ld + r + k] = src[(r + k) * src_ld + c];
      }
      for (; r < r1; ++r)
        for (int64_t c = c0; c < c1; ++c) dst[c * dst_ld + r] = src[r * src_ld + c];
    }
  }
}

}  // namespace edgeinfer

#endif  // EDGEINFER_SIMD128
