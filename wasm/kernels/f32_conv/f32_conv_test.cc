// Convolution and transposed convolution over GEMM against the naive loops: 1-D/2-D/3-D, groups,
// pointwise, strides, dilations, asymmetric pads, activations, threads.
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
}

}  // namespace
}  // namespace edgeinfer
