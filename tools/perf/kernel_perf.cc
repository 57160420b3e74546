// edgeinfer_kernel_perf: GEMM and convolution throughput in GFLOP/s and as a share of the fp32 peak
// of the best GEMM microkernel, built natively and for WebAssembly (so the figures are wasm figures,
// not SIMDe-on-AVX ones). No Google Benchmark: it must build with Emscripten.
//
//   node --no-experimental-fetch build/wasm-simd-threads/tools/perf/edgeinfer_kernel_perf.js [--threads N]
//        [--filter TEXT] [--min-ms MS] [--wall]
//   build/native/tools/perf/edgeinfer_kernel_perf ...
//
// Times are CPU time of the process at 1 thread (the machine is shared: wall time under load measures
// the scheduler), wall time with --threads > 1 or --wall.
//
// "peak": each microkernel on an L1-resident problem (kc = 256, one tile of C) called in a tight loop;
// the best of them is 100%. Then whole GEMMs through the tiling driver and convolutions through the
// runtime's conv kernels (shapes from PP-OCRv4 det/rec and openWakeWord), each the median of
// repeated timings.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <ctime>

#if defined(__EMSCRIPTEN__)
#include <emscripten.h>
#endif

#include "kernels/f32_conv/f32_conv.h"
#include "kernels/f32_dwconv/f32_dwconv.h"
#include "kernels/f32_gemm/f32_gemm.h"
#include "kernels/q8_binary/q8_binary.h"
#include "kernels/q8_conv/q8_conv.h"
#include "kernels/q8_dwconv/q8_dwconv.h"
#include "kernels/q8_gemm/q8_gemm.h"
#include "runtime/thread_pool.h"

