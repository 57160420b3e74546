// The body shared by the simd128 quantized GEMM microkernels: MR rows x 8 columns, K in groups of KR.
// KR = 2 (c2): per pair of k, each row's two widened int16 activations (packed A: [k pair][MR rows][2])
// are splat from memory as one 32-bit lane (v128.load32_splat), and i32x4.dot_i16x8_s against the
// packed int16 weights [B(k,n) B(k+1,n)] of 4 columns adds two products per lane (pmaddwd on x86).
// KR = 4 (c4, relaxed SIMD): per quad of k, each row's four activation bytes are splat the same way and
// the relaxed dot against the int8 weights [B(k..k+3,n)] of 4 columns adds four products per lane.
// Either way one step reads 32 bits of A per row and 32 bytes of packed B.
// MR * 2 accumulators + a splat + 2 weight vectors must fit the 16 registers of x86 engines.
#pragma once

#include <cstring>

#include "kernels/q8_gemm/q8_gemm.h"
#include "kernels/simd.h"

#if EDGEINFER_SIMD128
namespace edgeinfer {
namespace q8_gemm_detail {

template <int MR, int KR>
inline void step(v128_t (&acc)[MR][2], const int16_t* ak, const int16_t* wk) {
  const v128_t b0 = wasm_v128_load(wk);
  const v128_t b1 = wasm_v128_load(wk + 8);
  for (int i = 0; i < MR; ++i) {
    const v128_t va = wasm_v128_load32_splat(ak + 2 * i);
#if EDGEINFER_Q8_RELAXED_DOT
    if (KR == 4) {
      acc[i][0] = edgeinfer_i32x4_dot_i8x16_u8x16_add(b0, va, acc[i][0]);
      acc[i][1] = edgeinfer_i32x4_dot_i8x16_u8x16_add(b1, va, acc[i][1]);
      continue;
    }
#endif
    acc[i][0] = wasm_i32x4_add(acc[i][0], wasm_i32x4_dot_i16x8(va, b0));
    acc[i][1] = wasm_i32x4_add(acc[i][1], wasm_i32x4_dot_i16x8(va, b1));
  }
}

template <int MR, int KR, Q8Type kOut>
void q8_gemm_simd128(size_t mr, size_t nc, size_t kc, const int16_t* a, const int16_t* w, void* c, size_t cm_stride,
                     size_t n0, const Q8GemmOutput& out) {
  constexpr size_t NR = kQ8GemmNR;
  constexpr size_t ES = (kOut == Q8Type::kI32 || kOut == Q8Type::kF32) ? 4 : 1;
  // Output rows past mr alias the last valid row and are stored first, so the valid row's values
  // land last: no branches inside.
  uint8_t* cp[MR];
  cp[0] = static_cast<uint8_t*>(c);
  for (int i = 1; i < MR; ++i) {
    const bool valid = static_cast<size_t>(i) < mr;
    cp[i] = valid ? cp[i - 1] + cm_stride * ES : cp[i - 1];
  }
  const size_t kp = (kc + KR - 1) / KR;
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
    const int16_t* ak = a;
    for (size_t p = 0; p < kp; ++p) {
      step<MR, KR>(acc, ak, wk);
      ak += 2 * MR;
      wk += 16;
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

template <int MR, int KR = 2>
const Q8GemmConfig& q8_gemm_config_for(const char* name) {
  static const Q8GemmConfig cfg{{q8_gemm_simd128<MR, KR, Q8Type::kU8>, q8_gemm_simd128<MR, KR, Q8Type::kS8>,
                                 q8_gemm_simd128<MR, KR, Q8Type::kI32>, q8_gemm_simd128<MR, KR, Q8Type::kF32>},
                                MR, 8, KR, name};
  return cfg;
}

}  // namespace q8_gemm_detail
}  // namespace edgeinfer
#endif
