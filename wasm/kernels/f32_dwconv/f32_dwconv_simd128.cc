// Depthwise convolution over a zero-padded plane (see f32_dwconv.h): SIMD128 over output columns,
// scalar code when the build has no SIMD.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "kernels/f32_dwconv/f32_dwconv.h"
#include "kernels/f32_gemm/f32_gemm.h"
#include "kernels/simd.h"

namespace edgeinfer {
namespace {

constexpr int kMaxSlots = kDwConvMaxSlots;

struct PlaneDims {
  int64_t ph, pw, ow4;
};

PlaneDims plane_dims(const DwConv2dParams& p) {
  PlaneDims d;
  d.ow4 = (p.ow + 3) / 4 * 4;
  d.ph = (p.oh - 1) * p.sh + (p.kh - 1) * p.dh + 1;
  // Vector loads of the last (partial) group of 4 columns, and the 8-float loads of stride 2, stay inside.
  d.pw = (d.ow4 - 1) * p.sw + (p.kw - 1) * p.dw + 1 + 4;
  return d;
}

void fill_plane(const DwConv2dParams& p, const PlaneDims& d, const float* xc, float* plane) {
  for (int64_t r = 0; r < d.ph; ++r) {
    float* row = plane + r * d.pw;
    const int64_t iy = r - p.pad_top;
    if (iy < 0 || iy >= p.ih) {
      std::fill(row, row + d.pw, 0.0f);
      continue;
    }
    // Columns [pad_left, pad_left + iw) come from the input, clipped to the plane.
    const int64_t c0 = std::max<int64_t>(0, p.pad_left), c1 = std::min<int64_t>(d.pw, p.pad_left + p.iw);
    std::fill(row, row + std::min(c0, d.pw), 0.0f);
    if (c1 > c0) std::memcpy(row + c0, xc + iy * p.iw + (c0 - p.pad_left), static_cast<size_t>(c1 - c0) * sizeof(float));
    std::fill(row + std::max(c0, c1), row + d.pw, 0.0f);
  }
}

#if EDGEINFER_SIMD128
inline v128_t dw_load(const float* src, int64_t sw) {
  if (sw == 1) return wasm_v128_load(src);
  if (sw == 2) return wasm_i32x4_shuffle(wasm_v128_load(src), wasm_v128_load(src + 4), 0, 2, 4, 6);
  return wasm_f32x4_make(src[0], src[sw], src[2 * sw], src[3 * sw]);
}

// Fixed kernel and stride (dilation 1): the weights live in registers (loaded once per plane: the
// output stores could alias them, so the compiler would reload them per tap) and 8 outputs per step
// keep two independent accumulator chains in flight instead of one latency-bound chain of KH*KW adds.
template <int KH, int KW, int S>
void dw_plane_fixed(const DwConv2dParams& p, const PlaneDims& d, const float* plane, const float* w, float bias,
                    float* yc, const F32MinMax& mm, const Activation& act, bool post) {
  v128_t wv[KH * KW];
  for (int t = 0; t < KH * KW; ++t) wv[t] = wasm_f32x4_splat(w[t]);
  const v128_t vb = wasm_f32x4_splat(bias);
  const v128_t vmin = wasm_f32x4_splat(mm.min), vmax = wasm_f32x4_splat(mm.max);
  for (int64_t oy = 0; oy < p.oh; ++oy) {
    float* yr = yc + oy * p.ow;
    const float* base = plane + oy * S * d.pw;
    int64_t ox = 0;
    for (; ox + 8 <= p.ow; ox += 8) {
      v128_t acc0 = vb, acc1 = vb;
      for (int ky = 0; ky < KH; ++ky) {
        const float* row = base + ky * d.pw + ox * S;
        for (int kx = 0; kx < KW; ++kx) {
          acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(dw_load(row + kx, S), wv[ky * KW + kx]));
          acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(dw_load(row + kx + 4 * S, S), wv[ky * KW + kx]));
        }
      }
      wasm_v128_store(yr + ox, wasm_f32x4_pmin(wasm_f32x4_pmax(acc0, vmin), vmax));
      wasm_v128_store(yr + ox + 4, wasm_f32x4_pmin(wasm_f32x4_pmax(acc1, vmin), vmax));
    }
    for (; ox < d.ow4; ox += 4) {
      v128_t acc = vb;
      for (int ky = 0; ky < KH; ++ky) {
        const float* row = base + ky * d.pw + ox * S;
        for (int kx = 0; kx < KW; ++kx) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(dw_load(row + kx, S), wv[ky * KW + kx]));
      }
      acc = wasm_f32x4_pmin(wasm_f32x4_pmax(acc, vmin), vmax);
      if (ox + 4 <= p.ow) {
        wasm_v128_store(yr + ox, acc);
      } else {
        float tmp[4];
        wasm_v128_store(tmp, acc);
        for (int64_t j = 0; ox + j < p.ow; ++j) yr[ox + j] = tmp[j];
      }
    }
    if (post) act.apply(yr, static_cast<long>(p.ow));
  }
}
#endif

