// Reduction kernels: reference vs SIMD128, last-axis rows and outer-axis columns.
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "kernels/f32_reduce/f32_reduce.h"

namespace edgeinfer::kernels {
namespace {

std::vector<float> rnd(size_t n) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

template <void (*F)(const float*, float*, int64_t, int64_t, F32ReduceOp)>
void rows(benchmark::State& state) {
  const int64_t r = state.range(0), n = state.range(1);
  std::vector<float> x = rnd(r * n), y(r);
  for (auto _ : state) {
    F(x.data(), y.data(), r, n, static_cast<F32ReduceOp>(state.range(2)));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * r * n);
}

template <void (*F)(const float*, float*, int64_t, int64_t, int64_t, F32ReduceOp)>
void cols(benchmark::State& state) {
  const int64_t n = state.range(0), w = state.range(1);
  std::vector<float> x = rnd(n * w), y(w);
  for (auto _ : state) {
    F(x.data(), y.data(), n, w, w, static_cast<F32ReduceOp>(state.range(2)));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n * w);
}

BENCHMARK_TEMPLATE(rows, f32_reduce_rows__ref)->Args({480, 120, 0})->Args({480, 120, 3});
BENCHMARK_TEMPLATE(cols, f32_reduce_cols__ref)->Args({120, 480, 0});
#if EDGEINFER_SIMD128
BENCHMARK_TEMPLATE(rows, f32_reduce_rows__simd128)->Args({480, 120, 0})->Args({480, 120, 3});
BENCHMARK_TEMPLATE(cols, f32_reduce_cols__simd128)->Args({120, 480, 0});
#endif

}  // namespace
}  // namespace edgeinfer::kernels
