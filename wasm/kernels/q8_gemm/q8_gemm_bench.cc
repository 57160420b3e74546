// Quantized GEMM benchmarks: each microkernel on an L1-resident problem (its peak), and whole GEMMs
// through the tiling driver next to the fp32 GEMM on the same shapes, all in MAC/s so they compare.
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "kernels/f32_gemm/f32_gemm.h"
#include "kernels/q8_gemm/q8_gemm.h"

namespace edgeinfer {
namespace {

std::vector<uint8_t> rnd8(size_t n) {
  std::mt19937 rng(42);
  std::vector<uint8_t> v(n);
  for (auto& x : v) x = static_cast<uint8_t>(rng());
  return v;
}

void set_macs(benchmark::State& state, double macs_per_iter) {
  state.counters["MACS"] = benchmark::Counter(macs_per_iter, benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
}

const float kScale = 1e-4f;

void q8_ukernel_peak(benchmark::State& state, const Q8GemmConfig* cfg, Q8Type out_type) {
  const size_t kc = 256, nc = 32;
  std::vector<uint8_t> a = rnd8(cfg->mr * kc), b = rnd8(kc * nc), c(cfg->mr * nc * 4);
  const size_t kr = static_cast<size_t>(cfg->kr);
  std::vector<int16_t> packed(q8_gemm_packed_size(kc, nc, kr));
  q8_gemm_pack_b(kr, kc, nc, b.data(), Q8Type::kS8, nc, 1, nullptr, 0, nullptr, Q8Type::kU8, 128, packed.data());
  const Q8GemmOutput out = out_type == Q8Type::kI32 ? Q8GemmOutput::int32()
                                                    : Q8GemmOutput::quantized(Q8Type::kU8, &kScale, false, 128);
  const Q8GemmUKernel uk = cfg->get(out_type);
  std::vector<int16_t> a16(q8_gemm_packed_a_size(cfg->mr, kc, cfg->mr, kr));
  q8_gemm_pack_a(kr, cfg->mr, kc, a.data(), Q8Type::kU8, kc, cfg->mr, a16.data());
  for (auto _ : state) {
    uk(cfg->mr, nc, kc, a16.data(), packed.data(), c.data(), nc, 0, out);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_macs(state, 1.0 * cfg->mr * nc * kc);
}

void q8_gemm_bench(benchmark::State& state, const Q8GemmConfig* cfg) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  std::vector<uint8_t> a = rnd8(m * k), b = rnd8(k * n), c(m * n);
  const size_t kr = static_cast<size_t>(cfg->kr);
  std::vector<int16_t> packed(q8_gemm_packed_size(k, n, kr));
  q8_gemm_pack_b(kr, k, n, b.data(), Q8Type::kS8, n, 1, nullptr, 0, nullptr, Q8Type::kU8, 128, packed.data());
  const Q8GemmOutput out = Q8GemmOutput::quantized(Q8Type::kU8, &kScale, false, 128);
  ThreadPool pool(static_cast<int>(state.range(3)));
  for (auto _ : state) {
    q8_gemm(*cfg, m, n, k, a.data(), Q8Type::kU8, k, packed.data(), c.data(), n, out, &pool);
    benchmark::ClobberMemory();
  }
  set_macs(state, 1.0 * m * n * k);
}

// The fp32 GEMM on the same shapes, for the q8 / fp32 ratio.
void f32_gemm_same_shape(benchmark::State& state) {
  const F32GemmConfig& cfg = f32_gemm_config();
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  std::vector<float> a(m * k, 0.5f), b(k * n, 0.25f), packed(f32_gemm_packed_size(k, n, cfg.nr)), c(m * n);
  f32_gemm_pack_b(k, n, cfg.nr, b.data(), n, 1, 1.0f, nullptr, 1, 1.0f, packed.data());
  ThreadPool pool(static_cast<int>(state.range(3)));
  for (auto _ : state) {
    f32_gemm(cfg, m, n, k, a.data(), k, packed.data(), c.data(), n, Activation{}, &pool);
    benchmark::ClobberMemory();
  }
  set_macs(state, 1.0 * m * n * k);
}

void q8_reference(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  std::vector<uint8_t> a = rnd8(m * k), b = rnd8(k * n), c(m * n);
  const Q8GemmOutput out = Q8GemmOutput::quantized(Q8Type::kU8, &kScale, false, 128);
  for (auto _ : state) {
    q8_gemm_reference(m, n, k, a.data(), Q8Type::kU8, k, 128, b.data(), Q8Type::kS8, n, nullptr, 0, nullptr, c.data(),
                      n, out);
    benchmark::ClobberMemory();
  }
  set_macs(state, 1.0 * m * n * k);
}

void shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K", "threads"});
  for (int t : {1, 2}) {
    b->Args({384, 768, 768, t});
    b->Args({25600, 24, 864, t});  // PP-OCRv4 det 3x3 96->24 at 160x160, pixels as rows
    b->Args({1600, 192, 192, t});  // det 1x1 192->192 at 40x40
    b->Args({1, 768, 768, t});     // vector x matrix
  }
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK_CAPTURE(q8_ukernel_peak, 4x8c2__scalar_u8, &q8_gemm_4x8c2__scalar(), Q8Type::kU8);
#if defined(__wasm_simd128__) || defined(EDGEINFER_USE_SIMDE)
BENCHMARK_CAPTURE(q8_ukernel_peak, 1x8c2__simd128_u8, &q8_gemm_1x8c2__simd128(), Q8Type::kU8);
BENCHMARK_CAPTURE(q8_ukernel_peak, 2x8c2__simd128_u8, &q8_gemm_2x8c2__simd128(), Q8Type::kU8);
BENCHMARK_CAPTURE(q8_ukernel_peak, 4x8c2__simd128_u8, &q8_gemm_4x8c2__simd128(), Q8Type::kU8);
BENCHMARK_CAPTURE(q8_ukernel_peak, 4x8c2__simd128_i32, &q8_gemm_4x8c2__simd128(), Q8Type::kI32);
#endif
#if EDGEINFER_Q8_RELAXED_DOT
BENCHMARK_CAPTURE(q8_ukernel_peak, 4x8c4__relaxedsimd_u8, &q8_gemm_4x8c4__relaxedsimd(), Q8Type::kU8);
#endif
BENCHMARK_CAPTURE(q8_gemm_bench, default, &q8_gemm_config())->Apply(shapes);
BENCHMARK(f32_gemm_same_shape)->Apply(shapes);
BENCHMARK(q8_reference)->Args({384, 768, 768})->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace edgeinfer
