// Quantized depthwise convolution (see q8_dwconv.h).
#include "kernels/q8_dwconv/q8_dwconv.h"

#include <algorithm>
#include <atomic>
#include <vector>

#include "kernels/simd.h"

namespace edgeinfer {
namespace {

int64_t padded_h(const DwConv2dParams& p) { return (p.oh - 1) * p.sh + (p.kh - 1) * p.dh + 1; }
// Rounded up by 8 so the 8-pixel loads of the last vector stay inside the row.
int64_t padded_w(const DwConv2dParams& p) { return ((p.ow - 1) * p.sw + (p.kw - 1) * p.dw + 1 + 7) / 8 * 8 + 8; }

inline int32_t ld8(const void* ptr, Q8Type t, int64_t i) {
  return t == Q8Type::kU8 ? static_cast<const uint8_t*>(ptr)[i] : static_cast<const int8_t*>(ptr)[i];
}

}  // namespace

size_t q8_dwconv2d_scratch_bytes(const DwConv2dParams& p, int slots) {
  return static_cast<size_t>(padded_h(p) * padded_w(p)) * sizeof(int16_t) *
         static_cast<size_t>(std::max(1, std::min(slots, kDwConvMaxSlots)));
}

void q8_dwconv2d(const DwConv2dParams& p, const void* x, Q8Type x_type, int32_t x_zp, const void* w, Q8Type w_type,
                 const void* w_zp, size_t w_zp_stride, const int32_t* bias, void* y, const Q8GemmOutput& out,
                 ThreadPool* pool, void* scratch, size_t scratch_bytes) {
  const int64_t ph = padded_h(p), pw = padded_w(p), ks = p.kh * p.kw;
  const size_t slot_bytes = static_cast<size_t>(ph * pw) * sizeof(int16_t);
  const int slots = static_cast<int>(std::max<size_t>(1, std::min<size_t>(kDwConvMaxSlots, scratch_bytes / slot_bytes)));
  const size_t es = q8_type_size(out.type);
  const int64_t n = p.batch * p.channels, P = p.oh * p.ow;
  auto work = [&](int slot, int64_t item) {
    const int64_t c = item % p.channels;
    int16_t* plane = reinterpret_cast<int16_t*>(static_cast<uint8_t*>(scratch) + static_cast<size_t>(slot) * slot_bytes);
    std::fill(plane, plane + ph * pw, int16_t{0});
    const int64_t q0 = std::max<int64_t>(0, p.pad_left), q1 = std::min<int64_t>(pw, p.pad_left + p.iw);
    for (int64_t r = 0; r < ph; ++r) {
      const int64_t iy = r - p.pad_top;
      if (iy < 0 || iy >= p.ih) continue;
      const int64_t base = (item * p.ih + iy) * p.iw - p.pad_left;
      int16_t* pr = plane + r * pw;
      if (x_type == Q8Type::kU8) {
        const uint8_t* xr = static_cast<const uint8_t*>(x) + base;
        for (int64_t q = q0; q < q1; ++q) pr[q] = static_cast<int16_t>(xr[q] - x_zp);
      } else {
        const int8_t* xr = static_cast<const int8_t*>(x) + base;
        for (int64_t q = q0; q < q1; ++q) pr[q] = static_cast<int16_t>(xr[q] - x_zp);
      }
    }
    const int32_t wz = w_zp ? ld8(w_zp, w_type, c * static_cast<int64_t>(w_zp_stride)) : 0;
    int16_t taps[64];
    std::vector<int16_t> big;
    int16_t* t = taps;
    if (ks > 64) {
      big.resize(static_cast<size_t>(ks));
      t = big.data();
    }
    for (int64_t i = 0; i < ks; ++i) t[i] = static_cast<int16_t>(ld8(w, w_type, c * ks + i) - wz);
    const int32_t b0 = bias ? bias[c] : 0;
    uint8_t* yc = static_cast<uint8_t*>(y) + static_cast<size_t>(item * P) * es;
    Q8GemmOutput o = out;  // column index = channel: per-channel scales
#if EDGEINFER_SIMD128
    const bool quant = out.type == Q8Type::kU8 || out.type == Q8Type::kS8;
    const v128_t vscale = wasm_f32x4_splat(quant ? out.scale[out.per_column ? c : 0] : 1.0f);
    const v128_t vzp = wasm_f32x4_splat(static_cast<float>(out.zero_point));
    const v128_t vqmin = wasm_f32x4_splat(static_cast<float>(out.qmin));
    const v128_t vqmax = wasm_f32x4_splat(static_cast<float>(out.qmax));
#endif
    for (int64_t oy = 0; oy < p.oh; ++oy) {
      int64_t ox = 0;
#if EDGEINFER_SIMD128
      if (p.sw == 1) {
        for (; ox + 8 <= p.ow; ox += 8) {
          v128_t lo = wasm_i32x4_splat(b0), hi = lo;
          for (int64_t ky = 0; ky < p.kh; ++ky) {
            const int16_t* row = plane + (oy * p.sh + ky * p.dh) * pw + ox;
            for (int64_t kx = 0; kx < p.kw; ++kx) {
              const v128_t xv = wasm_v128_load(row + kx * p.dw);
              const v128_t wv = wasm_i16x8_splat(t[ky * p.kw + kx]);
              lo = wasm_i32x4_add(lo, wasm_i32x4_extmul_low_i16x8(xv, wv));
              hi = wasm_i32x4_add(hi, wasm_i32x4_extmul_high_i16x8(xv, wv));
            }
          }
          const size_t at = static_cast<size_t>(oy * p.ow + ox);
          if (quant) {
            // q8_gemm's requantization (MLAS order), bit-identical to q8_store_scalar.
            v128_t f0 = wasm_f32x4_nearest(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(lo), vscale));
            v128_t f1 = wasm_f32x4_nearest(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(hi), vscale));
            f0 = wasm_f32x4_min(wasm_f32x4_max(wasm_f32x4_add(f0, vzp), vqmin), vqmax);
            f1 = wasm_f32x4_min(wasm_f32x4_max(wasm_f32x4_add(f1, vzp), vqmin), vqmax);
            const v128_t h = wasm_i16x8_narrow_i32x4(wasm_i32x4_trunc_sat_f32x4(f0), wasm_i32x4_trunc_sat_f32x4(f1));
            const v128_t q = out.type == Q8Type::kU8 ? wasm_u8x16_narrow_i16x8(h, h) : wasm_i8x16_narrow_i16x8(h, h);
            wasm_v128_store64_lane(yc + at, q, 0);
          } else {
            alignas(16) int32_t acc[8];
            wasm_v128_store(acc, lo);
            wasm_v128_store(acc + 4, hi);
            for (int j = 0; j < 8; ++j) q8_store_scalar(acc[j], static_cast<size_t>(c), o, yc, at + j);
          }
        }
      }
#endif
      for (; ox < p.ow; ++ox) {
        uint32_t acc = static_cast<uint32_t>(b0);
        for (int64_t ky = 0; ky < p.kh; ++ky) {
          const int16_t* row = plane + (oy * p.sh + ky * p.dh) * pw + ox * p.sw;
          for (int64_t kx = 0; kx < p.kw; ++kx)
            acc += static_cast<uint32_t>(int32_t{row[kx * p.dw]} * int32_t{t[ky * p.kw + kx]});
        }
        q8_store_scalar(static_cast<int32_t>(acc), static_cast<size_t>(c), o, yc, static_cast<size_t>(oy * p.ow + ox));
      }
    }
  };
  const int threads = pool ? pool->num_threads() : 1;
  const int workers = static_cast<int>(std::min<int64_t>(std::min(threads, slots), n));
  if (workers <= 1) {
    for (int64_t i = 0; i < n; ++i) work(0, i);
    return;
  }
  std::atomic<int64_t> next{0};
  pool->parallel_for(workers, 1, [&](int64_t b, int64_t e) {
    for (int64_t s = b; s < e; ++s)
      for (int64_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) work(static_cast<int>(s), i);
  });
}

}  // namespace edgeinfer
