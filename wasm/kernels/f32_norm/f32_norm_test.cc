#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/f32_norm/f32_norm.h"
#include "test_util.h"

namespace edgeinfer::kernels {
namespace {

using edgeinfer::testing::random_f32;

TEST(F32NormKernel, ReferenceMoments) {
  const float x[4] = {1, 2, 3, 6};
  float m, v;
  f32_moments__ref(x, 4, &m, &v);
  EXPECT_FLOAT_EQ(m, 3.0f);
  EXPECT_FLOAT_EQ(v, (4 + 1 + 0 + 9) / 4.0f);
}

#if EDGEINFER_SIMD128
TEST(F32NormKernel, SimdMatchesReference) {
  uint32_t seed = 1;
  for (int64_t n : {0, 1, 3, 4, 5, 7, 8, 9, 31, 32, 33, 1000, 4099}) {
    Tensor x = random_f32({n}, seed++, -2.0f, 5.0f);
    Tensor sc = random_f32({n}, seed++), bi = random_f32({n}, seed++);
    float m0, v0, m1, v1;
    f32_moments__ref(x.data<float>(), n, &m0, &v0);
    f32_moments__simd128(x.data<float>(), n, &m1, &v1);
    EXPECT_NEAR(m1, m0, 1e-5f);
    EXPECT_NEAR(v1, v0, 1e-4f * (1 + v0));
    std::vector<float> a(n), b(n);
    for (int variant = 0; variant < 4; ++variant) {
      const float* s = variant & 1 ? sc.data<float>() : nullptr;
      const float* bb = variant & 2 ? bi.data<float>() : nullptr;
      f32_normalize__ref(x.data<float>(), a.data(), n, m0, 0.7f, s, bb);
      f32_normalize__simd128(x.data<float>(), b.data(), n, m0, 0.7f, s, bb);
      for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(b[i], a[i], 1e-5f);
    }
    f32_affine__ref(x.data<float>(), a.data(), n, 1.5f, -0.25f);
    f32_affine__simd128(x.data<float>(), b.data(), n, 1.5f, -0.25f);
    for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(b[i], a[i], 1e-5f);
  }
}
#endif

}  // namespace
}  // namespace edgeinfer::kernels
