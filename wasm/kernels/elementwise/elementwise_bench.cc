// Google Benchmark for the elementwise loops: reference vs SIMD128 per op, and the broadcast walker
// on the PP-OCR pattern [1,C,H,W] op [1,C,1,1].
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "kernels/elementwise/broadcast.h"
#include "kernels/elementwise/elementwise.h"

namespace edgeinfer {
namespace elementwise {
namespace {

std::vector<float> data(int64_t n, float lo, float hi) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

void BM_Unary(benchmark::State& state, UnaryOp op, bool kSimd) {
  const int64_t n = state.range(0);
  std::vector<float> x = data(n, -5, 5), y(static_cast<size_t>(n));
  UnaryParams p{0.2f, 0.5f, 0};
  for (auto _ : state) {
#if EDGEINFER_SIMD128
    if (kSimd) f32_unary__simd128(op, p, x.data(), y.data(), n);
    else
#endif
      f32_unary__reference(op, p, x.data(), y.data(), n);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}

void BM_Binary(benchmark::State& state, BinaryOp op, int64_t sb, bool kSimd) {
  const int64_t n = state.range(0);
  std::vector<float> a = data(n, 0.5f, 2), b = data(n, 0.5f, 2), y(static_cast<size_t>(n));
  for (auto _ : state) {
#if EDGEINFER_SIMD128
    if (kSimd) f32_binary__simd128(op, a.data(), 1, b.data(), sb, y.data(), n);
    else
#endif
      f32_binary__reference(op, a.data(), 1, b.data(), sb, y.data(), n);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}

void BM_BroadcastPerChannel(benchmark::State& state) {
  const int64_t c = state.range(0), hw = state.range(1);
  const Shape out{1, c, hw, 1}, chan{1, c, 1, 1};
  std::vector<float> a = data(c * hw, -1, 1), b = data(c, -1, 1), y(static_cast<size_t>(c * hw));
  const BroadcastPlan plan = make_broadcast_plan(out, {&out, &chan});
  for (auto _ : state) {
    for_each_row(plan, nullptr, [&](int64_t o, const std::array<int64_t, 3>& in, int64_t n) {
      f32_binary(BinaryOp::kAdd, a.data() + in[0], plan.inner_stride(0), b.data() + in[1], plan.inner_stride(1),
                 y.data() + o, n);
    });
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * c * hw);
}

#define EI_UNARY_BENCH(name, op)                                                     \
  BENCHMARK_CAPTURE(BM_Unary, name##_reference, op, false)->Arg(1 << 16);            \
  BENCHMARK_CAPTURE(BM_Unary, name##_simd128, op, true)->Arg(1 << 16);

EI_UNARY_BENCH(relu, UnaryOp::kRelu)
EI_UNARY_BENCH(hardswish, UnaryOp::kHardSwish)
EI_UNARY_BENCH(exp, UnaryOp::kExp)
EI_UNARY_BENCH(sigmoid, UnaryOp::kSigmoid)
EI_UNARY_BENCH(tanh, UnaryOp::kTanh)
EI_UNARY_BENCH(erf, UnaryOp::kErf)
EI_UNARY_BENCH(gelu, UnaryOp::kGeluErf)

BENCHMARK_CAPTURE(BM_Binary, add_vv_reference, BinaryOp::kAdd, 1, false)->Arg(1 << 16);
BENCHMARK_CAPTURE(BM_Binary, add_vv_simd128, BinaryOp::kAdd, 1, true)->Arg(1 << 16);
BENCHMARK_CAPTURE(BM_Binary, mul_vs_reference, BinaryOp::kMul, 0, false)->Arg(1 << 16);
BENCHMARK_CAPTURE(BM_Binary, mul_vs_simd128, BinaryOp::kMul, 0, true)->Arg(1 << 16);
BENCHMARK_CAPTURE(BM_Binary, max_vv_simd128, BinaryOp::kMax, 1, true)->Arg(1 << 16);
BENCHMARK(BM_BroadcastPerChannel)->Args({16, 160 * 160})->Args({96, 20 * 20})->Args({256, 1});

}  // namespace
}  // namespace elementwise
}  // namespace edgeinfer
