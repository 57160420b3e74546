// Quantized operators against hand-computed values and naive loops written independently of the
// kernels: rounding ties (half to even), saturation, per-axis (negative axis), zero points, int8 and
// uint8, broadcasting, every Conv attribute, the com.microsoft contrib ops, and error cases.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/q8_gemm/q8_gemm.h"
#include "test_util.h"

namespace edgeinfer {
namespace {

using testing::attr_float;
using testing::attr_int;
using testing::attr_ints;
using testing::attr_string;
using testing::attrs;
using testing::OpSpec;
using testing::random_f32;
using testing::random_int;
using testing::run_op;

template <typename T>
Tensor tv(Shape s, std::vector<T> v) { return Tensor::from_vector<T>(std::move(s), v); }
Tensor f1(float v) { return Tensor::scalar_f32(v); }
Tensor u1(uint8_t v) { return tv<uint8_t>({}, {v}); }
Tensor i1(int8_t v) { return tv<int8_t>({}, {v}); }

Tensor run1(OpSpec s) {
  auto r = run_op(s);
  EXPECT_TRUE(r.is_ok()) << r.status().message();
  if (!r.is_ok()) return Tensor();
  return std::move((*r)[0]);
}

int32_t at(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::kInt8: return t.data<int8_t>()[i];
    case DataType::kUint8: return t.data<uint8_t>()[i];
    case DataType::kInt32: return t.data<int32_t>()[i];
    default: ADD_FAILURE() << "not an integer tensor"; return 0;
  }
}

// Independent round-half-to-even (not via the kernel's helper).
double rhe(double v) {
  const double f = std::floor(v);
  const double d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return std::fmod(f, 2.0) == 0 ? f : f + 1;
}
int32_t sat(double v, bool is_signed) {
  const double lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
  return static_cast<int32_t>(std::min(std::max(v, lo), hi));
}

// ------------------------------------------------------------------ QuantizeLinear / DequantizeLinear

TEST(QuantizeLinear, RoundsHalfToEvenThenAddsZeroPointAndSaturates) {
  OpSpec s{"QuantizeLinear"};
  s.opset = 13;
  s.inputs = {tv<float>({10}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 1000.f, -1000.f, 0.49f, 3.0f}), f1(1.0f), u1(128)};
  Tensor y = run1(s);
  EXPECT_TENSOR_EQ(y, tv<uint8_t>({10}, {128, 130, 130, 128, 126, 126, 255, 0, 128, 131}));
  s.inputs[2] = i1(-1);
  y = run1(s);
  EXPECT_TENSOR_EQ(y, tv<int8_t>({10}, {-1, 1, 1, -1, -3, -3, 127, -128, -1, 2}));
  // Default zero point: uint8 zero.
  s.inputs.pop_back();
  y = run1(s);
  EXPECT_TENSOR_EQ(y, tv<uint8_t>({10}, {0, 2, 2, 0, 0, 0, 255, 0, 0, 3}));
}

TEST(QuantizeLinear, PerAxisWithNegativeAxisMatchesNaiveLoop) {
  for (int64_t axis : {1, -2, -1, 0}) {
    SCOPED_TRACE(axis);
    const Shape xs{3, 5, 7};
    const int ax = static_cast<int>(axis < 0 ? axis + 3 : axis);
    const int64_t len = xs[size_t(ax)];
    Tensor x = random_f32(xs, 7, -4.f, 4.f);
    Tensor scale = random_f32({len}, 8, 0.01f, 0.1f);
    Tensor zp = random_int(DataType::kInt8, {len}, 9, -20, 20);
    OpSpec s{"QuantizeLinear"};
    s.opset = 19;
    s.attributes = attrs({attr_int("axis", axis), attr_int("saturate", 1)});
    s.inputs = {x, scale, zp};
    Tensor y = run1(s);
    ASSERT_EQ(y.dtype(), DataType::kInt8);
    for (int64_t i = 0; i < x.numel(); ++i) {
      int64_t c = ax == 0 ? i / 35 : ax == 1 ? (i / 7) % 5 : i % 7;
      const float q = x.data<float>()[i] / scale.data<float>()[c];
      ASSERT_EQ(at(y, i), sat(rhe(q) + zp.data<int8_t>()[c], true)) << i;
    }
    // Dequantize back: (y - zp) * scale.
    OpSpec d{"DequantizeLinear"};
    d.opset = 13;
    d.attributes = attrs({attr_int("axis", axis)});
    d.inputs = {y, scale, zp};
    Tensor back = run1(d);
    for (int64_t i = 0; i < x.numel(); ++i) {
      int64_t c = ax == 0 ? i / 35 : ax == 1 ? (i / 7) % 5 : i % 7;
      ASSERT_EQ(back.data<float>()[i], float(at(y, i) - zp.data<int8_t>()[c]) * scale.data<float>()[c]);
    }
  }
}

