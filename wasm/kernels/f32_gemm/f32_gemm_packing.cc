// Packing of B into the microkernels' layout (see f32_gemm.h).
#include <cmath>

#include "kernels/f32_gemm/f32_gemm.h"

namespace edgeinfer {

void f32_gemm_pack_b(size_t k, size_t n, size_t nr, const float* b, size_t b_k_stride, size_t b_n_stride, float scale,
                     const float* bias, size_t bias_stride, float bias_scale, float* packed, ThreadPool* pool) {
  const int64_t blocks = static_cast<int64_t>((n + nr - 1) / nr);
  auto pack = [&](int64_t begin, int64_t end) {
    for (int64_t blk = begin; blk < end; ++blk) {
      const size_t n0 = static_cast<size_t>(blk) * nr;
      const size_t nb = n - n0 < nr ? n - n0 : nr;
      float* out = packed + static_cast<size_t>(blk) * nr * (k + 1);
      for (size_t j = 0; j < nr; ++j) out[j] = (bias && j < nb) ? bias[(n0 + j) * bias_stride] * bias_scale : 0.0f;
      out += nr;
      if (b_n_stride == 1) {
        for (size_t p = 0; p < k; ++p, out += nr) {
          const float* row = b + p * b_k_stride + n0;
          size_t j = 0;
          if (scale == 1.0f)
            for (; j < nb; ++j) out[j] = row[j];
          else
            for (; j < nb; ++j) out[j] = row[j] * scale;
          for (; j < nr; ++j) out[j] = 0.0f;
        }
      } else {
        // Transposed B: walk each column once (contiguous reads), writing with stride nr.
        for (size_t j = 0; j < nr; ++j) {
          if (j < nb) {
            const float* col = b + (n0 + j) * b_n_stride;
            for (size_t p = 0; p < k; ++p) out[p * nr + j] = col[p * b_k_stride] * scale;
          } else {
            for (size_t p = 0; p < k; ++p) out[p * nr + j] = 0.0f;
          }
        }
      }
    }
  };
  if (pool && pool->num_threads() > 1 && static_cast<int64_t>(k) * blocks > 4096)
    pool->parallel_for(blocks, 0, [&](int64_t b, int64_t e) { pack(b, e); });
  else
    pack(0, blocks);
}

}  // namespace edgeinfer
