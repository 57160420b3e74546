// Every quantized GEMM microkernel against the definition (q8_gemm_reference), through packing and the
// tiling driver: bit-exact for the integer outputs, every input/output type combination, zero points
// at their extremes, per-tensor and per-column scales and weight zero points, saturation.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/q8_gemm/q8_gemm.h"

namespace edgeinfer {
namespace {

std::vector<Q8GemmConfig> all_variants() {
  std::vector<Q8GemmConfig> v = {q8_gemm_4x8c2__scalar()};
#if defined(__wasm_simd128__) || defined(EDGEINFER_USE_SIMDE)
  v.push_back(q8_gemm_4x8c2__simd128());
  v.push_back(q8_gemm_2x8c2__simd128());
  v.push_back(q8_gemm_1x8c2__simd128());
#endif
#if EDGEINFER_Q8_RELAXED_DOT
  // In wasm only where the engine's relaxed dot is exact (Node 20 saturates: the kernels go unused there).
  if (q8_relaxed_dot_is_exact()) v.push_back(q8_gemm_4x8c4__relaxedsimd());
#endif
  return v;
}

// The KR = 4 layout holds B - b_zp in int8: clamps B (k x n, row stride n) into that range per column.
void fit_int8(std::vector<uint8_t>& b, int64_t k, int64_t n, Q8Type bt, const uint8_t* bzp, size_t zs) {
  for (int64_t j = 0; j < n; ++j) {
    const int32_t z = bzp ? (bt == Q8Type::kU8 ? bzp[j * zs] : static_cast<int8_t>(bzp[j * zs])) : 0;
    for (int64_t p = 0; p < k; ++p) {
      uint8_t& x = b[static_cast<size_t>(p * n + j)];
      const int32_t v = bt == Q8Type::kU8 ? x : static_cast<int8_t>(x);
      x = static_cast<uint8_t>(std::min(std::max(v, z - 128), z + 127));
    }
  }
}

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& x : v) x = static_cast<uint8_t>(rng());
  return v;
}

struct Case {
  int64_t m, n, k;
  Q8Type a_type = Q8Type::kU8, b_type = Q8Type::kS8, out_type = Q8Type::kU8;
  int32_t a_zp = 0;
  int b_zp_mode = 0;     // 0: none, 1: per tensor, 2: per column
  bool per_column_scale = false;
  bool bias = true;
  bool fbias = false;
  float scale_mul = 1.0f;  // > 1 saturates
  int32_t out_zp = 0;
  int threads = 1;
  bool transposed_b = false;
  bool fused_clamp = false;  // qmin/qmax narrower than the type (fused Relu / Clip)
  uint32_t seed = 1;
};

int32_t zp_in_range(Q8Type t, uint32_t r) {
  return t == Q8Type::kU8 ? static_cast<int32_t>(r % 256) : static_cast<int32_t>(r % 256) - 128;
}