TEST(DequantizeLinear, Int32AndUint8) {
  OpSpec d{"DequantizeLinear"};
  d.opset = 10;
  d.inputs = {tv<int32_t>({3}, {-100000, 0, 7}), f1(0.5f)};
  EXPECT_TENSOR_EQ(run1(d), tv<float>({3}, {-50000.f, 0.f, 3.5f}));
  d.inputs = {tv<int32_t>({1}, {1}), f1(0.5f), tv<int32_t>({}, {3})};
  EXPECT_EQ(run_op(d).status().code(), StatusCode::kInvalidArgument);
  d.inputs = {tv<uint8_t>({4}, {0, 10, 255, 128}), f1(2.f), u1(10)};
  EXPECT_TENSOR_EQ(run1(d), tv<float>({4}, {-20.f, 0.f, 490.f, 236.f}));
}

TEST(QuantizeLinear, Errors) {
  Tensor x = random_f32({2, 3}, 1);
  OpSpec s{"QuantizeLinear"};
  s.opset = 13;
  s.inputs = {x, tv<float>({2}, {1, 1}), tv<uint8_t>({2}, {0, 0})};  // axis 1 has 3 entries
  EXPECT_EQ(run_op(s).status().code(), StatusCode::kInvalidModel);
  s.inputs = {x, tv<float>({3}, {1, 1, 1}), tv<uint8_t>({2}, {0, 0})};
  EXPECT_EQ(run_op(s).status().code(), StatusCode::kInvalidModel);
  s.inputs = {x, f1(1), tv<int32_t>({}, {0})};  // int32 output is not a QuantizeLinear type we support
  EXPECT_EQ(run_op(s).status().code(), StatusCode::kUnsupported);
  s.opset = 21;
  s.attributes = attrs({attr_int("block_size", 2)});
  s.inputs = {x, tv<float>({2, 2}, {1, 1, 1, 1})};
  auto r = run_op(s);
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("block"), std::string::npos) << r.status().message();
  s.attributes = attrs({attr_int("output_dtype", 17)});  // float8e4m3fn
  s.inputs = {x, f1(1)};
  EXPECT_EQ(run_op(s).status().code(), StatusCode::kUnsupported);
  s.attributes = attrs({attr_int("output_dtype", 3)});
  s.inputs = {x, f1(1)};
  EXPECT_EQ(run1(s).dtype(), DataType::kInt8);
  s.opset = 10;
  s.attributes = {};
  s.inputs = {x, tv<float>({3}, {1, 1, 1})};  // per-axis needs opset 13
  EXPECT_EQ(run_op(s).status().code(), StatusCode::kUnsupported);
  OpSpec d{"DequantizeLinear"};
  d.inputs = {tv<uint8_t>({2}, {1, 2}), f1(1), i1(0)};  // zero point dtype differs
  EXPECT_EQ(run_op(d).status().code(), StatusCode::kInvalidModel);
  d.inputs = {tv<int16_t>({2}, {1, 2}), f1(1)};
  EXPECT_EQ(run_op(d).status().code(), StatusCode::kUnsupported);
}

TEST(DynamicQuantizeLinear, SpecFormula) {
  // Spec example: x = [0, 2, -3, -2.5, 1.34, 0.5] -> scale 5/255, zp 153.
  OpSpec s{"DynamicQuantizeLinear"};
  s.opset = 11;
  s.num_outputs = 3;
  s.inputs = {tv<float>({6}, {0, 2, -3, -2.5f, 1.34f, 0.5f})};
  auto r = run_op(s);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_FLOAT_EQ((*r)[1].data<float>()[0], 5.0f / 255.0f);
  EXPECT_EQ((*r)[2].data<uint8_t>()[0], 153);
  EXPECT_TENSOR_EQ((*r)[0], tv<uint8_t>({6}, {153, 255, 0, 26, 221, 179}));
  // All positive: the range is extended to 0, zero point 0.
  s.inputs = {tv<float>({3}, {1, 2.55f, 0.5f})};
  r = run_op(s);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ((*r)[2].data<uint8_t>()[0], 0);
  EXPECT_TENSOR_EQ((*r)[0], tv<uint8_t>({3}, {100, 255, 50}));
  // Constant zero input does not divide by zero.
  s.inputs = {tv<float>({2}, {0, 0})};
  r = run_op(s);
  ASSERT_TRUE(r.is_ok());
  EXPECT_TENSOR_EQ((*r)[0], tv<uint8_t>({2}, {0, 0}));
}

// ------------------------------------------------------------------ MatMul family

