// GEMM benchmarks: the microkernel alone on an L1-resident problem (its peak), and whole GEMMs through
// the tiling driver, reported in FLOP/s so the two compare directly.
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "kernels/f32_gemm/f32_gemm.h"

namespace edgeinfer {
namespace {

std::vector<float> rnd(size_t n) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

void set_flops(benchmark::State& state, double flops_per_iter) {
  state.counters["FLOPS"] = benchmark::Counter(flops_per_iter, benchmark::Counter::kIsIterationInvariantRate,
                                               benchmark::Counter::kIs1000);
}

// One microkernel call of mr x (4 * nr) x kc with everything in L1: the ceiling of the driver.
void ukernel_peak(benchmark::State& state, F32GemmUKernel uk, int mr, int nr) {
  const size_t kc = 256, nc = 4 * static_cast<size_t>(nr);
  std::vector<float> a = rnd(mr * kc), b = rnd(kc * nc), packed(f32_gemm_packed_size(kc, nc, nr)), c(mr * nc);
  f32_gemm_pack_b(kc, nc, nr, b.data(), nc, 1, 1.0f, nullptr, 1, 1.0f, packed.data());
  const F32MinMax mm{-INFINITY, INFINITY};
  for (auto _ : state) {
    uk(mr, nc, kc, a.data(), kc, packed.data(), c.data(), nc, mm);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, 2.0 * mr * nc * kc);
}

void gemm(benchmark::State& state, F32GemmConfig cfg) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  const int threads = static_cast<int>(state.range(3));
  std::vector<float> a = rnd(m * k), b = rnd(k * n), packed(f32_gemm_packed_size(k, n, cfg.nr)), c(m * n);
  f32_gemm_pack_b(k, n, cfg.nr, b.data(), n, 1, 1.0f, nullptr, 1, 1.0f, packed.data());
  ThreadPool pool(threads);
  for (auto _ : state) {
    f32_gemm(cfg, m, n, k, a.data(), k, packed.data(), c.data(), n, Activation{}, &pool);
    benchmark::ClobberMemory();
  }
  set_flops(state, 2.0 * m * n * k);
}

void gemm_reference(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  std::vector<float> a = rnd(m * k), b = rnd(k * n), c(m * n);
  for (auto _ : state) {
    f32_gemm_reference(m, n, k, a.data(), k, b.data(), n, nullptr, c.data(), n);
    benchmark::ClobberMemory();
  }
  set_flops(state, 2.0 * m * n * k);
}

void gemm_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K", "threads"});
  for (int t : {1, 2}) {
    b->Args({384, 768, 768, t});
    b->Args({384, 3072, 768, t});
    b->Args({3136, 64, 64, t});     // 56x56 pixels, 1x1 conv 64->64 seen as GEMM
    b->Args({1, 768, 768, t});      // vector x matrix
  }
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK_CAPTURE(ukernel_peak, 4x8__scalar, f32_gemm_4x8__scalar, 4, 8);
#if defined(__wasm_simd128__) || defined(EDGEINFER_USE_SIMDE)
BENCHMARK_CAPTURE(ukernel_peak, 1x8__simd128, f32_gemm_1x8__simd128, 1, 8);
BENCHMARK_CAPTURE(ukernel_peak, 4x8__simd128, f32_gemm_4x8__simd128, 4, 8);
BENCHMARK_CAPTURE(ukernel_peak, 6x8__simd128, f32_gemm_6x8__simd128, 6, 8);
BENCHMARK_CAPTURE(ukernel_peak, 4x16__simd128, f32_gemm_4x16__simd128, 4, 16);
BENCHMARK_CAPTURE(gemm, 4x8__simd128, F32GemmConfig{f32_gemm_4x8__simd128, f32_gemm_1x8__simd128, 4, 8, "4x8"})
    ->Apply(gemm_shapes);
BENCHMARK_CAPTURE(gemm, 4x16__simd128, F32GemmConfig{f32_gemm_4x16__simd128, f32_gemm_4x16__simd128, 4, 16, "4x16"})
    ->Args({384, 768, 768, 1})->Unit(benchmark::kMillisecond);
#endif
BENCHMARK_CAPTURE(gemm, default, f32_gemm_config())->Apply(gemm_shapes);
BENCHMARK(gemm_reference)->Args({384, 768, 768})->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace edgeinfer
