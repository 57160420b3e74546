// 256-entry byte lookup (see q8_lookup.h).
#include "kernels/q8_lookup/q8_lookup.h"

#include <cstring>

#include "kernels/simd.h"

namespace edgeinfer {

void q8_lookup_reference(const uint8_t* table, const uint8_t* x, uint8_t* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = table[x[i]];
}

void q8_lookup(const uint8_t* table, const uint8_t* x, uint8_t* y, size_t n) {
#if EDGEINFER_SIMD128
  v128_t t[16];
  for (int k = 0; k < 16; ++k) t[k] = wasm_v128_load(table + 16 * k);
  const v128_t sixteen = wasm_i8x16_splat(16);
  auto block = [&](const uint8_t* in, uint8_t* out) {
    v128_t idx = wasm_v128_load(in);
    v128_t r = wasm_i8x16_swizzle(t[0], idx);
    for (int k = 1; k < 16; ++k) {
      idx = wasm_i8x16_sub(idx, sixteen);  // slice k's entries at 0..15, every other index >= 16
      r = wasm_v128_or(r, wasm_i8x16_swizzle(t[k], idx));
    }
    wasm_v128_store(out, r);
  };
  size_t i = 0;
  for (; i + 16 <= n; i += 16) block(x + i, y + i);
  if (i < n) {
    alignas(16) uint8_t tx[16] = {0}, ty[16];
    std::memcpy(tx, x + i, n - i);
    block(tx, ty);
    std::memcpy(y + i, ty, n - i);
  }
#else
  q8_lookup_reference(table, x, y, n);
#endif
}

}  // namespace edgeinfer