template <typename TA, typename TB>
std::vector<int32_t> naive_mm(const Tensor& a, const Tensor& b, int64_t batch_a, int64_t batch_b, int64_t m,
                              int64_t k, int64_t n, std::vector<int32_t> za, std::vector<int32_t> zb) {
  const int64_t batch = std::max(batch_a, batch_b);
  std::vector<int32_t> out(size_t(batch * m * n));
  for (int64_t bt = 0; bt < batch; ++bt)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        int32_t acc = 0;
        for (int64_t p = 0; p < k; ++p) {
          const int32_t av = a.data<TA>()[(batch_a == 1 ? 0 : bt) * m * k + i * k + p] - za[za.size() == 1 ? 0 : i];
          const int32_t bv = b.data<TB>()[(batch_b == 1 ? 0 : bt) * k * n + p * n + j] - zb[zb.size() == 1 ? 0 : j];
          acc += av * bv;
        }
        out[size_t((bt * m + i) * n + j)] = acc;
      }
  return out;
}

TEST(MatMulInteger, BroadcastAndZeroPoints) {
  const int64_t m = 5, k = 13, n = 7;
  Tensor a = random_int(DataType::kUint8, {3, m, k}, 1, 0, 255);
  Tensor b = random_int(DataType::kInt8, {k, n}, 2, -128, 127);
  OpSpec s{"MatMulInteger"};
  s.opset = 10;
  s.inputs = {a, b, u1(131), random_int(DataType::kInt8, {n}, 3, -5, 5)};
  Tensor y = run1(s);
  ASSERT_EQ(y.shape(), (Shape{3, m, n}));
  std::vector<int32_t> zb(s.inputs[3].data<int8_t>(), s.inputs[3].data<int8_t>() + n);
  auto e = naive_mm<uint8_t, int8_t>(a, b, 3, 1, m, k, n, {131}, zb);
  for (size_t i = 0; i < e.size(); ++i) ASSERT_EQ(at(y, int64_t(i)), e[i]);
  // Per-row A zero point, B broadcast over batch the other way, no B zero point.
  Tensor a2 = random_int(DataType::kInt8, {m, k}, 4, -128, 127);
  Tensor b2 = random_int(DataType::kUint8, {2, k, n}, 5, 0, 255);
  Tensor za = random_int(DataType::kInt8, {m}, 6, -3, 3);
  s.inputs = {a2, b2, za};
  y = run1(s);
  ASSERT_EQ(y.shape(), (Shape{2, m, n}));
  std::vector<int32_t> zav(za.data<int8_t>(), za.data<int8_t>() + m);
  e = naive_mm<int8_t, uint8_t>(a2, b2, 1, 2, m, k, n, zav, {0});
  for (size_t i = 0; i < e.size(); ++i) ASSERT_EQ(at(y, int64_t(i)), e[i]);
  s.inputs = {a2, b2, random_int(DataType::kInt8, {m + 1}, 6, -3, 3)};
  EXPECT_EQ(run_op(s).status().code(), StatusCode::kInvalidModel);
  s.inputs = {random_f32({2, 2}, 1), random_f32({2, 2}, 2)};
  EXPECT_EQ(run_op(s).status().code(), StatusCode::kUnsupported);
}

TEST(QLinearMatMul, RequantizesLikeOnnxruntime) {
  for (bool per_col : {false, true}) {
    SCOPED_TRACE(per_col);
    const int64_t m = 3, k = 17, n = 9;
    Tensor a = random_int(DataType::kInt8, {2, m, k}, 11, -128, 127);
    Tensor b = random_int(DataType::kUint8, {k, n}, 12, 0, 255);
    Tensor bs = per_col ? random_f32({n}, 13, 0.001f, 0.02f) : f1(0.0123f);
    Tensor bz = per_col ? random_int(DataType::kUint8, {n}, 14, 100, 150) : u1(128);
    OpSpec s{"QLinearMatMul"};
    s.opset = 10;
    s.inputs = {a, f1(0.05f), i1(3), b, bs, bz, f1(0.2f), u1(120)};
    Tensor y = run1(s);
    ASSERT_EQ(y.dtype(), DataType::kUint8);
    std::vector<int32_t> zb;
    for (int64_t j = 0; j < bz.numel(); ++j) zb.push_back(at(bz, j));
    auto acc = naive_mm<int8_t, uint8_t>(a, b, 2, 1, m, k, n, {3}, zb);
    int mismatches = 0;
    for (size_t i = 0; i < acc.size(); ++i) {
      const float bsj = bs.data<float>()[per_col ? i % size_t(n) : 0];
      const double real = double(acc[i]) * (0.05f * bsj / 0.2f);
      const int32_t e = sat(rhe(real) + 120, false);
      ASSERT_LE(std::abs(at(y, int64_t(i)) - e), 1) << i;
      mismatches += at(y, int64_t(i)) != e;
    }
    EXPECT_LE(mismatches, 2);
  }
}

