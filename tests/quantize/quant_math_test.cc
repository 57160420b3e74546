// Scale/zero-point arithmetic and the calibration range estimators of edgeinfer quantize.
#include <cmath>

#include <gtest/gtest.h>

#include "quantize/quant_math.h"

namespace edgeinfer::quant {
namespace {

TEST(QuantMath, AsymmetricUint8IncludesZeroAndRoundsZeroPoint) {
  float s;
  int32_t zp;
  ASSERT_TRUE(compute_qparams(-1.0f, 3.0f, DataType::kUint8, false, &s, &zp).is_ok());
  EXPECT_FLOAT_EQ(s, 4.0f / 255.0f);
  EXPECT_EQ(zp, 64);  // round(1 / (4/255)) = round(63.75)
  ASSERT_TRUE(compute_qparams(2.0f, 5.0f, DataType::kUint8, false, &s, &zp).is_ok());  // range extended to 0
  EXPECT_FLOAT_EQ(s, 5.0f / 255.0f);
  EXPECT_EQ(zp, 0);
  ASSERT_TRUE(compute_qparams(-6.0f, -2.0f, DataType::kUint8, false, &s, &zp).is_ok());
  EXPECT_FLOAT_EQ(s, 6.0f / 255.0f);
  EXPECT_EQ(zp, 255);
}

TEST(QuantMath, SymmetricInt8HasZeroPointZero) {
  float s;
  int32_t zp;
  ASSERT_TRUE(compute_qparams(-0.5f, 2.54f, DataType::kInt8, true, &s, &zp).is_ok());
  EXPECT_FLOAT_EQ(s, 2.54f / 127.0f);
  EXPECT_EQ(zp, 0);
  ASSERT_TRUE(compute_qparams(0.0f, 0.0f, DataType::kInt8, true, &s, &zp).is_ok());
  EXPECT_EQ(s, 1.0f);
  EXPECT_EQ(zp, 0);
}

TEST(QuantMath, NonFiniteRangeIsAnError) {
  float s;
  int32_t zp;
  Status st = compute_qparams(0.0f, INFINITY, DataType::kUint8, false, &s, &zp);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("not finite"), std::string::npos);
}

TEST(QuantMath, QuantizeRoundsHalfToEvenAndSaturates) {
  QParams p;
  p.dtype = DataType::kInt8;
  p.scale = {1.0f};
  p.zero_point = {0};
  Tensor x = Tensor::from_vector<float>({7}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 300.0f, -300.0f});
  auto q = quantize_tensor(x, p);
  ASSERT_TRUE(q.is_ok());
  const int8_t expect[] = {0, 2, 2, 0, -2, 127, -128};
  for (int i = 0; i < 7; ++i) EXPECT_EQ(q->data<int8_t>()[i], expect[i]) << i;
}

TEST(QuantMath, PerChannelWeightsAndBias) {
  Tensor w = Tensor::from_vector<float>({2, 3}, {1.27f, -0.5f, 0.2f, 0.1f, -2.54f, 0.0f});
  auto p = weight_qparams(w, DataType::kInt8, true, 0);
  ASSERT_TRUE(p.is_ok());
  ASSERT_EQ(p->scale.size(), 2u);
  EXPECT_FLOAT_EQ(p->scale[0], 0.01f);
  EXPECT_FLOAT_EQ(p->scale[1], 0.02f);
  auto q = quantize_tensor(w, *p);
  ASSERT_TRUE(q.is_ok());
  EXPECT_EQ(q->data<int8_t>()[0], 127);
  EXPECT_EQ(q->data<int8_t>()[1], -50);
  EXPECT_EQ(q->data<int8_t>()[4], -127);
  // Axis 1 of a [K, N] matrix: one scale per column.
  auto pc = weight_qparams(w, DataType::kInt8, true, 1);
  ASSERT_TRUE(pc.is_ok());
  ASSERT_EQ(pc->scale.size(), 3u);
  EXPECT_FLOAT_EQ(pc->scale[1], 0.02f);
  // An all-zero channel gets scale 1 (never 0: bias scales divide by it).
  Tensor z = Tensor::from_vector<float>({2, 2}, {0, 0, 1, 1});
  auto pz = weight_qparams(z, DataType::kInt8, true, 0);
  ASSERT_TRUE(pz.is_ok());
  EXPECT_EQ(pz->scale[0], 1.0f);

  QParams bp;
  auto b = quantize_bias(Tensor::from_vector<float>({2}, {1.0f, -2.0f}), 0.1f, {0.5f, 0.25f}, &bp);
  ASSERT_TRUE(b.is_ok());
  EXPECT_FLOAT_EQ(bp.scale[0], 0.05f);
  EXPECT_FLOAT_EQ(bp.scale[1], 0.025f);
  EXPECT_EQ(b->data<int32_t>()[0], 20);
  EXPECT_EQ(b->data<int32_t>()[1], -80);
  EXPECT_EQ(bp.axis, 0);
  EXPECT_FALSE(quantize_bias(Tensor::from_vector<float>({3}, {1, 2, 3}), 0.1f, {0.5f, 0.25f}, nullptr).is_ok());
}

