// Quantized convolution, bit-exact against the direct-loop definition (q8_conv_reference):
//  - every microkernel variant against the naive microkernel loop at rows 1..MR and pixel counts at
//    tile-1, tile, tile+1 and large, every output type, per-tensor and per-channel scales;
//  - q8_conv on 1-D/2-D/3-D geometries with groups, strides, dilations, asymmetric pads, batches,
//    uint8/int8 activations and weights with any zero points, every output type, narrowed qmin/qmax,
//    odd K, channel counts that are not multiples of MR, pixel counts at the work-item block edges,
//    several threads, and randomized shapes.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/q8_conv/q8_conv.h"
#include "kernels/q8_conv/q8_conv_ukernel.h"

namespace edgeinfer {
namespace {

// ---- microkernels

std::vector<const Q8ConvUConfig*> variants() {
  std::vector<const Q8ConvUConfig*> v = {&q8_conv_4x8c2__scalar()};
#if defined(__wasm_simd128__) || defined(EDGEINFER_USE_SIMDE)
  v.push_back(&q8_conv_4x8c2__simd128());
#endif
  return v;
}

void check_ukernel(const Q8ConvUConfig& cfg, Q8Type ot, bool per_channel, bool fbias, size_t mr, size_t nc, size_t kc,
                   uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << cfg.name << " out=" << int(ot) << " pc=" << per_channel << " fbias=" << fbias
                                    << " mr=" << mr << " nc=" << nc << " kc=" << kc);
  std::mt19937 rng(seed);
  // Every third case: small values and scales of exact halves / quarters, so most requantized outputs
  // are in range and many are rounding ties (half to even).
  const bool ties = seed % 3 == 0;
  auto v255 = [&] {
    return static_cast<int16_t>(ties ? static_cast<int>(rng() % 7) - 3 : static_cast<int>(rng() % 511) - 255);
  };
  std::vector<int16_t> w(q8_conv_weight_tile_size(cfg.mr, kc));
  for (int i = 0; i < cfg.mr; ++i) {
    const int32_t b = ties ? static_cast<int32_t>(rng() % 121) - 60 : static_cast<int32_t>(rng() % 200001) - 100000;
    std::memcpy(&w[2 * i], &b, sizeof b);
  }
  for (size_t i = 2 * cfg.mr; i < w.size(); ++i) w[i] = v255();
  // Operand rows of pairs in reverse order with a pitch past round8(nc): the offsets are followed.
  const size_t pitch = (nc + 7) / 8 * 8 + 8;
  std::vector<int16_t> b(kc * pitch * 2);
  for (auto& v : b) v = v255();
  std::vector<int32_t> koff(kc);
  for (size_t t = 0; t < kc; ++t) koff[t] = static_cast<int32_t>((kc - 1 - t) * pitch * 2);
  const size_t m0 = 3, ldc = nc + 5, es = q8_type_size(ot);
  std::vector<float> scale(m0 + cfg.mr), bias(m0 + cfg.mr);
  for (auto& s : scale) s = 1.0f / (500.0f * std::sqrt(float(kc))) * (0.5f + (rng() % 100) / 66.0f);
  if (ties)
    for (size_t i = 0; i < scale.size(); ++i) scale[i] = i % 2 ? 0.5f : 0.25f;
  for (auto& s : bias) s = static_cast<float>(static_cast<int>(rng() % 2001) - 1000) * 0.01f;
  Q8GemmOutput out = ot == Q8Type::kI32   ? Q8GemmOutput::int32()
                     : ot == Q8Type::kF32 ? Q8GemmOutput::dequantized(scale.data(), per_channel, fbias ? bias.data() : nullptr)
                                          : Q8GemmOutput::quantized(ot, scale.data(), per_channel, ot == Q8Type::kU8 ? 117 : -5);
  if (ot == Q8Type::kU8 || ot == Q8Type::kS8) {  // a fused Relu-like clamp
    out.qmin += 20;
    out.qmax -= 30;
  }
  std::vector<uint8_t> expect(mr * ldc * es, 0xAB), got(mr * ldc * es, 0xAB);
  q8_conv_ukernel_reference(cfg.mr, mr, nc, kc, w.data(), b.data(), koff.data(), expect.data(), ldc, m0, out);
  cfg.get(ot)(mr, nc, kc, w.data(), b.data(), koff.data(), got.data(), ldc, m0, out);
  int bad = 0;
  for (size_t i = 0; i < mr * ldc; ++i)
    if (std::memcmp(&expect[i * es], &got[i * es], es) != 0 && bad++ < 5)
      ADD_FAILURE() << "c[" << i / ldc << "][" << i % ldc << "] differs";
  EXPECT_EQ(bad, 0);
}

TEST(Q8ConvUKernel, VariantsMatchReference) {
  uint32_t seed = 100;
  for (const Q8ConvUConfig* cfg : variants())
    for (Q8Type ot : {Q8Type::kU8, Q8Type::kS8, Q8Type::kI32, Q8Type::kF32})
      for (size_t mr = 1; mr <= static_cast<size_t>(cfg->mr); ++mr)
        for (size_t nc : {1, 2, 3, 4, 5, 6, 7, 8, 9, 14, 16, 23, 64})
          for (size_t kc : {1, 2, 5, 64}) {
            const bool pc = (seed & 1) != 0, fbias = (seed & 2) != 0;
            check_ukernel(*cfg, ot, pc, fbias, mr, nc, kc, seed);
            ++seed;
          }
}

TEST(Q8ConvUKernel, ExtremeValuesAndLongK) {
  // |products| at their bound (255 * 255) over a long K: exact int32, wrapping like the reference.
  for (const Q8ConvUConfig* cfg : variants()) {
    const size_t kc = 20000, nc = 9;
    std::vector<int16_t> w(q8_conv_weight_tile_size(cfg->mr, kc), 255), b(kc * 16 * 2);
    for (size_t i = 0; i < b.size(); ++i) b[i] = i % 3 ? 255 : -255;
    std::vector<int32_t> koff(kc);
    for (size_t t = 0; t < kc; ++t) koff[t] = static_cast<int32_t>(t * 32);
    std::memset(w.data(), 0, 2 * cfg->mr * sizeof(int16_t));
    const Q8GemmOutput out = Q8GemmOutput::int32();
    std::vector<int32_t> expect(cfg->mr * nc), got(cfg->mr * nc);
    q8_conv_ukernel_reference(cfg->mr, cfg->mr, nc, kc, w.data(), b.data(), koff.data(), expect.data(), nc, 0, out);
    cfg->get(Q8Type::kI32)(cfg->mr, nc, kc, w.data(), b.data(), koff.data(), got.data(), nc, 0, out);
    EXPECT_EQ(expect, got) << cfg->name;
  }
}

// ---- q8_conv

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

struct Opts {
  Q8Type xt = Q8Type::kU8, wt = Q8Type::kS8, ot = Q8Type::kU8;
  bool per_channel = true;
  bool narrow = false;  // qmin/qmax narrowed (fused Relu/Clip)
  bool bias = true;
  int threads = 1;
};

void check(const ConvGeometry& g, const Opts& o, uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << "nd=" << g.nd << " batch=" << g.batch << " cin=" << g.c_in << " cout=" << g.c_out
                                    << " group=" << g.group << " out0=" << g.out[0] << " P=" << g.out_size()
                                    << " x=" << int(o.xt) << " w=" << int(o.wt) << " out=" << int(o.ot)
                                    << " pc=" << o.per_channel << " threads=" << o.threads << " seed=" << seed);
  std::mt19937 rng(seed);
  const int64_t ks = g.kernel_size(), cg = g.c_in / g.group;
  std::vector<uint8_t> x(static_cast<size_t>(g.batch * g.c_in * g.in_size())), w(static_cast<size_t>(g.c_out * cg * ks));
  for (auto& v : x) v = static_cast<uint8_t>(rng());
  for (auto& v : w) v = static_cast<uint8_t>(rng());
  std::vector<uint8_t> wzp(static_cast<size_t>(g.c_out));
  for (auto& v : wzp) v = static_cast<uint8_t>(rng());
  const int32_t x_zp = o.xt == Q8Type::kU8 ? static_cast<int32_t>(rng() % 256) : static_cast<int32_t>(rng() % 256) - 128;
  std::vector<int32_t> bias(static_cast<size_t>(g.c_out));
  for (auto& v : bias) v = static_cast<int32_t>(rng() % 20001) - 10000;
  std::vector<float> scale(static_cast<size_t>(g.c_out)), fbias(static_cast<size_t>(g.c_out));
  for (auto& s : scale) s = 100.0f / (128.0f * 128.0f * std::sqrt(float(cg * ks))) * (0.5f + (rng() % 100) / 66.0f);
  for (auto& s : fbias) s = static_cast<float>(static_cast<int>(rng() % 2001) - 1000) * 0.01f;
  Q8GemmOutput out =
      o.ot == Q8Type::kI32   ? Q8GemmOutput::int32()
      : o.ot == Q8Type::kF32 ? Q8GemmOutput::dequantized(scale.data(), o.per_channel, o.bias ? fbias.data() : nullptr)
                             : Q8GemmOutput::quantized(o.ot, scale.data(), o.per_channel, o.ot == Q8Type::kU8 ? 120 : -3);
  if (o.narrow && (o.ot == Q8Type::kU8 || o.ot == Q8Type::kS8)) {
    out.qmin = o.ot == Q8Type::kU8 ? 120 : -3;  // Relu at the zero point
    out.qmax -= 17;
  }
  const size_t wzs = o.per_channel ? 1 : 0;
  const int32_t* b = o.bias ? bias.data() : nullptr;
  std::vector<int16_t> packed(q8_conv_packed_size(g), -5);
  q8_conv_pack_weights(g, w.data(), o.wt, wzp.data(), wzs, b, packed.data());
  const size_t es = q8_type_size(o.ot), ny = static_cast<size_t>(g.batch * g.c_out * g.out_size());
  std::vector<uint8_t> expect(ny * es), got(ny * es, 0xCD);
  q8_conv_reference(g, x.data(), o.xt, x_zp, w.data(), o.wt, wzp.data(), wzs, b, expect.data(), out);
  std::vector<uint8_t> scratch(q8_conv_scratch_bytes(g, o.threads));
  ThreadPool pool(o.threads);
  q8_conv(g, x.data(), o.xt, x_zp, packed.data(), got.data(), out, &pool, scratch.data(), scratch.size());
  int bad = 0;
  for (size_t i = 0; i < ny; ++i)
    if (std::memcmp(&expect[i * es], &got[i * es], es) != 0 && bad++ < 5) ADD_FAILURE() << "y[" << i << "] differs";
  EXPECT_EQ(bad, 0);
}

