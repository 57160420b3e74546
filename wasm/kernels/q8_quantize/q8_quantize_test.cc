// QuantizeLinear / DequantizeLinear kernels against their scalar references, bit-exact: lengths around
// the 16- and 8-element steps, int8 and uint8, zero points at their extremes, exact .5 ties (round half
// to even), values that saturate, NaN and infinities.
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/q8_quantize/q8_quantize.h"

namespace edgeinfer {
namespace {

TEST(Q8Quantize, MatchesReference) {
  std::mt19937 rng(3);
  for (bool sgn : {false, true})
    for (size_t n : {0, 1, 7, 8, 9, 15, 16, 17, 33, 100, 1001})
      for (int z = 0; z < 3; ++z) {
        const int32_t lo = sgn ? -128 : 0, hi = sgn ? 127 : 255;
        const int32_t zp = z == 0 ? lo : z == 1 ? hi : lo + static_cast<int32_t>(rng() % 256);
        const float scale = std::uniform_real_distribution<float>(0.001f, 0.5f)(rng);
        SCOPED_TRACE(::testing::Message() << "signed=" << sgn << " n=" << n << " zp=" << zp << " scale=" << scale);
        std::vector<float> x(n);
        std::normal_distribution<float> nd(0.0f, 100.0f * scale);
        for (size_t i = 0; i < n; ++i) {
          switch (rng() % 8) {
            case 0: x[i] = (static_cast<float>(static_cast<int>(rng() % 300) - 150) + 0.5f) * scale; break;  // ties
            case 1: x[i] = nd(rng) * 100.0f; break;                                                            // saturates
            default: x[i] = nd(rng);
          }
        }
        if (n > 3) {
          x[0] = std::numeric_limits<float>::quiet_NaN();
          x[1] = std::numeric_limits<float>::infinity();
          x[2] = -std::numeric_limits<float>::infinity();
        }
        std::vector<uint8_t> want(n + 8, 0xCD), got(n + 8, 0xCD);
        q8_quantize_reference(x.data(), want.data(), n, scale, zp, sgn);
        q8_quantize(x.data(), got.data(), n, scale, zp, sgn);
        EXPECT_EQ(want, got);  // including the bytes past n, untouched

        std::vector<uint8_t> q(n);
        for (auto& v : q) v = static_cast<uint8_t>(rng());
        std::vector<float> fw(n + 4, -7.0f), fg(n + 4, -7.0f);
        q8_dequantize_reference(q.data(), fw.data(), n, scale, zp, sgn);
        q8_dequantize(q.data(), fg.data(), n, scale, zp, sgn);
        for (size_t i = 0; i < n + 4; ++i) ASSERT_EQ(fw[i], fg[i]) << "element " << i;
      }
}

TEST(Q8Quantize, TiesRoundHalfToEvenAndNaNIsTheZeroPoint) {
  const std::vector<float> x = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, std::numeric_limits<float>::quiet_NaN(), 1000.0f,
                                -1000.0f};
  std::vector<int8_t> y(x.size());
  q8_quantize(x.data(), y.data(), x.size(), 1.0f, 3, true);
  EXPECT_EQ(y, (std::vector<int8_t>{3, 5, 5, 3, 1, 1, 3, 127, -128}));
}

}  // namespace
}  // namespace edgeinfer
