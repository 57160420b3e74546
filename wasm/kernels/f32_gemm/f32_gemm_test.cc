// Every GEMM microkernel against the triple-loop reference, through packing and the tiling driver.
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/f32_gemm/f32_gemm.h"

namespace edgeinfer {
namespace {

std::vector<F32GemmConfig> all_variants() {
  std::vector<F32GemmConfig> v = {
      {f32_gemm_4x8__scalar, f32_gemm_1x8__scalar, 4, 8, "4x8__scalar"},
      {f32_gemm_1x8__scalar, f32_gemm_1x8__scalar, 1, 8, "1x8__scalar"},
  };
#if defined(__wasm_simd128__) || defined(EDGEINFER_USE_SIMDE)
  v.push_back({f32_gemm_4x8__simd128, f32_gemm_1x8__simd128, 4, 8, "4x8__simd128"});
  v.push_back({f32_gemm_6x8__simd128, f32_gemm_1x8__simd128, 6, 8, "6x8__simd128"});
  v.push_back({f32_gemm_1x8__simd128, f32_gemm_1x8__simd128, 1, 8, "1x8__simd128"});
  v.push_back({f32_gemm_4x16__simd128, f32_gemm_4x16__simd128, 4, 16, "4x16__simd128"});
#endif
  return v;
}

std::vector<float> random_vec(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Runs one GEMM through a variant and compares with reference + activation. Also checks that the
// cells outside C (row padding of ldc) stay untouched.
void check(const F32GemmConfig& cfg, int64_t m, int64_t n, int64_t k, const Activation& act, bool with_bias,
           bool transposed_b, int threads) {
  SCOPED_TRACE(::testing::Message() << cfg.name << " m=" << m << " n=" << n << " k=" << k << " act=" << act.kind
                                    << " bias=" << with_bias << " bT=" << transposed_b << " threads=" << threads);
  const int64_t lda = k + 3, ldc = n + 5;
  std::vector<float> a = random_vec(static_cast<size_t>(m * lda), 1);
  std::vector<float> b = random_vec(static_cast<size_t>(k * n), 2);
  std::vector<float> bias = random_vec(static_cast<size_t>(n), 3);
  std::vector<float> packed(f32_gemm_packed_size(k, n, cfg.nr), -7.0f);
  if (transposed_b) {
    std::vector<float> bt(static_cast<size_t>(k * n));
    for (int64_t p = 0; p < k; ++p)
      for (int64_t j = 0; j < n; ++j) bt[j * k + p] = b[p * n + j];
    f32_gemm_pack_b(k, n, cfg.nr, bt.data(), 1, k, 1.0f, with_bias ? bias.data() : nullptr, 1, 1.0f, packed.data());
  } else {
    f32_gemm_pack_b(k, n, cfg.nr, b.data(), n, 1, 1.0f, with_bias ? bias.data() : nullptr, 1, 1.0f, packed.data());
  }
  std::vector<float> expect(static_cast<size_t>(m * ldc), 0.0f);
  f32_gemm_reference(m, n, k, a.data(), lda, b.data(), n, with_bias ? bias.data() : nullptr, expect.data(), ldc);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) expect[i * ldc + j] = act.apply(expect[i * ldc + j]);
  std::vector<float> c(static_cast<size_t>(m * ldc), 12345.0f);
  ThreadPool pool(threads);
  f32_gemm(cfg, m, n, k, a.data(), lda, packed.data(), c.data(), ldc, act, &pool);
  int bad = 0;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      const float e = j < n ? expect[i * ldc + j] : 12345.0f;
      const float got = c[i * ldc + j];
      if (!(std::fabs(got - e) <= 1e-4f + 1e-4f * std::fabs(e))) {
        if (bad++ < 5) ADD_FAILURE() << "C[" << i << "][" << j << "] = " << got << ", expected " << e;
      }
    }
  }
  EXPECT_EQ(bad, 0);
}

Activation make_act(Activation::Kind kind) {
  Activation a;
  a.kind = kind;
  if (kind == Activation::kClip) { a.a = -0.25f; a.b = 0.5f; }
  if (kind == Activation::kLeakyRelu) a.a = 0.1f;
  if (kind == Activation::kHardSigmoid) { a.a = 0.2f; a.b = 0.5f; }
  return a;
}

TEST(F32Gemm, TileEdgesAllVariants) {
  for (const F32GemmConfig& cfg : all_variants()) {
    const int64_t mr = cfg.mr, nr = cfg.nr;
    for (int64_t m : {std::max<int64_t>(1, mr - 1), mr, mr + 1, 2 * mr + 1})
      for (int64_t n : {nr - 1, nr, nr + 1, 2 * nr + 3})
        for (int64_t k : {1, 2, 7, 16})
          check(cfg, m, n, k, Activation{}, true, false, 1);
  }
}

TEST(F32Gemm, SmallDims) {
  for (const F32GemmConfig& cfg : all_variants())
    for (int64_t m : {1, 2, 3})
      for (int64_t n : {1, 2, 3, 4, 5})
        check(cfg, m, n, 3, Activation{}, false, false, 1);
}

TEST(F32Gemm, LargeOddSizes) {
  for (const F32GemmConfig& cfg : all_variants()) {
    check(cfg, 97, 131, 253, Activation{}, true, false, 1);
    check(cfg, 61, 77, 1031, Activation{}, false, true, 1);  // several column panels
  }
}

TEST(F32Gemm, Activations) {
  for (const F32GemmConfig& cfg : all_variants())
    for (Activation::Kind kind : {Activation::kRelu, Activation::kClip, Activation::kLeakyRelu, Activation::kHardSigmoid,
                                  Activation::kHardSwish, Activation::kSigmoid})
      check(cfg, cfg.mr + 1, 2 * cfg.nr + 1, 9, make_act(kind), true, false, 1);
}

TEST(F32Gemm, TransposedBAndThreads) {
  const F32GemmConfig& cfg = f32_gemm_config();
  for (int threads : {1, 2, 3}) {
    check(cfg, 37, 45, 19, make_act(Activation::kRelu), true, true, threads);
    check(cfg, 1, 300, 64, Activation{}, true, false, threads);
    check(cfg, 200, 9, 33, make_act(Activation::kHardSwish), false, false, threads);
  }
}

TEST(F32Gemm, PackScalesBAndBias) {
  const F32GemmConfig& cfg = f32_gemm_config();
  const int64_t m = 3, n = 11, k = 5;
  std::vector<float> a = random_vec(m * k, 5), b = random_vec(k * n, 6), bias = random_vec(n, 7);
  std::vector<float> packed(f32_gemm_packed_size(k, n, cfg.nr));
  f32_gemm_pack_b(k, n, cfg.nr, b.data(), n, 1, 2.0f, bias.data(), 1, -3.0f, packed.data());
  std::vector<float> c(m * n);
  f32_gemm(cfg, m, n, k, a.data(), k, packed.data(), c.data(), n, Activation{}, nullptr);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double e = -3.0 * bias[j];
      for (int64_t p = 0; p < k; ++p) e += 2.0 * a[i * k + p] * b[p * n + j];
      EXPECT_NEAR(c[i * n + j], e, 1e-4) << i << "," << j;
    }
}

}  // namespace
}  // namespace edgeinfer