TEST(QuantMath, PercentileOfKnownHistograms) {
  AbsHistogram h(2048.0f);  // bin width 1
  for (double& c : h.counts) c = 1;
  EXPECT_FLOAT_EQ(percentile_threshold(h, 50.0), 1024.0f);
  EXPECT_FLOAT_EQ(percentile_threshold(h, 100.0), 2048.0f);
  EXPECT_FLOAT_EQ(percentile_threshold(h, 99.99), 2048.0f);  // 0.9999 * 2048 = 2047.8 -> last bin
  EXPECT_FLOAT_EQ(percentile_threshold(h, 10.0), 205.0f);    // 204.8 -> bin 204, right edge 205
  AbsHistogram spike(100.0f, 100);
  spike.counts[3] = 9999;
  spike.counts[99] = 1;  // one outlier in 10000
  EXPECT_FLOAT_EQ(percentile_threshold(spike, 99.99), 4.0f);
  EXPECT_FLOAT_EQ(percentile_threshold(spike, 100.0), 100.0f);
  // Values land in bins of width max/bins; the maximum falls in the last bin.
  AbsHistogram filled(4.0f, 4);
  const float xs[] = {0.5f, -1.5f, 2.5f, 4.0f, -3.99f};
  filled.add(xs, 5);
  EXPECT_EQ(filled.counts[0], 1);
  EXPECT_EQ(filled.counts[1], 1);
  EXPECT_EQ(filled.counts[2], 1);
  EXPECT_EQ(filled.counts[3], 2);
}

TEST(QuantMath, EntropyOfKnownHistograms) {
  // Mass only in the first 128 bins: clipping at 128 loses nothing and Q == P exactly (KL 0).
  AbsHistogram h(2048.0f);
  for (int i = 0; i < 128; ++i) h.counts[static_cast<size_t>(i)] = 100 + (i % 7);
  EXPECT_FLOAT_EQ(entropy_threshold(h), 128.0f);
  // Uniform over the whole range: only the full range has KL 0.
  AbsHistogram u(2048.0f);
  for (double& c : u.counts) c = 5;
  EXPECT_FLOAT_EQ(entropy_threshold(u), 2048.0f);
  // Dense mass in [0, 300) plus a handful of far outliers: the threshold cuts the outliers away but
  // keeps the dense part.
  AbsHistogram o(2048.0f);
  for (int i = 0; i < 300; ++i) o.counts[static_cast<size_t>(i)] = 1000.0 * std::exp(-i / 100.0);
  o.counts[2000] = 2;
  o.counts[2047] = 1;
  const float t = entropy_threshold(o);
  EXPECT_GE(t, 128.0f);
  EXPECT_LE(t, 400.0f);
  // An empty histogram keeps the full range.
  AbsHistogram e(5.0f, 2048);
  EXPECT_FLOAT_EQ(entropy_threshold(e), 5.0f);
}

}  // namespace
}  // namespace edgeinfer::quant
