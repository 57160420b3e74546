// The offset microkernels against their naive loop (tile-1, tile, tile+1 and large odd sizes, every
// epilogue), then convolution and transposed convolution against the naive loops: 1-D/2-D/3-D,
// groups, each input path (pointwise, row bands, im2col panels), strides, dilations, asymmetric
// pads, activations, threads.
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/f32_conv/f32_conv.h"

namespace edgeinfer {
namespace {

std::vector<float> rnd(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

struct UVariant {
  F32ConvUKernel fn;
  int mr;
  const char* name;
};

std::vector<UVariant> ukernel_variants() {
  std::vector<UVariant> v = {{f32_conv_4x8__scalar, 4, "4x8__scalar"}};
#if defined(__wasm_simd128__) || defined(EDGEINFER_USE_SIMDE)
  v.push_back({f32_conv_4x8__simd128, 4, "4x8__simd128"});
  v.push_back({f32_conv_6x8__simd128, 6, "6x8__simd128"});
#endif
  return v;
}

// One call with mr rows, nc pixels, kc steps; offsets scatter the steps over a buffer (a different
// gap per step, like band rows) and C has a row pitch wider than nc whose extra cells must survive.
void check_ukernel(const UVariant& u, size_t mr, size_t nc, size_t kc, const F32ConvParams& params) {
  SCOPED_TRACE(::testing::Message() << u.name << " mr=" << mr << " nc=" << nc << " kc=" << kc
                                    << " leaky=" << params.leaky << " min=" << params.min);
  const size_t ncr = (nc + 7) / 8 * 8;
  std::vector<int32_t> koff(kc);
  size_t at = 0;
  for (size_t k = 0; k < kc; ++k) {
    koff[k] = static_cast<int32_t>(at);
    at += ncr + (k * 7) % 5;
  }
  std::vector<float> b = rnd(at + 8, 5), w = rnd(static_cast<size_t>(u.mr) * (kc + 1), 6);
  for (size_t i = mr; i < static_cast<size_t>(u.mr); ++i)  // packed rows past mr are zero
    for (size_t k = 0; k <= kc; ++k) w[k * u.mr + i] = 0.0f;
  const size_t ldc = nc + 3;
  std::vector<float> expect(mr * ldc, 777.0f), got(mr * ldc, 777.0f);
  f32_conv_ukernel_reference(u.mr, mr, nc, kc, w.data(), b.data(), koff.data(), expect.data(), ldc, params);
  u.fn(mr, nc, kc, w.data(), b.data(), koff.data(), got.data(), ldc, params);
  for (size_t i = 0; i < expect.size(); ++i)
    ASSERT_NEAR(got[i], expect[i], 1e-4f + 1e-4f * std::fabs(expect[i])) << "row " << i / ldc << " col " << i % ldc;
}

TEST(F32ConvUKernel, AgainstReference) {
  const F32ConvParams none{-INFINITY, INFINITY, 0.0f, 0}, relu{0.0f, INFINITY, 0.0f, 0},
      clip{-0.3f, 0.4f, 0.0f, 0}, leaky{-INFINITY, INFINITY, 0.2f, 1}, leaky_max{-0.4f, INFINITY, 0.2f, 1};
  for (const UVariant& u : ukernel_variants()) {
    const size_t t = static_cast<size_t>(u.mr);
    for (size_t mr : {size_t{1}, t - 1, t})
      for (size_t nc : {size_t{1}, size_t{3}, size_t{7}, size_t{8}, size_t{9}, size_t{16}, size_t{21}, size_t{67}})
        for (size_t kc : {size_t{1}, size_t{2}, size_t{5}, size_t{64}, size_t{301}}) check_ukernel(u, mr, nc, kc, none);
    for (const F32ConvParams& p : {relu, clip, leaky, leaky_max}) check_ukernel(u, t, 13, 37, p);
    check_ukernel(u, t - 1, 163, 867, leaky);  // large
  }
}

ConvGeometry geo(int64_t batch, int64_t cin, int64_t cout, int64_t group, std::vector<int64_t> in,
                 std::vector<int64_t> k, std::vector<int64_t> s, std::vector<int64_t> d, std::vector<int64_t> pb,
                 std::vector<int64_t> pe) {
  ConvGeometry g;
  g.nd = static_cast<int>(in.size());
  g.batch = batch; g.c_in = cin; g.c_out = cout; g.group = group;
  g.in = in; g.kernel = k; g.stride = s; g.dilation = d; g.pad_begin = pb;
  g.out.resize(in.size());
  for (size_t i = 0; i < in.size(); ++i) g.out[i] = (in[i] + pb[i] + pe[i] - ((k[i] - 1) * d[i] + 1)) / s[i] + 1;
  return g;
}

// Transposed: out = s * (in - 1) + (k - 1) * d + 1 - pads.
ConvGeometry geot(int64_t batch, int64_t cin, int64_t cout, int64_t group, std::vector<int64_t> in,
                  std::vector<int64_t> k, std::vector<int64_t> s, std::vector<int64_t> d, std::vector<int64_t> pb,
                  std::vector<int64_t> pe) {
  ConvGeometry g = geo(batch, cin, cout, group, in, k, s, d, pb, pe);
  for (size_t i = 0; i < in.size(); ++i) g.out[i] = s[i] * (in[i] - 1) + (k[i] - 1) * d[i] + 1 - pb[i] - pe[i];
  return g;
}

void check_conv(const ConvGeometry& g, const Activation& act, int threads) {
  SCOPED_TRACE(::testing::Message() << "nd=" << g.nd << " cin=" << g.c_in << " cout=" << g.c_out << " group=" << g.group
                                    << " k0=" << g.kernel[0] << " threads=" << threads);
  const int64_t cg = g.c_in / g.group;
  std::vector<float> x = rnd(g.batch * g.c_in * g.in_size(), 1), w = rnd(g.c_out * cg * g.kernel_size(), 2),
                     b = rnd(g.c_out, 3);
  std::vector<float> expect(g.batch * g.c_out * g.out_size()), got(expect.size());
  f32_conv_reference(g, x.data(), w.data(), b.data(), expect.data());
  for (float& e : expect) e = act.apply(e);
  std::vector<float> packed(conv_packed_size(g));
  f32_conv_pack_weights(g, w.data(), b.data(), packed.data());
  std::vector<float> scratch(f32_conv_scratch_bytes(g) / sizeof(float));
  ThreadPool pool(threads);
  f32_conv(g, x.data(), packed.data(), got.data(), act, &pool, scratch.data(), scratch.size() * sizeof(float));
  for (size_t i = 0; i < expect.size(); ++i) ASSERT_NEAR(got[i], expect[i], 1e-4f + 1e-4f * std::fabs(expect[i])) << i;
}

void check_convt(const ConvGeometry& g, const Activation& act, int threads) {
  SCOPED_TRACE(::testing::Message() << "convT nd=" << g.nd << " cin=" << g.c_in << " cout=" << g.c_out
                                    << " group=" << g.group << " threads=" << threads);
  const int64_t mg = g.c_out / g.group;
  std::vector<float> x = rnd(g.batch * g.c_in * g.in_size(), 1), w = rnd(g.c_in * mg * g.kernel_size(), 2),
                     b = rnd(g.c_out, 3);
  std::vector<float> expect(g.batch * g.c_out * g.out_size()), got(expect.size());
  f32_conv_transpose_reference(g, x.data(), w.data(), b.data(), expect.data());
  for (float& e : expect) e = act.apply(e);
  std::vector<float> packed(conv_transpose_packed_size(g));
  f32_conv_transpose_pack_weights(g, w.data(), packed.data());
  std::vector<float> scratch(f32_conv_transpose_scratch_bytes(g) / sizeof(float));
  ThreadPool pool(threads);
  f32_conv_transpose(g, x.data(), packed.data(), b.data(), got.data(), act, &pool, scratch.data(),
                     scratch.size() * sizeof(float));
  for (size_t i = 0; i < expect.size(); ++i) ASSERT_NEAR(got[i], expect[i], 1e-4f + 1e-4f * std::fabs(expect[i])) << i;
}

TEST(F32Conv, TwoD) {
  Activation none;
  check_conv(geo(2, 3, 5, 1, {9, 11}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), none, 1);
  check_conv(geo(1, 4, 7, 1, {10, 13}, {3, 3}, {2, 2}, {1, 1}, {1, 0}, {0, 1}), none, 1);
  check_conv(geo(1, 6, 9, 3, {8, 8}, {3, 2}, {1, 2}, {2, 1}, {2, 0}, {1, 3}), none, 1);
  check_conv(geo(1, 16, 33, 1, {7, 9}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}), none, 1);  // pointwise
  check_conv(geo(1, 8, 8, 8, {6, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), none, 1);    // depthwise via GEMM
  check_conv(geo(1, 1, 1, 1, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}), none, 1);
  check_conv(geo(1, 3, 70, 1, {40, 37}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), none, 1); // several panels
  check_conv(geo(1, 5, 4, 1, {9, 9}, {1, 1}, {2, 2}, {1, 1}, {0, 0}, {0, 0}), none, 1);    // strided 1x1
}

// Every input path at sizes around the 8-pixel tile and the MR tile of output channels.
TEST(F32Conv, Paths) {
  Activation none;
  const int64_t mr = f32_conv_ukernel_config().mr;
  for (int64_t cout : {mr - 1, mr, mr + 1, 3 * mr + 1})
    for (int64_t w : {7, 8, 9, 17}) {
      check_conv(geo(1, 5, cout, 1, {3, w}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}), none, 1);   // pointwise
      check_conv(geo(2, 3, cout, 1, {4, w}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), none, 1);   // band
      check_conv(geo(1, 2, cout, 1, {5, w}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}), none, 1);   // band, stride 2
    }
  // Band: stride 3, dilation 2, 5x5 with asymmetric pads, 1x3 / 3x1 (openWakeWord), pads wider than the
  // kernel reach, grouped, 1-D.
  check_conv(geo(1, 4, 6, 1, {11, 29}, {2, 3}, {3, 3}, {1, 1}, {0, 2}, {1, 0}), none, 1);
  check_conv(geo(1, 3, 5, 1, {13, 21}, {3, 3}, {1, 1}, {2, 2}, {2, 1}, {2, 3}), none, 1);
  check_conv(geo(1, 7, 9, 1, {12, 19}, {5, 5}, {2, 1}, {1, 1}, {2, 1}, {3, 2}), none, 1);
  check_conv(geo(1, 24, 24, 1, {74, 32}, {1, 3}, {1, 1}, {1, 1}, {0, 1}, {0, 1}), none, 2);
  check_conv(geo(1, 48, 48, 1, {36, 16}, {3, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}), none, 2);
  check_conv(geo(1, 2, 3, 1, {6, 9}, {3, 3}, {1, 1}, {1, 1}, {4, 5}, {4, 6}), none, 1);
  check_conv(geo(2, 12, 18, 3, {10, 16}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}), none, 3);
  check_conv(geo(1, 5, 7, 1, {45}, {5}, {2}, {1}, {2}, {2}), none, 1);
  // Tall images: several bands per image, with threads splitting bands and channels.
  check_conv(geo(1, 16, 13, 1, {67, 24}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), none, 2);
  // Panels: rows of 1-5 pixels (openWakeWord's last layers), many panels, a wide K.
  check_conv(geo(1, 96, 20, 1, {12, 4}, {3, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}), none, 1);
  check_conv(geo(1, 9, 11, 1, {40, 2}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), none, 2);
  check_conv(geo(1, 96, 13, 1, {3, 1}, {3, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}), none, 1);
  check_conv(geo(1, 4, 5, 1, {13, 7}, {3, 3}, {2, 2}, {2, 1}, {1, 1}, {1, 1}), none, 1);  // stride 2, dilation
  check_conv(geo(2, 6, 8, 2, {9, 5}, {2, 3}, {1, 3}, {1, 2}, {0, 2}, {1, 2}), none, 2);  // grouped, stride 3
  // Pointwise on planes of 1024 and 2048 floats (copied chunks: 4 KiB-aliased rows), with a tail.
  check_conv(geo(1, 20, 9, 1, {32, 32}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}), none, 1);
  check_conv(geo(2, 7, 6, 1, {64, 32}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}), none, 2);
  check_conv(geo(1, 3, 5, 1, {1, 4099}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}), none, 1);
  // Pointwise with many chunks and a tail, threads splitting output channels.
  check_conv(geo(1, 37, 29, 1, {31, 33}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}), none, 3);
}