TEST(Q8Conv, Conv2dShapesAndTypes) {
  uint32_t seed = 1;
  for (Q8Type xt : {Q8Type::kU8, Q8Type::kS8})
    for (Q8Type wt : {Q8Type::kU8, Q8Type::kS8})
      for (Q8Type ot : {Q8Type::kU8, Q8Type::kS8, Q8Type::kI32, Q8Type::kF32}) {
        Opts o;
        o.xt = xt;
        o.wt = wt;
        o.ot = ot;
        check(geo(2, 1, 5, 9, 1, {11, 13}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), o, seed++);
        o.per_channel = false;
        o.narrow = true;
        o.threads = 2;
        check(geo(2, 2, 6, 10, 2, {9, 7}, {3, 2}, {2, 1}, {1, 2}, {0, 1}, {2, 0}), o, seed++);
        o.bias = false;
        check(geo(2, 1, 3, 7, 1, {17, 18}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}), o, seed++);  // pointwise, odd K
      }
}

TEST(Q8Conv, WorkItemEdges) {
  // Pixel counts (pointwise chunks, im2col panels) and output rows (row bands) at the work item's
  // size -1, +0, +1 and beyond, at 1 and 2 threads (which shrink items).
  for (int threads : {1, 2}) {
    Opts o;
    o.threads = threads;
    auto pointwise = [](int64_t p) { return geo(2, 1, 600, 3, 1, {1, p}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}); };
    const int64_t chunk = q8_conv_block_pixels(pointwise(8), 1);
    ASSERT_EQ(chunk % 8, 0);
    ASSERT_LT(chunk, 300);
    for (int64_t p : {chunk - 1, chunk, chunk + 1, 2 * chunk + 5})
      check(pointwise(p), o, static_cast<uint32_t>(p + 11));
    for (int64_t p : {7, 8, 9, 127, 128, 129, 1000})  // pointwise with planes read in place
      check(geo(2, 1, 7, 17, 1, {1, p}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}), o, static_cast<uint32_t>(p + 7));
    auto panel = [](int64_t p) { return geo(3, 1, 40, 5, 1, {1, 1, p}, {1, 1, 3}, {1, 1, 1}, {1, 1, 1}, {0, 0, 1}, {0, 0, 1}); };
    const int64_t pchunk = q8_conv_block_pixels(panel(8), 1);
    ASSERT_EQ(pchunk % 8, 0);
    ASSERT_LT(pchunk, 1000);
    for (int64_t p : {pchunk - 1, pchunk, pchunk + 1}) check(panel(p), o, static_cast<uint32_t>(p + 3));
    auto band = [](int64_t h) { return geo(2, 1, 97, 6, 1, {h, 30}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}); };
    const int64_t rows = q8_conv_block_pixels(band(100), 1) / 30;
    ASSERT_GT(rows, 1);
    ASSERT_LT(rows, 40);
    for (int64_t h : {rows - 1, rows, rows + 1, 2 * rows + 1}) check(band(h), o, static_cast<uint32_t>(h + 5));
    check(geo(2, 1, 96, 24, 1, {20, 19}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), o, 6);
  }
}

