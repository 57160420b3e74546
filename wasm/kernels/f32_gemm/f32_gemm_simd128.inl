// The body shared by the simd128 GEMM microkernels: MR rows x NV vectors of 4 columns, over packed B.
// Each variant file instantiates it for its tile so the tile is fixed at compile time and the
// accumulators live in registers (MR * NV + NV + 1 of them must fit: 16 on x86 engines).
#pragma once

#include "kernels/f32_gemm/f32_gemm.h"
#include "kernels/simd.h"

#if EDGEINFER_SIMD128
namespace edgeinfer {
namespace gemm_detail {

template <int MR, int NV>
inline void f32_gemm_simd128(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                             float* c, size_t cm_stride, const F32MinMax& params) {
  constexpr size_t NR = 4 * NV;
  // Rows past mr alias the last valid row: they compute and store the same values, which keeps the
  // inner loop free of branches.
  const float* ap[MR];
  float* cp[MR];
  ap[0] = a;
  cp[0] = c;
  for (int i = 1; i < MR; ++i) {
    const bool valid = static_cast<size_t>(i) < mr;
    ap[i] = valid ? ap[i - 1] + a_stride : ap[i - 1];
    cp[i] = valid ? cp[i - 1] + cm_stride : cp[i - 1];
  }
  const v128_t vmin = wasm_f32x4_splat(params.min);
  const v128_t vmax = wasm_f32x4_splat(params.max);
  for (;;) {
    v128_t acc[MR][NV];
    for (int j = 0; j < NV; ++j) acc[0][j] = wasm_v128_load(w + 4 * j);
    for (int i = 1; i < MR; ++i)
      for (int j = 0; j < NV; ++j) acc[i][j] = acc[0][j];
    w += NR;
    for (size_t k = 0; k < kc; ++k) {
      v128_t b[NV];
      for (int j = 0; j < NV; ++j) b[j] = wasm_v128_load(w + 4 * j);
      w += NR;
      for (int i = 0; i < MR; ++i) {
        const v128_t av = wasm_v128_load32_splat(ap[i] + k);
        for (int j = 0; j < NV; ++j) acc[i][j] = wasm_f32x4_add(acc[i][j], wasm_f32x4_mul(av, b[j]));
      }
    }
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NV; ++j) acc[i][j] = wasm_f32x4_pmin(wasm_f32x4_pmax(acc[i][j], vmin), vmax);
    if (nc >= NR) {
      // Stored from the last row down so that aliased rows end with the valid row's values.
      for (int i = MR - 1; i >= 0; --i) {
        for (int j = 0; j < NV; ++j) wasm_v128_store(cp[i] + 4 * j, acc[i][j]);
        cp[i] += NR;
      }
      nc -= NR;
      if (nc == 0) return;
    } else {
      for (int i = MR - 1; i >= 0; --i) {
        float* o = cp[i];
        size_t rem = nc;
        for (int j = 0; j < NV; ++j) {
          if (rem >= 4) {
            wasm_v128_store(o, acc[i][j]);
            o += 4;
            rem -= 4;
          } else if (rem != 0) {
            v128_t v = acc[i][j];
            if (rem & 2) {
              o[0] = wasm_f32x4_extract_lane(v, 0);
              o[1] = wasm_f32x4_extract_lane(v, 1);
              v = wasm_i32x4_shuffle(v, v, 2, 3, 2, 3);
              o += 2;
            }
            if (rem & 1) o[0] = wasm_f32x4_extract_lane(v, 0);
            rem = 0;
          }
        }
      }
      return;
    }
  }
}

}  // namespace gemm_detail
}  // namespace edgeinfer
#endif
