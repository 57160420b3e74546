// The definition of q8_gemm (see q8_gemm.h) as a plain triple loop, and the scalar output stage.
#include <algorithm>
#include <cmath>

#include "kernels/q8_gemm/q8_gemm.h"

namespace edgeinfer {

size_t q8_type_size(Q8Type t) { return (t == Q8Type::kI32 || t == Q8Type::kF32) ? 4 : 1; }

void q8_store_scalar(int32_t acc, size_t n, const Q8GemmOutput& out, void* c, size_t index) {
  switch (out.type) {
    case Q8Type::kI32: static_cast<int32_t*>(c)[index] = acc; return;
    case Q8Type::kF32: {
      const float s = out.scale ? out.scale[out.per_column ? n : 0] : 1.0f;
      float v = static_cast<float>(acc) * s;
      if (out.fbias) v += out.fbias[n];
      static_cast<float*>(c)[index] = v;
      return;
    }
    default: {
      float v = std::nearbyint(static_cast<float>(acc) * out.scale[out.per_column ? n : 0]);
      v += static_cast<float>(out.zero_point);
      v = std::min(std::max(v, static_cast<float>(out.qmin)), static_cast<float>(out.qmax));
      if (out.type == Q8Type::kU8)
        static_cast<uint8_t*>(c)[index] = static_cast<uint8_t>(static_cast<int32_t>(v));
      else
        static_cast<int8_t*>(c)[index] = static_cast<int8_t>(static_cast<int32_t>(v));
    }
  }
}

namespace {
inline int32_t load8(const void* p, Q8Type t, size_t i) {
  return t == Q8Type::kU8 ? static_cast<const uint8_t*>(p)[i] : static_cast<const int8_t*>(p)[i];
}
}  // namespace

void q8_gemm_reference(int64_t m, int64_t n, int64_t k, const void* a, Q8Type a_type, int64_t lda, int32_t a_zp,
                       const void* b, Q8Type b_type, int64_t ldb, const void* b_zp, size_t b_zp_stride,
                       const int32_t* bias, void* c, int64_t ldc, const Q8GemmOutput& out) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      const int32_t bz = b_zp ? load8(b_zp, b_type, static_cast<size_t>(j) * b_zp_stride) : 0;
      // uint32: accumulation wraps mod 2^32 (as in the kernels) without undefined behaviour.
      uint32_t acc = bias ? static_cast<uint32_t>(bias[j]) : 0u;
      for (int64_t p = 0; p < k; ++p)
        acc += static_cast<uint32_t>((load8(a, a_type, i * lda + p) - a_zp) * (load8(b, b_type, p * ldb + j) - bz));
      q8_store_scalar(static_cast<int32_t>(acc), j, out, c, i * ldc + j);
    }
}

}  // namespace edgeinfer
