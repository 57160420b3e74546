// Scalar 4x8 quantized GEMM microkernel over the packed layout (the baseline wasm build uses it).
#include <cstring>

#include "kernels/q8_gemm/q8_gemm.h"

namespace edgeinfer {
namespace {

template <int MR, Q8Type kOut>
void q8_gemm_scalar(size_t mr, size_t nc, size_t kc, const int16_t* a, const int16_t* w, void* c, size_t cm_stride,
                    size_t n0, const Q8GemmOutput& out) {
  constexpr size_t NR = kQ8GemmNR;
  const size_t kp = (kc + 1) / 2;
  for (;;) {
    int32_t bias[NR];
    std::memcpy(bias, w, sizeof bias);
    const int16_t* wk = w + 16;
    const size_t ncb = nc < NR ? nc : NR;
    for (size_t i = 0; i < mr; ++i) {
      const int16_t* ar = a + 2 * i;  // packed A: [k pair][MR rows][2]
      uint32_t acc[NR];
      for (size_t j = 0; j < NR; ++j) acc[j] = static_cast<uint32_t>(bias[j]);
      for (size_t p = 0; p < kc; ++p) {
        const int32_t av = ar[(p / 2) * 2 * MR + (p & 1)];
        const int16_t* wp = wk + 16 * (p / 2) + (p & 1);
        for (size_t j = 0; j < NR; ++j) acc[j] += static_cast<uint32_t>(av * wp[2 * j]);
      }
      for (size_t j = 0; j < ncb; ++j) q8_store_scalar(static_cast<int32_t>(acc[j]), n0 + j, out, c, i * cm_stride + j);
    }
    if (nc <= NR) return;
    nc -= NR;
    n0 += NR;
    w += 16 * (1 + kp);
    c = static_cast<uint8_t*>(c) + NR * q8_type_size(kOut);
  }
}

}  // namespace

const Q8GemmConfig& q8_gemm_4x8c2__scalar() {
  static const Q8GemmConfig cfg{{q8_gemm_scalar<4, Q8Type::kU8>, q8_gemm_scalar<4, Q8Type::kS8>,
                                 q8_gemm_scalar<4, Q8Type::kI32>, q8_gemm_scalar<4, Q8Type::kF32>},
                                4, 8, 2, "4x8c2__scalar"};
  return cfg;
}

}  // namespace edgeinfer