TEST(QLinearMatMul, Saturates) {
  OpSpec s{"QLinearMatMul"};
  s.opset = 21;
  s.inputs = {tv<int8_t>({1, 2}, {127, 127}), f1(1), i1(0), tv<int8_t>({2, 2}, {127, -128, 127, -128}), f1(1), i1(0),
              f1(1), i1(0)};
  EXPECT_TENSOR_EQ(run1(s), tv<int8_t>({1, 2}, {127, -128}));
  s.inputs[6] = tv<float>({2, 2}, {1, 1, 1, 1});
  EXPECT_EQ(run_op(s).status().code(), StatusCode::kInvalidModel);
}

TEST(QLinearMatMul, Int8LayoutOfRelaxedDotKernelsGivesTheSameResults) {
  // With the relaxed-dot GEMM on (natively its exact emulation; in wasm where the engine's dot is exact)
  // B is packed in int8 when B - b_zp fits, else in int16: every case must equal the default kernels,
  // prepacked or packed per run, with activation zero points that differ from the prepacking guess.
  struct Case {
    DataType bt;
    int lo, hi;
    int bz;
  };
  for (const Case& c : {Case{DataType::kInt8, -128, 127, 0}, Case{DataType::kUint8, 0, 255, 128},
                        Case{DataType::kUint8, 0, 255, 3}, Case{DataType::kInt8, -128, 127, -2}})
    for (bool constant_b : {false, true})
      for (int threads : {1, 2}) {
        SCOPED_TRACE(::testing::Message() << "b=" << int(c.bt) << " bz=" << c.bz << " const=" << constant_b
                                          << " threads=" << threads);
        const int64_t m = 37, k = 45, n = 19;
        Tensor a = random_int(DataType::kUint8, {2, m, k}, 41, 0, 255);
        Tensor b = random_int(c.bt, {k, n}, 42, c.lo, c.hi);
        Tensor bz = c.bt == DataType::kUint8 ? u1(static_cast<uint8_t>(c.bz)) : i1(static_cast<int8_t>(c.bz));
        OpSpec s{"QLinearMatMul"};
        s.opset = 10;
        s.num_threads = threads;
        s.inputs = {a, f1(0.05f), u1(77), b, f1(0.01f), bz, f1(0.9f), u1(120)};
        if (constant_b) s.constant_inputs = {3, 4, 5};
        OpSpec mi{"MatMulInteger"};
        mi.opset = 10;
        mi.num_threads = threads;
        mi.inputs = {a, b, u1(250), bz};
        if (constant_b) mi.constant_inputs = {1, 3};
        q8_gemm_use_relaxed(false);
        Tensor want = run1(s), want_i = run1(mi);
        q8_gemm_use_relaxed(true);
        Tensor got = run1(s), got_i = run1(mi);
#if !defined(__wasm_simd128__)
        q8_gemm_use_relaxed(false);
#endif
        EXPECT_TENSOR_EQ(got, want);
        EXPECT_TENSOR_EQ(got_i, want_i);
      }
}

TEST(MatMulIntegerToFloat, ScalesAndBias) {
  const int64_t m = 4, k = 6, n = 5;
  Tensor a = random_int(DataType::kUint8, {m, k}, 21, 0, 255);
  Tensor b = random_int(DataType::kInt8, {k, n}, 22, -128, 127);
  Tensor bs = random_f32({n}, 23, 0.01f, 0.02f);
  Tensor bias = random_f32({n}, 24);
  OpSpec s{"MatMulIntegerToFloat", "com.microsoft", 1};
  s.inputs = {a, b, f1(0.1f), bs, u1(7), Tensor(), bias};
  Tensor y = run1(s);
  auto acc = naive_mm<uint8_t, int8_t>(a, b, 1, 1, m, k, n, {7}, {0});
  for (int64_t i = 0; i < m * n; ++i)
    EXPECT_NEAR(y.data<float>()[i], acc[size_t(i)] * 0.1f * bs.data<float>()[i % n] + bias.data<float>()[i % n], 1e-3);
}

TEST(DynamicQuantizeMatMul, QuantizesAThenMultiplies) {
  const int64_t m = 3, k = 8, n = 4;
  Tensor a = random_f32({m, k}, 31, -2, 3);
  Tensor b = random_int(DataType::kInt8, {k, n}, 32, -128, 127);
  OpSpec dq{"DynamicQuantizeLinear"};
  dq.opset = 11;
  dq.num_outputs = 3;
  dq.inputs = {a};
  auto q = run_op(dq);
  ASSERT_TRUE(q.is_ok());
  const float as = (*q)[1].data<float>()[0];
  const int32_t az = (*q)[2].data<uint8_t>()[0];
  OpSpec s{"DynamicQuantizeMatMul", "com.microsoft", 1};
  s.inputs = {a, b, f1(0.02f), i1(1)};
  Tensor y = run1(s);
  auto acc = naive_mm<uint8_t, int8_t>((*q)[0], b, 1, 1, m, k, n, {az}, {1});
  for (int64_t i = 0; i < m * n; ++i) EXPECT_NEAR(y.data<float>()[i], acc[size_t(i)] * as * 0.02f, 1e-3);
}

