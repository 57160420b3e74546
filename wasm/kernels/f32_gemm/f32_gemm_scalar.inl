// The body shared by the scalar GEMM microkernels (the baseline wasm build without SIMD uses them).
#pragma once

#include <algorithm>

#include "kernels/f32_gemm/f32_gemm.h"

namespace edgeinfer {
namespace gemm_detail {

template <int MR, int NR>
inline void f32_gemm_scalar(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                            float* c, size_t cm_stride, const F32MinMax& params) {
  const float* ap[MR];
  float* cp[MR];
  ap[0] = a;
  cp[0] = c;
  for (int i = 1; i < MR; ++i) {
    const bool valid = static_cast<size_t>(i) < mr;
    ap[i] = valid ? ap[i - 1] + a_stride : ap[i - 1];
    cp[i] = valid ? cp[i - 1] + cm_stride : cp[i - 1];
  }
  for (;;) {
    float acc[MR][NR];
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) acc[i][j] = w[j];
    w += NR;
    for (size_t k = 0; k < kc; ++k) {
      for (int i = 0; i < MR; ++i) {
        const float av = ap[i][k];
        for (int j = 0; j < NR; ++j) acc[i][j] += av * w[j];
      }
      w += NR;
    }
    const size_t n = std::min(nc, static_cast<size_t>(NR));
    for (int i = MR - 1; i >= 0; --i) {
      for (size_t j = 0; j < n; ++j) cp[i][j] = std::min(std::max(acc[i][j], params.min), params.max);
      cp[i] += NR;
    }
    if (nc <= static_cast<size_t>(NR)) return;
    nc -= NR;
  }
}

}  // namespace gemm_detail
}  // namespace edgeinfer
