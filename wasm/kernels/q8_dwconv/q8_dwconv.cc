// Quantized depthwise convolution (see q8_dwconv.h).
#include "kernels/q8_dwconv/q8_dwconv.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "kernels/simd.h"

namespace edgeinfer {
namespace {

// The padded plane of one channel holds (x - x_zp) as int16, 0 in the padding, as pairs: pair j of
// phase ph of a row is (X[j * sw + ph], X[j * sw + ph + dw]) where X is the padded row. Kernel columns
// kx and kx + 1 of output column ox read X[ox * sw + kx * dw] and the next one dw further: the pair
// at phase (kx * dw) % sw, index ox + (kx * dw) / sw. So at every stride 4 consecutive outputs read 4
// consecutive pairs (one vector), and one i32x4.dot_i16x8_s against the splat tap pair (w[kx],
// w[kx + 1]) adds two taps for 4 outputs (an odd last tap pairs with weight 0).
struct PlaneLayout {
  int64_t rows;        // padded rows
  int64_t qw;          // pairs per phase row (8 outputs may be computed past ow: never out of the row)
  int64_t row_stride;  // int16 per row: 2 * sw * qw
  int64_t lw;          // int16 of the unsplit padded row X (with room for the pairs' second elements)
  int64_t pw;          // int16 per phase of X (sw > 1)
};

PlaneLayout layout(const DwConv2dParams& p) {
  PlaneLayout l;
  l.rows = (p.oh - 1) * p.sh + (p.kh - 1) * p.dh + 1;
  const int64_t ow8 = (p.ow + 7) / 8 * 8;
  l.qw = (ow8 + ((p.kw - 1) * p.dw) / p.sw + 1 + 7) / 8 * 8;
  l.row_stride = 2 * p.sw * l.qw;
  l.pw = (l.qw + p.dw + 1 + 7) / 8 * 8 + 8;
  l.lw = p.sw * l.pw;
  return l;
}

// int16 of one slot: the pair plane, the unsplit row X and its phases.
size_t slot_elems(const DwConv2dParams& p) {
  if (p.oh <= 0 || p.ow <= 0) return 0;  // nothing to compute
  const PlaneLayout l = layout(p);
  const size_t n = static_cast<size_t>(l.rows * l.row_stride + 2 * l.lw);
  return (n + 31) / 32 * 32;  // keeps every slot 64-byte aligned
}

inline int32_t ld8(const void* ptr, Q8Type t, int64_t i) {
  return t == Q8Type::kU8 ? static_cast<const uint8_t*>(ptr)[i] : static_cast<const int8_t*>(ptr)[i];
}

// dst[0, n) = src[0, n) - zp as int16.
template <bool kU8>
void convert_row(const void* src, int32_t zp, int16_t* dst, int64_t n) {
  int64_t i = 0;
#if EDGEINFER_SIMD128
  const v128_t vzp = wasm_i16x8_splat(static_cast<int16_t>(zp));
  for (; i + 8 <= n; i += 8) {
    const uint8_t* s = static_cast<const uint8_t*>(src) + i;
    const v128_t v = kU8 ? wasm_u16x8_load8x8(s) : wasm_i16x8_load8x8(s);
    wasm_v128_store(dst + i, wasm_i16x8_sub(v, vzp));
  }
#endif
  for (; i < n; ++i) {
    const int32_t v = kU8 ? static_cast<const uint8_t*>(src)[i] : static_cast<const int8_t*>(src)[i];
    dst[i] = static_cast<int16_t>(v - zp);
  }
}

// The unsplit row x (sw * pw int16) into its sw phases of pw int16 each.
void split_phases(const int16_t* row, int64_t sw, int64_t pw, int16_t* out) {
  int64_t i = 0;
#if EDGEINFER_SIMD128
  if (sw == 2) {
    for (; i + 8 <= pw; i += 8) {
      const v128_t a = wasm_v128_load(row + 2 * i), b = wasm_v128_load(row + 2 * i + 8);
      wasm_v128_store(out + i, wasm_i16x8_shuffle(a, b, 0, 2, 4, 6, 8, 10, 12, 14));
      wasm_v128_store(out + pw + i, wasm_i16x8_shuffle(a, b, 1, 3, 5, 7, 9, 11, 13, 15));
    }
  }
#endif
  for (; i < pw; ++i)
    for (int64_t r = 0; r < sw; ++r) out[r * pw + i] = row[i * sw + r];
}

// Pairs (first[j], second[j]) for j < n (n a multiple of 8) into out (2n int16).
void zip_pairs(const int16_t* first, const int16_t* second, int64_t n, int16_t* out) {
  int64_t j = 0;
#if EDGEINFER_SIMD128
  for (; j + 8 <= n; j += 8) {
    const v128_t a = wasm_v128_load(first + j), b = wasm_v128_load(second + j);
    wasm_v128_store(out + 2 * j, wasm_i16x8_shuffle(a, b, 0, 8, 1, 9, 2, 10, 3, 11));
    wasm_v128_store(out + 2 * j + 8, wasm_i16x8_shuffle(a, b, 4, 12, 5, 13, 6, 14, 7, 15));
  }
#endif
  for (; j < n; ++j) {
    out[2 * j] = first[j];
    out[2 * j + 1] = second[j];
  }
}

// At stride 2 with dilation 1 every tap pair starts at an even column: pair j of phase 0 is
// (X[2j], X[2j + 1]), i.e. the padded row X as it is, and phase 1 is never read by the SIMD loop. The
// row then needs no split and no zip.
bool plain_rows(const DwConv2dParams& p) { return EDGEINFER_SIMD128 && p.sw == 2 && p.dw == 1; }

// Fills the slot's pair plane for input channel plane `xc`.
void fill_plane(const DwConv2dParams& p, const PlaneLayout& l, const void* xc, Q8Type x_type, int32_t x_zp,
                int16_t* plane, int16_t* xrow, int16_t* phases, bool plain) {
  const int64_t skip = std::max<int64_t>(0, -p.pad_left);  // a negative pad never happens in ONNX; be safe
  // out[0, width) = the padded input row iy.
  auto padded_row = [&](int64_t iy, int16_t* out, int64_t width) {
    const int64_t c0 = std::min<int64_t>(width, std::max<int64_t>(0, p.pad_left));
    const int64_t c1 = std::min<int64_t>(width, std::max<int64_t>(c0, p.pad_left + p.iw));
    std::memset(out, 0, static_cast<size_t>(c0) * sizeof(int16_t));
    const uint8_t* src = static_cast<const uint8_t*>(xc) + iy * p.iw + skip;
    if (x_type == Q8Type::kU8)
      convert_row<true>(src, x_zp, out + c0, c1 - c0);
    else
      convert_row<false>(src, x_zp, out + c0, c1 - c0);
    std::memset(out + c1, 0, static_cast<size_t>(width - c1) * sizeof(int16_t));
  };
  for (int64_t r = 0; r < l.rows; ++r) {
    int16_t* dst = plane + r * l.row_stride;
    const int64_t iy = r - p.pad_top;
    if (iy < 0 || iy >= p.ih) {
      std::memset(dst, 0, static_cast<size_t>(l.row_stride) * sizeof(int16_t));
      continue;
    }
    if (plain) {
      padded_row(iy, dst, l.row_stride);
      continue;
    }
    padded_row(iy, xrow, l.lw);
    // Phase ph pairs X[j*sw + ph] with X[j*sw + ph + dw]: phase (ph + dw) % sw at index j + (ph + dw) / sw.
    const int16_t* ph_rows = xrow;
    if (p.sw > 1) {
      split_phases(xrow, p.sw, l.pw, phases);
      ph_rows = phases;
    }
    for (int64_t ph = 0; ph < p.sw; ++ph) {
      const int64_t q = ph + p.dw;
      zip_pairs(ph_rows + ph * l.pw, ph_rows + (q % p.sw) * l.pw + q / p.sw, l.qw, dst + 2 * ph * l.qw);
    }
  }
}

#if EDGEINFER_SIMD128
// Requantization constants of one channel: scale, clamp bounds (qmin - zp, qmax - zp), 1.5 * 2^23
// and its bit pattern minus the zero point.
struct Requant {
  v128_t scale, lo, hi, magic, magic_zp;
};

// 8 outputs of one row from their int32 sums. Requantized as q8_store_scalar does (float(acc) *
// scale, round half to even, + zero point, saturate) in an order with the same result: clamping to
// the integer bounds commutes with rounding, and for |v| < 2^22 adding 1.5 * 2^23 rounds v to an
// integer half to even (the default rounding mode) in the low mantissa bits, which an integer
// subtraction (with the zero point folded in) reads out: cheaper than nearest + trunc_sat.
inline void store8(v128_t lo, v128_t hi, int64_t n, size_t c, const Q8GemmOutput& out, const Requant& rq, void* y,
                   size_t at) {
  if (out.type == Q8Type::kU8 || out.type == Q8Type::kS8) {
    v128_t f0 = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(lo), rq.scale);
    v128_t f1 = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(hi), rq.scale);
    f0 = wasm_f32x4_pmin(wasm_f32x4_pmax(f0, rq.lo), rq.hi);
    f1 = wasm_f32x4_pmin(wasm_f32x4_pmax(f1, rq.lo), rq.hi);
    const v128_t i0 = wasm_i32x4_sub(wasm_f32x4_add(f0, rq.magic), rq.magic_zp);
    const v128_t i1 = wasm_i32x4_sub(wasm_f32x4_add(f1, rq.magic), rq.magic_zp);
    const v128_t h = wasm_i16x8_narrow_i32x4(i0, i1);
    const v128_t q = out.type == Q8Type::kU8 ? wasm_u8x16_narrow_i16x8(h, h) : wasm_i8x16_narrow_i16x8(h, h);
    uint8_t* dst = static_cast<uint8_t*>(y) + at;
    if (n == 8) {
      wasm_v128_store64_lane(dst, q, 0);
    } else {
      alignas(16) uint8_t tmp[16];
      wasm_v128_store(tmp, q);
      std::memcpy(dst, tmp, static_cast<size_t>(n));
    }
    return;
  }
  alignas(16) int32_t acc[8];
  wasm_v128_store(acc, lo);
  wasm_v128_store(acc + 4, hi);
  for (int64_t j = 0; j < n; ++j) q8_store_scalar(acc[j], c, out, y, at + static_cast<size_t>(j));
}

