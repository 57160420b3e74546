#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/f32_softmax/f32_softmax.h"
#include "test_util.h"

namespace edgeinfer::kernels {
namespace {

using edgeinfer::testing::random_f32;

#if EDGEINFER_SIMD128
TEST(F32SoftmaxKernel, VexpMatchesReference) {
  for (int64_t n : {1, 3, 4, 5, 7, 8, 9, 1000}) {
    Tensor x = random_f32({n}, 100 + static_cast<uint32_t>(n), -80.0f, 80.0f);
    std::vector<float> a(n), b(n);
    f32_vexp__ref(x.data<float>(), a.data(), n);
    f32_vexp__simd128(x.data<float>(), b.data(), n);
    for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(b[i], a[i], 3e-7f * a[i]) << "x=" << x.data<float>()[i];
  }
  const float special[4] = {0.0f, -200.0f, NAN, 1.0f};
  float out[4];
  f32_vexp__simd128(special, out, 4);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_LT(out[1], 1e-37f);
  EXPECT_TRUE(std::isnan(out[2]));
  EXPECT_NEAR(out[3], std::exp(1.0f), 1e-6f);
}

TEST(F32SoftmaxKernel, ANanMakesTheWholeRowNan) {
  // The row maximum may skip a NaN element (pmax); the NaN still reaches every output through the sum.
  for (bool log : {false, true})
    for (int64_t pos : {0, 2, 5, 8}) {
      std::vector<float> x = {0.5f, -1.0f, 2.0f, 3.0f, 0.0f, 1.0f, -2.0f, 4.0f, 0.25f};
      x[static_cast<size_t>(pos)] = NAN;
      std::vector<float> y(x.size());
      f32_softmax_rows__simd128(x.data(), y.data(), 1, static_cast<int64_t>(x.size()), log);
      for (float v : y) EXPECT_TRUE(std::isnan(v)) << "NaN at " << pos << " log=" << log;
    }
}

TEST(F32SoftmaxKernel, RowsMatchReference) {
  uint32_t seed = 1;
  for (bool log : {false, true})
    for (int64_t n : {1, 3, 4, 5, 8, 17, 1000})
      for (int64_t rows : {1, 3}) {
        Tensor x = random_f32({rows, n}, seed++, -10.0f, 10.0f);
        std::vector<float> a(rows * n), b(rows * n);
        f32_softmax_rows__ref(x.data<float>(), a.data(), rows, n, log);
        f32_softmax_rows__simd128(x.data<float>(), b.data(), rows, n, log);
        for (int64_t i = 0; i < rows * n; ++i) ASSERT_NEAR(b[i], a[i], 2e-6f + 2e-6f * std::fabs(a[i])) << n;
      }
}

TEST(F32SoftmaxKernel, StridedMatchesReference) {
  uint32_t seed = 50;
  for (bool log : {false, true})
    for (int64_t n : {1, 2, 7, 64})
      for (int64_t inner : {1, 3, 4, 5, 8, 9, 130}) {
        // Columns [2, 2 + width) of a wider block, so the stride differs from the width.
        const int64_t width = inner, stride = inner + 3;
        Tensor x = random_f32({n, stride}, seed++, -10.0f, 10.0f);
        std::vector<float> a(n * stride, -7.0f), b(n * stride, -7.0f);
        f32_softmax_strided__ref(x.data<float>() + 2, a.data() + 2, n, width, stride, log);
        f32_softmax_strided__simd128(x.data<float>() + 2, b.data() + 2, n, width, stride, log);
        for (int64_t i = 0; i < n * stride; ++i) ASSERT_NEAR(b[i], a[i], 2e-6f + 2e-6f * std::fabs(a[i]));
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(b[i * stride], -7.0f);  // untouched outside the columns
      }
}
#endif

TEST(F32SoftmaxKernel, ReferenceSumsToOneAndIsStable) {
  const float x[3] = {1000.0f, 1001.0f, 999.0f};
  float y[3];
  f32_softmax_rows__ref(x, y, 1, 3, false);
  EXPECT_NEAR(y[0] + y[1] + y[2], 1.0f, 1e-6f);
  EXPECT_NEAR(y[1], 1.0f / (1.0f + std::exp(-1.0f) + std::exp(-2.0f)), 1e-6f);
}

}  // namespace
}  // namespace edgeinfer::kernels
