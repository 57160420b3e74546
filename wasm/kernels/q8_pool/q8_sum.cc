// Sums of 8-bit runs (see q8_sum.h).
#include "kernels/q8_pool/q8_sum.h"

#include "kernels/simd.h"

namespace edgeinfer {

int32_t q8_sum_reference(const void* x, size_t n, bool is_signed) {
  uint32_t acc = 0;
  for (size_t i = 0; i < n; ++i)
    acc += static_cast<uint32_t>(is_signed ? static_cast<int32_t>(static_cast<const int8_t*>(x)[i])
                                           : static_cast<int32_t>(static_cast<const uint8_t*>(x)[i]));
  return static_cast<int32_t>(acc);
}

int32_t q8_sum(const void* x, size_t n, bool is_signed) {
#if EDGEINFER_SIMD128
  const uint8_t* p = static_cast<const uint8_t*>(x);
  v128_t acc = wasm_i32x4_splat(0);
  size_t i = 0;
  if (is_signed)
    for (; i + 16 <= n; i += 16)
      acc = wasm_i32x4_add(acc, wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_extadd_pairwise_i8x16(wasm_v128_load(p + i))));
  else
    for (; i + 16 <= n; i += 16)
      acc = wasm_i32x4_add(acc, wasm_u32x4_extadd_pairwise_u16x8(wasm_u16x8_extadd_pairwise_u8x16(wasm_v128_load(p + i))));
  const uint32_t head = static_cast<uint32_t>(wasm_i32x4_extract_lane(acc, 0)) +
                        static_cast<uint32_t>(wasm_i32x4_extract_lane(acc, 1)) +
                        static_cast<uint32_t>(wasm_i32x4_extract_lane(acc, 2)) +
                        static_cast<uint32_t>(wasm_i32x4_extract_lane(acc, 3));
  return static_cast<int32_t>(head + static_cast<uint32_t>(q8_sum_reference(p + i, n - i, is_signed)));
#else
  return q8_sum_reference(x, n, is_signed);
#endif
}

}  // namespace edgeinfer
