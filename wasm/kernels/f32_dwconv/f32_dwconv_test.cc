// Depthwise fast paths (3x3/5x5, stride 1/2; widths around the 4- and 8-output steps) and the
// general path against the direct loop.
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/f32_dwconv/f32_dwconv.h"

namespace edgeinfer {
namespace {

std::vector<float> rnd(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

void check(DwConv2dParams p, const Activation& act, int threads, bool with_bias = true) {
  p.oh = (p.ih + 2 * p.pad_top - ((p.kh - 1) * p.dh + 1)) / p.sh + 1;
  p.ow = (p.iw + 2 * p.pad_left - ((p.kw - 1) * p.dw + 1)) / p.sw + 1;
  if (p.oh <= 0 || p.ow <= 0) return;
  SCOPED_TRACE(::testing::Message() << "in " << p.ih << "x" << p.iw << " k " << p.kh << "x" << p.kw << " s " << p.sh
                                    << "," << p.sw << " d " << p.dh << " pad " << p.pad_top << "," << p.pad_left
                                    << " act " << act.kind << " threads " << threads);
  std::vector<float> x = rnd(p.batch * p.channels * p.ih * p.iw, 1), w = rnd(p.channels * p.kh * p.kw, 2),
                     b = rnd(p.channels, 3);
  std::vector<float> expect(p.batch * p.channels * p.oh * p.ow), got(expect.size() + 1, 777.0f);
  f32_dwconv2d_reference(p, x.data(), w.data(), with_bias ? b.data() : nullptr, expect.data());
  for (float& e : expect) e = act.apply(e);
  std::vector<float> scratch(f32_dwconv2d_scratch_bytes(p) / sizeof(float));
  ThreadPool pool(threads);
  f32_dwconv2d(p, x.data(), w.data(), with_bias ? b.data() : nullptr, got.data(), act, &pool, scratch.data(),
               scratch.size() * sizeof(float));
  for (size_t i = 0; i < expect.size(); ++i) ASSERT_NEAR(got[i], expect[i], 1e-4f) << i;
  EXPECT_EQ(got.back(), 777.0f);  // nothing written past the output
}

TEST(F32DwConv, FastPathsAllWidths) {
  for (int64_t k : {3, 5})
    for (int64_t s : {1, 2})
      for (int64_t w : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 23, 24, 25, 33, 40}) {
        DwConv2dParams p;
        p.batch = 2; p.channels = 3; p.ih = 7; p.iw = w; p.kh = p.kw = k; p.sh = p.sw = s;
        p.pad_top = p.pad_left = k / 2;
        check(p, Activation{}, 1);
      }
}

TEST(F32DwConv, GeneralPaths) {
  DwConv2dParams p;
  p.channels = 5; p.ih = 11; p.iw = 17;
  for (int64_t kh : {1, 2, 3, 7})
    for (int64_t kw : {1, 3, 4})
      for (int64_t s : {1, 2, 3})
        for (int64_t d : {1, 2}) {
          p.kh = kh; p.kw = kw; p.sh = s; p.sw = s == 3 ? 1 : s; p.dh = p.dw = d; p.pad_top = kh / 2; p.pad_left = 0;
          check(p, Activation{}, 1, d == 1);
        }
}

TEST(F32DwConv, ActivationsAndThreads) {
  DwConv2dParams p;
  p.batch = 1; p.channels = 9; p.ih = 15; p.iw = 19; p.kh = p.kw = 3; p.pad_top = p.pad_left = 1;
  Activation relu; relu.kind = Activation::kRelu;
  Activation clip; clip.kind = Activation::kClip; clip.a = 0.0f; clip.b = 0.5f;
  Activation hs; hs.kind = Activation::kHardSwish;
  for (int t : {1, 2, 3}) {
    check(p, relu, t);
    check(p, clip, t);
    check(p, hs, t);
  }
}

}  // namespace
}  // namespace edgeinfer