namespace edgeinfer {
namespace {

using Clock = std::chrono::steady_clock;

#if defined(__EMSCRIPTEN__)
// Node's process CPU time (user + system, all threads); wall time where there is no `process`.
EM_JS(double, js_cpu_ms, (), {
  if (typeof process !== 'undefined' && process.cpuUsage) {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }
  return performance.now();
});
double cpu_ms() { return js_cpu_ms(); }
#else
double cpu_ms() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
#endif

bool g_cpu_time = true;
double now_ms() {
  return g_cpu_time ? cpu_ms() : std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count();
}

std::vector<float> rnd(size_t n, unsigned seed = 42) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

double g_min_ms = 300;

// Median ms per call of fn over batches lasting >= ~min_ms/8 each, after a warm-up call.
double time_ms(const std::function<void()>& fn) {
  fn();
  double t0 = now_ms();
  fn();
  double one = now_ms() - t0;
  const int reps = std::max(1, static_cast<int>(g_min_ms / 8 / std::max(one, 1e-3)));
  std::vector<double> samples;
  double total = 0;
  while (samples.size() < 5 || (total < g_min_ms && samples.size() < 200)) {
    t0 = now_ms();
    for (int i = 0; i < reps; ++i) fn();
    const double ms = now_ms() - t0;
    total += ms;
    samples.push_back(ms / reps);
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

struct Row {
  std::string name;
  double ms, gflops;
};

double g_peak = 0;

void print_row(const std::string& name, double ms, double flops) {
  const double gf = flops / (ms * 1e6);
  if (g_peak > 0)
    std::printf("%-52s %10.3f ms %8.2f GFLOP/s %6.1f%% of peak\n", name.c_str(), ms, gf, 100.0 * gf / g_peak);
  else
    std::printf("%-52s %10.3f ms %8.2f GFLOP/s\n", name.c_str(), ms, gf);
  std::fflush(stdout);
}

struct UKernel {
  const char* name;
  F32GemmUKernel fn;
  int mr, nr;
};

std::vector<UKernel> ukernels() {
  std::vector<UKernel> v = {{"4x8__scalar", f32_gemm_4x8__scalar, 4, 8}};
#if defined(__wasm_simd128__) || defined(EDGEINFER_USE_SIMDE)
  v.push_back({"1x8__simd128", f32_gemm_1x8__simd128, 1, 8});
  v.push_back({"4x8__simd128", f32_gemm_4x8__simd128, 4, 8});
  v.push_back({"6x8__simd128", f32_gemm_6x8__simd128, 6, 8});
  v.push_back({"4x16__simd128", f32_gemm_4x16__simd128, 4, 16});
#endif
  return v;
}

double ukernel_gflops(const UKernel& u, bool print) {
  const size_t kc = 256, nc = static_cast<size_t>(u.nr);
  std::vector<float> a = rnd(u.mr * kc), b = rnd(kc * nc), packed(f32_gemm_packed_size(kc, nc, u.nr)), c(u.mr * nc);
  f32_gemm_pack_b(kc, nc, u.nr, b.data(), nc, 1, 1.0f, nullptr, 1, 1.0f, packed.data());
  const F32MinMax mm{-INFINITY, INFINITY};
  const double ms = time_ms([&] {
    for (int i = 0; i < 64; ++i) u.fn(u.mr, nc, kc, a.data(), kc, packed.data(), c.data(), nc, mm);
  });
  const double flops = 64.0 * 2.0 * u.mr * nc * kc;
  if (print) print_row(std::string("ukernel ") + u.name + " (kc=256, L1)", ms / 64, flops / 64);
  return flops / (ms * 1e6);
}

struct ConvUKernel {
  const char* name;
  F32ConvUKernel fn;
  int mr;
};

std::vector<ConvUKernel> conv_ukernels() {
  std::vector<ConvUKernel> v = {{"conv 4x8__scalar", f32_conv_4x8__scalar, 4}};
#if defined(__wasm_simd128__) || defined(EDGEINFER_USE_SIMDE)
  v.push_back({"conv 4x8__simd128", f32_conv_4x8__simd128, 4});
  v.push_back({"conv 6x8__simd128", f32_conv_6x8__simd128, 6});
#endif
  return v;
}

// The convolution microkernel on an L1-resident operand (offsets k * 8: a packed 8-pixel panel).
double conv_ukernel_gflops(const ConvUKernel& u, bool print) {
  const size_t kc = 256, nc = 8;
  std::vector<float> w = rnd(u.mr * (kc + 1)), b = rnd(kc * nc), c(u.mr * nc);
  std::vector<int32_t> koff(kc);
  for (size_t k = 0; k < kc; ++k) koff[k] = static_cast<int32_t>(k * nc);
  const F32ConvParams params{-INFINITY, INFINITY, 0.0f, 0};
  const double ms = time_ms([&] {
    for (int i = 0; i < 64; ++i) u.fn(u.mr, nc, kc, w.data(), b.data(), koff.data(), c.data(), nc, params);
  });
  const double flops = 64.0 * 2.0 * u.mr * nc * kc;
  if (print) print_row(std::string("ukernel ") + u.name + " (kc=256, L1)", ms / 64, flops / 64);
  return flops / (ms * 1e6);
}

void bench_gemm(const F32GemmConfig& cfg, int64_t m, int64_t n, int64_t k, ThreadPool& pool) {
  std::vector<float> a = rnd(m * k), b = rnd(k * n), packed(f32_gemm_packed_size(k, n, cfg.nr)), c(m * n);
  f32_gemm_pack_b(k, n, cfg.nr, b.data(), n, 1, 1.0f, nullptr, 1, 1.0f, packed.data());
  const double ms = time_ms([&] { f32_gemm(cfg, m, n, k, a.data(), k, packed.data(), c.data(), n, Activation{}, &pool); });
  char name[128];
  std::snprintf(name, sizeof name, "gemm %s %lldx%lldx%lld (MxNxK)", cfg.name, (long long)m, (long long)n,
                (long long)k);
  print_row(name, ms, 2.0 * m * n * k);
}

ConvGeometry geo2d(int64_t cin, int64_t cout, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t s, int64_t pad_h,
                   int64_t pad_w) {
  ConvGeometry g;
  g.nd = 2;
  g.c_in = cin;
  g.c_out = cout;
  g.in = {h, w};
  g.kernel = {kh, kw};
  g.stride = {s, s};
  g.dilation = {1, 1};
  g.pad_begin = {pad_h, pad_w};
  g.out = {(h + 2 * pad_h - kh) / s + 1, (w + 2 * pad_w - kw) / s + 1};
  return g;
}

void bench_conv(const char* label, const ConvGeometry& g, ThreadPool& pool) {
  std::vector<float> x = rnd(g.c_in * g.in_size()), w = rnd(g.c_out * g.c_in * g.kernel_size()), b = rnd(g.c_out);
  std::vector<float> packed(conv_packed_size(g)), y(g.c_out * g.out_size());
  f32_conv_pack_weights(g, w.data(), b.data(), packed.data());
  std::vector<float> scratch(f32_conv_scratch_bytes(g) / sizeof(float));
  Activation relu;
  relu.kind = Activation::kRelu;
  const double ms = time_ms([&] {
    f32_conv(g, x.data(), packed.data(), y.data(), relu, &pool, scratch.data(), scratch.size() * sizeof(float));
  });
  char name[160];
  std::snprintf(name, sizeof name, "conv %s %lldx%lldx%lld->%lld k%lldx%lld s%lld", label, (long long)g.c_in,
                (long long)g.in[0], (long long)g.in[1], (long long)g.c_out, (long long)g.kernel[0],
                (long long)g.kernel[1], (long long)g.stride[0]);
  print_row(name, ms, 2.0 * g.c_out * g.out_size() * g.c_in / g.group * g.kernel_size());
}

void bench_dwconv(const char* label, int64_t c, int64_t hw, int64_t k, int64_t s, ThreadPool& pool) {
  DwConv2dParams p;
  p.channels = c;
  p.ih = p.iw = hw;
  p.kh = p.kw = k;
  p.sh = p.sw = s;
  p.pad_top = p.pad_left = k / 2;
  p.oh = p.ow = (hw + 2 * (k / 2) - k) / s + 1;
  std::vector<float> x = rnd(c * hw * hw), w = rnd(c * k * k), b = rnd(c), y(c * p.oh * p.ow);
  std::vector<float> scratch(f32_dwconv2d_scratch_bytes(p) / sizeof(float));
  const double ms = time_ms([&] {
    f32_dwconv2d(p, x.data(), w.data(), b.data(), y.data(), Activation{}, &pool, scratch.data(),
                 scratch.size() * sizeof(float));
  });
  char name[160];
  std::snprintf(name, sizeof name, "dwconv %s %lldx%lldx%lld k%lld s%lld", label, (long long)c, (long long)hw,
                (long long)hw, (long long)k, (long long)s);
  print_row(name, ms, 2.0 * c * p.oh * p.ow * k * k);
}

// Quantized GEMM (uint8 activations, int8 weights, uint8 output: onnxruntime's default QDQ) against
// the fp32 GEMM on the same shape, both in GMAC/s (multiply-adds per second).
std::vector<uint8_t> rnd8(size_t n) {
  std::mt19937 rng(7);
  std::vector<uint8_t> v(n);
  for (auto& x : v) x = static_cast<uint8_t>(rng());
  return v;
}

void bench_q8_ukernel(const Q8GemmConfig& q) {
  const size_t kc = 256, nc = 8;
  std::vector<uint8_t> a = rnd8(q.mr * kc), b = rnd8(kc * nc), c(q.mr * nc);
  const size_t kr = static_cast<size_t>(q.kr);
  std::vector<int16_t> packed(q8_gemm_packed_size(kc, nc, kr));
  q8_gemm_pack_b(kr, kc, nc, b.data(), Q8Type::kS8, nc, 1, nullptr, 0, nullptr, Q8Type::kU8, 128, packed.data());
  const float scale = 1e-4f;
  const Q8GemmOutput out = Q8GemmOutput::quantized(Q8Type::kU8, &scale, false, 128);
  const Q8GemmUKernel uk = q.get(Q8Type::kU8);
  std::vector<int16_t> a16(q8_gemm_packed_a_size(q.mr, kc, q.mr, kr));
  q8_gemm_pack_a(kr, q.mr, kc, a.data(), Q8Type::kU8, kc, q.mr, a16.data());
  const double ms = time_ms([&] {
    for (int i = 0; i < 64; ++i) uk(q.mr, nc, kc, a16.data(), packed.data(), c.data(), nc, 0, out);
  });
  const double macs = 64.0 * q.mr * nc * kc;
  std::printf("%-52s %10.5f ms %8.2f GMAC/s\n", (std::string("q8 ukernel ") + q.name + " (kc=256, L1)").c_str(),
              ms / 64, macs / (ms * 1e6));
}

void bench_q8_vs_f32(int64_t m, int64_t n, int64_t k, ThreadPool& pool) {
  const F32GemmConfig& cfg = f32_gemm_config();
  std::vector<float> af = rnd(m * k), bf = rnd(k * n), pf(f32_gemm_packed_size(k, n, cfg.nr)), cf(m * n);
  f32_gemm_pack_b(k, n, cfg.nr, bf.data(), n, 1, 1.0f, nullptr, 1, 1.0f, pf.data());
  const double ms_f = time_ms([&] { f32_gemm(cfg, m, n, k, af.data(), k, pf.data(), cf.data(), n, Activation{}, &pool); });
  std::vector<const Q8GemmConfig*> variants = {&q8_gemm_config()};
  if (q8_gemm_relaxed_config()) variants.push_back(q8_gemm_relaxed_config());
  for (const Q8GemmConfig* q : variants) {
    const size_t kr = static_cast<size_t>(q->kr);
    std::vector<uint8_t> a = rnd8(m * k), b = rnd8(k * n), c(m * n);
    std::vector<int16_t> packed(q8_gemm_packed_size(k, n, kr));
    q8_gemm_pack_b(kr, k, n, b.data(), Q8Type::kS8, n, 1, nullptr, 0, nullptr, Q8Type::kU8, 128, packed.data());
    const float scale = 1e-4f;
    const Q8GemmOutput out = Q8GemmOutput::quantized(Q8Type::kU8, &scale, false, 128);
    const double ms_q = time_ms([&] {
      q8_gemm(*q, m, n, k, a.data(), Q8Type::kU8, k, packed.data(), c.data(), n, out, &pool);
    });
    const double macs = static_cast<double>(m) * n * k;
    std::printf("q8 %s vs f32 %s %5lldx%5lldx%5lld  q8 %8.3f ms %7.2f GMAC/s | f32 %8.3f ms %7.2f GMAC/s | q8/f32 %.2fx\n",
                q->name, cfg.name, (long long)m, (long long)n, (long long)k, ms_q, macs / (ms_q * 1e6), ms_f,
                macs / (ms_f * 1e6), ms_f / ms_q);
    std::fflush(stdout);
  }
}

// Quantized convolution (uint8 activations, int8 weights, per-channel scales, uint8 output) against
// the fp32 convolution on the same shape (MAC/s).
void bench_q8_conv(const char* label, const ConvGeometry& g, ThreadPool& pool) {
  std::vector<float> xf = rnd(g.batch * g.c_in * g.in_size()), wf = rnd(g.c_out * g.c_in / g.group * g.kernel_size());
  std::vector<float> bf = rnd(g.c_out), pf(conv_packed_size(g)), yf(g.batch * g.c_out * g.out_size());
  f32_conv_pack_weights(g, wf.data(), bf.data(), pf.data());
  std::vector<float> sf(f32_conv_scratch_bytes(g) / sizeof(float));
  const double ms_f = time_ms([&] {
    f32_conv(g, xf.data(), pf.data(), yf.data(), Activation{}, &pool, sf.data(), sf.size() * sizeof(float));
  });
  std::vector<uint8_t> x = rnd8(xf.size()), w = rnd8(wf.size()), y(yf.size());
  std::vector<int32_t> bias(static_cast<size_t>(g.c_out), 1000);
  std::vector<int16_t> packed(q8_conv_packed_size(g));
  q8_conv_pack_weights(g, w.data(), Q8Type::kS8, nullptr, 0, bias.data(), packed.data());
  std::vector<float> scales(static_cast<size_t>(g.c_out), 1e-4f);
  const Q8GemmOutput out = Q8GemmOutput::quantized(Q8Type::kU8, scales.data(), true, 128);
  std::vector<uint8_t> scratch(q8_conv_scratch_bytes(g, pool.num_threads()));
  const double ms_q = time_ms([&] {
    q8_conv(g, x.data(), Q8Type::kU8, 128, packed.data(), y.data(), out, &pool, scratch.data(), scratch.size());
  });
  const double macs = 1.0 * g.batch * g.c_out * g.out_size() * (g.c_in / g.group) * g.kernel_size();
  std::printf("q8 conv vs f32 %-6s %lldx%lldx%lldx%lld->%lld k%lldx%lld s%lld  q8 %8.3f ms %7.2f GMAC/s | f32 %8.3f ms "
              "%7.2f GMAC/s | q8/f32 %.2fx\n",
              label, (long long)g.batch, (long long)g.c_in, (long long)g.in[0], (long long)g.in[1], (long long)g.c_out,
              (long long)g.kernel[0], (long long)g.kernel[1], (long long)g.stride[0], ms_q, macs / (ms_q * 1e6), ms_f,
              macs / (ms_f * 1e6), ms_f / ms_q);
  std::fflush(stdout);
}

// Quantized depthwise convolution against the fp32 one on the same shape (MAC/s).
// QLinearAdd / QLinearMul elementwise, same-shape operands, ns per output element.
void bench_q8_binary(bool mul, size_t n) {
  std::vector<uint8_t> a = rnd8(n), b = rnd8(n + 7), y(n);
  Q8BinaryParams p;
  p.mul = mul;
  p.ra = mul ? 0.0013f : 0.37f;
  p.rb = 0.61f;
  p.za = 131;
  p.zb = 120;
  p.zc = 128;
  const double ms = time_ms([&] { q8_binary(p, a.data(), 1, b.data() + 7, 1, y.data(), n); });
  std::printf("q8 binary %-3s n=%-9zu %8.3f ms %6.3f ns/element\n", mul ? "mul" : "add", n, ms, ms * 1e6 / n);
}

void bench_q8_dwconv(int64_t c, int64_t hw, int64_t k, int64_t s, ThreadPool& pool) {
  DwConv2dParams p;
  p.channels = c;
  p.ih = p.iw = hw;
  p.kh = p.kw = k;
  p.sh = p.sw = s;
  p.pad_top = p.pad_left = k / 2;
  p.oh = p.ow = (hw + 2 * (k / 2) - k) / s + 1;
  std::vector<float> xf = rnd(c * hw * hw), wf = rnd(c * k * k), bf = rnd(c), yf(c * p.oh * p.ow);
  std::vector<float> sf(f32_dwconv2d_scratch_bytes(p) / sizeof(float));
  const double ms_f = time_ms([&] {
    f32_dwconv2d(p, xf.data(), wf.data(), bf.data(), yf.data(), Activation{}, &pool, sf.data(), sf.size() * sizeof(float));
  });
  std::vector<uint8_t> x = rnd8(c * hw * hw), w = rnd8(c * k * k), y(c * p.oh * p.ow);
  std::vector<uint8_t> scratch(q8_dwconv2d_scratch_bytes(p));
  const float scale = 1e-3f;
  const Q8GemmOutput out = Q8GemmOutput::quantized(Q8Type::kU8, &scale, false, 128);
  const double ms_q = time_ms([&] {
    q8_dwconv2d(p, x.data(), Q8Type::kU8, 128, w.data(), Q8Type::kS8, nullptr, 0, nullptr, y.data(), out, &pool,
                scratch.data(), scratch.size());
  });
  const double macs = 1.0 * c * p.oh * p.ow * k * k;
  std::printf("q8 dwconv vs f32 %lldx%lldx%lld k%lld s%lld  q8 %8.3f ms %7.2f GMAC/s | f32 %8.3f ms %7.2f GMAC/s | q8/f32 %.2fx\n",
              (long long)c, (long long)hw, (long long)hw, (long long)k, (long long)s, ms_q, macs / (ms_q * 1e6), ms_f,
              macs / (ms_f * 1e6), ms_f / ms_q);
  std::fflush(stdout);
}

bool match(const std::string& filter, const std::string& what) {
  return filter.empty() || what.find(filter) != std::string::npos;
}

int main_impl(int argc, char** argv) {
  int threads = 1;
  std::string filter;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (a == "--filter" && i + 1 < argc) filter = argv[++i];
    else if (a == "--min-ms" && i + 1 < argc) g_min_ms = std::atof(argv[++i]);
    else if (a == "--wall") g_cpu_time = false;
    else {
      std::fprintf(stderr, "usage: edgeinfer_kernel_perf [--threads N] [--filter ukernel|gemm|conv|dwconv|q8|q8conv|q8dwconv|q8binary] [--min-ms MS] [--wall]\n");
      return 2;
    }
  }
#if defined(__wasm__)
  const char* target = "wasm";
#else
  const char* target = "native (SIMDe)";
#endif
  if (threads > 1) g_cpu_time = false;
  std::printf("edgeinfer kernel perf: %s, %d thread%s, %s time, GEMM %s, conv %s\n", target, threads,
              threads == 1 ? "" : "s", g_cpu_time ? "CPU" : "wall", f32_gemm_config().name,
              f32_conv_ukernel_config().name);
  // The peak is always measured (single thread: the per-core ceiling); with N threads the whole-problem
  // figures are compared with N times it.
  double best = 0;
  for (const UKernel& u : ukernels()) best = std::max(best, ukernel_gflops(u, match(filter, "ukernel")));
  for (const ConvUKernel& u : conv_ukernels()) best = std::max(best, conv_ukernel_gflops(u, match(filter, "ukernel")));
  g_peak = best * threads;
  std::printf("peak (best microkernel x %d thread%s): %.2f GFLOP/s\n", threads, threads == 1 ? "" : "s", g_peak);
  ThreadPool pool(threads);
  const F32GemmConfig& cfg = f32_gemm_config();
  if (match(filter, "gemm")) {
    bench_gemm(cfg, 384, 768, 768, pool);
    bench_gemm(cfg, 384, 3072, 768, pool);
    bench_gemm(cfg, 24, 25600, 864, pool);   // det 3x3 96->24 at 160x160 as a GEMM
    bench_gemm(cfg, 192, 1600, 192, pool);   // det 1x1 192->192 at 40x40
    bench_gemm(cfg, 384, 400, 384, pool);    // det 1x1 384->384 at 20x20
    bench_gemm(cfg, 96, 48, 288, pool);      // openWakeWord late 3x1 96->96
    bench_gemm(cfg, 1, 768, 768, pool);      // vector x matrix
  }
  if (match(filter, "conv")) {
    bench_conv("det", geo2d(96, 24, 160, 160, 3, 3, 1, 1, 1), pool);
    bench_conv("det", geo2d(96, 24, 80, 80, 3, 3, 1, 1, 1), pool);
    bench_conv("det", geo2d(3, 16, 640, 640, 3, 3, 2, 1, 1), pool);
    bench_conv("det", geo2d(16, 32, 320, 320, 1, 1, 1, 0, 0), pool);
    bench_conv("det", geo2d(48, 48, 160, 160, 1, 1, 1, 0, 0), pool);
    bench_conv("det", geo2d(192, 192, 40, 40, 1, 1, 1, 0, 0), pool);
    bench_conv("det", geo2d(384, 384, 20, 20, 1, 1, 1, 0, 0), pool);
    bench_conv("det", geo2d(12, 96, 160, 160, 1, 1, 1, 0, 0), pool);
    bench_conv("oww", geo2d(24, 24, 74, 32, 1, 3, 1, 0, 1), pool);
    bench_conv("oww", geo2d(48, 48, 34, 16, 3, 1, 1, 0, 0), pool);
    bench_conv("oww", geo2d(72, 72, 30, 8, 1, 3, 1, 0, 1), pool);
    bench_conv("oww", geo2d(96, 96, 12, 4, 3, 1, 1, 0, 0), pool);
  }
  if (match(filter, "q8")) {
    bench_q8_ukernel(q8_gemm_4x8c2__scalar());
#if defined(__wasm_simd128__) || defined(EDGEINFER_USE_SIMDE)
    bench_q8_ukernel(q8_gemm_1x8c2__simd128());
    bench_q8_ukernel(q8_gemm_2x8c2__simd128());
    bench_q8_ukernel(q8_gemm_4x8c2__simd128());
    if (q8_gemm_relaxed_config()) bench_q8_ukernel(*q8_gemm_relaxed_config());
#endif
    bench_q8_vs_f32(384, 768, 768, pool);
    bench_q8_vs_f32(384, 3072, 768, pool);
    bench_q8_vs_f32(24, 25600, 864, pool);  // det 3x3 96->24 at 160x160 as a GEMM (im2col)
    bench_q8_vs_f32(25600, 24, 864, pool);  // the same, pixels as rows (the q8 conv layout)
    bench_q8_vs_f32(1600, 192, 192, pool);  // det 1x1 192->192 at 40x40
    bench_q8_vs_f32(400, 384, 384, pool);   // det 1x1 384->384 at 20x20
    bench_q8_vs_f32(1, 768, 768, pool);     // vector x matrix
    bench_q8_vs_f32(128, 1024, 256, pool);  // transformer encoder FFN (sequence 128, width 256)
    bench_q8_vs_f32(128, 256, 256, pool);   // its attention projections
  }
  if (match(filter, "q8conv")) {  // also under --filter q8
    bench_q8_conv("det", geo2d(96, 24, 160, 160, 3, 3, 1, 1, 1), pool);  // PP-OCRv4 det
    bench_q8_conv("det", geo2d(16, 32, 320, 320, 1, 1, 1, 0, 0), pool);
    bench_q8_conv("det", geo2d(12, 96, 160, 160, 1, 1, 1, 0, 0), pool);
    bench_q8_conv("det", geo2d(3, 16, 640, 640, 3, 3, 2, 1, 1), pool);
    bench_q8_conv("det", geo2d(48, 48, 160, 160, 1, 1, 1, 0, 0), pool);
    bench_q8_conv("det", geo2d(192, 192, 40, 40, 1, 1, 1, 0, 0), pool);
    bench_q8_conv("mnist", geo2d(1, 8, 28, 28, 3, 3, 1, 1, 1), pool);  // MNIST CNN conv1 / conv2
    bench_q8_conv("mnist", geo2d(8, 16, 14, 14, 3, 3, 1, 1, 1), pool);
    for (ConvGeometry g : {geo2d(1, 8, 28, 28, 3, 3, 1, 1, 1), geo2d(8, 16, 14, 14, 3, 3, 1, 1, 1)}) {
      g.batch = 64;  // the MNIST CNN's benchmark batch
      bench_q8_conv("mnist64", g, pool);
    }
  }
  if (match(filter, "q8binary")) {  // also under --filter q8
    for (bool mul : {false, true}) {
      bench_q8_binary(mul, 96 * 40 * 40);    // L2-resident
      bench_q8_binary(mul, 24 * 320 * 320);  // det's largest residual add (streams from memory)
    }
  }
  if (match(filter, "q8dwconv")) {  // also under --filter q8
    bench_q8_dwconv(16, 320, 3, 1, pool);     // PP-OCRv4 det depthwise shapes
    bench_q8_dwconv(192, 40, 5, 1, pool);
    bench_q8_dwconv(32, 320, 3, 2, pool);
    bench_q8_dwconv(128, 56, 3, 1, pool);     // MobileNet-style 3x3 / 5x5 at strides 1 and 2
    bench_q8_dwconv(128, 56, 3, 2, pool);
    bench_q8_dwconv(96, 40, 5, 2, pool);
  }
  if (match(filter, "dwconv")) {
    bench_dwconv("det", 16, 320, 3, 1, pool);
    bench_dwconv("det", 32, 320, 3, 2, pool);
    bench_dwconv("det", 192, 40, 5, 1, pool);
    bench_dwconv("det", 384, 20, 5, 1, pool);
  }
  return 0;
}

}  // namespace
}  // namespace edgeinfer

int main(int argc, char** argv) { return edgeinfer::main_impl(argc, argv); }