// One channel. K > 0: a K x K kernel, fully unrolled with its weight pairs in registers (an array
// in linear memory in wasm otherwise); 0: any size from p.
template <int K>
void channel_simd(const DwConv2dParams& p, const PlaneLayout& l, const int16_t* plane, const int16_t* taps,
                  int32_t b0, size_t c, const Q8GemmOutput& out, void* yc) {
  constexpr int64_t kNP = K > 0 ? (K + 1) / 2 : 32;
  const int64_t kw = K > 0 ? K : p.kw, kh = K > 0 ? K : p.kh, np = K > 0 ? kNP : (kw + 1) / 2;
  int64_t off[kNP];
  v128_t wv[K > 0 ? K * kNP : 64];
  for (int64_t t = 0; t < np; ++t) {
    const int64_t kx = 2 * t;
    off[t] = 2 * (((kx * p.dw) % p.sw) * l.qw + (kx * p.dw) / p.sw);
  }
  for (int64_t ky = 0; ky < kh; ++ky)
    for (int64_t t = 0; t < np; ++t) {
      const int16_t w0 = taps[ky * kw + 2 * t], w1 = 2 * t + 1 < kw ? taps[ky * kw + 2 * t + 1] : int16_t{0};
      wv[ky * np + t] = wasm_i32x4_splat(static_cast<int32_t>(static_cast<uint16_t>(w0) |
                                                               (static_cast<uint32_t>(static_cast<uint16_t>(w1)) << 16)));
    }
  const bool quant = out.type == Q8Type::kU8 || out.type == Q8Type::kS8;
  Requant rq;
  rq.scale = wasm_f32x4_splat(quant ? out.scale[out.per_column ? c : 0] : 1.0f);
  rq.lo = wasm_f32x4_splat(static_cast<float>(out.qmin - out.zero_point));
  rq.hi = wasm_f32x4_splat(static_cast<float>(out.qmax - out.zero_point));
  rq.magic = wasm_f32x4_splat(12582912.0f);
  rq.magic_zp = wasm_i32x4_splat(0x4B400000 - out.zero_point);
  const v128_t vb = wasm_i32x4_splat(b0);
  for (int64_t oy = 0; oy < p.oh; ++oy) {
    const int16_t* r0 = plane + oy * p.sh * l.row_stride;
    for (int64_t ox = 0; ox < p.ow; ox += 8) {
      v128_t lo = vb, hi = vb;
      for (int64_t ky = 0; ky < kh; ++ky) {
        const int16_t* row = r0 + ky * p.dh * l.row_stride + 2 * ox;
        for (int64_t t = 0; t < np; ++t) {
          lo = wasm_i32x4_add(lo, wasm_i32x4_dot_i16x8(wasm_v128_load(row + off[t]), wv[ky * np + t]));
          hi = wasm_i32x4_add(hi, wasm_i32x4_dot_i16x8(wasm_v128_load(row + off[t] + 8), wv[ky * np + t]));
        }
      }
      store8(lo, hi, std::min<int64_t>(8, p.ow - ox), c, out, rq, yc, static_cast<size_t>(oy * p.ow + ox));
    }
  }
}
#endif