void check(const Q8GemmConfig& cfg, const Case& cs) {
  SCOPED_TRACE(::testing::Message() << cfg.name << " m=" << cs.m << " n=" << cs.n << " k=" << cs.k
                                    << " a=" << int(cs.a_type) << " b=" << int(cs.b_type) << " out=" << int(cs.out_type)
                                    << " a_zp=" << cs.a_zp << " b_zp_mode=" << cs.b_zp_mode << " pc="
                                    << cs.per_column_scale << " smul=" << cs.scale_mul << " out_zp=" << cs.out_zp
                                    << " threads=" << cs.threads << " bT=" << cs.transposed_b);
  const int64_t m = cs.m, n = cs.n, k = cs.k, lda = k + 3, ldc = n + 5;
  std::mt19937 rng(cs.seed);
  std::vector<uint8_t> a = random_bytes(static_cast<size_t>(m * lda), cs.seed + 1);
  std::vector<uint8_t> b = random_bytes(static_cast<size_t>(k * n), cs.seed + 2);
  std::vector<uint8_t> bzp(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) {
    const int32_t z = cs.b_zp_mode == 1 && j > 0 ? 0 : zp_in_range(cs.b_type, rng());
    bzp[j] = static_cast<uint8_t>(z);
  }
  if (cs.b_zp_mode == 1) for (int64_t j = 1; j < n; ++j) bzp[j] = bzp[0];
  std::vector<int32_t> bias(static_cast<size_t>(n));
  for (auto& x : bias) x = static_cast<int32_t>(rng() % 200001) - 100000;
  // Scales that put outputs across the whole range: |acc| is about 128 * 128 * sqrt(k).
  const float base = 100.0f / (128.0f * 128.0f * std::sqrt(static_cast<float>(k)) + 1.0f) * cs.scale_mul;
  std::vector<float> scale(static_cast<size_t>(n)), fbias(static_cast<size_t>(n));
  std::uniform_real_distribution<float> ud(0.5f, 2.0f), bd(-3.0f, 3.0f);
  for (auto& s : scale) s = base * ud(rng);
  for (auto& x : fbias) x = bd(rng);

  Q8GemmOutput out;
  if (cs.out_type == Q8Type::kI32) out = Q8GemmOutput::int32();
  else if (cs.out_type == Q8Type::kF32) out = Q8GemmOutput::dequantized(scale.data(), cs.per_column_scale, cs.fbias ? fbias.data() : nullptr);
  else out = Q8GemmOutput::quantized(cs.out_type, scale.data(), cs.per_column_scale, cs.out_zp);
  if (cs.fused_clamp) {
    out.qmin = cs.out_zp;
    out.qmax = out.qmin + 60;
  }

  const void* bzp_ptr = cs.b_zp_mode ? bzp.data() : nullptr;
  const size_t bzp_stride = cs.b_zp_mode == 2 ? 1 : 0;
  if (cfg.kr == 4) fit_int8(b, k, n, cs.b_type, cs.b_zp_mode ? bzp.data() : nullptr, bzp_stride);
  std::vector<int16_t> packed(q8_gemm_packed_size(k, n, cfg.kr), -7);
  if (cs.transposed_b) {
    std::vector<uint8_t> bt(static_cast<size_t>(k * n));
    for (int64_t p = 0; p < k; ++p)
      for (int64_t j = 0; j < n; ++j) bt[j * k + p] = b[p * n + j];
    ASSERT_TRUE(q8_gemm_pack_b(cfg.kr, k, n, bt.data(), cs.b_type, 1, k, bzp_ptr, bzp_stride,
                               cs.bias ? bias.data() : nullptr, cs.a_type, cs.a_zp, packed.data()));
  } else {
    ASSERT_TRUE(q8_gemm_pack_b(cfg.kr, k, n, b.data(), cs.b_type, n, 1, bzp_ptr, bzp_stride,
                               cs.bias ? bias.data() : nullptr, cs.a_type, cs.a_zp, packed.data()));
  }
  const size_t es = q8_type_size(cs.out_type);
  std::vector<uint8_t> expect(static_cast<size_t>(m * ldc) * es, 0xAB), got(static_cast<size_t>(m * ldc) * es, 0xAB);
  q8_gemm_reference(m, n, k, a.data(), cs.a_type, lda, cs.a_zp, b.data(), cs.b_type, n, bzp_ptr, bzp_stride,
                    cs.bias ? bias.data() : nullptr, expect.data(), ldc, out);
  ThreadPool pool(cs.threads);
  q8_gemm(cfg, m, n, k, a.data(), cs.a_type, lda, packed.data(), got.data(), ldc, out, &pool);
  int bad = 0, saturated = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < ldc; ++j) {
      const size_t idx = static_cast<size_t>(i * ldc + j);
      bool ok;
      if (cs.out_type == Q8Type::kF32 && j < n) {
        float e, g;
        std::memcpy(&e, &expect[idx * 4], 4);
        std::memcpy(&g, &got[idx * 4], 4);
        // mul + add may be contracted to an FMA on either side; everything else is exact.
        ok = std::fabs(e - g) <= 1e-6f * std::fabs(e) + 1e-6f;
      } else {
        ok = std::memcmp(&expect[idx * es], &got[idx * es], es) == 0;  // cells past n must stay untouched too
      }
      if (j < n && es == 1 && (expect[idx] == static_cast<uint8_t>(out.qmin) || expect[idx] == static_cast<uint8_t>(out.qmax)))
        ++saturated;
      if (!ok && bad++ < 5) ADD_FAILURE() << "C[" << i << "][" << j << "] differs";
    }
  EXPECT_EQ(bad, 0);
  if (cs.scale_mul > 10.0f) {
    EXPECT_GT(saturated, 0) << "the saturation case did not saturate";
  }
}

