// Quantized depthwise convolution against the direct-loop q8_conv_reference with group == channels,
// bit-exact: 3x3/5x5, strides 1 and 2, dilation, asymmetric pads, output widths around the 8-pixel
// vector (7, 8, 9, 17), strides 2 and 3 with dilations 1-3, kernel sizes 1-7, every input/output
// type, per-channel zero points and scales, threads.
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/q8_conv/q8_conv.h"
#include "kernels/q8_dwconv/q8_dwconv.h"

namespace edgeinfer {
namespace {

void check(int64_t batch, int64_t ch, int64_t ow, int64_t oh, int64_t k, int64_t s, int64_t d, int64_t pad, Q8Type xt,
           Q8Type wt, Q8Type ot, bool per_channel, int threads, uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << "ch=" << ch << " ow=" << ow << " oh=" << oh << " k=" << k << " s=" << s << " d="
                                    << d << " pad=" << pad << " x=" << int(xt) << " w=" << int(wt) << " out=" << int(ot)
                                    << " threads=" << threads);
  DwConv2dParams p;
  p.batch = batch;
  p.channels = ch;
  p.kh = p.kw = k;
  p.sh = p.sw = s;
  p.dh = p.dw = d;
  p.pad_top = pad;
  p.pad_left = pad;
  p.oh = oh;
  p.ow = ow;
  // Input just large enough (the bottom/right pads are whatever remains, possibly more than `pad`).
  p.ih = std::max<int64_t>(1, (oh - 1) * s + (k - 1) * d + 1 - pad - 1);
  p.iw = std::max<int64_t>(1, (ow - 1) * s + (k - 1) * d + 1 - pad - 1);
  ConvGeometry g;
  g.nd = 2;
  g.batch = batch;
  g.c_in = g.c_out = g.group = ch;
  g.in = {p.ih, p.iw};
  g.out = {oh, ow};
  g.kernel = {k, k};
  g.stride = {s, s};
  g.dilation = {d, d};
  g.pad_begin = {pad, pad};
  std::mt19937 rng(seed);
  std::vector<uint8_t> x(static_cast<size_t>(batch * ch * p.ih * p.iw)), w(static_cast<size_t>(ch * k * k)),
      wzp(static_cast<size_t>(ch));
  for (auto& v : x) v = static_cast<uint8_t>(rng());
  for (auto& v : w) v = static_cast<uint8_t>(rng());
  for (auto& v : wzp) v = static_cast<uint8_t>(rng());
  const int32_t x_zp = xt == Q8Type::kU8 ? static_cast<int32_t>(rng() % 256) : static_cast<int32_t>(rng() % 256) - 128;
  std::vector<int32_t> bias(static_cast<size_t>(ch));
  for (auto& v : bias) v = static_cast<int32_t>(rng() % 20001) - 10000;
  std::vector<float> scale(static_cast<size_t>(ch));
  for (auto& v : scale) v = 100.0f / (128.0f * 128.0f * float(k)) * (0.5f + (rng() % 100) / 66.0f);
  Q8GemmOutput out = ot == Q8Type::kI32   ? Q8GemmOutput::int32()
                     : ot == Q8Type::kF32 ? Q8GemmOutput::dequantized(scale.data(), per_channel)
                                          : Q8GemmOutput::quantized(ot, scale.data(), per_channel, ot == Q8Type::kU8 ? 131 : 7);
  const size_t wzs = per_channel ? 1 : 0;
  const size_t es = q8_type_size(ot), ny = static_cast<size_t>(batch * ch * oh * ow);
  std::vector<uint8_t> expect(ny * es), got(ny * es, 0xEE);
  q8_conv_reference(g, x.data(), xt, x_zp, w.data(), wt, wzp.data(), wzs, bias.data(), expect.data(), out);
  std::vector<uint8_t> scratch(q8_dwconv2d_scratch_bytes(p));
  ThreadPool pool(threads);
  q8_dwconv2d(p, x.data(), xt, x_zp, w.data(), wt, wzp.data(), wzs, bias.data(), got.data(), out, &pool,
              scratch.data(), scratch.size());
  int bad = 0;
  for (size_t i = 0; i < ny; ++i)
    if (std::memcmp(&expect[i * es], &got[i * es], es) != 0 && bad++ < 5) ADD_FAILURE() << "y[" << i << "] differs";
  EXPECT_EQ(bad, 0);
}

TEST(Q8DwConv, WidthsAroundTheVector) {
  uint32_t seed = 1;
  for (int64_t ow : {7, 8, 9, 17})
    for (int64_t k : {3, 5})
      check(1, 3, ow, 5, k, 1, 1, k / 2, Q8Type::kU8, Q8Type::kS8, Q8Type::kU8, true, 1, seed++);
}

TEST(Q8DwConv, StridesDilationTypesThreads) {
  uint32_t seed = 100;
  for (Q8Type xt : {Q8Type::kU8, Q8Type::kS8})
    for (Q8Type ot : {Q8Type::kU8, Q8Type::kS8, Q8Type::kI32, Q8Type::kF32}) {
      check(2, 5, 11, 6, 3, 2, 1, 1, xt, Q8Type::kS8, ot, true, 2, seed++);
      check(1, 4, 19, 4, 3, 1, 2, 2, xt, Q8Type::kU8, ot, false, 3, seed++);
      check(1, 6, 16, 3, 5, 1, 1, 0, xt, Q8Type::kS8, ot, true, 1, seed++);
    }
}

TEST(Q8DwConv, StridePhasesWithDilationAndOtherKernelSizes) {
  // The column phases at strides 2 and 3 with odd and even dilations (a tap pair's second input
  // in the same or the next phase), and kernel widths 1, 2, 4, 7 (generic loop, odd last tap).
  uint32_t seed = 300;
  for (int64_t s : {2, 3})
    for (int64_t d : {1, 2, 3})
      for (int64_t k : {3, 5})
        check(1, 3, 9 + s, 4, k, s, d, k / 2, Q8Type::kU8, Q8Type::kS8, Q8Type::kU8, true, 1, seed++);
  for (int64_t k : {1, 2, 4, 7})
    for (int64_t s : {1, 2}) {
      const uint32_t sd = seed++;
      check(1, 4, 13, 5, k, s, 1, k / 2, Q8Type::kS8, Q8Type::kS8, Q8Type::kS8, sd & 1, 2, sd);
    }
}

}  // namespace
}  // namespace edgeinfer
