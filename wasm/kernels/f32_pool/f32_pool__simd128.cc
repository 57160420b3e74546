#include <algorithm>

#include "kernels/f32_pool/f32_pool.h"

#if EDGEINFER_SIMD128
namespace edgeinfer::kernels {
namespace {

inline int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
inline int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Four outputs at stride s_w (1 or 2) starting at input column c (all reads inside the row).
template <int kStride>
inline v128_t load4(const float* row, int64_t c) {
  if constexpr (kStride == 1) {
    return wasm_v128_load(row + c);
  } else {
    const v128_t a = wasm_v128_load(row + c), b = wasm_v128_load(row + c + 3);
    // lanes c, c+2 from a; c+4, c+6 from b (= lanes 1, 3 of the load at c+3)
    return wasm_i32x4_shuffle(a, b, 0, 2, 5, 7);
  }
}

template <int kStride>
void interior(const float* x, float* yrow, const F32Pool2dParams& p, int64_t oy, int64_t ox_begin, int64_t ox_end) {
  const int64_t y0 = oy * p.s_h - p.pad_t;
  int64_t ky_lo = 0, ky_hi = p.k_h;  // valid rows ky in [ky_lo, ky_hi)
  while (ky_lo < p.k_h && y0 + ky_lo * p.d_h < 0) ++ky_lo;
  while (ky_hi > ky_lo && y0 + (ky_hi - 1) * p.d_h >= p.in_h) --ky_hi;
  int64_t rows = ky_hi - ky_lo;
  if (p.count_include_pad) {
    rows = 0;
    for (int64_t ky = 0; ky < p.k_h; ++ky) {
      const int64_t iy = y0 + ky * p.d_h;
      rows += iy >= -p.pad_t && iy < p.in_h + p.pad_b;
    }
  }
  const v128_t inv = wasm_f32x4_splat(rows > 0 ? 1.0f / static_cast<float>(rows * p.k_w) : 0.0f);
  for (int64_t ox = ox_begin; ox + 4 <= ox_end; ox += 4) {
    const int64_t c0 = ox * kStride - p.pad_l;
    v128_t acc = wasm_f32x4_splat(p.is_max ? -__builtin_inff() : 0.0f);
    for (int64_t ky = ky_lo; ky < ky_hi; ++ky) {
      const float* row = x + (y0 + ky * p.d_h) * p.in_w;
      for (int64_t kx = 0; kx < p.k_w; ++kx) {
        const v128_t v = load4<kStride>(row, c0 + kx * p.d_w);
        acc = p.is_max ? wasm_f32x4_max(acc, v) : wasm_f32x4_add(acc, v);
      }
    }
    if (!p.is_max) acc = wasm_f32x4_mul(acc, inv);
    wasm_v128_store(yrow + ox, acc);
  }
}

// 2x2 max pooling at stride 2 without pads (the common downsampling step): 4 outputs from two
// 8-float loads per input row, any width (the partial windows of ceil_mode take the general loop).
void max2x2s2(const float* x, float* y, const F32Pool2dParams& p) {
  const int64_t full_h = std::min(p.out_h, p.in_h / 2), full_w = std::min(p.out_w, p.in_w / 2);
  for (int64_t oy = 0; oy < p.out_h; ++oy) {
    float* yrow = y + oy * p.out_w;
    int64_t ox = 0;
    if (oy < full_h) {
      const float* r0 = x + 2 * oy * p.in_w;
      const float* r1 = r0 + p.in_w;
      for (; ox + 4 <= full_w; ox += 4) {
        const v128_t a = wasm_f32x4_max(wasm_v128_load(r0 + 2 * ox), wasm_v128_load(r1 + 2 * ox));
        const v128_t b = wasm_f32x4_max(wasm_v128_load(r0 + 2 * ox + 4), wasm_v128_load(r1 + 2 * ox + 4));
        wasm_v128_store(yrow + ox, wasm_f32x4_max(wasm_i32x4_shuffle(a, b, 0, 2, 4, 6), wasm_i32x4_shuffle(a, b, 1, 3, 5, 7)));
      }
      for (; ox < full_w; ++ox) {
        const float m0 = std::max(r0[2 * ox], r0[2 * ox + 1]), m1 = std::max(r1[2 * ox], r1[2 * ox + 1]);
        // NaN propagates like the reference loop.
        const float v[4] = {r0[2 * ox], r0[2 * ox + 1], r1[2 * ox], r1[2 * ox + 1]};
        bool nan = false;
        for (float e : v) nan |= e != e;
        yrow[ox] = nan ? f32_pool2d_at(x, p, oy, ox) : std::max(m0, m1);
      }
    }
    for (; ox < p.out_w; ++ox) yrow[ox] = f32_pool2d_at(x, p, oy, ox);
  }
}

}  // namespace

void f32_pool2d__simd128(const float* x, float* y, const F32Pool2dParams& p) {
  if (p.is_max && p.k_h == 2 && p.k_w == 2 && p.s_h == 2 && p.s_w == 2 && p.d_h == 1 && p.d_w == 1 && p.pad_t == 0 &&
      p.pad_l == 0)
    return max2x2s2(x, y, p);
  if ((p.s_w != 1 && p.s_w != 2) || p.out_w < 4) return f32_pool2d__ref(x, y, p);
  // Interior columns: every window column inside [0, in_w); for stride 2 the vector load reads
  // one column further than the last window column, which must also be inside the row.
  const int64_t span = (p.k_w - 1) * p.d_w + (p.s_w == 2 ? 1 : 0);
  const int64_t ox_lo = std::max<int64_t>(0, ceil_div(p.pad_l, p.s_w));
  const int64_t ox_hi = std::min<int64_t>(p.out_w, floor_div(p.in_w - 1 - span + p.pad_l, p.s_w) + 1);
  for (int64_t oy = 0; oy < p.out_h; ++oy) {
    float* yrow = y + oy * p.out_w;
    int64_t vec_end = ox_lo;
    if (ox_hi - ox_lo >= 4) {
      vec_end = ox_lo + (ox_hi - ox_lo) / 4 * 4;
      if (p.s_w == 1) interior<1>(x, yrow, p, oy, ox_lo, vec_end);
      else interior<2>(x, yrow, p, oy, ox_lo, vec_end);
    }
    for (int64_t ox = 0; ox < p.out_w; ++ox) {
      if (ox >= ox_lo && ox < vec_end) continue;
      yrow[ox] = f32_pool2d_at(x, p, oy, ox);
    }
  }
}

}  // namespace edgeinfer::kernels
#endif
