// 2-D max / average pooling of one NCHW plane, any kernel, stride, dilation and padding.
// Padding is implicit: window positions outside [0, in) are skipped. For average pooling the
// divisor counts the window positions inside the input, or with count_include_pad those inside
// the padded extent [-pad_top, in_h + pad_bottom) (positions past it, from ceil_mode, never count).
// The SIMD variant vectorises four output columns at a time over the interior (windows fully inside
// the row) for strides 1 and 2, and falls back to the reference loop elsewhere.
#pragma once

#include <cstdint>

#include "kernels/simd.h"

namespace edgeinfer::kernels {

struct F32Pool2dParams {
  int64_t in_h, in_w, out_h, out_w;
  int64_t k_h, k_w, s_h, s_w, d_h, d_w;
  int64_t pad_t, pad_l, pad_b, pad_r;
  bool is_max;
  bool count_include_pad;
};

void f32_pool2d__ref(const float* x, float* y, const F32Pool2dParams& p);
#if EDGEINFER_SIMD128
void f32_pool2d__simd128(const float* x, float* y, const F32Pool2dParams& p);
#endif

inline void f32_pool2d(const float* x, float* y, const F32Pool2dParams& p) {
#if EDGEINFER_SIMD128
  f32_pool2d__simd128(x, y, p);
#else
  f32_pool2d__ref(x, y, p);
#endif
}

// One output element of the reference loop (shared with the SIMD variant for borders).
inline float f32_pool2d_at(const float* x, const F32Pool2dParams& p, int64_t oy, int64_t ox) {
  const int64_t y0 = oy * p.s_h - p.pad_t, x0 = ox * p.s_w - p.pad_l;
  float acc = p.is_max ? -__builtin_inff() : 0.0f;
  int64_t count = 0;
  for (int64_t ky = 0; ky < p.k_h; ++ky) {
    const int64_t iy = y0 + ky * p.d_h;
    const bool row_in = iy >= 0 && iy < p.in_h;
    const bool row_padded = iy >= -p.pad_t && iy < p.in_h + p.pad_b;
    for (int64_t kx = 0; kx < p.k_w; ++kx) {
      const int64_t ix = x0 + kx * p.d_w;
      const bool in = row_in && ix >= 0 && ix < p.in_w;
      if (in) {
        const float v = x[iy * p.in_w + ix];
        if (p.is_max) acc = (v > acc || v != v) ? v : acc;
        else acc += v;
      }
      if (p.count_include_pad ? (row_padded && ix >= -p.pad_l && ix < p.in_w + p.pad_r) : in) ++count;
    }
  }
  if (p.is_max) return acc;
  return count > 0 ? acc / static_cast<float>(count) : 0.0f;
}

}  // namespace edgeinfer::kernels
