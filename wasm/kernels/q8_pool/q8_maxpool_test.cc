// 8-bit 2x2 stride-2 max pooling rows against the reference loop: widths around the 16-output step,
// int8 and uint8 over their whole range (the extremes included), bytes past the row untouched.
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/q8_pool/q8_maxpool.h"

namespace edgeinfer {
namespace {

TEST(Q8MaxPool, RowMatchesReference) {
  std::mt19937 rng(5);
  for (bool sgn : {false, true})
    for (size_t ow : {0, 1, 7, 15, 16, 17, 31, 32, 33, 100}) {
      SCOPED_TRACE(::testing::Message() << "signed=" << sgn << " ow=" << ow);
      std::vector<uint8_t> r0(2 * ow + 1), r1(2 * ow + 1);
      for (auto& v : r0) v = static_cast<uint8_t>(rng());
      for (auto& v : r1) v = static_cast<uint8_t>(rng());
      if (ow > 2) r0[0] = 0x80, r1[1] = 0x7F, r0[2] = 0xFF, r1[3] = 0x00;
      std::vector<uint8_t> want(ow + 8, 0xCD), got(ow + 8, 0xCD);
      q8_maxpool_2x2s2_row_reference(r0.data(), r1.data(), want.data(), ow, sgn);
      q8_maxpool_2x2s2_row(r0.data(), r1.data(), got.data(), ow, sgn);
      EXPECT_EQ(want, got);
    }
}

TEST(Q8MaxPool, RowsMatchTheRowKernel) {
  // Narrow and wide rows, odd input widths (a column past 2 * ow), a tight buffer (no slack to
  // overshoot into) and a generous one, outputs surrounded by guard bytes.
  std::mt19937 rng(6);
  for (bool sgn : {false, true})
    for (size_t ow : {1, 7, 14, 16, 17, 40})
      for (size_t extra_col : {0, 1})
        for (size_t oh : {1, 2, 7, 13})
          for (size_t slack : {0, 64}) {
            SCOPED_TRACE(::testing::Message() << "signed=" << sgn << " ow=" << ow << " oh=" << oh << " iw=" << 2 * ow + extra_col
                                              << " slack=" << slack);
            const size_t iw = 2 * ow + extra_col;
            std::vector<uint8_t> x(2 * oh * iw + slack);
            for (auto& v : x) v = static_cast<uint8_t>(rng());
            std::vector<uint8_t> want(oh * ow + 16, 0xCD), got(oh * ow + 16, 0xCD);
            for (size_t r = 0; r < oh; ++r)
              q8_maxpool_2x2s2_row_reference(x.data() + 2 * r * iw, x.data() + (2 * r + 1) * iw, want.data() + r * ow, ow, sgn);
            q8_maxpool_2x2s2_rows(x.data(), iw, 2 * oh * iw + slack, got.data(), oh, ow, sgn);
            EXPECT_EQ(want, got);
          }
}

TEST(Q8MaxPool, SignedAndUnsignedOrder) {
  const std::vector<uint8_t> r0 = {0x80, 0x7F}, r1 = {0xFF, 0x00};
  uint8_t u = 0, s = 0;
  q8_maxpool_2x2s2_row(r0.data(), r1.data(), &u, 1, false);
  q8_maxpool_2x2s2_row(r0.data(), r1.data(), &s, 1, true);
  EXPECT_EQ(u, 0xFF);
  EXPECT_EQ(s, 0x7F);
}

}  // namespace
}  // namespace edgeinfer
