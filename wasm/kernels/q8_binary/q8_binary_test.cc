// QLinearAdd / QLinearMul kernel against its scalar reference, bit-exact: lengths around the 16-byte
// step (0, 1, 15, 16, 17, 33, 100), each operand contiguous or broadcast (stride 0), int8 and uint8,
// zero points at their extremes, scales that saturate, and exact .5 ties (round half to even).
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/q8_binary/q8_binary.h"

namespace edgeinfer {
namespace {

void check(const Q8BinaryParams& p, size_t n, size_t as, size_t bs, uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << "mul=" << p.mul << " signed=" << p.is_signed << " n=" << n << " as=" << as
                                    << " bs=" << bs << " ra=" << p.ra << " rb=" << p.rb << " z=" << p.za << "/"
                                    << p.zb << "/" << p.zc);
  std::mt19937 rng(seed);
  std::vector<uint8_t> a(n + 1), b(n + 1);
  for (auto& v : a) v = static_cast<uint8_t>(rng());
  for (auto& v : b) v = static_cast<uint8_t>(rng());
  std::vector<uint8_t> want(n + 8, 0xCD), got(n + 8, 0xCD);
  q8_binary_reference(p, a.data(), as, b.data(), bs, want.data(), n);
  q8_binary(p, a.data(), as, b.data(), bs, got.data(), n);
  EXPECT_EQ(want, got);  // including the bytes past n, untouched
}

TEST(Q8Binary, MatchesReference) {
  uint32_t seed = 1;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> ud(0.05f, 3.0f);
  for (bool mul : {false, true})
    for (bool sgn : {false, true})
      for (size_t n : {0, 1, 15, 16, 17, 33, 100})
        for (int st = 0; st < 3; ++st)
          for (int z = 0; z < 3; ++z) {
            Q8BinaryParams p;
            p.mul = mul;
            p.is_signed = sgn;
            const int32_t lo = sgn ? -128 : 0, hi = sgn ? 127 : 255;
            p.za = z == 0 ? lo : z == 1 ? hi : lo + static_cast<int32_t>(rng() % 256);
            p.zb = z == 0 ? hi : lo + static_cast<int32_t>(rng() % 256);
            p.zc = z == 2 ? lo + static_cast<int32_t>(rng() % 256) : (lo + hi) / 2;
            p.ra = mul ? ud(rng) * 0.01f : ud(rng);
            p.rb = ud(rng);
            check(p, n, st == 1 ? 0 : 1, st == 2 ? 0 : 1, seed++);
          }
}

TEST(Q8Binary, TiesRoundHalfToEven) {
  // ra = rb = 0.5: (a - za + b - zb) / 2 lands on .5 for odd sums; mul by 0.5 likewise.
  for (bool mul : {false, true}) {
    Q8BinaryParams p;
    p.mul = mul;
    p.is_signed = true;
    p.ra = p.rb = 0.5f;
    std::vector<int8_t> a = {1, 3, 5, -1, -3, 2, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27};
    std::vector<int8_t> b(a.size(), mul ? 1 : 0);
    std::vector<int8_t> y(a.size()), r(a.size());
    q8_binary(p, a.data(), 1, b.data(), 1, y.data(), a.size());
    q8_binary_reference(p, a.data(), 1, b.data(), 1, r.data(), a.size());
    EXPECT_EQ(y, r);
    EXPECT_EQ(y[0], 0);
    EXPECT_EQ(y[1], 2);
    EXPECT_EQ(y[2], 2);
    EXPECT_EQ(y[3], 0);
    EXPECT_EQ(y[4], -2);
  }
}

TEST(Q8Binary, Saturates) {
  Q8BinaryParams p;
  p.ra = p.rb = 40.0f;
  p.zc = 10;
  std::vector<uint8_t> a = {0, 255, 128, 130}, b = {0, 255, 128, 120}, y(4);
  p.za = p.zb = 128;
  q8_binary(p, a.data(), 1, b.data(), 1, y.data(), 4);
  EXPECT_EQ(y[0], 0);
  EXPECT_EQ(y[1], 255);
  EXPECT_EQ(y[2], 10);
  EXPECT_EQ(y[3], 0);  // 40 * 2 + 40 * -8 = -240 -> saturates at 0
}

}  // namespace
}  // namespace edgeinfer