TEST(Q8Conv, StridesDilationsPads) {
  uint32_t seed = 200;
  Opts o;
  // Stride 2 with rows long enough for the vector path, odd widths, pads past the kernel extent.
  check(geo(2, 1, 3, 16, 1, {41, 45}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}), o, seed++);
  check(geo(2, 1, 3, 5, 1, {40, 46}, {3, 3}, {2, 2}, {1, 1}, {0, 0}, {1, 1}), o, seed++);
  check(geo(2, 1, 4, 6, 1, {23, 37}, {3, 5}, {3, 3}, {1, 1}, {2, 1}, {0, 3}), o, seed++);
  check(geo(2, 1, 4, 6, 1, {23, 37}, {3, 3}, {1, 2}, {2, 3}, {3, 0}, {1, 4}), o, seed++);
  check(geo(2, 1, 2, 3, 1, {6, 5}, {3, 3}, {1, 1}, {1, 1}, {4, 5}, {6, 3}), o, seed++);  // pads wider than the input
  check(geo(2, 1, 1, 8, 1, {28, 28}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), o, seed++);  // MNIST conv1
  o.xt = Q8Type::kS8;
  check(geo(2, 1, 5, 7, 1, {30, 33}, {2, 2}, {2, 2}, {1, 1}, {0, 0}, {0, 0}), o, seed++);
  check(geo(2, 3, 5, 7, 1, {9, 10}, {1, 1}, {2, 3}, {1, 1}, {0, 0}, {0, 0}), o, seed++);  // 1x1 strided
  check(geo(2, 2, 5, 7, 1, {9, 10}, {1, 1}, {1, 1}, {1, 1}, {1, 0}, {0, 2}), o, seed++);  // 1x1 padded
}

