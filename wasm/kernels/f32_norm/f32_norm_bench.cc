// Normalization building blocks: moments + normalize of one row, reference vs SIMD128.
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "kernels/f32_norm/f32_norm.h"

namespace edgeinfer::kernels {
namespace {

template <void (*M)(const float*, int64_t, float*, float*),
          void (*N)(const float*, float*, int64_t, float, float, const float*, const float*)>
void layernorm_row(benchmark::State& state) {
  const int64_t n = state.range(0);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> x(n), y(n), s(n), b(n);
  for (auto& v : x) v = d(rng);
  for (auto& v : s) v = d(rng);
  for (auto _ : state) {
    float mean, var;
    M(x.data(), n, &mean, &var);
    N(x.data(), y.data(), n, mean, 1.0f / (var + 1e-5f), s.data(), b.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n);
}

BENCHMARK_TEMPLATE(layernorm_row, f32_moments__ref, f32_normalize__ref)->Arg(120)->Arg(768);
#if EDGEINFER_SIMD128
BENCHMARK_TEMPLATE(layernorm_row, f32_moments__simd128, f32_normalize__simd128)->Arg(120)->Arg(768);
#endif

}  // namespace
}  // namespace edgeinfer::kernels
