// Packing of B into the microkernels' layout (see q8_gemm.h), with the zero points folded in.
#include <atomic>

#include "kernels/q8_gemm/q8_gemm.h"

namespace edgeinfer {

bool q8_gemm_pack_b(size_t kr, size_t k, size_t n, const void* b, Q8Type b_type, size_t b_k_stride,
                    size_t b_n_stride, const void* b_zp, size_t b_zp_stride, const int32_t* bias, Q8Type a_type,
                    int32_t a_zp, int16_t* packed, ThreadPool* pool) {
  constexpr size_t NR = kQ8GemmNR;
  const size_t groups = (k + kr - 1) / kr;
  const size_t block = 16 * (1 + groups);
  const int64_t blocks = static_cast<int64_t>((n + NR - 1) / NR);
  const int32_t zp_eff = q8_gemm_a_zero_point(kr, a_type, a_zp);
  const bool bu8 = b_type == Q8Type::kU8;
  auto ld = [&](const void* p, size_t i) -> int32_t {
    return bu8 ? static_cast<const uint8_t*>(p)[i] : static_cast<const int8_t*>(p)[i];
  };
  std::atomic<bool> fits{true};
  auto pack = [&](int64_t begin, int64_t end) {
    for (int64_t blk = begin; blk < end; ++blk) {
      const size_t n0 = static_cast<size_t>(blk) * NR;
      int16_t* out = packed + static_cast<size_t>(blk) * block;
      // KR = 2: element (k, j) at int16 [16 * (k / 2) + 2 * j + k % 2]; KR = 4: at byte [32 * (k / 4) + 4 * j + k % 4].
      int16_t* o16 = out + 16;
      int8_t* o8 = reinterpret_cast<int8_t*>(out + 16);
      auto put = [&](size_t p, size_t j, int32_t v) {
        if (kr == 4)
          o8[32 * (p / 4) + 4 * j + (p & 3)] = static_cast<int8_t>(v);
        else
          o16[16 * (p / 2) + 2 * j + (p & 1)] = static_cast<int16_t>(v);
      };
      int32_t bias_out[NR];
      for (size_t j = 0; j < NR; ++j) {
        const size_t col = n0 + j;
        if (col >= n) {
          for (size_t p = 0; p < groups * kr; ++p) put(p, j, 0);
          bias_out[j] = 0;
          continue;
        }
        const int32_t bz = b_zp ? ld(b_zp, col * b_zp_stride) : 0;
        uint32_t colsum = 0;
        for (size_t p = 0; p < k; ++p) {
          const int32_t v = ld(b, p * b_k_stride + col * b_n_stride) - bz;
          if (kr == 4 && (v < -128 || v > 127)) {
            fits.store(false, std::memory_order_relaxed);
            return;
          }
          put(p, j, v);
          colsum += static_cast<uint32_t>(v);
        }
        for (size_t p = k; p < groups * kr; ++p) put(p, j, 0);
        const uint32_t bi = bias ? static_cast<uint32_t>(bias[col]) : 0u;
        bias_out[j] = static_cast<int32_t>(bi - static_cast<uint32_t>(zp_eff) * colsum);
      }
      for (size_t j = 0; j < NR; ++j) {
        // Stored as two int16 halves in memory order of an int32 (little endian, like wasm).
        const uint32_t u = static_cast<uint32_t>(bias_out[j]);
        out[2 * j] = static_cast<int16_t>(u & 0xffff);
        out[2 * j + 1] = static_cast<int16_t>(u >> 16);
      }
    }
  };
  if (pool && pool->num_threads() > 1 && static_cast<int64_t>(k) * blocks > 4096)
    pool->parallel_for(blocks, 0, [&](int64_t bb, int64_t e) { pack(bb, e); });
  else
    pack(0, blocks);
  return fits.load();
}

void q8_gemm_column_sums(size_t k, size_t n, const void* b, Q8Type b_type, size_t b_k_stride, size_t b_n_stride,
                         const void* b_zp, size_t b_zp_stride, int32_t* colsum) {
  const bool bu8 = b_type == Q8Type::kU8;
  auto ld = [&](const void* p, size_t i) -> int32_t {
    return bu8 ? static_cast<const uint8_t*>(p)[i] : static_cast<const int8_t*>(p)[i];
  };
  for (size_t col = 0; col < n; ++col) {
    const int32_t bz = b_zp ? ld(b_zp, col * b_zp_stride) : 0;
    uint32_t sum = 0;
    for (size_t p = 0; p < k; ++p) sum += static_cast<uint32_t>(ld(b, p * b_k_stride + col * b_n_stride) - bz);
    colsum[col] = static_cast<int32_t>(sum);
  }
}

void q8_gemm_set_bias(size_t kr, size_t k, size_t n, const int32_t* bias, const int32_t* colsum, Q8Type a_type,
                      int32_t a_zp, int16_t* packed) {
  constexpr size_t NR = kQ8GemmNR;
  const size_t block = 16 * (1 + (k + kr - 1) / kr);
  const uint32_t zp_eff = static_cast<uint32_t>(q8_gemm_a_zero_point(kr, a_type, a_zp));
  for (size_t col = 0; col < n; ++col) {
    const uint32_t bi = bias ? static_cast<uint32_t>(bias[col]) : 0u;
    const uint32_t u = bi - zp_eff * static_cast<uint32_t>(colsum[col]);
    int16_t* out = packed + col / NR * block + 2 * (col % NR);
    out[0] = static_cast<int16_t>(u & 0xffff);
    out[1] = static_cast<int16_t>(u >> 16);
  }
}

}  // namespace edgeinfer
