// The body shared by the simd128 convolution microkernels (see f32_conv_ukernel.h). Each variant
// file instantiates it for its MR so accumulators stay in registers: 2 * MR + 3 of them must fit
// in the 16 vector registers of x86 engines.
#pragma once

#include "kernels/f32_conv/f32_conv_ukernel.h"
#include "kernels/simd.h"

#if EDGEINFER_SIMD128
namespace edgeinfer {
namespace conv_detail {

template <int MR>
inline void f32_conv_simd128(size_t mr, size_t nc, size_t kc, const float* w, const float* b, const int32_t* koff,
                             float* c, size_t ldc, const F32ConvParams& params) {
  // Rows past mr alias the last valid row; stored first, then overwritten by the valid row.
  float* cp[MR];
  cp[0] = c;
  for (int i = 1; i < MR; ++i) cp[i] = static_cast<size_t>(i) < mr ? cp[i - 1] + ldc : cp[i - 1];
  for (;;) {
    v128_t acc0[MR], acc1[MR];
    for (int i = 0; i < MR; ++i) acc0[i] = acc1[i] = wasm_v128_load32_splat(w + i);
    const float* wk = w + MR;
    for (size_t k = 0; k < kc; ++k) {
      const float* bk = b + koff[k];
      const v128_t b0 = wasm_v128_load(bk);
      const v128_t b1 = wasm_v128_load(bk + 4);
      for (int i = 0; i < MR; ++i) {
        const v128_t av = wasm_v128_load32_splat(wk + i);
        acc0[i] = wasm_f32x4_add(acc0[i], wasm_f32x4_mul(av, b0));
        acc1[i] = wasm_f32x4_add(acc1[i], wasm_f32x4_mul(av, b1));
      }
      wk += MR;
    }
    // Splatted here, not before the loop: live across it they would take registers the
    // accumulators need (V8 on x64 has 16).
    if (params.leaky) {
      const v128_t valpha = wasm_f32x4_splat(params.alpha);
      for (int i = 0; i < MR; ++i) {
        acc0[i] = wasm_v128_bitselect(acc0[i], wasm_f32x4_mul(acc0[i], valpha), wasm_f32x4_ge(acc0[i], wasm_f32x4_splat(0.0f)));
        acc1[i] = wasm_v128_bitselect(acc1[i], wasm_f32x4_mul(acc1[i], valpha), wasm_f32x4_ge(acc1[i], wasm_f32x4_splat(0.0f)));
      }
    }
    const v128_t vmin = wasm_f32x4_splat(params.min);
    const v128_t vmax = wasm_f32x4_splat(params.max);
    for (int i = 0; i < MR; ++i) {
      acc0[i] = wasm_f32x4_pmin(wasm_f32x4_pmax(acc0[i], vmin), vmax);
      acc1[i] = wasm_f32x4_pmin(wasm_f32x4_pmax(acc1[i], vmin), vmax);
    }
    if (nc >= 8) {
      for (int i = MR - 1; i >= 0; --i) {
        wasm_v128_store(cp[i], acc0[i]);
        wasm_v128_store(cp[i] + 4, acc1[i]);
        cp[i] += 8;
      }
      nc -= 8;
      if (nc == 0) return;
      b += 8;
    } else {
      for (int i = MR - 1; i >= 0; --i) {
        float* o = cp[i];
        v128_t v = acc0[i];
        if (nc & 4) {
          wasm_v128_store(o, v);
          v = acc1[i];
          o += 4;
        }
        if (nc & 2) {
          o[0] = wasm_f32x4_extract_lane(v, 0);
          o[1] = wasm_f32x4_extract_lane(v, 1);
          v = wasm_i32x4_shuffle(v, v, 2, 3, 2, 3);
          o += 2;
        }
        if (nc & 1) o[0] = wasm_f32x4_extract_lane(v, 0);
      }
      return;
    }
  }
}

}  // namespace conv_detail
}  // namespace edgeinfer
#endif
