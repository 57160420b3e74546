// 256-entry byte lookup against the plain loop: every index, lengths around the 16-byte step, bytes
// past the end untouched.
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/q8_lookup/q8_lookup.h"

namespace edgeinfer {
namespace {

TEST(Q8Lookup, MatchesReference) {
  std::mt19937 rng(11);
  std::vector<uint8_t> table(256);
  for (auto& v : table) v = static_cast<uint8_t>(rng());
  for (size_t n : {0, 1, 15, 16, 17, 256, 1000}) {
    std::vector<uint8_t> x(n);
    for (size_t i = 0; i < n; ++i) x[i] = n == 256 ? static_cast<uint8_t>(i) : static_cast<uint8_t>(rng());
    std::vector<uint8_t> want(n + 8, 0xCD), got(n + 8, 0xCD);
    q8_lookup_reference(table.data(), x.data(), want.data(), n);
    q8_lookup(table.data(), x.data(), got.data(), n);
    EXPECT_EQ(want, got) << "n=" << n;
  }
}

}  // namespace
}  // namespace edgeinfer
