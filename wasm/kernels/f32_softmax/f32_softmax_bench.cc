// Softmax kernels: reference vs SIMD128 on rows (axis innermost) and strided blocks (axis outer).
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "kernels/f32_softmax/f32_softmax.h"

namespace edgeinfer::kernels {
namespace {

std::vector<float> rnd(size_t n) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> d(-8.0f, 8.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

template <void (*F)(const float*, float*, int64_t, int64_t, bool)>
void rows(benchmark::State& state) {
  const int64_t r = state.range(0), n = state.range(1);
  std::vector<float> x = rnd(r * n), y(r * n);
  for (auto _ : state) {
    F(x.data(), y.data(), r, n, false);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * r * n);
}

template <void (*F)(const float*, float*, int64_t, int64_t, int64_t, bool)>
void strided(benchmark::State& state) {
  const int64_t n = state.range(0), inner = state.range(1);
  std::vector<float> x = rnd(n * inner), y(n * inner);
  for (auto _ : state) {
    F(x.data(), y.data(), n, inner, inner, false);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n * inner);
}

BENCHMARK_TEMPLATE(rows, f32_softmax_rows__ref)->Args({64, 6625})->Args({1024, 97});
BENCHMARK_TEMPLATE(strided, f32_softmax_strided__ref)->Args({19, 4096});
#if EDGEINFER_SIMD128
BENCHMARK_TEMPLATE(rows, f32_softmax_rows__simd128)->Args({64, 6625})->Args({1024, 97});
BENCHMARK_TEMPLATE(strided, f32_softmax_strided__simd128)->Args({19, 4096});
#endif

}  // namespace
}  // namespace edgeinfer::kernels
