// The body shared by the simd128 quantized convolution microkernels (see q8_conv_ukernel.h). Each
// variant file instantiates it for its MR: 2 * MR accumulators + 2 activation vectors + a splat and a
// product must fit the 16 vector registers of x86 engines (MR = 6 spilled in V8 and ran 1.3-1.6x
// slower than MR = 4).
#pragma once

#include <cstring>

#include "kernels/q8_conv/q8_conv_ukernel.h"
#include "kernels/simd.h"

#if EDGEINFER_SIMD128
namespace edgeinfer {
namespace q8_conv_detail {

// The first n (< 8) 32-bit values of lo:hi at p, by lane stores (a memcpy of a few bytes is a call
// in wasm).
inline void store_partial32(uint8_t* p, v128_t lo, v128_t hi, size_t n) {
  v128_t v = lo;
  if (n & 4) {
    wasm_v128_store(p, lo);
    v = hi;
    p += 16;
  }
  if (n & 2) {
    wasm_v128_store64_lane(p, v, 0);
    v = wasm_i64x2_shuffle(v, v, 1, 1);
    p += 8;
  }
  if (n & 1) wasm_v128_store32_lane(p, v, 0);
}

// The first n (< 8) bytes of q at p.
inline void store_partial8(uint8_t* p, v128_t q, size_t n) {
  if (n & 4) {
    wasm_v128_store32_lane(p, q, 0);
    q = wasm_u64x2_shr(q, 32);
    p += 4;
  }
  if (n & 2) {
    wasm_v128_store16_lane(p, q, 0);
    q = wasm_u64x2_shr(q, 16);
    p += 2;
  }
  if (n & 1) wasm_v128_store8_lane(p, q, 0);
}

template <int MR, Q8Type kOut>
void q8_conv_simd128(size_t mr, size_t nc, size_t kc, const int16_t* w, const int16_t* b, const int32_t* koff,
                     void* c, size_t ldc, size_t m0, const Q8GemmOutput& out) {
  constexpr size_t ES = (kOut == Q8Type::kI32 || kOut == Q8Type::kF32) ? 4 : 1;
  // Rows past mr alias the last valid row (same channel, same values), stored last-row-first.
  uint8_t* cp[MR];
  size_t ch[MR];
  cp[0] = static_cast<uint8_t*>(c);
  ch[0] = m0;
  for (int i = 1; i < MR; ++i) {
    const bool valid = static_cast<size_t>(i) < mr;
    cp[i] = valid ? cp[i - 1] + ldc * ES : cp[i - 1];
    ch[i] = valid ? ch[i - 1] + 1 : ch[i - 1];
  }
  const int16_t* wk0 = w + 2 * MR;
  // Per-row output scales, splat once per call (spilled to the stack while the accumulators need the
  // registers; a reload is one load, not a load and a shuffle per tile).
  v128_t vscale[MR];
  for (int i = 0; i < MR; ++i)
    vscale[i] = wasm_f32x4_splat(out.scale ? out.scale[out.per_column ? ch[i] : 0] : 1.0f);
  for (;;) {
    v128_t acc[MR][2];
    for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = wasm_v128_load32_splat(w + 2 * i);
    const int16_t* wk = wk0;
    for (size_t t = 0; t < kc; ++t) {
      const int16_t* bt = b + koff[t];
      const v128_t b0 = wasm_v128_load(bt);
      const v128_t b1 = wasm_v128_load(bt + 8);
      for (int i = 0; i < MR; ++i) {
        const v128_t va = wasm_v128_load32_splat(wk + 2 * i);
        acc[i][0] = wasm_i32x4_add(acc[i][0], wasm_i32x4_dot_i16x8(va, b0));
        acc[i][1] = wasm_i32x4_add(acc[i][1], wasm_i32x4_dot_i16x8(va, b1));
      }
      wk += 2 * MR;
    }
    const size_t nb = nc < 8 ? nc : 8;
    if (kOut == Q8Type::kI32) {
      for (int i = MR - 1; i >= 0; --i) {
        if (nb == 8) {
          wasm_v128_store(cp[i], acc[i][0]);
          wasm_v128_store(cp[i] + 16, acc[i][1]);
        } else {
          store_partial32(cp[i], acc[i][0], acc[i][1], nb);
        }
      }
    } else if (kOut == Q8Type::kF32) {
      for (int i = MR - 1; i >= 0; --i) {
        const v128_t vs = vscale[i];
        v128_t f0 = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc[i][0]), vs);
        v128_t f1 = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc[i][1]), vs);
        if (out.fbias) {
          const v128_t vb = wasm_f32x4_splat(out.fbias[ch[i]]);
          f0 = wasm_f32x4_add(f0, vb);
          f1 = wasm_f32x4_add(f1, vb);
        }
        if (nb == 8) {
          wasm_v128_store(cp[i], f0);
          wasm_v128_store(cp[i] + 16, f1);
        } else {
          store_partial32(cp[i], f0, f1, nb);
        }
      }
    } else {
      // Requantized as q8_store_scalar does (float(acc) * scale, round half to even, + zero point,
      // saturate) in an order with the same result, as q8_dwconv does: clamping to the integer bounds
      // (qmin - zp, qmax - zp) commutes with rounding, and for |v| < 2^22 adding 1.5 * 2^23 rounds v
      // half to even (the default rounding mode) into the low mantissa bits, which an integer
      // subtraction (with the zero point folded in) reads out. pmin/pmax are single instructions on
      // x86 engines where min/max/nearest/trunc_sat are sequences. Splatted here, not before the
      // loop: live across it they would take registers the accumulators need.
      const v128_t vlo = wasm_f32x4_splat(static_cast<float>(out.qmin - out.zero_point));
      const v128_t vhi = wasm_f32x4_splat(static_cast<float>(out.qmax - out.zero_point));
      const v128_t vmagic = wasm_f32x4_splat(12582912.0f);
      const v128_t vmagic_zp = wasm_i32x4_splat(0x4B400000 - out.zero_point);
      for (int i = MR - 1; i >= 0; --i) {
        const v128_t vs = vscale[i];
        v128_t f0 = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc[i][0]), vs);
        v128_t f1 = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc[i][1]), vs);
        f0 = wasm_f32x4_pmin(wasm_f32x4_pmax(f0, vlo), vhi);
        f1 = wasm_f32x4_pmin(wasm_f32x4_pmax(f1, vlo), vhi);
        const v128_t i0 = wasm_i32x4_sub(wasm_f32x4_add(f0, vmagic), vmagic_zp);
        const v128_t i1 = wasm_i32x4_sub(wasm_f32x4_add(f1, vmagic), vmagic_zp);
        const v128_t h = wasm_i16x8_narrow_i32x4(i0, i1);
        const v128_t q = kOut == Q8Type::kU8 ? wasm_u8x16_narrow_i16x8(h, h) : wasm_i8x16_narrow_i16x8(h, h);
        if (nb == 8) {
          wasm_v128_store64_lane(cp[i], q, 0);
        } else {
          store_partial8(cp[i], q, nb);
        }
      }
    }
    if (nc <= 8) return;
    nc -= 8;
    b += 16;
    for (int i = 0; i < MR; ++i) cp[i] += 8 * ES;
  }
}

template <int MR>
const Q8ConvUConfig& q8_conv_config_for(const char* name) {
  static const Q8ConvUConfig cfg{{q8_conv_simd128<MR, Q8Type::kU8>, q8_conv_simd128<MR, Q8Type::kS8>,
                                  q8_conv_simd128<MR, Q8Type::kI32>, q8_conv_simd128<MR, Q8Type::kF32>},
                                 MR,
                                 name};
  return cfg;
}

}  // namespace q8_conv_detail
}  // namespace edgeinfer
#endif