TEST(F32Conv, Epilogues) {
  Activation clip; clip.kind = Activation::kClip; clip.a = -0.5f; clip.b = 0.25f;
  Activation hs; hs.kind = Activation::kHardSwish;
  Activation sig; sig.kind = Activation::kSigmoid;
  Activation lrelu; lrelu.kind = Activation::kLeakyRelu; lrelu.a = 0.2f;
  Activation hs_affine = hs; hs_affine.scale = 0.7f; hs_affine.shift = -0.3f;
  Activation hsig; hsig.kind = Activation::kHardSigmoid; hsig.a = 0.3f; hsig.b = 0.4f; hsig.scale = 2.0f;
  for (const Activation& a : {clip, hs, sig, lrelu, hs_affine, hsig}) {
    check_conv(geo(1, 6, 10, 1, {9, 13}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), a, 1);   // band
    check_conv(geo(1, 6, 10, 1, {9, 13}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}), a, 2);   // pointwise
    check_conv(geo(1, 6, 10, 1, {9, 3}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), a, 1);    // panel
  }
}

TEST(F32Conv, OneAndThreeD) {
  Activation none;
  check_conv(geo(2, 3, 4, 1, {17}, {3}, {2}, {2}, {2}, {1}), none, 1);
  check_conv(geo(1, 4, 6, 2, {5, 6, 7}, {3, 2, 3}, {1, 2, 1}, {1, 1, 2}, {1, 0, 2}, {1, 1, 0}), none, 1);
}

