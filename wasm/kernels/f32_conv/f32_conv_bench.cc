// MobileNet-style convolutions through the runtime's kernels, in FLOP/s (2 * MACs):
// 3x3 dense (stem and mid-network), 1x1 pointwise, and 3x3 depthwise at stride 1 and 2.
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "kernels/f32_conv/f32_conv.h"
#include "kernels/f32_dwconv/f32_dwconv.h"

namespace edgeinfer {
namespace {

std::vector<float> rnd(size_t n) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

ConvGeometry geo2d(int64_t cin, int64_t cout, int64_t hw, int64_t k, int64_t s) {
  ConvGeometry g;
  g.nd = 2;
  g.c_in = cin; g.c_out = cout;
  g.in = {hw, hw}; g.kernel = {k, k}; g.stride = {s, s}; g.dilation = {1, 1}; g.pad_begin = {k / 2, k / 2};
  const int64_t o = (hw + 2 * (k / 2) - k) / s + 1;
  g.out = {o, o};
  return g;
}

// Args: c_in, c_out, hw, k, stride, threads.
void conv(benchmark::State& state) {
  const ConvGeometry g = geo2d(state.range(0), state.range(1), state.range(2), state.range(3), state.range(4));
  std::vector<float> x = rnd(g.c_in * g.in_size()), w = rnd(g.c_out * g.c_in * g.kernel_size()), b = rnd(g.c_out);
  std::vector<float> packed(conv_packed_size(g)), y(g.c_out * g.out_size());
  f32_conv_pack_weights(g, w.data(), b.data(), packed.data());
  std::vector<float> scratch(f32_conv_scratch_bytes(g) / sizeof(float));
  ThreadPool pool(static_cast<int>(state.range(5)));
  Activation relu;
  relu.kind = Activation::kRelu;
  for (auto _ : state) {
    f32_conv(g, x.data(), packed.data(), y.data(), relu, &pool, scratch.data(), scratch.size() * sizeof(float));
    benchmark::ClobberMemory();
  }
  state.counters["FLOPS"] = benchmark::Counter(2.0 * g.c_out * g.out_size() * g.c_in * g.kernel_size(),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

// Args: channels, hw, k, stride, threads.
void dwconv(benchmark::State& state) {
  DwConv2dParams p;
  p.channels = state.range(0);
  p.ih = p.iw = state.range(1);
  p.kh = p.kw = state.range(2);
  p.sh = p.sw = state.range(3);
  p.pad_top = p.pad_left = p.kh / 2;
  p.oh = p.ow = (p.ih + 2 * p.pad_top - p.kh) / p.sh + 1;
  std::vector<float> x = rnd(p.channels * p.ih * p.iw), w = rnd(p.channels * p.kh * p.kw), b = rnd(p.channels);
  std::vector<float> y(p.channels * p.oh * p.ow), scratch(f32_dwconv2d_scratch_bytes(p) / sizeof(float));
  ThreadPool pool(static_cast<int>(state.range(4)));
  Activation relu;
  relu.kind = Activation::kRelu;
  for (auto _ : state) {
    f32_dwconv2d(p, x.data(), w.data(), b.data(), y.data(), relu, &pool, scratch.data(), scratch.size() * sizeof(float));
    benchmark::ClobberMemory();
  }
  state.counters["FLOPS"] = benchmark::Counter(2.0 * p.channels * p.oh * p.ow * p.kh * p.kw,
                                               benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(conv)
    ->ArgNames({"cin", "cout", "hw", "k", "s", "threads"})
    ->Args({3, 32, 224, 3, 2, 1})     // stem
    ->Args({32, 64, 56, 3, 1, 1})     // dense 3x3
    ->Args({64, 128, 56, 1, 1, 1})    // pointwise
    ->Args({256, 256, 14, 1, 1, 1})
    ->Args({64, 128, 56, 1, 1, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(dwconv)
    ->ArgNames({"c", "hw", "k", "s", "threads"})
    ->Args({64, 112, 3, 1, 1})
    ->Args({128, 56, 3, 2, 1})
    ->Args({256, 28, 5, 1, 1})
    ->Args({64, 112, 3, 1, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace edgeinfer
