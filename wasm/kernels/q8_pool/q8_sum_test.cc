// 8-bit run sums against the reference loop: lengths around the 16-byte step, both signs, the value
// extremes, and a run long enough to wrap 32 bits in neither (and to exercise many steps).
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/q8_pool/q8_sum.h"

namespace edgeinfer {
namespace {

TEST(Q8Sum, MatchesReference) {
  std::mt19937 rng(11);
  for (bool sgn : {false, true})
    for (size_t n : {0, 1, 15, 16, 17, 31, 33, 100, 25600, 100003}) {
      std::vector<uint8_t> x(n + 1);
      for (auto& v : x) v = static_cast<uint8_t>(rng());
      // Unaligned start (+1) and the extremes present.
      if (n > 3) x[1] = 0x80, x[2] = 0x7F, x[3] = 0xFF;
      EXPECT_EQ(q8_sum(x.data() + 1, n, sgn), q8_sum_reference(x.data() + 1, n, sgn)) << "n=" << n << " signed=" << sgn;
    }
}

TEST(Q8Sum, ExtremeRunsAreExact) {
  const std::vector<uint8_t> ff(1000, 0xFF), m(1000, 0x80);
  EXPECT_EQ(q8_sum(ff.data(), ff.size(), false), 255000);
  EXPECT_EQ(q8_sum(ff.data(), ff.size(), true), -1000);
  EXPECT_EQ(q8_sum(m.data(), m.size(), true), -128000);
}

}  // namespace
}  // namespace edgeinfer
