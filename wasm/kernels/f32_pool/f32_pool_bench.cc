// 2-D pooling of one plane: reference vs SIMD128 for the common CNN configurations.
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "kernels/f32_pool/f32_pool.h"

namespace edgeinfer::kernels {
namespace {

template <void (*F)(const float*, float*, const F32Pool2dParams&)>
void pool(benchmark::State& state) {
  const int64_t hw = state.range(0), k = state.range(1), s = state.range(2), pad = state.range(3);
  F32Pool2dParams p{};
  p.in_h = p.in_w = hw;
  p.k_h = p.k_w = k;
  p.s_h = p.s_w = s;
  p.d_h = p.d_w = 1;
  p.pad_t = p.pad_l = p.pad_b = p.pad_r = pad;
  p.out_h = p.out_w = (hw + 2 * pad - k) / s + 1;
  p.is_max = state.range(4) != 0;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> x(hw * hw), y(p.out_h * p.out_w);
  for (auto& v : x) v = d(rng);
  for (auto _ : state) {
    F(x.data(), y.data(), p);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * p.out_h * p.out_w);
}

#define POOL_ARGS ->Args({112, 2, 2, 0, 1})->Args({112, 3, 2, 1, 1})->Args({56, 3, 1, 1, 1})->Args({56, 3, 1, 1, 0})
BENCHMARK_TEMPLATE(pool, f32_pool2d__ref) POOL_ARGS;
#if EDGEINFER_SIMD128
BENCHMARK_TEMPLATE(pool, f32_pool2d__simd128) POOL_ARGS;
#endif

}  // namespace
}  // namespace edgeinfer::kernels
