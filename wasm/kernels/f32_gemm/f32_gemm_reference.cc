// The plain triple loop every GEMM path is tested against.
#include "kernels/f32_gemm/f32_gemm.h"

namespace edgeinfer {

void f32_gemm_reference(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                        const float* bias, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = bias ? bias[j] : 0.0;
      for (int64_t p = 0; p < k; ++p) acc += static_cast<double>(a[i * lda + p]) * b[p * ldb + j];
      c[i * ldc + j] = static_cast<float>(acc);
    }
  }
}

}  // namespace edgeinfer
