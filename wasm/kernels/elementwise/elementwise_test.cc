// SIMD128 variants against the scalar reference: random sizes 1..67 (every tail length), 4/8-wide
// tile boundaries and a large size, all broadcast stride combinations; the vectorised
// transcendental functions against libm with the tolerances stated in elementwise.h; float16
// conversions; the broadcast plan against a naive index computation.
#include "kernels/elementwise/elementwise.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/elementwise/broadcast.h"
#include "kernels/elementwise/float16.h"

namespace edgeinfer {
namespace elementwise {
namespace {

std::vector<float> random_vec(int64_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

std::vector<int64_t> test_sizes() {
  std::vector<int64_t> sizes;
  for (int64_t n = 1; n <= 67; ++n) sizes.push_back(n);
  for (int64_t n : {127, 128, 129, 1000, 4099, 100003}) sizes.push_back(n);
  return sizes;
}

// Distance in units in the last place between two floats (0 when both NaN or equal).
double ulp_diff(float a, float b) {
  if (std::isnan(a) && std::isnan(b)) return 0;
  if (a == b) return 0;
  if (std::isnan(a) || std::isnan(b) || std::isinf(a) || std::isinf(b)) return INFINITY;
  int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  if (ia < 0) ia = std::numeric_limits<int32_t>::min() - ia;
  if (ib < 0) ib = std::numeric_limits<int32_t>::min() - ib;
  return std::fabs(static_cast<double>(ia) - static_cast<double>(ib));
}

#if EDGEINFER_SIMD128

struct ExactCase {
  UnaryOp op;
  const char* name;
  float lo, hi;
  UnaryParams p;
};

// Ops whose SIMD variant performs the same IEEE operations as the reference: results must be equal.
TEST(ElementwiseKernel, UnaryExactOpsMatchReference) {
  const ExactCase cases[] = {
      {UnaryOp::kAbs, "Abs", -5, 5, {}},
      {UnaryOp::kNeg, "Neg", -5, 5, {}},
      {UnaryOp::kSqrt, "Sqrt", 0, 100, {}},
      {UnaryOp::kReciprocal, "Reciprocal", -10, 10, {}},
      {UnaryOp::kFloor, "Floor", -50, 50, {}},
      {UnaryOp::kCeil, "Ceil", -50, 50, {}},
      {UnaryOp::kRound, "Round", -8, 8, {}},
      {UnaryOp::kRelu, "Relu", -3, 3, {}},
      {UnaryOp::kClip, "Clip", -3, 3, {-1.5f, 0.75f, 0}},
      {UnaryOp::kLeakyRelu, "LeakyRelu", -3, 3, {0.1f, 0, 0}},
      {UnaryOp::kHardSigmoid, "HardSigmoid", -6, 6, {0.2f, 0.5f, 0}},
      {UnaryOp::kHardSwish, "HardSwish", -6, 6, {}},
      {UnaryOp::kSoftsign, "Softsign", -6, 6, {}},
      {UnaryOp::kLog, "Log", 0.01f, 100, {}},
      {UnaryOp::kElu, "Elu", -3, 3, {1.0f, 0, 0}},
  };
  uint32_t seed = 1;
  for (const ExactCase& c : cases) {
    for (int64_t n : test_sizes()) {
      std::vector<float> x = random_vec(n, seed++, c.lo, c.hi);
      if (c.op == UnaryOp::kRound && n > 4) {
        x[0] = 2.5f; x[1] = -2.5f; x[2] = 0.5f; x[3] = 1.5f;  // ties go to even
      }
      if (n > 6) x[5] = std::numeric_limits<float>::quiet_NaN();
      std::vector<float> ref(x.size()), got(x.size(), -7.0f);
      f32_unary__reference(c.op, c.p, x.data(), ref.data(), n);
      f32_unary__simd128(c.op, c.p, x.data(), got.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        const size_t k = static_cast<size_t>(i);
        if (std::isnan(ref[k])) {
          ASSERT_TRUE(std::isnan(got[k])) << c.name << " n=" << n << " i=" << i;
        } else {
          ASSERT_EQ(got[k], ref[k]) << c.name << " n=" << n << " i=" << i << " x=" << x[k];
        }
      }
    }
  }
}

TEST(ElementwiseKernel, RoundIsHalfToEven) {
  const float x[8] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.5f, 2.4999998f};
  const float want[8] = {0.0f, 2.0f, 2.0f, -0.0f, -2.0f, -2.0f, 4.0f, 2.0f};
  float y[8];
  f32_unary__simd128(UnaryOp::kRound, UnaryParams{}, x, y, 8);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(y[i], want[i]) << x[i];
  f32_unary__reference(UnaryOp::kRound, UnaryParams{}, x, y, 8);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(y[i], want[i]) << x[i];
}

// exp, sigmoid and tanh within 2 ulp of the double-precision result rounded to float.
TEST(ElementwiseKernel, TranscendentalsWithinStatedUlp) {
  struct Case {
    UnaryOp op;
    const char* name;
    float lo, hi;
    double max_ulp;
    double (*exact)(double);
  };
  const Case cases[] = {
      {UnaryOp::kExp, "Exp", -87.0f, 88.7f, 2, [](double v) { return std::exp(v); }},
      {UnaryOp::kExp, "Exp(small)", -1.0f, 1.0f, 2, [](double v) { return std::exp(v); }},
      {UnaryOp::kSigmoid, "Sigmoid", -30.0f, 30.0f, 2, [](double v) { return 1.0 / (1.0 + std::exp(-v)); }},
      {UnaryOp::kTanh, "Tanh", -10.0f, 10.0f, 2, [](double v) { return std::tanh(v); }},
      {UnaryOp::kTanh, "Tanh(small)", -1.0f, 1.0f, 2, [](double v) { return std::tanh(v); }},
  };
  uint32_t seed = 100;
  for (const Case& c : cases) {
    const int64_t n = 200003;
    std::vector<float> x = random_vec(n, seed++, c.lo, c.hi), y(static_cast<size_t>(n));
    f32_unary__simd128(c.op, UnaryParams{}, x.data(), y.data(), n);
    double worst = 0;
    float worst_x = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double u = ulp_diff(y[i], static_cast<float>(c.exact(x[i])));
      if (u > worst) { worst = u; worst_x = x[i]; }
    }
    EXPECT_LE(worst, c.max_ulp) << c.name << " worst at x=" << worst_x;
    std::printf("  %s: max %.0f ulp (at x=%g)\n", c.name, worst, worst_x);
  }
}

TEST(ElementwiseKernel, ErfWithinStatedAbsoluteError) {
  const int64_t n = 200003;
  std::vector<float> x = random_vec(n, 7, -5.0f, 5.0f), y(static_cast<size_t>(n));
  f32_unary__simd128(UnaryOp::kErf, UnaryParams{}, x.data(), y.data(), n);
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(y[i] - std::erf(static_cast<double>(x[i]))));
  EXPECT_LE(worst, 5e-7);
  std::printf("  Erf: max abs error %.3g\n", worst);
  // Relative accuracy near 0, where erf(x) ~ 1.128 x.
  std::vector<float> xs = random_vec(n, 8, -1e-3f, 1e-3f), ys(static_cast<size_t>(n));
  f32_unary__simd128(UnaryOp::kErf, UnaryParams{}, xs.data(), ys.data(), n);
  for (size_t i = 0; i < xs.size(); ++i)
    ASSERT_LE(ulp_diff(ys[i], static_cast<float>(std::erf(static_cast<double>(xs[i])))), 4) << xs[i];
}

TEST(ElementwiseKernel, TranscendentalSpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float x[12] = {0.0f, -0.0f, inf, -inf, nan, 88.8f, -104.5f, -87.5f, -100.0f, 1e-30f, 20.0f, -20.0f};
  for (UnaryOp op : {UnaryOp::kExp, UnaryOp::kSigmoid, UnaryOp::kTanh, UnaryOp::kErf}) {
    float y[12], r[12];
    f32_unary__simd128(op, UnaryParams{}, x, y, 12);
    f32_unary__reference(op, UnaryParams{}, x, r, 12);
    for (int i = 0; i < 12; ++i) {
      if (std::isnan(r[i])) {
        EXPECT_TRUE(std::isnan(y[i])) << "op " << static_cast<int>(op) << " x=" << x[i];
      } else if (std::isinf(r[i]) || r[i] == 0.0f) {
        EXPECT_EQ(y[i], r[i]) << "op " << static_cast<int>(op) << " x=" << x[i];
      } else {
        // Subnormal exp results are exact to the last subnormal bit; elsewhere a few ulp.
        EXPECT_LE(ulp_diff(y[i], r[i]), 3) << "op " << static_cast<int>(op) << " x=" << x[i] << " got " << y[i]
                                           << " want " << r[i];
      }
    }
  }
}

TEST(ElementwiseKernel, GeluMatchesReference) {
  for (UnaryOp op : {UnaryOp::kGeluErf, UnaryOp::kGeluTanh}) {
    for (int64_t n : test_sizes()) {
      std::vector<float> x = random_vec(n, static_cast<uint32_t>(n), -6, 6), ref(static_cast<size_t>(n)),
          got(static_cast<size_t>(n));
      f32_unary__reference(op, UnaryParams{}, x.data(), ref.data(), n);
      f32_unary__simd128(op, UnaryParams{}, x.data(), got.data(), n);
      for (size_t i = 0; i < x.size(); ++i)
        // 0.5 * x * (1 + erf(..)) scales erf's absolute error (<= 5e-7) by |x| / 2.
        ASSERT_NEAR(got[i], ref[i], 1e-6 + 2.5e-7 * std::fabs(x[i]) + 4e-6 * std::fabs(ref[i]))
            << "n=" << n << " x=" << x[i];
    }
  }
}

TEST(ElementwiseKernel, BinaryMatchesReferenceAllStrides) {
  const BinaryOp ops[] = {BinaryOp::kAdd, BinaryOp::kSub, BinaryOp::kMul, BinaryOp::kDiv,
                          BinaryOp::kMax, BinaryOp::kMin, BinaryOp::kPow, BinaryOp::kPRelu};
  uint32_t seed = 1000;
  for (BinaryOp op : ops) {
    for (int64_t n : test_sizes()) {
      for (int strides = 0; strides < 4; ++strides) {
        const int64_t sa = strides & 1, sb = (strides >> 1) & 1;
        std::vector<float> a = random_vec(n, seed++, op == BinaryOp::kPow ? 0.1f : -4.0f, 4.0f);
        std::vector<float> b = random_vec(n, seed++, -3.0f, 3.0f);
        if (n > 9 && op != BinaryOp::kPow) {
          a[9] = std::numeric_limits<float>::quiet_NaN();  // NaN propagates through Max/Min too
          b[3] = std::numeric_limits<float>::quiet_NaN();
        }
        std::vector<float> ref(static_cast<size_t>(n)), got(static_cast<size_t>(n), -7.0f);
        f32_binary__reference(op, a.data(), sa, b.data(), sb, ref.data(), n);
        f32_binary__simd128(op, a.data(), sa, b.data(), sb, got.data(), n);
        for (size_t i = 0; i < ref.size(); ++i) {
          if (std::isnan(ref[i])) ASSERT_TRUE(std::isnan(got[i])) << static_cast<int>(op) << " n=" << n << " i=" << i;
          else ASSERT_EQ(got[i], ref[i]) << static_cast<int>(op) << " n=" << n << " i=" << i << " sa=" << sa << " sb=" << sb;
        }
      }
    }
  }
  // Pow with a scalar exponent of 2 takes the x*x path.
  std::vector<float> a = random_vec(67, 5, -9, 9), ref(67), got(67);
  const float two = 2.0f;
  f32_binary__reference(BinaryOp::kPow, a.data(), 1, &two, 0, ref.data(), 67);
  f32_binary__simd128(BinaryOp::kPow, a.data(), 1, &two, 0, got.data(), 67);
  for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(got[i], ref[i]);
}

TEST(ElementwiseKernel, BinaryInPlace) {
  std::vector<float> a = random_vec(131, 3, -1, 1), b = random_vec(131, 4, -1, 1), want(131);
  f32_binary__reference(BinaryOp::kAdd, a.data(), 1, b.data(), 1, want.data(), 131);
  f32_binary__simd128(BinaryOp::kAdd, a.data(), 1, b.data(), 1, a.data(), 131);
  for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], want[i]);
}

