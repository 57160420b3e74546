// 4x8c2 quantized convolution microkernel in plain C++ (the baseline wasm build without SIMD), the
// naive reference loop, and the runtime's choice of variant (see q8_conv_ukernel.h).
#include <cstring>

#include "kernels/q8_conv/q8_conv_ukernel.h"

namespace edgeinfer {
namespace {

inline int32_t bias_of(const int16_t* w, size_t i) {
  int32_t b;
  std::memcpy(&b, w + 2 * i, sizeof b);
  return b;
}

// One function for every output type: q8_store_scalar dispatches on out.type.
void q8_conv_scalar(size_t mr, size_t nc, size_t kc, const int16_t* w, const int16_t* b, const int32_t* koff,
                    void* c, size_t ldc, size_t m0, const Q8GemmOutput& out) {
  constexpr size_t MR = 4, NR = 8;
  const int16_t* wk0 = w + 2 * MR;
  for (size_t j0 = 0; j0 < nc; j0 += NR, b += 16) {
    // uint32: accumulation wraps mod 2^32 without undefined behaviour.
    uint32_t acc[MR][NR];
    for (size_t i = 0; i < MR; ++i)
      for (size_t j = 0; j < NR; ++j) acc[i][j] = static_cast<uint32_t>(bias_of(w, i));
    const int16_t* wk = wk0;
    for (size_t t = 0; t < kc; ++t, wk += 2 * MR) {
      const int16_t* bt = b + koff[t];
      for (size_t i = 0; i < MR; ++i) {
        const int32_t w0 = wk[2 * i], w1 = wk[2 * i + 1];
        for (size_t j = 0; j < NR; ++j) acc[i][j] += static_cast<uint32_t>(w0 * bt[2 * j] + w1 * bt[2 * j + 1]);
      }
    }
    const size_t n = nc - j0 < NR ? nc - j0 : NR;
    for (size_t i = 0; i < mr; ++i)
      for (size_t j = 0; j < n; ++j) q8_store_scalar(static_cast<int32_t>(acc[i][j]), m0 + i, out, c, i * ldc + j0 + j);
  }
}

}  // namespace

void q8_conv_ukernel_reference(int mr_tile, size_t mr, size_t nc, size_t kc, const int16_t* w, const int16_t* b,
                               const int32_t* koff, void* c, size_t ldc, size_t m0, const Q8GemmOutput& out) {
  for (size_t i = 0; i < mr; ++i)
    for (size_t j = 0; j < nc; ++j) {
      uint32_t acc = static_cast<uint32_t>(bias_of(w, i));
      for (size_t k = 0; k < 2 * kc; ++k) {
        const int32_t wv = w[2 * static_cast<size_t>(mr_tile) * (1 + k / 2) + 2 * i + k % 2];
        acc += static_cast<uint32_t>(wv * b[koff[k / 2] + 2 * j + k % 2]);
      }
      q8_store_scalar(static_cast<int32_t>(acc), m0 + i, out, c, i * ldc + j);
    }
}

const Q8ConvUConfig& q8_conv_4x8c2__scalar() {
  static const Q8ConvUConfig cfg{{q8_conv_scalar, q8_conv_scalar, q8_conv_scalar, q8_conv_scalar},
                                 4,
                                 "4x8c2__scalar"};
  return cfg;
}

const Q8ConvUConfig& q8_conv_ukernel_config() {
#if defined(__wasm_simd128__) || defined(EDGEINFER_USE_SIMDE)
  return q8_conv_4x8c2__simd128();
#else
  return q8_conv_4x8c2__scalar();
#endif
}

}  // namespace edgeinfer
