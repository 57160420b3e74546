// 4x8 convolution microkernel in plain C++ (the baseline wasm build without SIMD), plus the naive
// reference loop and the runtime's choice of variant (see f32_conv_ukernel.h).
#include <algorithm>

#include "kernels/f32_conv/f32_conv_ukernel.h"

namespace edgeinfer {

namespace {

inline float epilogue(float v, const F32ConvParams& p) {
  if (p.leaky && !(v >= 0.0f)) v *= p.alpha;
  return std::min(std::max(v, p.min), p.max);
}

}  // namespace

void f32_conv_4x8__scalar(size_t mr, size_t nc, size_t kc, const float* w, const float* b, const int32_t* koff,
                          float* c, size_t ldc, const F32ConvParams& params) {
  constexpr int MR = 4, NR = 8;
  for (size_t j0 = 0; j0 < nc; j0 += NR) {
    float acc[MR][NR];
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) acc[i][j] = w[i];
    const float* wk = w + MR;
    for (size_t k = 0; k < kc; ++k, wk += MR) {
      const float* bk = b + koff[k] + j0;
      for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j) acc[i][j] += wk[i] * bk[j];
    }
    const size_t n = std::min(nc - j0, static_cast<size_t>(NR));
    for (size_t i = 0; i < mr; ++i)
      for (size_t j = 0; j < n; ++j) c[i * ldc + j0 + j] = epilogue(acc[i][j], params);
  }
}

void f32_conv_ukernel_reference(int mr_tile, size_t mr, size_t nc, size_t kc, const float* w, const float* b,
                                const int32_t* koff, float* c, size_t ldc, const F32ConvParams& params) {
  for (size_t i = 0; i < mr; ++i)
    for (size_t j = 0; j < nc; ++j) {
      double acc = w[i];
      for (size_t k = 0; k < kc; ++k) acc += double(w[mr_tile * (k + 1) + i]) * b[koff[k] + j];
      c[i * ldc + j] = epilogue(static_cast<float>(acc), params);
    }
}

const F32ConvUConfig& f32_conv_ukernel_config() {
#if defined(__wasm_simd128__) || defined(EDGEINFER_USE_SIMDE)
  static const F32ConvUConfig cfg{f32_conv_4x8__simd128, 4, "4x8__simd128"};
#else
  static const F32ConvUConfig cfg{f32_conv_4x8__scalar, 4, "4x8__scalar"};
#endif
  return cfg;
}

}  // namespace edgeinfer
