// Quantized convolution against the direct-loop definition, bit-exact: 1-D/2-D/3-D, groups (incl.
// depthwise), strides, dilations, asymmetric pads, per-channel weight zero points and scales, every
// output type, several threads; panel edges at tile-1/tile/tile+1 pixels.
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/q8_conv/q8_conv.h"

namespace edgeinfer {
namespace {

ConvGeometry geo(int nd, int64_t batch, int64_t cin, int64_t cout, int64_t group, std::vector<int64_t> in,
                 std::vector<int64_t> kernel, std::vector<int64_t> stride, std::vector<int64_t> dil,
                 std::vector<int64_t> pad_b, std::vector<int64_t> pad_e) {
  ConvGeometry g;
  g.nd = nd;
  g.batch = batch;
  g.c_in = cin;
  g.c_out = cout;
  g.group = group;
  g.in = in;
  g.kernel = kernel;
  g.stride = stride;
  g.dilation = dil;
  g.pad_begin = pad_b;
  g.out.resize(nd);
  for (int d = 0; d < nd; ++d)
    g.out[d] = (in[d] + pad_b[d] + pad_e[d] - dil[d] * (kernel[d] - 1) - 1) / stride[d] + 1;
  return g;
}

void check(const ConvGeometry& g, Q8Type xt, Q8Type wt, Q8Type ot, bool per_channel, int threads, uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << "nd=" << g.nd << " cin=" << g.c_in << " cout=" << g.c_out << " group="
                                    << g.group << " out0=" << g.out[0] << " x=" << int(xt) << " w=" << int(wt)
                                    << " out=" << int(ot) << " pc=" << per_channel << " threads=" << threads);
  std::mt19937 rng(seed);
  const int64_t ks = g.kernel_size(), cg = g.c_in / g.group;
  std::vector<uint8_t> x(static_cast<size_t>(g.batch * g.c_in * g.in_size())), w(static_cast<size_t>(g.c_out * cg * ks));
  for (auto& v : x) v = static_cast<uint8_t>(rng());
  for (auto& v : w) v = static_cast<uint8_t>(rng());
  std::vector<uint8_t> wzp(static_cast<size_t>(g.c_out));
  for (auto& v : wzp) v = static_cast<uint8_t>(rng());
  const int32_t x_zp = xt == Q8Type::kU8 ? static_cast<int32_t>(rng() % 256) : static_cast<int32_t>(rng() % 256) - 128;
  std::vector<int32_t> bias(static_cast<size_t>(g.c_out));
  for (auto& v : bias) v = static_cast<int32_t>(rng() % 20001) - 10000;
  std::vector<float> scale(static_cast<size_t>(g.c_out));
  for (auto& s : scale) s = 100.0f / (128.0f * 128.0f * std::sqrt(float(cg * ks))) * (0.5f + (rng() % 100) / 66.0f);
  Q8GemmOutput out = ot == Q8Type::kI32   ? Q8GemmOutput::int32()
                     : ot == Q8Type::kF32 ? Q8GemmOutput::dequantized(scale.data(), per_channel)
                                          : Q8GemmOutput::quantized(ot, scale.data(), per_channel, ot == Q8Type::kU8 ? 120 : -3);
  const size_t wzs = per_channel ? 1 : 0;
  std::vector<int16_t> packed(q8_conv_packed_size(g), -5);
  q8_conv_pack_weights(g, w.data(), wt, wzp.data(), wzs, bias.data(), xt, x_zp, packed.data());
  const size_t es = q8_type_size(ot), ny = static_cast<size_t>(g.batch * g.c_out * g.out_size());
  std::vector<uint8_t> expect(ny * es), got(ny * es, 0xCD);
  q8_conv_reference(g, x.data(), xt, x_zp, w.data(), wt, wzp.data(), wzs, bias.data(), expect.data(), out);
  std::vector<uint8_t> scratch(q8_conv_scratch_bytes(g, ot));
  ThreadPool pool(threads);
  q8_conv(g, x.data(), xt, x_zp, packed.data(), got.data(), out, &pool, scratch.data(), scratch.size());
  int bad = 0;
  for (size_t i = 0; i < ny; ++i)
    if (std::memcmp(&expect[i * es], &got[i * es], es) != 0 && bad++ < 5) ADD_FAILURE() << "y[" << i << "] differs";
  EXPECT_EQ(bad, 0);
}

TEST(Q8Conv, Conv2dShapesAndTypes) {
  uint32_t seed = 1;
  for (Q8Type xt : {Q8Type::kU8, Q8Type::kS8})
    for (Q8Type ot : {Q8Type::kU8, Q8Type::kS8, Q8Type::kI32, Q8Type::kF32}) {
      check(geo(2, 1, 5, 9, 1, {11, 13}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), xt, Q8Type::kS8, ot, true, 1, seed++);
      check(geo(2, 2, 6, 10, 2, {9, 7}, {3, 2}, {2, 1}, {1, 2}, {0, 1}, {2, 0}), xt, Q8Type::kU8, ot, false, 2, seed++);
    }
}

TEST(Q8Conv, PanelEdgesAndPointwise) {
  // out pixels 127, 128, 129 (the panel is 128 pixels), 1x1 pointwise, large K.
  check(geo(2, 1, 7, 17, 1, {1, 127}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}), Q8Type::kU8, Q8Type::kS8, Q8Type::kU8, true, 1, 3);
  check(geo(2, 1, 7, 17, 1, {1, 128}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}), Q8Type::kU8, Q8Type::kS8, Q8Type::kU8, true, 1, 4);
  check(geo(2, 1, 7, 17, 1, {1, 129}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}), Q8Type::kU8, Q8Type::kS8, Q8Type::kU8, true, 3, 5);
  check(geo(2, 1, 96, 24, 1, {20, 19}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), Q8Type::kU8, Q8Type::kS8, Q8Type::kU8, true, 2, 6);
}

TEST(Q8Conv, DepthwiseAndGroups) {
  check(geo(2, 1, 16, 16, 16, {15, 14}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), Q8Type::kU8, Q8Type::kS8, Q8Type::kU8, true, 2, 7);
  check(geo(2, 1, 12, 24, 12, {10, 9}, {5, 5}, {2, 2}, {1, 1}, {2, 2}, {2, 2}), Q8Type::kS8, Q8Type::kS8, Q8Type::kS8, true, 1, 8);
  check(geo(2, 1, 12, 9, 3, {8, 8}, {3, 3}, {1, 1}, {2, 2}, {2, 2}, {2, 2}), Q8Type::kU8, Q8Type::kU8, Q8Type::kI32, false, 1, 9);
}

TEST(Q8Conv, OneAndThreeDims) {
  check(geo(1, 2, 5, 7, 1, {33}, {4}, {3}, {1}, {2}, {1}), Q8Type::kU8, Q8Type::kS8, Q8Type::kU8, true, 1, 10);
  check(geo(3, 1, 4, 6, 2, {5, 6, 7}, {2, 3, 3}, {1, 2, 1}, {1, 1, 2}, {1, 1, 1}, {0, 1, 2}), Q8Type::kS8, Q8Type::kS8,
        Q8Type::kS8, true, 2, 11);
}

}  // namespace
}  // namespace edgeinfer