// ------------------------------------------------------------------ Conv family

struct Conv2d {
  int64_t n = 1, c = 3, h = 7, w = 6, m = 4, kh = 3, kw = 2, group = 1;
  int64_t sh = 1, sw = 1, dh = 1, dw = 1, pt = 0, pl = 0, pb = 0, pr = 0;
  int64_t oh() const { return (h + pt + pb - dh * (kh - 1) - 1) / sh + 1; }
  int64_t ow() const { return (w + pl + pr - dw * (kw - 1) - 1) / sw + 1; }
};

// Naive 2-D integer convolution with explicit pads.
template <typename TX, typename TW>
std::vector<int32_t> naive_conv(const Conv2d& p, const Tensor& x, int32_t zx, const Tensor& w,
                                std::vector<int32_t> zw, const int32_t* bias) {
  const int64_t cg = p.c / p.group, mg = p.m / p.group;
  std::vector<int32_t> y(size_t(p.n * p.m * p.oh() * p.ow()));
  for (int64_t b = 0; b < p.n; ++b)
    for (int64_t co = 0; co < p.m; ++co)
      for (int64_t oy = 0; oy < p.oh(); ++oy)
        for (int64_t ox = 0; ox < p.ow(); ++ox) {
          int32_t acc = bias ? bias[co] : 0;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t ky = 0; ky < p.kh; ++ky)
              for (int64_t kx = 0; kx < p.kw; ++kx) {
                const int64_t iy = oy * p.sh - p.pt + ky * p.dh, ix = ox * p.sw - p.pl + kx * p.dw;
                if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) continue;
                const int64_t cin = (co / mg) * cg + ci;
                acc += (int32_t(x.data<TX>()[((b * p.c + cin) * p.h + iy) * p.w + ix]) - zx) *
                       (int32_t(w.data<TW>()[((co * cg + ci) * p.kh + ky) * p.kw + kx]) - zw[zw.size() == 1 ? 0 : co]);
              }
          y[size_t(((b * p.m + co) * p.oh() + oy) * p.ow() + ox)] = acc;
        }
  return y;
}

void check_conv(const Conv2d& p, std::vector<Attribute> extra, const char* what) {
  SCOPED_TRACE(what);
  Tensor x = random_int(DataType::kUint8, {p.n, p.c, p.h, p.w}, 41, 0, 255);
  Tensor w = random_int(DataType::kInt8, {p.m, p.c / p.group, p.kh, p.kw}, 42, -128, 127);
  Tensor wz = random_int(DataType::kInt8, {p.m}, 43, -4, 4);
  Tensor ws = random_f32({p.m}, 44, 0.002f, 0.01f);
  Tensor bias = random_int(DataType::kInt32, {p.m}, 45, -2000, 2000);
  std::vector<int32_t> zw(wz.data<int8_t>(), wz.data<int8_t>() + p.m);
  auto e = naive_conv<uint8_t, int8_t>(p, x, 9, w, zw, nullptr);
  // ConvInteger
  OpSpec s{"ConvInteger"};
  s.opset = 10;
  s.attributes = attrs(extra);
  s.inputs = {x, w, u1(9), wz};
  Tensor y = run1(s);
  ASSERT_EQ(y.shape(), (Shape{p.n, p.m, p.oh(), p.ow()}));
  for (size_t i = 0; i < e.size(); ++i) ASSERT_EQ(at(y, int64_t(i)), e[i]) << i;
  // QLinearConv with per-channel weight scale, bias
  e = naive_conv<uint8_t, int8_t>(p, x, 9, w, zw, bias.data<int32_t>());
  OpSpec q{"QLinearConv"};
  q.opset = 10;
  q.attributes = attrs(extra);
  q.inputs = {x, f1(0.03f), u1(9), w, ws, wz, f1(0.5f), i1(-5), bias};
  y = run1(q);
  ASSERT_EQ(y.dtype(), DataType::kInt8);
  const int64_t plane = p.oh() * p.ow();
  for (size_t i = 0; i < e.size(); ++i) {
    const int64_t co = (int64_t(i) / plane) % p.m;
    const int32_t ex = sat(rhe(double(e[i]) * (0.03f * ws.data<float>()[co] / 0.5f)) - 5, true);
    ASSERT_LE(std::abs(at(y, int64_t(i)) - ex), 1) << i;
  }
}