// Any kernel on the scalar units, over the same plane (the first element of each pair is X).
void channel_scalar(const DwConv2dParams& p, const PlaneLayout& l, const int16_t* plane, const int16_t* taps,
                    int32_t b0, size_t c, const Q8GemmOutput& out, void* yc) {
  for (int64_t oy = 0; oy < p.oh; ++oy)
    for (int64_t ox = 0; ox < p.ow; ++ox) {
      uint32_t acc = static_cast<uint32_t>(b0);
      for (int64_t ky = 0; ky < p.kh; ++ky) {
        const int16_t* row = plane + (oy * p.sh + ky * p.dh) * l.row_stride;
        for (int64_t kx = 0; kx < p.kw; ++kx) {
          const int64_t q = ox * p.sw + kx * p.dw;
          acc += static_cast<uint32_t>(int32_t{row[2 * ((q % p.sw) * l.qw + q / p.sw)]} * int32_t{taps[ky * p.kw + kx]});
        }
      }
      q8_store_scalar(static_cast<int32_t>(acc), c, out, yc, static_cast<size_t>(oy * p.ow + ox));
    }
}

}  // namespace

size_t q8_dwconv2d_scratch_bytes(const DwConv2dParams& p, int slots) {
  return slot_elems(p) * sizeof(int16_t) * static_cast<size_t>(std::max(1, std::min(slots, kDwConvMaxSlots)));
}