TEST(Q8Gemm, TileEdgesAllVariantsAllTypes) {
  uint32_t seed = 1;
  for (const Q8GemmConfig& cfg : all_variants()) {
    const int64_t mr = cfg.mr, nr = cfg.nr;
    for (int64_t m : {std::max<int64_t>(1, mr - 1), mr, mr + 1})
      for (int64_t n : {nr - 1, nr, nr + 1})
        for (int64_t k : {1, 2, 7, 8, 9, 17})
          for (Q8Type at : {Q8Type::kU8, Q8Type::kS8})
            for (Q8Type ot : {Q8Type::kU8, Q8Type::kS8, Q8Type::kI32, Q8Type::kF32}) {
              Case cs{m, n, k};
              cs.a_type = at;
              cs.out_type = ot;
              cs.a_zp = zp_in_range(at, seed * 77);
              cs.b_zp_mode = seed % 3;
              cs.per_column_scale = seed & 1;
              cs.out_zp = ot == Q8Type::kU8 ? 128 : -5;
              cs.fbias = seed & 2;
              cs.seed = seed++;
              check(cfg, cs);
            }
  }
}

TEST(Q8Gemm, LargeOddSizesAndThreads) {
  for (const Q8GemmConfig& cfg : all_variants())
    for (int threads : {1, 3}) {
      Case cs{97, 131, 253};
      cs.threads = threads;
      cs.a_zp = 131;
      cs.b_zp_mode = 2;
      cs.per_column_scale = true;
      check(cfg, cs);
      Case cs2{61, 77, 1031};  // several column panels
      cs2.a_type = Q8Type::kS8;
      cs2.out_type = Q8Type::kS8;
      cs2.transposed_b = true;
      cs2.threads = threads;
      cs2.seed = 9;
      check(cfg, cs2);
      Case cs3{1, 300, 64};  // vector x matrix
      cs3.out_type = Q8Type::kI32;
      cs3.threads = threads;
      check(cfg, cs3);
    }
}

TEST(Q8Gemm, ZeroPointExtremesAndUnsignedWeights) {
  for (const Q8GemmConfig& cfg : all_variants())
    for (Q8Type at : {Q8Type::kU8, Q8Type::kS8})
      for (Q8Type bt : {Q8Type::kU8, Q8Type::kS8})
        for (int ext = 0; ext < 2; ++ext) {
          Case cs{cfg.mr + 1, 19, 33};
          cs.a_type = at;
          cs.b_type = bt;
          cs.a_zp = at == Q8Type::kU8 ? (ext ? 255 : 0) : (ext ? 127 : -128);
          cs.b_zp_mode = 2;
          cs.out_type = ext ? Q8Type::kS8 : Q8Type::kU8;
          cs.out_zp = ext ? 127 : 0;
          cs.per_column_scale = true;
          cs.seed = 40 + ext;
          check(cfg, cs);
          cs.out_type = Q8Type::kI32;
          check(cfg, cs);
        }
}

TEST(Q8Gemm, SaturationAndFusedClamp) {
  for (const Q8GemmConfig& cfg : all_variants())
    for (Q8Type ot : {Q8Type::kU8, Q8Type::kS8}) {
      Case cs{9, 21, 45};
      cs.out_type = ot;
      cs.scale_mul = 50.0f;
      cs.out_zp = ot == Q8Type::kU8 ? 0 : 100;
      cs.per_column_scale = true;
      check(cfg, cs);
      cs.scale_mul = 1.0f;
      cs.out_zp = ot == Q8Type::kU8 ? 20 : -30;
      cs.fused_clamp = true;
      check(cfg, cs);
    }
}

TEST(Q8Gemm, RoundsHalfToEven) {
  // acc * scale lands exactly on .5: 1 * 0.5 -> 0, 3 * 0.5 -> 2, 5 * 0.5 -> 2, -1 * 0.5 -> -0, -3 * 0.5 -> -2.
  for (const Q8GemmConfig& cfg : all_variants()) {
    const int64_t n = 5, k = 1;
    const int8_t a[1] = {1};
    const int8_t b[5] = {1, 3, 5, -1, -3};
    std::vector<int16_t> packed(q8_gemm_packed_size(k, n, cfg.kr));
    ASSERT_TRUE(q8_gemm_pack_b(cfg.kr, k, n, b, Q8Type::kS8, n, 1, nullptr, 0, nullptr, Q8Type::kS8, 0, packed.data()));
    const float scale = 0.5f;
    int8_t c[5];
    q8_gemm(cfg, 1, n, k, a, Q8Type::kS8, k, packed.data(), c, n, Q8GemmOutput::quantized(Q8Type::kS8, &scale, false, 10),
            nullptr);
    EXPECT_EQ(c[0], 10);
    EXPECT_EQ(c[1], 12);
    EXPECT_EQ(c[2], 12);
    EXPECT_EQ(c[3], 10);
    EXPECT_EQ(c[4], 8);
  }
}