TEST(QLinearConv, EveryAttribute) {
  Conv2d p;
  check_conv(p, {}, "plain");
  Conv2d s = p;
  s.sh = 2, s.sw = 3;
  check_conv(s, {attr_ints("strides", {2, 3})}, "strides");
  Conv2d d = p;
  d.dh = 2, d.dw = 2, d.h = 9;
  check_conv(d, {attr_ints("dilations", {2, 2})}, "dilations");
  Conv2d pd = p;
  pd.pt = 1, pd.pl = 0, pd.pb = 2, pd.pr = 1;
  check_conv(pd, {attr_ints("pads", {1, 0, 2, 1}), attr_ints("kernel_shape", {3, 2})}, "pads+kernel_shape");
  Conv2d g = p;
  g.c = 6, g.m = 4, g.group = 2;
  check_conv(g, {attr_int("group", 2)}, "group");
  Conv2d dw = p;
  dw.c = 5, dw.m = 5, dw.group = 5, dw.n = 2;
  check_conv(dw, {attr_int("group", 5)}, "depthwise, batch 2");
  // SAME_UPPER, stride 2: total pad = (ceil(7/2)-1)*2 + 3 - 7 = 2 (1/1); width (3-1)*2+2-6 = 0.
  Conv2d su = p;
  su.sh = 2, su.sw = 2, su.pt = 1, su.pb = 1;
  check_conv(su, {attr_string("auto_pad", "SAME_UPPER"), attr_ints("strides", {2, 2})}, "SAME_UPPER");
  // SAME_LOWER with an odd total puts the extra pad at the beginning: kernel 2 along w, stride 1 -> 1 pad left.
  Conv2d sl = p;
  sl.pt = 1, sl.pb = 1, sl.pl = 1, sl.pr = 0;
  check_conv(sl, {attr_string("auto_pad", "SAME_LOWER")}, "SAME_LOWER");
  Conv2d v = p;
  check_conv(v, {attr_string("auto_pad", "VALID")}, "VALID");
}

TEST(QLinearConv, PerTensorUint8WeightsAnd1D) {
  Tensor x = random_int(DataType::kInt8, {1, 2, 11}, 51, -128, 127);
  Tensor w = random_int(DataType::kUint8, {3, 2, 4}, 52, 0, 255);
  OpSpec q{"QLinearConv"};
  q.opset = 10;
  q.attributes = attrs({attr_ints("pads", {2, 1}), attr_ints("strides", {2})});
  q.inputs = {x, f1(0.1f), i1(0), w, f1(0.01f), u1(128), f1(0.05f), u1(128)};
  Tensor y = run1(q);
  ASSERT_EQ(y.shape(), (Shape{1, 3, 6}));
  for (int64_t co = 0; co < 3; ++co)
    for (int64_t o = 0; o < 6; ++o) {
      int32_t acc = 0;
      for (int64_t ci = 0; ci < 2; ++ci)
        for (int64_t kx = 0; kx < 4; ++kx) {
          const int64_t ix = o * 2 - 2 + kx;
          if (ix < 0 || ix >= 11) continue;
          acc += int32_t(x.data<int8_t>()[ci * 11 + ix]) * (int32_t(w.data<uint8_t>()[(co * 2 + ci) * 4 + kx]) - 128);
        }
      EXPECT_LE(std::abs(at(y, co * 6 + o) - sat(rhe(acc * (0.1f * 0.01f / 0.05f)) + 128, false)), 1);
    }
}

TEST(QLinearConv, Errors) {
  Tensor x = random_int(DataType::kUint8, {1, 2, 5, 5}, 1, 0, 255);
  Tensor w = random_int(DataType::kInt8, {3, 2, 3, 3}, 2, -128, 127);
  OpSpec q{"QLinearConv"};
  q.opset = 10;
  q.inputs = {x, f1(0.1f), u1(0), w, tv<float>({2}, {1, 1}), i1(0), f1(0.05f), u1(128)};
  EXPECT_EQ(run_op(q).status().code(), StatusCode::kInvalidModel);  // w_scale has 2 entries, M = 3
  q.inputs = {x, f1(0.1f), u1(0), w, f1(1), i1(0), f1(0.05f), u1(128), tv<float>({3}, {1, 2, 3})};
  EXPECT_EQ(run_op(q).status().code(), StatusCode::kInvalidModel);  // float bias
  q.inputs = {random_f32({1, 2, 5, 5}, 3), f1(0.1f), u1(0), w, f1(1), i1(0), f1(0.05f), u1(128)};
  EXPECT_NE(run_op(q).status().code(), StatusCode::kOk);
  q.attributes = attrs({attr_string("auto_pad", "BOGUS")});
  EXPECT_NE(run_op(q).status().code(), StatusCode::kOk);
}

// ------------------------------------------------------------------ com.microsoft contrib ops

