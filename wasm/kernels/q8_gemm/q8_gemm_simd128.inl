// The body shared by the simd128 quantized GEMM microkernels: MR rows x 8 columns, K in pairs (c2).
// Per pair of k: each row's two activations (sign-extended to int16) are splat as one 32-bit lane,
// and i32x4.dot_i16x8_s against the packed int16 weights [B(k,n) B(k+1,n)] of 4 columns adds two
// products per lane (pmaddwd on x86 engines). MR * 2 accumulators + MR activation vectors + 2 weight
// vectors must fit the 16 registers of x86 engines.
#pragma once

#include <cstring>

#include "kernels/q8_gemm/q8_gemm.h"
#include "kernels/simd.h"

#if EDGEINFER_SIMD128
namespace edgeinfer {
namespace q8_gemm_detail {

template <bool kAU8>
inline v128_t load_a8(const uint8_t* p) {
  if (kAU8) return wasm_i16x8_sub(wasm_u16x8_load8x8(p), wasm_i16x8_splat(128));
  return wasm_i16x8_load8x8(p);
}

template <int P>
inline v128_t lane(v128_t v) {
  return wasm_i32x4_shuffle(v, v, P, P, P, P);
}

template <int MR, int P>
inline void step(v128_t (&acc)[MR][2], const v128_t (&av)[MR], const int16_t* wk) {
  const v128_t b0 = wasm_v128_load(wk);
  const v128_t b1 = wasm_v128_load(wk + 8);
  for (int i = 0; i < MR; ++i) {
    const v128_t va = lane<P>(av[i]);
    acc[i][0] = wasm_i32x4_add(acc[i][0], wasm_i32x4_dot_i16x8(va, b0));
    acc[i][1] = wasm_i32x4_add(acc[i][1], wasm_i32x4_dot_i16x8(va, b1));
  }
}

template <int MR, bool kAU8, Q8Type kOut>
void q8_gemm_simd128(size_t mr, size_t nc, size_t kc, const void* a, size_t a_stride, const int16_t* w, void* c,
                     size_t cm_stride, size_t n0, const Q8GemmOutput& out) {
  constexpr size_t NR = kQ8GemmNR;
  constexpr size_t ES = (kOut == Q8Type::kI32 || kOut == Q8Type::kF32) ? 4 : 1;
  // Rows past mr alias the last valid row (same values, stored last-row-first): no branches inside.
  const uint8_t* ap[MR];
  uint8_t* cp[MR];
  ap[0] = static_cast<const uint8_t*>(a);
  cp[0] = static_cast<uint8_t*>(c);
  for (int i = 1; i < MR; ++i) {
    const bool valid = static_cast<size_t>(i) < mr;
    ap[i] = valid ? ap[i - 1] + a_stride : ap[i - 1];
    cp[i] = valid ? cp[i - 1] + cm_stride * ES : cp[i - 1];
  }
  const size_t kp = (kc + 1) / 2;
  const size_t k8 = kc & ~size_t{7};
  const v128_t vzp = wasm_f32x4_splat(static_cast<float>(out.zero_point));
  const v128_t vqmin = wasm_f32x4_splat(static_cast<float>(out.qmin));
  const v128_t vqmax = wasm_f32x4_splat(static_cast<float>(out.qmax));
  const float s0 = out.scale ? out.scale[0] : 1.0f;
  for (;;) {
    v128_t acc[MR][2];
    acc[0][0] = wasm_v128_load(w);
    acc[0][1] = wasm_v128_load(w + 8);
    for (int i = 1; i < MR; ++i) {
      acc[i][0] = acc[0][0];
      acc[i][1] = acc[0][1];
    }
    const int16_t* wk = w + 16;
    size_t k = 0;
    for (; k < k8; k += 8) {
      v128_t av[MR];
      for (int i = 0; i < MR; ++i) av[i] = load_a8<kAU8>(ap[i] + k);
      step<MR, 0>(acc, av, wk);
      step<MR, 1>(acc, av, wk + 16);
      step<MR, 2>(acc, av, wk + 32);
      step<MR, 3>(acc, av, wk + 48);
      wk += 64;
    }
    if (k < kc) {
      // 1..7 trailing values: read through a zero-padded copy (never past the row); an odd last
      // value meets the zero row that packing added.
      const size_t r = kc - k;
      v128_t av[MR];
      for (int i = 0; i < MR; ++i) {
        uint8_t tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        std::memcpy(tmp, ap[i] + k, r);
        av[i] = load_a8<kAU8>(tmp);
      }
      for (size_t p = 0; p < (r + 1) / 2; ++p) {
        step<MR, 0>(acc, av, wk);
        wk += 16;
        for (int i = 0; i < MR; ++i) av[i] = wasm_i32x4_shuffle(av[i], av[i], 1, 2, 3, 0);
      }
    }
    const size_t nb = nc < NR ? nc : NR;
    if (kOut == Q8Type::kI32) {
      for (int i = MR - 1; i >= 0; --i) {
        if (nb == NR) {
          wasm_v128_store(cp[i], acc[i][0]);
          wasm_v128_store(cp[i] + 16, acc[i][1]);
        } else {
          alignas(16) int32_t tmp[NR];
          wasm_v128_store(tmp, acc[i][0]);
          wasm_v128_store(tmp + 4, acc[i][1]);
          std::memcpy(cp[i], tmp, nb * 4);
        }
      }
    } else {
      v128_t vs0, vs1;
      if (out.per_column) {
        alignas(16) float s[NR];
        for (size_t j = 0; j < NR; ++j) s[j] = j < nb ? out.scale[n0 + j] : 0.0f;
        vs0 = wasm_v128_load(s);
        vs1 = wasm_v128_load(s + 4);
      } else {
        vs0 = vs1 = wasm_f32x4_splat(s0);
      }
      if (kOut == Q8Type::kF32) {
        v128_t vb0 = wasm_f32x4_splat(0.0f), vb1 = vb0;
        if (out.fbias) {
          alignas(16) float bb[NR];
          for (size_t j = 0; j < NR; ++j) bb[j] = j < nb ? out.fbias[n0 + j] : 0.0f;
          vb0 = wasm_v128_load(bb);
          vb1 = wasm_v128_load(bb + 4);
        }
        for (int i = MR - 1; i >= 0; --i) {
          v128_t f0 = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc[i][0]), vs0);
          v128_t f1 = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc[i][1]), vs1);
          if (out.fbias) {
            f0 = wasm_f32x4_add(f0, vb0);
            f1 = wasm_f32x4_add(f1, vb1);
          }
          if (nb == NR) {
            wasm_v128_store(cp[i], f0);
            wasm_v128_store(cp[i] + 16, f1);
          } else {
            alignas(16) float tmp[NR];
            wasm_v128_store(tmp, f0);
            wasm_v128_store(tmp + 4, f1);
            std::memcpy(cp[i], tmp, nb * 4);
          }
        }
      } else {
        for (int i = MR - 1; i >= 0; --i) {
          // MLAS order: float(acc) * scale, round half to even, + zero point, saturate.
          v128_t f0 = wasm_f32x4_nearest(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc[i][0]), vs0));
          v128_t f1 = wasm_f32x4_nearest(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc[i][1]), vs1));
          f0 = wasm_f32x4_pmin(wasm_f32x4_pmax(wasm_f32x4_add(f0, vzp), vqmin), vqmax);
          f1 = wasm_f32x4_pmin(wasm_f32x4_pmax(wasm_f32x4_add(f1, vzp), vqmin), vqmax);
          const v128_t h = wasm_i16x8_narrow_i32x4(wasm_i32x4_trunc_sat_f32x4(f0), wasm_i32x4_trunc_sat_f32x4(f1));
          const v128_t q = kOut == Q8Type::kU8 ? wasm_u8x16_narrow_i16x8(h, h) : wasm_i8x16_narrow_i16x8(h, h);
          if (nb == NR) {
            wasm_v128_store64_lane(cp[i], q, 0);
          } else {
            alignas(16) uint8_t tmp[16];
            wasm_v128_store(tmp, q);
            std::memcpy(cp[i], tmp, nb);
          }
        }
      }
    }
    if (nc <= NR) return;
    nc -= NR;
    n0 += NR;
    w += 16 * (1 + kp);
    for (int i = 0; i < MR; ++i) cp[i] += NR * ES;
  }
}

template <int MR>
const Q8GemmConfig& q8_gemm_config_for(const char* name) {
  static const Q8GemmConfig cfg{{{q8_gemm_simd128<MR, true, Q8Type::kU8>, q8_gemm_simd128<MR, true, Q8Type::kS8>,
                                  q8_gemm_simd128<MR, true, Q8Type::kI32>, q8_gemm_simd128<MR, true, Q8Type::kF32>},
                                 {q8_gemm_simd128<MR, false, Q8Type::kU8>, q8_gemm_simd128<MR, false, Q8Type::kS8>,
                                  q8_gemm_simd128<MR, false, Q8Type::kI32>, q8_gemm_simd128<MR, false, Q8Type::kF32>}},
                                MR, 8, name};
  return cfg;
}

}  // namespace q8_gemm_detail
}  // namespace edgeinfer
#endif