#if EDGEINFER_SIMD128
// KH/KW/S > 0: compile-time kernel and stride (dilation 1). 0: read from p.
template <int KH, int KW, int S>
void dw_plane(const DwConv2dParams& p, const PlaneDims& d, const float* plane, const float* w, float bias, float* yc,
              const F32MinMax& mm, const Activation& act, bool post) {
  const int64_t kh = KH ? KH : p.kh, kw = KW ? KW : p.kw, sh = S ? S : p.sh, sw = S ? S : p.sw;
  const int64_t dh = KH ? 1 : p.dh, dw = KW ? 1 : p.dw;
  const v128_t vmin = wasm_f32x4_splat(mm.min), vmax = wasm_f32x4_splat(mm.max), vb = wasm_f32x4_splat(bias);
  for (int64_t oy = 0; oy < p.oh; ++oy) {
    float* yr = yc + oy * p.ow;
    for (int64_t ox = 0; ox < d.ow4; ox += 4) {
      v128_t acc = vb;
      for (int64_t ky = 0; ky < kh; ++ky) {
        const float* row = plane + (oy * sh + ky * dh) * d.pw + ox * sw;
        for (int64_t kx = 0; kx < kw; ++kx) {
          const float* src = row + kx * dw;
          v128_t v;
          if (sw == 1) {
            v = wasm_v128_load(src);
          } else if (sw == 2) {
            v = wasm_i32x4_shuffle(wasm_v128_load(src), wasm_v128_load(src + 4), 0, 2, 4, 6);
          } else {
            v = wasm_f32x4_make(src[0], src[sw], src[2 * sw], src[3 * sw]);
          }
          acc = wasm_f32x4_add(acc, wasm_f32x4_mul(v, wasm_f32x4_splat(w[ky * kw + kx])));
        }
      }
      acc = wasm_f32x4_pmin(wasm_f32x4_pmax(acc, vmin), vmax);
      if (ox + 4 <= p.ow) {
        wasm_v128_store(yr + ox, acc);
      } else {
        float tmp[4];
        wasm_v128_store(tmp, acc);
        for (int64_t j = 0; ox + j < p.ow; ++j) yr[ox + j] = tmp[j];
      }
    }
    if (post) act.apply(yr, static_cast<long>(p.ow));
  }
}
#else
template <int KH, int KW, int S>
void dw_plane(const DwConv2dParams& p, const PlaneDims& d, const float* plane, const float* w, float bias, float* yc,
              const F32MinMax& mm, const Activation& act, bool post) {
  for (int64_t oy = 0; oy < p.oh; ++oy) {
    float* yr = yc + oy * p.ow;
    for (int64_t ox = 0; ox < p.ow; ++ox) {
      float acc = bias;
      for (int64_t ky = 0; ky < p.kh; ++ky) {
        const float* row = plane + (oy * p.sh + ky * p.dh) * d.pw + ox * p.sw;
        for (int64_t kx = 0; kx < p.kw; ++kx) acc += row[kx * p.dw] * w[ky * p.kw + kx];
      }
      yr[ox] = std::min(std::max(acc, mm.min), mm.max);
    }
    if (post) act.apply(yr, static_cast<long>(p.ow));
  }
}
#endif