TEST(Q8Conv, GroupsAndDepthwise) {
  Opts o;
  o.threads = 2;
  check(geo(2, 1, 16, 16, 16, {15, 14}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), o, 7);
  o.xt = o.wt = o.ot = Q8Type::kS8;
  check(geo(2, 1, 12, 24, 12, {10, 9}, {5, 5}, {2, 2}, {1, 1}, {2, 2}, {2, 2}), o, 8);
  o.wt = Q8Type::kU8;
  o.ot = Q8Type::kI32;
  o.per_channel = false;
  check(geo(2, 1, 12, 9, 3, {8, 8}, {3, 3}, {1, 1}, {2, 2}, {2, 2}, {2, 2}), o, 9);
  o.ot = Q8Type::kF32;
  o.per_channel = true;
  check(geo(2, 2, 8, 22, 2, {13, 11}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), o, 10);  // Mg = 11
}

TEST(Q8Conv, OneAndThreeDims) {
  Opts o;
  check(geo(1, 2, 5, 7, 1, {33}, {4}, {3}, {1}, {2}, {1}), o, 10);
  check(geo(1, 1, 6, 9, 3, {70}, {3}, {1}, {2}, {2}, {2}), o, 11);
  o.xt = o.wt = o.ot = Q8Type::kS8;
  o.threads = 2;
  check(geo(3, 1, 4, 6, 2, {5, 6, 7}, {2, 3, 3}, {1, 2, 1}, {1, 1, 2}, {1, 1, 1}, {0, 1, 2}), o, 12);
  o.ot = Q8Type::kF32;
  check(geo(3, 2, 3, 5, 1, {4, 9, 10}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}), o, 13);  // pointwise
}