TEST(Q8Gemm, SetBiasRepacksForAnotherActivationZeroPoint) {
  // Packing for one activation type / zero point, then q8_gemm_set_bias for another, must give the
  // bytes packing for the second would have given.
  for (size_t kr : {2, 4})
  for (int64_t n : {1, 7, 8, 19})
    for (int64_t k : {1, 6, 33})
      for (Q8Type bt : {Q8Type::kU8, Q8Type::kS8})
        for (int bzm = 0; bzm < 3; ++bzm) {
          SCOPED_TRACE(::testing::Message() << "kr=" << kr << " n=" << n << " k=" << k << " bzm=" << bzm);
          std::vector<uint8_t> b = random_bytes(static_cast<size_t>(k * n), static_cast<uint32_t>(n * 100 + k));
          std::vector<uint8_t> bzp = random_bytes(static_cast<size_t>(n), static_cast<uint32_t>(k + 5));
          if (kr == 4) fit_int8(b, k, n, bt, bzm ? bzp.data() : nullptr, bzm == 2 ? 1 : 0);
          std::vector<int32_t> bias(static_cast<size_t>(n));
          for (int64_t j = 0; j < n; ++j) bias[j] = static_cast<int32_t>(j * 7919 - 40000);
          const void* zp = bzm ? bzp.data() : nullptr;
          const size_t zs = bzm == 2 ? 1 : 0;
          std::vector<int32_t> colsum(static_cast<size_t>(n));
          q8_gemm_column_sums(k, n, b.data(), bt, n, 1, zp, zs, colsum.data());
          for (Q8Type at : {Q8Type::kU8, Q8Type::kS8})
            for (int32_t azp : {0, 37, at == Q8Type::kU8 ? 255 : -128}) {
              std::vector<int16_t> want(q8_gemm_packed_size(k, n, kr)), got(want.size());
              ASSERT_TRUE(q8_gemm_pack_b(kr, k, n, b.data(), bt, n, 1, zp, zs, bias.data(), at, azp, want.data()));
              ASSERT_TRUE(q8_gemm_pack_b(kr, k, n, b.data(), bt, n, 1, zp, zs, bias.data(), Q8Type::kS8, 3, got.data()));
              q8_gemm_set_bias(kr, k, n, bias.data(), colsum.data(), at, azp, got.data());
              EXPECT_EQ(want, got);
            }
        }
}

TEST(Q8Gemm, Int8LayoutRefusesWeightsOutsideInt8) {
  // uint8 B with zero point 0: 200 - 0 does not fit int8, so KR = 4 refuses and KR = 2 packs.
  const int64_t k = 5, n = 3;
  std::vector<uint8_t> b(static_cast<size_t>(k * n), 100);
  std::vector<int16_t> packed(q8_gemm_packed_size(k, n, 2));
  EXPECT_TRUE(q8_gemm_pack_b(4, k, n, b.data(), Q8Type::kU8, n, 1, nullptr, 0, nullptr, Q8Type::kU8, 0, packed.data()));
  b[7] = 200;
  EXPECT_FALSE(q8_gemm_pack_b(4, k, n, b.data(), Q8Type::kU8, n, 1, nullptr, 0, nullptr, Q8Type::kU8, 0, packed.data()));
  EXPECT_TRUE(q8_gemm_pack_b(2, k, n, b.data(), Q8Type::kU8, n, 1, nullptr, 0, nullptr, Q8Type::kU8, 0, packed.data()));
  const uint8_t zp = 128;  // 200 - 128 fits
  EXPECT_TRUE(q8_gemm_pack_b(4, k, n, b.data(), Q8Type::kU8, n, 1, &zp, 0, nullptr, Q8Type::kU8, 0, packed.data()));
}

#if EDGEINFER_Q8_RELAXED_DOT
TEST(Q8Gemm, RelaxedDotProbeMatchesThisBuild) {
  // Natively the dot is the exact emulation, so the KR = 4 variant must be offered (unless turned off);
  // in wasm it is offered exactly when the engine's instruction is exact.
  q8_gemm_use_relaxed(true);
  const Q8GemmConfig* cfg = q8_gemm_relaxed_config();
#if defined(EDGEINFER_USE_SIMDE)
  ASSERT_NE(cfg, nullptr);
#endif
  if (cfg) {
    EXPECT_EQ(cfg->kr, 4);
  }
  q8_gemm_use_relaxed(false);
  EXPECT_EQ(q8_gemm_relaxed_config(), nullptr);
#if defined(__wasm_simd128__)
  q8_gemm_use_relaxed(true);
#endif
}
#endif

}  // namespace
}  // namespace edgeinfer