TEST(QLinearAddMul, BroadcastMatchesFloatReference) {
  Tensor a = random_int(DataType::kUint8, {2, 3, 4}, 61, 0, 255);
  Tensor b = random_int(DataType::kUint8, {3, 1}, 62, 0, 255);
  for (const char* op : {"QLinearAdd", "QLinearMul"}) {
    SCOPED_TRACE(op);
    OpSpec s{op, "com.microsoft", 1};
    s.inputs = {a, f1(0.02f), u1(100), b, f1(0.03f), u1(140), f1(0.05f), u1(90)};
    Tensor y = run1(s);
    ASSERT_EQ(y.shape(), (Shape{2, 3, 4}));
    for (int64_t i = 0; i < 24; ++i) {
      const double av = (a.data<uint8_t>()[i] - 100) * 0.02, bv = (b.data<uint8_t>()[(i / 4) % 3] - 140) * 0.03;
      const double r = std::string(op) == "QLinearAdd" ? av + bv : av * bv;
      EXPECT_LE(std::abs(at(y, i) - sat(rhe(r / 0.05) + 90, false)), 1) << i;
    }
  }
  OpSpec s{"QLinearAdd", "com.microsoft", 1};
  s.inputs = {a, f1(0.02f), u1(100), tv<int8_t>({1}, {1}), f1(0.03f), i1(0), f1(0.05f), u1(90)};
  EXPECT_EQ(run_op(s).status().code(), StatusCode::kInvalidModel);  // dtypes differ
}

TEST(QLinearLut, SigmoidAndLeakyRelu) {
  Tensor x = random_int(DataType::kInt8, {3, 50}, 71, -128, 127);
  OpSpec s{"QLinearSigmoid", "com.microsoft", 1};
  s.inputs = {x, f1(0.1f), i1(-3), f1(1.0f / 256), i1(-128)};
  Tensor y = run1(s);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double v = (x.data<int8_t>()[i] + 3) * double(0.1f);
    EXPECT_LE(std::abs(at(y, i) - sat(rhe(1 / (1 + std::exp(-v)) * 256) - 128, true)), 1);
  }
  OpSpec l{"QLinearLeakyRelu", "com.microsoft", 1};
  l.attributes = attrs({attr_float("alpha", 0.25f)});
  l.inputs = {x, f1(0.1f), i1(0), f1(0.05f), i1(10)};
  y = run1(l);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double v = x.data<int8_t>()[i] * 0.1;
    EXPECT_LE(std::abs(at(y, i) - sat(rhe((v >= 0 ? v : 0.25 * v) / 0.05) + 10, true)), 1);
  }
}

TEST(QLinearGlobalAveragePool, NchwAndChannelsLast) {
  Tensor x = random_int(DataType::kUint8, {2, 3, 5, 7}, 81, 0, 255);
  OpSpec s{"QLinearGlobalAveragePool", "com.microsoft", 1};
  s.inputs = {x, f1(0.1f), u1(10), f1(0.07f), u1(3)};
  Tensor y = run1(s);
  ASSERT_EQ(y.shape(), (Shape{2, 3, 1, 1}));
  for (int64_t nc = 0; nc < 6; ++nc) {
    double sum = 0;
    for (int64_t p = 0; p < 35; ++p) sum += x.data<uint8_t>()[nc * 35 + p] - 10;
    EXPECT_LE(std::abs(at(y, nc) - sat(rhe(sum / 35 * 0.1 / 0.07) + 3, false)), 1);
  }
  s.attributes = attrs({attr_int("channels_last", 1)});  // same data read as N,H=3,W=5,C=7
  y = run1(s);
  ASSERT_EQ(y.shape(), (Shape{2, 1, 1, 7}));
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t c = 0; c < 7; ++c) {
      double sum = 0;
      for (int64_t p = 0; p < 15; ++p) sum += x.data<uint8_t>()[(b * 15 + p) * 7 + c] - 10;
      EXPECT_LE(std::abs(at(y, b * 7 + c) - sat(rhe(sum / 15 * 0.1 / 0.07) + 3, false)), 1);
    }
  // int8, images longer than the kernel's 16-byte step.
  Tensor xs = random_int(DataType::kInt8, {1, 4, 9, 11}, 82, -128, 127);
  OpSpec t{"QLinearGlobalAveragePool", "com.microsoft", 1};
  t.inputs = {xs, f1(0.1f), i1(-5), f1(0.03f), i1(7)};
  y = run1(t);
  ASSERT_EQ(y.shape(), (Shape{1, 4, 1, 1}));
  for (int64_t ch = 0; ch < 4; ++ch) {
    double sum = 0;
    for (int64_t p = 0; p < 99; ++p) sum += xs.data<int8_t>()[ch * 99 + p] + 5;
    EXPECT_LE(std::abs(at(y, ch) - sat(rhe(sum / 99 * 0.1 / 0.03) + 7, true)), 1);
  }
}