TEST(F32Conv, ActivationsAndThreads) {
  Activation relu; relu.kind = Activation::kRelu;
  Activation lrelu; lrelu.kind = Activation::kLeakyRelu; lrelu.a = 0.1f;
  for (int t : {1, 2, 3}) {
    check_conv(geo(2, 6, 10, 2, {12, 11}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), relu, t);
    check_conv(geo(1, 32, 64, 1, {5, 5}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), lrelu, t);
  }
}

TEST(F32ConvTranspose, Shapes) {
  Activation none, relu;
  relu.kind = Activation::kRelu;
  for (int t : {1, 2}) {
    check_convt(geot(1, 4, 3, 1, {5, 6}, {2, 2}, {2, 2}, {1, 1}, {0, 0}, {0, 0}), none, t);
    check_convt(geot(2, 6, 4, 2, {4, 5}, {3, 3}, {2, 1}, {1, 2}, {1, 0}, {0, 1}), relu, t);
    check_convt(geot(1, 3, 5, 1, {7}, {4}, {3}, {1}, {1}, {2}), none, t);
    check_convt(geot(1, 2, 2, 1, {3, 4, 2}, {2, 3, 2}, {2, 1, 2}, {1, 1, 1}, {0, 1, 0}, {0, 0, 0}), none, t);
    check_convt(geot(1, 40, 70, 1, {9, 9}, {2, 2}, {2, 2}, {1, 1}, {0, 0}, {0, 0}), none, t);
  }
  // Kernel == stride (exact tiling path): DB-head shapes, groups, 3x2 windows, activations, 3 threads.
  Activation sig; sig.kind = Activation::kSigmoid;
  Activation hs; hs.kind = Activation::kHardSwish; hs.scale = 1.5f; hs.shift = 0.25f;
  for (int t : {1, 3}) {
    check_convt(geot(1, 24, 1, 1, {37, 41}, {2, 2}, {2, 2}, {1, 1}, {0, 0}, {0, 0}), sig, t);
    check_convt(geot(2, 6, 4, 2, {5, 7}, {3, 2}, {3, 2}, {1, 1}, {0, 0}, {0, 0}), relu, t);
    check_convt(geot(1, 24, 24, 1, {33, 40}, {2, 2}, {2, 2}, {1, 1}, {0, 0}, {0, 0}), hs, t);
  }
}

}  // namespace
}  // namespace edgeinfer
