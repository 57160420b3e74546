#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/f32_pool/f32_pool.h"
#include "test_util.h"

namespace edgeinfer::kernels {
namespace {

using edgeinfer::testing::random_f32;

F32Pool2dParams make(int64_t h, int64_t w, int64_t k, int64_t s, int64_t d, int64_t pad, bool ceil, bool is_max,
                     bool cip) {
  F32Pool2dParams p{};
  p.in_h = h; p.in_w = w; p.k_h = k; p.k_w = k; p.s_h = s; p.s_w = s; p.d_h = d; p.d_w = d;
  p.pad_t = p.pad_l = p.pad_b = p.pad_r = pad;
  const int64_t ek = (k - 1) * d + 1;
  auto out = [&](int64_t in) {
    int64_t num = in + 2 * pad - ek;
    int64_t o = (ceil ? (num + s - 1) / s : num / s) + 1;
    if (ceil && (o - 1) * s >= in + pad) --o;
    return o;
  };
  p.out_h = out(h); p.out_w = out(w);
  p.is_max = is_max; p.count_include_pad = cip;
  return p;
}

TEST(F32PoolKernel, ReferenceHandComputed) {
  const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  float y[4];
  F32Pool2dParams p = make(3, 3, 2, 1, 1, 0, false, true, false);
  ASSERT_EQ(p.out_h, 2);
  f32_pool2d__ref(x, y, p);
  EXPECT_EQ(y[0], 5); EXPECT_EQ(y[1], 6); EXPECT_EQ(y[2], 8); EXPECT_EQ(y[3], 9);
  p = make(3, 3, 2, 2, 1, 1, false, false, false);  // pads 1 stride 2: windows at -1 and 1
  ASSERT_EQ(p.out_h, 2);
  f32_pool2d__ref(x, y, p);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], 2.5f);
  EXPECT_EQ(y[3], 7.0f);
  p.count_include_pad = true;
  f32_pool2d__ref(x, y, p);
  EXPECT_EQ(y[0], 0.25f);
  EXPECT_EQ(y[3], 7.0f);
}

#if EDGEINFER_SIMD128
TEST(F32PoolKernel, SimdMatchesReference) {
  uint32_t seed = 1;
  int cases = 0;
  for (bool is_max : {true, false})
    for (int64_t k : {1, 2, 3, 5})
      for (int64_t s : {1, 2, 3})
        for (int64_t d : {1, 2})
          for (int64_t pad : {0, 1, 2})
            for (bool ceil : {false, true})
              for (int64_t w : {3, 4, 5, 8, 9, 13, 16, 17, 23, 64}) {
                if (pad >= (k - 1) * d + 1) continue;
                const int64_t h = 3 + (w % 5);
                if (h + 2 * pad < (k - 1) * d + 1 || w + 2 * pad < (k - 1) * d + 1) continue;
                F32Pool2dParams p = make(h, w, k, s, d, pad, ceil, is_max, (w + k) % 2 == 0);
                Tensor x = random_f32({h, w}, seed++);
                std::vector<float> a(p.out_h * p.out_w), b(p.out_h * p.out_w);
                f32_pool2d__ref(x.data<float>(), a.data(), p);
                f32_pool2d__simd128(x.data<float>(), b.data(), p);
                for (size_t i = 0; i < a.size(); ++i)
                  ASSERT_NEAR(b[i], a[i], 1e-6f) << "k" << k << " s" << s << " d" << d << " pad" << pad << " w" << w;
                ++cases;
              }
  EXPECT_GT(cases, 500);
}

// The 2x2 stride-2 max path propagates NaN like the reference, in the vector and the scalar columns.
TEST(F32PoolKernel, Max2x2NaN) {
  for (int64_t w : {10, 11}) {
    F32Pool2dParams p = make(4, w, 2, 2, 1, 0, true, true, false);
    Tensor x = random_f32({4, w}, 7);
    x.data<float>()[1] = NAN;          // window (0, 0): vector lanes
    x.data<float>()[w + 9] = NAN;      // window (0, 4): scalar column
    std::vector<float> a(p.out_h * p.out_w), b(p.out_h * p.out_w);
    f32_pool2d__ref(x.data<float>(), a.data(), p);
    f32_pool2d__simd128(x.data<float>(), b.data(), p);
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(std::isnan(a[i]), std::isnan(b[i])) << i;
      if (!std::isnan(a[i])) ASSERT_EQ(a[i], b[i]) << i;
    }
  }
}

TEST(F32PoolKernel, AsymmetricPadsMatchReference) {
  uint32_t seed = 99;
  for (int64_t pl : {0, 1, 2})
    for (int64_t pr : {0, 1, 2})
      for (int64_t s : {1, 2}) {
        F32Pool2dParams p = make(11, 23, 3, s, 1, 0, false, false, true);
        p.pad_l = pl; p.pad_r = pr; p.pad_t = pr; p.pad_b = pl;
        p.out_w = (23 + pl + pr - 3) / s + 1;
        p.out_h = (11 + pl + pr - 3) / s + 1;
        Tensor x = random_f32({11, 23}, seed++);
        std::vector<float> a(p.out_h * p.out_w), b(p.out_h * p.out_w);
        for (bool is_max : {true, false}) {
          p.is_max = is_max;
          f32_pool2d__ref(x.data<float>(), a.data(), p);
          f32_pool2d__simd128(x.data<float>(), b.data(), p);
          for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(b[i], a[i], 1e-6f);
        }
      }
}
#endif

}  // namespace
}  // namespace edgeinfer::kernels