#endif  // EDGEINFER_SIMD128

TEST(ElementwiseKernel, Float16RoundTripsEveryHalf) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = half_to_float(static_cast<uint16_t>(h));
    const uint16_t back = float_to_half(f);
    if (std::isnan(f)) {
      ASSERT_EQ(back & 0x7C00u, 0x7C00u);
      ASSERT_NE(back & 0x3FFu, 0u);
      ASSERT_EQ(back & 0x8000u, h & 0x8000u);
    } else {
      ASSERT_EQ(back, h) << "half 0x" << std::hex << h;
    }
  }
  EXPECT_EQ(half_to_float(0x3C00), 1.0f);
  EXPECT_EQ(half_to_float(0x7BFF), 65504.0f);
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(half_to_float(0xC000), -2.0f);
}

TEST(ElementwiseKernel, Float16RoundsToNearestEven) {
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3C00);      // tie -> even (down)
  EXPECT_EQ(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);  // tie -> even (up)
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -25)), 0x0000);             // half the smallest subnormal
  EXPECT_EQ(float_to_half(3 * std::ldexp(1.0f, -25)), 0x0002);
  EXPECT_EQ(float_to_half(65519.0f), 0x7BFF);
  EXPECT_EQ(float_to_half(65520.0f), 0x7C00);
  EXPECT_EQ(float_to_half(-1e10f), 0xFC00);
  EXPECT_EQ(float_to_half(std::ldexp(1023.5f, -24)), 0x0400);  // largest subnormal rounds up to normal
  // Any float: the result is the nearest half (ties to even), checked against both neighbours.
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> d(-70000.0f, 70000.0f);
  std::uniform_real_distribution<float> small(-1e-4f, 1e-4f);
  for (int i = 0; i < 200000; ++i) {
    const float f = (i & 1) ? d(rng) : small(rng);
    const uint16_t h = float_to_half(f);
    const double got = half_to_float(h);
    if (std::isinf(got)) {
      ASSERT_GE(std::fabs(f), 65520.0f);
      continue;
    }
    const double err = std::fabs(got - f);
    for (int delta : {-1, 1}) {
      const uint16_t nb = static_cast<uint16_t>(h + delta);
      if ((nb & 0x7C00u) == 0x7C00u || ((nb ^ h) & 0x8000u)) continue;
      const double nerr = std::fabs(static_cast<double>(half_to_float(nb)) - f);
      ASSERT_TRUE(err < nerr || (err == nerr && (h & 1u) == 0)) << f;
    }
  }
}