using PlaneFn = void (*)(const DwConv2dParams&, const PlaneDims&, const float*, const float*, float, float*,
                         const F32MinMax&, const Activation&, bool);

PlaneFn select(const DwConv2dParams& p) {
  const bool d1 = p.dh == 1 && p.dw == 1, sq = p.sh == p.sw;
#if EDGEINFER_SIMD128
  if (d1 && sq && p.kh == 3 && p.kw == 3 && p.sh == 1) return dw_plane_fixed<3, 3, 1>;
  if (d1 && sq && p.kh == 3 && p.kw == 3 && p.sh == 2) return dw_plane_fixed<3, 3, 2>;
  if (d1 && sq && p.kh == 5 && p.kw == 5 && p.sh == 1) return dw_plane_fixed<5, 5, 1>;
  if (d1 && sq && p.kh == 5 && p.kw == 5 && p.sh == 2) return dw_plane_fixed<5, 5, 2>;
#else
  if (d1 && sq && p.kh == 3 && p.kw == 3 && p.sh == 1) return dw_plane<3, 3, 1>;
  if (d1 && sq && p.kh == 3 && p.kw == 3 && p.sh == 2) return dw_plane<3, 3, 2>;
  if (d1 && sq && p.kh == 5 && p.kw == 5 && p.sh == 1) return dw_plane<5, 5, 1>;
  if (d1 && sq && p.kh == 5 && p.kw == 5 && p.sh == 2) return dw_plane<5, 5, 2>;
#endif
  return dw_plane<0, 0, 0>;
}

}  // namespace

size_t f32_dwconv2d_scratch_bytes(const DwConv2dParams& p) {
  const PlaneDims d = plane_dims(p);
  return static_cast<size_t>((d.ph * d.pw + 15) / 16 * 16) * kMaxSlots * sizeof(float);
}

void f32_dwconv2d(const DwConv2dParams& p, const float* x, const float* w, const float* bias, float* y,
                  const Activation& act, ThreadPool* pool, void* scratch, size_t scratch_bytes) {
  if (p.oh <= 0 || p.ow <= 0 || p.batch * p.channels == 0) return;
  const PlaneDims d = plane_dims(p);
  const size_t slot_floats = static_cast<size_t>((d.ph * d.pw + 15) / 16 * 16);
  const int slots = static_cast<int>(std::min<size_t>(kMaxSlots, scratch_bytes / (slot_floats * sizeof(float))));
  if (slots < 1) return;
  const F32MinMax mm = f32_minmax_for(act);
  const bool post = activation_needs_post(act);
  const PlaneFn fn = select(p);
  const int64_t planes = p.batch * p.channels;
  auto work = [&](int slot, int64_t item) {
    const int64_t c = item % p.channels;
    float* plane = static_cast<float*>(scratch) + static_cast<size_t>(slot) * slot_floats;
    fill_plane(p, d, x + item * p.ih * p.iw, plane);
    fn(p, d, plane, w + c * p.kh * p.kw, bias ? bias[c] : 0.0f, y + item * p.oh * p.ow, mm, act, post);
  };
  const int threads = pool ? pool->num_threads() : 1;
  const int workers = static_cast<int>(std::min<int64_t>({threads, slots, planes}));
  if (workers <= 1) {
    for (int64_t i = 0; i < planes; ++i) work(0, i);
    return;
  }
  std::atomic<int64_t> next{0};
  pool->parallel_for(workers, 1, [&](int64_t b, int64_t e) {
    for (int64_t slot = b; slot < e; ++slot)
      for (int64_t i = next.fetch_add(1); i < planes; i = next.fetch_add(1)) work(static_cast<int>(slot), i);
  });
}

}  // namespace edgeinfer
