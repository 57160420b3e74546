#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/f32_reduce/f32_reduce.h"
#include "test_util.h"

namespace edgeinfer::kernels {
namespace {

using edgeinfer::testing::random_f32;

// Equal infinities count as equal (empty max/min), otherwise within a sum's rounding.
::testing::AssertionResult close(float got, float want) {
  if (got == want || std::fabs(got - want) <= 1e-4f + 1e-5f * std::fabs(want)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << got << " vs " << want;
}

const F32ReduceOp kOps[] = {F32ReduceOp::kSum, F32ReduceOp::kSumSquare, F32ReduceOp::kSumAbs, F32ReduceOp::kMax,
                            F32ReduceOp::kMin};

TEST(F32ReduceKernel, ReferenceValues) {
  const float x[6] = {1, -2, 3, -4, 5, -6};
  float y[3];
  f32_reduce_rows__ref(x, y, 2, 3, F32ReduceOp::kSum);
  EXPECT_EQ(y[0], 2.0f);
  EXPECT_EQ(y[1], -5.0f);
  f32_reduce_cols__ref(x, y, 2, 3, 3, F32ReduceOp::kMax);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], 5.0f);
  EXPECT_EQ(y[2], 3.0f);
  f32_reduce_rows__ref(x, y, 1, 0, F32ReduceOp::kMin);
  EXPECT_EQ(y[0], INFINITY);
}

#if EDGEINFER_SIMD128
TEST(F32ReduceKernel, RowsMatchReference) {
  uint32_t seed = 1;
  for (F32ReduceOp op : kOps)
    for (int64_t n : {0, 1, 3, 4, 5, 15, 16, 17, 33, 1000})
      for (int64_t rows : {1, 2, 5}) {
        Tensor x = random_f32({rows, n}, seed++, -3.0f, 3.0f);
        std::vector<float> a(rows), b(rows);
        f32_reduce_rows__ref(x.data<float>(), a.data(), rows, n, op);
        f32_reduce_rows__simd128(x.data<float>(), b.data(), rows, n, op);
        for (int64_t r = 0; r < rows; ++r) ASSERT_TRUE(close(b[r], a[r])) << n;
      }
}

TEST(F32ReduceKernel, ColsMatchReference) {
  uint32_t seed = 100;
  for (F32ReduceOp op : kOps)
    for (int64_t n : {0, 1, 2, 7, 50})
      for (int64_t width : {1, 3, 4, 5, 15, 16, 17, 33, 200})
        for (int64_t pad : {0, 3}) {
          const int64_t stride = width + pad;
          Tensor x = random_f32({std::max<int64_t>(n, 1), stride}, seed++, -3.0f, 3.0f);
          std::vector<float> a(width), b(width);
          f32_reduce_cols__ref(x.data<float>(), a.data(), n, width, stride, op);
          f32_reduce_cols__simd128(x.data<float>(), b.data(), n, width, stride, op);
          for (int64_t j = 0; j < width; ++j) ASSERT_TRUE(close(b[j], a[j]));
        }
}

TEST(F32ReduceKernel, NanPropagatesInMaxMin) {
  std::vector<float> x(9, 1.0f);
  x[5] = NAN;
  float y;
  f32_reduce_rows__simd128(x.data(), &y, 1, 9, F32ReduceOp::kMax);
  EXPECT_TRUE(std::isnan(y));
  f32_reduce_rows__ref(x.data(), &y, 1, 9, F32ReduceOp::kMin);
  EXPECT_TRUE(std::isnan(y));
}
#endif

}  // namespace
}  // namespace edgeinfer::kernels