// Naive float average pool (2-D) of the dequantized input, then quantize: onnxruntime's definition.
TEST(QLinearAveragePool, PadsCeilModeCountIncludePadChannelsLast) {
  const int64_t n = 1, c = 3, h = 7, w = 6, k = 3, s = 2, pad = 1;
  Tensor x = random_int(DataType::kUint8, {n, c, h, w}, 95, 0, 255);
  for (int cip = 0; cip < 2; ++cip)
    for (int ceil = 0; ceil < 2; ++ceil) {
      SCOPED_TRACE("count_include_pad=" + std::to_string(cip) + " ceil_mode=" + std::to_string(ceil));
      auto osz = [&](int64_t in) {
        const int64_t num = in + 2 * pad - k;
        int64_t o = (ceil ? (num + s - 1) / s : num / s) + 1;
        if (ceil && (o - 1) * s >= in + pad) --o;
        return o;
      };
      const int64_t oh = osz(h), ow = osz(w);
      OpSpec op{"QLinearAveragePool", "com.microsoft", 1};
      op.attributes = attrs({attr_ints("kernel_shape", {k, k}), attr_ints("strides", {s, s}),
                             attr_ints("pads", {pad, pad, pad, pad}), attr_int("count_include_pad", cip),
                             attr_int("ceil_mode", ceil)});
      op.inputs = {x, f1(0.1f), u1(100), f1(0.07f), u1(20)};
      Tensor y = run1(op);
      ASSERT_EQ(y.shape(), (Shape{n, c, oh, ow}));
      std::vector<int32_t> expect;
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t oy = 0; oy < oh; ++oy)
          for (int64_t ox = 0; ox < ow; ++ox) {
            double sum = 0;
            int count = 0;
            for (int64_t ky = 0; ky < k; ++ky)
              for (int64_t kx = 0; kx < k; ++kx) {
                const int64_t iy = oy * s - pad + ky, ix = ox * s - pad + kx;
                const bool in = iy >= 0 && iy < h && ix >= 0 && ix < w;
                const bool in_padded = iy < h + pad && ix < w + pad;  // window part inside the explicit pads
                if (in) sum += (x.data<uint8_t>()[(ch * h + iy) * w + ix] - 100) * 0.1;
                if (cip ? in_padded : in) ++count;
              }
            const int32_t e = sat(rhe(sum / count / 0.07) + 20, false);
            expect.push_back(e);
            EXPECT_LE(std::abs(at(y, (ch * oh + oy) * ow + ox) - e), 1) << ch << "," << oy << "," << ox;
          }
      // channels_last: the same data laid out NHWC gives the same values laid out NHWC.
      Tensor xl = Tensor::allocate(DataType::kUint8, {n, h, w, c}).value();
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t p = 0; p < h * w; ++p) xl.data<uint8_t>()[p * c + ch] = x.data<uint8_t>()[ch * h * w + p];
      op.attributes.set(attr_int("channels_last", 1));
      op.inputs[0] = xl;
      Tensor yl = run1(op);
      ASSERT_EQ(yl.shape(), (Shape{n, oh, ow, c}));
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t p = 0; p < oh * ow; ++p) ASSERT_EQ(at(yl, p * c + ch), at(y, ch * oh * ow + p));
    }
}

TEST(QLinearConcat, RequantizesEachInput) {
  Tensor a = random_int(DataType::kInt8, {2, 2, 3}, 91, -128, 127);
  Tensor b = random_int(DataType::kInt8, {2, 1, 3}, 92, -128, 127);
  OpSpec s{"QLinearConcat", "com.microsoft", 1};
  s.attributes = attrs({attr_int("axis", -2)});
  s.inputs = {f1(0.1f), i1(1), a, f1(0.1f), i1(1), b, f1(0.3f), i1(-2)};
  Tensor y = run1(s);
  ASSERT_EQ(y.shape(), (Shape{2, 3, 3}));
  for (int64_t o = 0; o < 2; ++o)
    for (int64_t r = 0; r < 3; ++r)
      for (int64_t c = 0; c < 3; ++c) {
        const int32_t got = at(y, (o * 3 + r) * 3 + c);
        if (r < 2) {
          EXPECT_EQ(got, a.data<int8_t>()[(o * 2 + r) * 3 + c]);  // same parameters: copied
        } else {
          const double v = (b.data<int8_t>()[o * 3 + c] + 2) * 0.3;
          EXPECT_LE(std::abs(got - sat(rhe(v / 0.1) + 1, true)), 1);
        }
      }
  s.inputs.pop_back();
  EXPECT_EQ(run_op(s).status().code(), StatusCode::kInvalidModel);
}

}  // namespace
}  // namespace edgeinfer