// The plan's row offsets against the naive broadcast index for random shapes.
TEST(ElementwiseKernel, BroadcastPlanMatchesNaiveIndexing) {
  std::mt19937 rng(42);
  for (int iter = 0; iter < 400; ++iter) {
    const int rank = static_cast<int>(rng() % 6);
    Shape out(static_cast<size_t>(rank));
    for (auto& d : out) d = 1 + static_cast<int64_t>(rng() % 5);
    if (iter % 50 == 0 && rank > 0) out[0] = 40000;  // long rows split into chunks
    std::vector<Shape> ins(3);
    for (auto& s : ins) {
      const int r = rank == 0 ? 0 : static_cast<int>(rng() % static_cast<unsigned>(rank + 1));
      s.assign(out.end() - r, out.end());
      for (auto& d : s)
        if (rng() % 3 == 0) d = 1;
    }
    const BroadcastPlan plan = make_broadcast_plan(out, {&ins[0], &ins[1], &ins[2]});
    const int64_t total = numel(out);
    std::vector<int64_t> seen(static_cast<size_t>(total), 0);
    bool ok = true;
    ThreadPool pool(2);
    std::vector<std::array<int64_t, 3>> got(static_cast<size_t>(total));
    for_each_row(plan, &pool, [&](int64_t o, const std::array<int64_t, 3>& in, int64_t n) {
      for (int64_t k = 0; k < n; ++k) {
        for (int i = 0; i < 3; ++i) got[static_cast<size_t>(o + k)][static_cast<size_t>(i)] = in[static_cast<size_t>(i)] + k * plan.inner_stride(i);
        seen[static_cast<size_t>(o + k)]++;
      }
    });
    for (int64_t flat = 0; flat < total && ok; ++flat) {
      ASSERT_EQ(seen[static_cast<size_t>(flat)], 1);
      // Naive: unravel flat into out coords, then ravel into each input with size-1 dims pinned to 0.
      std::vector<int64_t> coord(static_cast<size_t>(rank));
      int64_t r = flat;
      for (int d = rank - 1; d >= 0; --d) {
        coord[static_cast<size_t>(d)] = r % out[static_cast<size_t>(d)];
        r /= out[static_cast<size_t>(d)];
      }
      for (int i = 0; i < 3; ++i) {
        const Shape& s = ins[static_cast<size_t>(i)];
        int64_t idx = 0;
        for (size_t d = 0; d < s.size(); ++d) {
          const int64_t c = coord[static_cast<size_t>(rank) - s.size() + d];
          idx = idx * s[d] + (s[d] == 1 ? 0 : c);
        }
        ASSERT_EQ(got[static_cast<size_t>(flat)][static_cast<size_t>(i)], idx)
            << "iter " << iter << " out " << shape_to_string(out) << " input " << i << " " << shape_to_string(s);
      }
    }
  }
}

}  // namespace
}  // namespace elementwise
}  // namespace edgeinfer