TEST(Q8Conv, SingleChannelGroups) {
  // Cg == 1 pairs kernel positions along the first spatial dim (band rows ih, ih + dh) instead of
  // channels: odd and even kernel heights, dilation, strides, pads, groups, narrow rows (im2col
  // panel), 3-D, and 1-D (channel pairs with a padding channel).
  Opts o;
  uint32_t seed = 300;
  for (int threads : {1, 2}) {
    o.threads = threads;
    check(geo(2, 2, 1, 8, 1, {28, 28}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), o, seed++);
    check(geo(2, 1, 1, 5, 1, {19, 22}, {4, 2}, {2, 1}, {2, 1}, {3, 0}, {1, 2}), o, seed++);
    check(geo(2, 1, 1, 6, 1, {17, 30}, {5, 3}, {1, 2}, {1, 2}, {0, 1}, {2, 0}), o, seed++);
    check(geo(2, 1, 3, 6, 3, {12, 13}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), o, seed++);  // groups of 1 channel
    check(geo(2, 1, 1, 7, 1, {9, 4}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), o, seed++);     // narrow: panel
    check(geo(2, 1, 1, 7, 1, {2, 33}, {3, 1}, {1, 1}, {1, 1}, {2, 0}, {2, 0}), o, seed++);    // pads taller than input
    check(geo(3, 1, 1, 5, 1, {5, 6, 7}, {3, 2, 2}, {1, 1, 2}, {1, 2, 1}, {1, 0, 1}, {1, 1, 0}), o, seed++);
    check(geo(1, 1, 1, 5, 1, {40}, {3}, {1}, {1}, {1}, {1}), o, seed++);
    o.xt = Q8Type::kS8;
    o.ot = Q8Type::kF32;
    check(geo(2, 1, 1, 9, 1, {15, 16}, {2, 3}, {1, 1}, {1, 1}, {1, 1}, {0, 1}), o, seed++);
  }
}

TEST(Q8Conv, RandomShapes) {
  std::mt19937 rng(4242);
  auto r = [&](int lo, int hi) { return static_cast<int64_t>(lo + static_cast<int>(rng() % (hi - lo + 1))); };
  const Q8Type outs[] = {Q8Type::kU8, Q8Type::kS8, Q8Type::kI32, Q8Type::kF32};
  for (int it = 0; it < 60; ++it) {
    const int nd = it % 7 == 0 ? 1 : it % 11 == 0 ? 3 : 2;
    const int64_t group = r(1, 3), cg = r(1, 9), mg = r(1, 13);
    std::vector<int64_t> in, kernel, stride, dil, pb, pe;
    for (int d = 0; d < nd; ++d) {
      kernel.push_back(r(1, nd == 3 ? 2 : 4));
      stride.push_back(r(1, 3));
      dil.push_back(r(1, 2));
      pb.push_back(r(0, 2));
      pe.push_back(r(0, 2));
      const int64_t extent = dil.back() * (kernel.back() - 1) + 1;
      in.push_back(std::max<int64_t>(r(1, nd == 3 ? 6 : nd == 1 ? 60 : 24), extent - pb.back() - pe.back()));
    }
    Opts o;
    o.xt = rng() & 1 ? Q8Type::kU8 : Q8Type::kS8;
    o.wt = rng() & 1 ? Q8Type::kU8 : Q8Type::kS8;
    o.ot = outs[rng() % 4];
    o.per_channel = rng() & 1;
    o.narrow = rng() & 1;
    o.bias = rng() % 4 != 0;
    o.threads = static_cast<int>(r(1, 3));
    check(geo(nd, r(1, 2), group * cg, group * mg, group, in, kernel, stride, dil, pb, pe), o, 1000 + it);
  }
}

}  // namespace
}  // namespace edgeinfer