void q8_dwconv2d(const DwConv2dParams& p, const void* x, Q8Type x_type, int32_t x_zp, const void* w, Q8Type w_type,
                 const void* w_zp, size_t w_zp_stride, const int32_t* bias, void* y, const Q8GemmOutput& out,
                 ThreadPool* pool, void* scratch, size_t scratch_bytes) {
  const PlaneLayout l = layout(p);
  const int64_t ks = p.kh * p.kw;
  const size_t slot_bytes = std::max<size_t>(1, slot_elems(p) * sizeof(int16_t));
  const int slots = static_cast<int>(std::max<size_t>(1, std::min<size_t>(kDwConvMaxSlots, scratch_bytes / slot_bytes)));
  const size_t es = q8_type_size(out.type);
  const int64_t n = p.batch * p.channels, P = p.oh * p.ow;
  if (n <= 0 || P <= 0) return;
  // The SIMD loop keeps up to 64 tap pairs in registers / on the stack; larger kernels (never seen in
  // practice) take the scalar loop.
  const bool small = p.kw <= 64 && p.kh * ((p.kw + 1) / 2) <= 64;
  auto work = [&](int slot, int64_t item) {
    const int64_t c = item % p.channels;
    int16_t* plane = reinterpret_cast<int16_t*>(static_cast<uint8_t*>(scratch) + static_cast<size_t>(slot) * slot_bytes);
    int16_t* xrow = plane + l.rows * l.row_stride;
    fill_plane(p, l, static_cast<const uint8_t*>(x) + item * p.ih * p.iw, x_type, x_zp, plane, xrow, xrow + l.lw,
               small && plain_rows(p));
    const int32_t wz = w_zp ? ld8(w_zp, w_type, c * static_cast<int64_t>(w_zp_stride)) : 0;
    int16_t taps_small[128];
    std::vector<int16_t> taps_big;
    int16_t* taps = taps_small;
    if (ks > 128) {
      taps_big.resize(static_cast<size_t>(ks));
      taps = taps_big.data();
    }
    for (int64_t i = 0; i < ks; ++i) taps[i] = static_cast<int16_t>(ld8(w, w_type, c * ks + i) - wz);
    const int32_t b0 = bias ? bias[c] : 0;
    void* yc = static_cast<uint8_t*>(y) + static_cast<size_t>(item * P) * es;
#if EDGEINFER_SIMD128
    if (small) {
      if (p.kw == 3 && p.kh == 3)
        channel_simd<3>(p, l, plane, taps, b0, static_cast<size_t>(c), out, yc);
      else if (p.kw == 5 && p.kh == 5)
        channel_simd<5>(p, l, plane, taps, b0, static_cast<size_t>(c), out, yc);
      else
        channel_simd<0>(p, l, plane, taps, b0, static_cast<size_t>(c), out, yc);
      return;
    }
#endif
    (void)small;
    channel_scalar(p, l, plane, taps, b0, static_cast<size_t>(c), out, yc);
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
