// The integer matrix products and convolutions (MatMulInteger, QLinearMatMul, MatMulIntegerToFloat,
// DynamicQuantizeMatMul, ConvInteger, QLinearConv) run on the q8 SIMD kernels; here they are checked
// against the scalar reference arithmetic (kernels/quant_reference: qgemm_reference / qconv_reference
// + requantize_value) on randomized shapes: odd sizes, 1-sized dims, groups, depthwise, 1-D/2-D/3-D,
// strides, pads, auto_pad, dilations, per-tensor and per-channel weight zero points and scales,
// uint8/int8 for every operand, bias, at 1 and 2 threads, with weights given as constants (packed at
// creation) and as run-time inputs (packed per run), and activation zero points constant or not
// (the packed biases are rewritten at run time); and QLinearAdd / QLinearMul over every broadcasting
// form against the q8_binary scalar arithmetic. Integer outputs must be bit-exact; float outputs
// (MatMulIntegerToFloat, DynamicQuantizeMatMul) within 1e-6 relative, since the reference's
// acc * scale + bias may be contracted to an FMA by the compiler while the kernel's is not.
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/f32_conv/conv_attrs.h"
#include "kernels/q8_binary/q8_binary.h"
#include "kernels/quant_reference/quant_reference.h"
#include "ops/matmul_shape.h"
#include "ops/quant_common.h"
#include "graph_builder.h"
#include "runtime/session.h"
#include "test_util.h"

namespace edgeinfer {
namespace {

using testing::attr_int;
using testing::attr_ints;
using testing::attr_string;
using testing::attrs;
using testing::OpSpec;
using testing::random_f32;
using testing::random_int;
using testing::run_op;

DataType q8dt(bool u8) { return u8 ? DataType::kUint8 : DataType::kInt8; }
Tensor zp_tensor(DataType dt, int32_t v) {
  return dt == DataType::kUint8 ? Tensor::from_vector<uint8_t>({}, {static_cast<uint8_t>(v)})
                                : Tensor::from_vector<int8_t>({}, {static_cast<int8_t>(v)});
}
int32_t rand_zp(std::mt19937& rng, DataType dt) {
  return dt == DataType::kUint8 ? static_cast<int32_t>(rng() % 256) : static_cast<int32_t>(rng() % 256) - 128;
}
Tensor random_q8(DataType dt, const Shape& s, uint32_t seed) {
  return dt == DataType::kUint8 ? random_int(dt, s, seed, 0, 255) : random_int(dt, s, seed, -128, 127);
}
std::vector<int32_t> as_i32(const Tensor& t) {
  std::vector<int32_t> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = element_as_i32(t, i);
  return v;
}

// Runs `spec` with every combination of constant / run-time inputs in `const_sets` and 1 / 2 threads
// and checks each result with `check`.
template <typename F>
void run_variants(OpSpec spec, const std::vector<std::vector<int>>& const_sets, F&& check) {
  for (const auto& cs : const_sets)
    for (int threads : {1, 2}) {
      SCOPED_TRACE(::testing::Message() << "threads=" << threads << " constants=" << cs.size());
      spec.constant_inputs = cs;
      spec.num_threads = threads;
      auto r = run_op(spec);
      ASSERT_TRUE(r.is_ok()) << r.status().message();
      check((*r)[0]);
    }
}

void expect_bytes_equal(const Tensor& got, const std::vector<int32_t>& want) {
  ASSERT_EQ(static_cast<size_t>(got.numel()), want.size());
  int bad = 0;
  for (int64_t i = 0; i < got.numel(); ++i)
    if (element_as_i32(got, i) != want[static_cast<size_t>(i)] && bad++ < 5)
      ADD_FAILURE() << "y[" << i << "] = " << element_as_i32(got, i) << ", reference " << want[static_cast<size_t>(i)];
  EXPECT_EQ(bad, 0);
}

// ------------------------------------------------------------------ convolutions

struct ConvCase {
  int nd = 2;
  int64_t batch = 1, c = 3, m = 4, group = 1;
  std::vector<int64_t> in, kernel, strides, dilations, pads;
  std::string auto_pad;
  DataType xt = DataType::kUint8, wt = DataType::kInt8, yt = DataType::kUint8;
  bool per_channel = true, bias = true, x_zp_input = true;
};

ConvCase random_conv_case(uint32_t seed) {
  std::mt19937 rng(seed);
  ConvCase cs;
  cs.nd = seed % 7 == 0 ? 1 : seed % 11 == 0 ? 3 : 2;
  const int kind = static_cast<int>(rng() % 4);  // 0/1: plain, 2: grouped, 3: depthwise
  cs.batch = 1 + rng() % 2;
  if (kind == 3) {
    cs.c = cs.m = cs.group = 1 + rng() % 9;
  } else if (kind == 2) {
    cs.group = 2 + rng() % 2;
    cs.c = cs.group * (1 + rng() % 3);
    cs.m = cs.group * (1 + rng() % 3);
  } else {
    cs.c = 1 + rng() % 7;
    cs.m = 1 + rng() % 19;
  }
  for (int d = 0; d < cs.nd; ++d) {
    const int64_t k = cs.nd == 3 ? 1 + rng() % 3 : 1 + rng() % 5;
    const int64_t s = 1 + rng() % (seed % 3 == 0 ? 3 : 2);
    const int64_t dl = rng() % 5 == 0 ? 2 : 1;
    cs.kernel.push_back(k);
    cs.strides.push_back(s);
    cs.dilations.push_back(dl);
    cs.in.push_back((k - 1) * dl + 1 + rng() % (cs.nd == 3 ? 4 : 12));
  }
  const int pad_mode = static_cast<int>(rng() % 6);
  if (pad_mode == 0) cs.auto_pad = "SAME_UPPER";
  else if (pad_mode == 1) cs.auto_pad = "SAME_LOWER";
  else if (pad_mode == 2) cs.auto_pad = "VALID";
  else
    for (int i = 0; i < 2 * cs.nd; ++i) cs.pads.push_back(rng() % 3);
  cs.xt = q8dt(rng() & 1);
  cs.wt = q8dt(rng() % 4 == 0);
  cs.yt = q8dt(rng() & 1);
  cs.per_channel = rng() % 3 != 0;
  cs.bias = rng() % 4 != 0;
  cs.x_zp_input = rng() % 5 != 0;
  return cs;
}

Attributes conv_attrs(const ConvCase& cs) {
  std::vector<Attribute> a = {attr_ints("kernel_shape", cs.kernel), attr_ints("strides", cs.strides),
                              attr_ints("dilations", cs.dilations), attr_int("group", cs.group)};
  if (!cs.auto_pad.empty()) a.push_back(attr_string("auto_pad", cs.auto_pad));
  if (!cs.pads.empty()) a.push_back(attr_ints("pads", cs.pads));
  return attrs(a);
}

void check_conv_case(const ConvCase& cs, uint32_t seed) {
  std::mt19937 rng(seed * 31 + 7);
  Shape xs{cs.batch, cs.c}, ws{cs.m, cs.c / cs.group};
  xs.insert(xs.end(), cs.in.begin(), cs.in.end());
  ws.insert(ws.end(), cs.kernel.begin(), cs.kernel.end());
  Tensor x = random_q8(cs.xt, xs, seed + 1), w = random_q8(cs.wt, ws, seed + 2);
  const int64_t zn = cs.per_channel ? cs.m : 1;
  Tensor wz = random_q8(cs.wt, cs.per_channel ? Shape{cs.m} : Shape{}, seed + 3);
  Tensor wsc = random_f32(cs.per_channel ? Shape{cs.m} : Shape{}, seed + 4, 0.002f, 0.02f);
  Tensor bias = random_int(DataType::kInt32, {cs.m}, seed + 5, -30000, 30000);
  const int32_t x_zp = rand_zp(rng, cs.xt), y_zp = rand_zp(rng, cs.yt);
  const float x_scale = 0.05f, y_scale = 0.3f + static_cast<float>(rng() % 100) / 100.0f;
  const Attributes at = conv_attrs(cs);

  auto parsed = parse_conv_attrs(at, false);
  ASSERT_TRUE(parsed.is_ok());
  auto geo = conv_geometry(*parsed, xs, ws);
  ASSERT_TRUE(geo.is_ok()) << geo.status().message();
  const ConvGeometry g = *geo;
  std::vector<int32_t> wzv = as_i32(wz);
  // Reference int32 accumulators (with and without bias) for ConvInteger and QLinearConv.
  Shape ys{g.batch, g.c_out};
  ys.insert(ys.end(), g.out.begin(), g.out.end());
  std::vector<int32_t> acc_nb(static_cast<size_t>(numel(ys))), acc_b(acc_nb.size());
  dispatch_q8(cs.xt, [&](auto tx) {
    using TX = decltype(tx);
    return dispatch_q8(cs.wt, [&](auto tw) {
      using TW = decltype(tw);
      const int32_t xz = cs.x_zp_input ? x_zp : 0;
      qconv_reference<TX, TW>(g, x.data<TX>(), xz, w.data<TW>(), wzv.data(), zn > 1 ? 1 : 0, nullptr, acc_nb.data());
      qconv_reference<TX, TW>(g, x.data<TX>(), x_zp, w.data<TW>(), wzv.data(), zn > 1 ? 1 : 0,
                              cs.bias ? bias.data<int32_t>() : nullptr, acc_b.data());
      return 0;
    });
  });

  {
    SCOPED_TRACE("ConvInteger");
    OpSpec s{"ConvInteger"};
    s.opset = 10;
    s.attributes = at;
    s.inputs = {x, w, cs.x_zp_input ? zp_tensor(cs.xt, x_zp) : Tensor(), wz};
    run_variants(s, {{1, 3}, {1, 2, 3}, {}}, [&](const Tensor& y) {
      ASSERT_EQ(y.shape(), ys);
      expect_bytes_equal(y, acc_nb);
    });
  }
  {
    SCOPED_TRACE("QLinearConv");
    const int64_t plane = g.out_size();
    std::vector<int32_t> want(acc_b.size());
    for (size_t i = 0; i < want.size(); ++i) {
      const int64_t co = (static_cast<int64_t>(i) / plane) % g.c_out;
      const float mult = x_scale * wsc.data<float>()[zn > 1 ? co : 0] / y_scale;
      want[i] = cs.yt == DataType::kUint8 ? requantize_value<uint8_t>(acc_b[i], mult, y_zp)
                                          : requantize_value<int8_t>(acc_b[i], mult, y_zp);
    }
    OpSpec s{"QLinearConv"};
    s.opset = 10;
    s.attributes = at;
    s.inputs = {x, Tensor::scalar_f32(x_scale), zp_tensor(cs.xt, x_zp), w, wsc, wz,
                Tensor::scalar_f32(y_scale), zp_tensor(cs.yt, y_zp), cs.bias ? bias : Tensor()};
    // Constant weights with a constant or run-time x zero point, and everything at run time.
    run_variants(s, {{1, 2, 3, 4, 5, 6, 7, 8}, {3, 4, 5, 8}, {}}, [&](const Tensor& y) {
      ASSERT_EQ(y.shape(), ys);
      ASSERT_EQ(y.dtype(), cs.yt);
      expect_bytes_equal(y, want);
    });
  }
}

TEST(QuantKernels, ConvolutionsMatchReferenceOnRandomShapes) {
  for (uint32_t seed = 1; seed <= 60; ++seed) {
    const ConvCase cs = random_conv_case(seed);
    SCOPED_TRACE(::testing::Message() << "seed=" << seed << " nd=" << cs.nd << " c=" << cs.c << " m=" << cs.m
                                      << " group=" << cs.group << " k=" << cs.kernel[0] << " s=" << cs.strides[0]
                                      << " auto_pad=" << cs.auto_pad);
    check_conv_case(cs, seed);
  }
}

TEST(QuantKernels, DepthwiseAndPointwiseShapes) {
  // The shapes of mobile CNNs: depthwise 3x3 / 5x5 at strides 1 and 2 with odd widths around the
  // 8-pixel vector, and 1x1 convolutions.
  uint32_t seed = 1000;
  for (int64_t k : {3, 5})
    for (int64_t s : {1, 2})
      for (int64_t w : {7, 9, 17}) {
        ConvCase cs;
        cs.c = cs.m = cs.group = 5;
        cs.in = {6, w};
        cs.kernel = {k, k};
        cs.strides = {s, s};
        cs.dilations = {1, 1};
        cs.pads = {k / 2, k / 2, k / 2, k / 2};
        cs.xt = q8dt(seed & 1);
        cs.yt = q8dt(seed & 2);
        check_conv_case(cs, seed++);
      }
  ConvCase pw;
  pw.c = 13;
  pw.m = 21;
  pw.in = {5, 9};
  pw.kernel = {1, 1};
  pw.strides = {1, 1};
  pw.dilations = {1, 1};
  check_conv_case(pw, seed++);
  pw.per_channel = false;
  pw.wt = DataType::kUint8;
  check_conv_case(pw, seed++);
}

// ------------------------------------------------------------------ matrix products

struct MatMulCase {
  Shape a, b;
  DataType at = DataType::kUint8, bt = DataType::kInt8, yt = DataType::kUint8;
  bool b_per_col = true;
};

MatMulCase random_matmul_case(uint32_t seed) {
  std::mt19937 rng(seed);
  MatMulCase c;
  const int64_t m = 1 + rng() % 13, k = 1 + rng() % 40, n = 1 + rng() % 21;
  switch (seed % 6) {
    case 0: c.a = {m, k}; c.b = {k, n}; break;
    case 1: c.a = {2, m, k}; c.b = {k, n}; break;
    case 2: c.a = {3, m, k}; c.b = {3, k, n}; break;            // batched B
    case 3: c.a = {m, k}; c.b = {2, k, n}; break;               // A broadcast over B's batch
    case 4: c.a = {k}; c.b = {k, n}; break;                     // 1-D A
    default: c.a = {2, 1, m, k}; c.b = {k}; break;              // 1-D B
  }
  c.at = q8dt(rng() & 1);
  c.bt = q8dt(rng() % 4 == 0);
  c.yt = q8dt(rng() & 1);
  c.b_per_col = rng() % 3 != 0;
  return c;
}

// Reference int32 accumulators of (A - a_zp) x (B - b_zp) with numpy batches; a_zp per row when it
// has m entries.
std::vector<int32_t> ref_matmul(const MatMulShape& s, const Tensor& a, const std::vector<int32_t>& az,
                                const Tensor& b, const std::vector<int32_t>& bz) {
  std::vector<int32_t> acc(static_cast<size_t>(s.batch_count * s.m * s.n));
  dispatch_q8(a.dtype(), [&](auto ta) {
    using TA = decltype(ta);
    return dispatch_q8(b.dtype(), [&](auto tb) {
      using TB = decltype(tb);
      for (int64_t ob = 0; ob < s.batch_count; ++ob)
        qgemm_reference<TA, TB>(s.m, s.n, s.k, a.data<TA>() + operand_batch(s.batch, s.a_batch, ob) * s.m * s.k,
                                az.data(), az.size() > 1 ? 1 : 0,
                                b.data<TB>() + operand_batch(s.batch, s.b_batch, ob) * s.k * s.n, bz.data(),
                                bz.size() > 1 ? 1 : 0, acc.data() + ob * s.m * s.n);
      return 0;
    });
  });
  return acc;
}

void check_matmul_case(const MatMulCase& c, uint32_t seed) {
  std::mt19937 rng(seed * 13 + 1);
  auto sh = matmul_shape(c.a, c.b);
  ASSERT_TRUE(sh.is_ok());
  const MatMulShape s = *sh;
  Tensor a = random_q8(c.at, c.a, seed + 1), b = random_q8(c.bt, c.b, seed + 2);
  const Shape bzs = c.b_per_col ? Shape{s.n} : Shape{};
  Tensor bz = random_q8(c.bt, bzs, seed + 3);
  Tensor bsc = random_f32(bzs, seed + 4, 0.002f, 0.02f);
  const int32_t a_zp = rand_zp(rng, c.at), y_zp = rand_zp(rng, c.yt);
  const float a_scale = 0.04f, y_scale = 0.05f + static_cast<float>(rng() % 100) / 400.0f;
  const std::vector<int32_t> bzv = as_i32(bz);
  const int64_t bn = c.b_per_col ? s.n : 1;
  const std::vector<int32_t> acc = ref_matmul(s, a, {a_zp}, b, bzv);

  {
    SCOPED_TRACE("MatMulInteger");
    OpSpec op{"MatMulInteger"};
    op.opset = 10;
    op.inputs = {a, b, zp_tensor(c.at, a_zp), bz};
    run_variants(op, {{1, 3}, {1, 2, 3}, {}}, [&](const Tensor& y) {
      ASSERT_EQ(y.shape(), s.out);
      expect_bytes_equal(y, acc);
    });
    if (s.m > 1) {  // per-row a_zero_point: the reference path
      Tensor azr = random_q8(c.at, {s.m}, seed + 9);
      const std::vector<int32_t> acc_r = ref_matmul(s, a, as_i32(azr), b, bzv);
      op.inputs = {a, b, azr, bz};
      run_variants(op, {{1, 2, 3}, {}}, [&](const Tensor& y) { expect_bytes_equal(y, acc_r); });
    }
    op.inputs = {a, b};
    const std::vector<int32_t> acc0 = ref_matmul(s, a, {0}, b, {0});
    run_variants(op, {{1}, {}}, [&](const Tensor& y) { expect_bytes_equal(y, acc0); });
  }
  {
    SCOPED_TRACE("QLinearMatMul");
    std::vector<int32_t> want(acc.size());
    for (size_t i = 0; i < acc.size(); ++i) {
      const int64_t j = static_cast<int64_t>(i) % s.n;
      const float mult = a_scale * bsc.data<float>()[bn > 1 ? j : 0] / y_scale;
      want[i] = c.yt == DataType::kUint8 ? requantize_value<uint8_t>(acc[i], mult, y_zp)
                                         : requantize_value<int8_t>(acc[i], mult, y_zp);
    }
    OpSpec op{"QLinearMatMul"};
    op.opset = 10;
    op.inputs = {a, Tensor::scalar_f32(a_scale), zp_tensor(c.at, a_zp), b, bsc, bz, Tensor::scalar_f32(y_scale),
                 zp_tensor(c.yt, y_zp)};
    run_variants(op, {{1, 2, 3, 4, 5, 6, 7}, {3, 4, 5}, {}}, [&](const Tensor& y) {
      ASSERT_EQ(y.shape(), s.out);
      expect_bytes_equal(y, want);
    });
  }
  {
    SCOPED_TRACE("MatMulIntegerToFloat");
    Tensor fb = random_f32({s.n}, seed + 6, -2.0f, 2.0f);
    OpSpec op{"MatMulIntegerToFloat", "com.microsoft", 1};
    op.inputs = {a, b, Tensor::scalar_f32(a_scale), bsc, zp_tensor(c.at, a_zp), bz, fb};
    run_variants(op, {{1, 3, 5, 6}, {1, 2, 3, 4, 5, 6}, {}}, [&](const Tensor& y) {
      ASSERT_EQ(y.shape(), s.out);
      for (size_t i = 0; i < acc.size(); ++i) {
        const int64_t j = static_cast<int64_t>(i) % s.n;
        const float e = static_cast<float>(acc[i]) * (a_scale * bsc.data<float>()[bn > 1 ? j : 0]) + fb.data<float>()[j];
        ASSERT_NEAR(y.data<float>()[i], e, 1e-6f * std::fabs(e) + 1e-6f) << i;
      }
    });
  }
  {
    SCOPED_TRACE("DynamicQuantizeMatMul");
    Tensor af = random_f32(c.a, seed + 7, -3.0f, 5.0f);
    float dq_scale;
    uint8_t dq_zp;
    dynamic_quantize_params(af.data<float>(), af.numel(), &dq_scale, &dq_zp);
    std::vector<uint8_t> q(static_cast<size_t>(af.numel()));
    for (size_t i = 0; i < q.size(); ++i) q[i] = quantize_value<uint8_t>(af.data<float>()[i], dq_scale, dq_zp);
    Tensor aq = Tensor::from_vector<uint8_t>(c.a, q);
    const std::vector<int32_t> dacc = ref_matmul(s, aq, {dq_zp}, b, bzv);
    OpSpec op{"DynamicQuantizeMatMul", "com.microsoft", 1};
    op.inputs = {af, b, bsc, bz};
    run_variants(op, {{1, 2, 3}, {}}, [&](const Tensor& y) {
      ASSERT_EQ(y.shape(), s.out);
      for (size_t i = 0; i < dacc.size(); ++i) {
        const int64_t j = static_cast<int64_t>(i) % s.n;
        const float e = static_cast<float>(dacc[i]) * (dq_scale * bsc.data<float>()[bn > 1 ? j : 0]);
        ASSERT_NEAR(y.data<float>()[i], e, 1e-6f * std::fabs(e) + 1e-6f) << i;
      }
    });
  }
}

TEST(QuantKernels, MatrixProductsMatchReferenceOnRandomShapes) {
  for (uint32_t seed = 1; seed <= 48; ++seed) {
    const MatMulCase c = random_matmul_case(seed);
    SCOPED_TRACE(::testing::Message() << "seed=" << seed << " a=" << shape_to_string(c.a)
                                      << " b=" << shape_to_string(c.b));
    check_matmul_case(c, seed);
  }
}

TEST(QuantKernels, LargerMatrixProductSpansTilesAndThreads) {
  MatMulCase c;
  c.a = {2, 37, 131};
  c.b = {131, 77};
  check_matmul_case(c, 500);
  c.at = DataType::kInt8;
  c.bt = DataType::kUint8;
  c.yt = DataType::kInt8;
  c.b_per_col = false;
  check_matmul_case(c, 501);
}

TEST(QuantKernels, QLinearMatMulPerRowParametersUseTheReference) {
  // a_scale / a_zero_point / y_scale per row of A: not expressible by the kernels' output stage.
  const int64_t m = 3, k = 5, n = 4;
  Tensor a = random_q8(DataType::kUint8, {m, k}, 1), b = random_q8(DataType::kInt8, {k, n}, 2);
  Tensor as = random_f32({m}, 3, 0.01f, 0.05f), ys = random_f32({m}, 4, 0.1f, 0.5f);
  Tensor az = random_q8(DataType::kUint8, {m}, 5), yz = random_q8(DataType::kUint8, {m}, 6);
  auto sh = matmul_shape({m, k}, {k, n});
  ASSERT_TRUE(sh.is_ok());
  const MatMulShape s = *sh;
  const std::vector<int32_t> acc = ref_matmul(s, a, as_i32(az), b, {3});
  std::vector<int32_t> want(acc.size());
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      want[static_cast<size_t>(i * n + j)] = requantize_value<uint8_t>(
          acc[static_cast<size_t>(i * n + j)], as.data<float>()[i] * 0.02f / ys.data<float>()[i],
          element_as_i32(yz, i));
  OpSpec op{"QLinearMatMul"};
  op.opset = 10;
  op.inputs = {a, as, az, b, Tensor::scalar_f32(0.02f), zp_tensor(DataType::kInt8, 3), ys, yz};
  run_variants(op, {{1, 2, 3, 4, 5, 6, 7}, {3, 4, 5}, {}}, [&](const Tensor& y) { expect_bytes_equal(y, want); });
}

// ------------------------------------------------------------------ QLinearAdd / QLinearMul

TEST(QuantKernels, QLinearAddMulBroadcastMatchReference) {
  // Every broadcasting form (same shape, scalar, per-channel rows, outer product, rank 0) against the
  // scalar arithmetic element by element through a naive broadcast index.
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{2, 3, 5, 7}, {2, 3, 5, 7}}, {{2, 3, 5, 7}, {}},  {{}, {33}},          {{2, 3, 5, 7}, {3, 1, 1}},
      {{4, 1}, {1, 17}},            {{1, 3, 1, 18}, {2, 1, 4, 1}}, {{}, {}}, {{5, 1, 19}, {5, 2, 19}},
      {{2, 3, 150, 161}, {2, 3, 150, 161}}, {{1, 130, 1024}, {1024}}};  // the last two: several chunks per thread
  uint32_t seed = 1;
  for (const char* op : {"QLinearAdd", "QLinearMul"})
    for (DataType dt : {DataType::kUint8, DataType::kInt8})
      for (const auto& [sa, sb] : shapes) {
        SCOPED_TRACE(::testing::Message() << op << " " << dtype_name(dt) << " " << shape_to_string(sa) << " x "
                                          << shape_to_string(sb));
        std::mt19937 rng(seed);
        Tensor a = random_q8(dt, sa, seed + 1), b = random_q8(dt, sb, seed + 2);
        const int32_t za = rand_zp(rng, dt), zb = rand_zp(rng, dt), zc = rand_zp(rng, dt);
        const float as = 0.02f + static_cast<float>(rng() % 50) / 1000.0f, bs = 0.03f, cs = 0.05f;
        ++seed;
        auto out_shape = broadcast_shapes(sa, sb);
        ASSERT_TRUE(out_shape.is_ok());
        const Shape os = *out_shape;
        Q8BinaryParams p;
        p.mul = std::string(op) == "QLinearMul";
        p.is_signed = dt == DataType::kInt8;
        p.za = za;
        p.zb = zb;
        p.zc = zc;
        p.ra = p.mul ? as * bs / cs : as / cs;
        p.rb = bs / cs;
        // Naive broadcast: output index -> operand element.
        auto elem = [&](const Tensor& t, int64_t o) {
          const Shape& ts = t.shape();
          int64_t off = 0, stride = 1, rem = o;
          for (size_t d = os.size(); d-- > 0;) {
            const int64_t coord = rem % os[d];
            rem /= os[d];
            const size_t td = d + ts.size() - os.size();
            if (d + ts.size() >= os.size() && ts[td] != 1) off += coord * stride;
            if (d + ts.size() >= os.size()) stride *= ts[td];
          }
          return off;
        };
        std::vector<int32_t> want(static_cast<size_t>(numel(os)));
        for (int64_t o = 0; o < numel(os); ++o) {
          const uint8_t* ab = static_cast<const uint8_t*>(a.raw()) + elem(a, o);
          const uint8_t* bb = static_cast<const uint8_t*>(b.raw()) + elem(b, o);
          uint8_t y;
          q8_binary_reference(p, ab, 0, bb, 0, &y, 1);
          want[static_cast<size_t>(o)] = p.is_signed ? static_cast<int8_t>(y) : y;
        }
        OpSpec s{op, "com.microsoft", 1};
        s.inputs = {a, Tensor::scalar_f32(as), zp_tensor(dt, za), b, Tensor::scalar_f32(bs), zp_tensor(dt, zb),
                    Tensor::scalar_f32(cs), zp_tensor(dt, zc)};
        run_variants(s, {{}}, [&](const Tensor& y) {
          ASSERT_EQ(y.shape(), os);
          expect_bytes_equal(y, want);
        });
      }
}

// ------------------------------------------------------------------ in a session

TEST(QuantKernels, SessionRunsWithChangingActivationZeroPoints) {
  // Weights are initializers (packed at creation, then released by the session); the activation zero
  // points are graph inputs that change between runs, so the packed biases are rewritten each time.
  const Shape xs{1, 6, 9, 11}, ws{8, 3, 3, 3};
  Tensor w = random_q8(DataType::kInt8, ws, 71), wz = random_q8(DataType::kInt8, {8}, 72);
  Tensor b = random_q8(DataType::kInt8, {27, 13}, 73);
  for (int threads : {1, 2}) {
    Model m = GraphBuilder(13)
                  .input("x", DataType::kUint8, xs)
                  .input("xz", DataType::kUint8, {})
                  .input("a", DataType::kUint8, {5, 27})
                  .input("az", DataType::kUint8, {})
                  .initializer("w", w)
                  .initializer("wz", wz)
                  .initializer("b", b)
                  .node("ConvInteger", {"x", "w", "xz", "wz"}, {"y"}, {attr_int("group", 2), attr_ints("pads", {1, 1, 1, 1})})
                  .node("MatMulInteger", {"a", "b", "az"}, {"z"})
                  .output("y")
                  .output("z")
                  .build();
    SessionOptions opts;
    opts.num_threads = threads;
    auto sess = Session::create(std::move(m), opts);
    ASSERT_TRUE(sess.is_ok()) << sess.status().to_string();
    auto parsed = parse_conv_attrs(attrs({attr_int("group", 2), attr_ints("pads", {1, 1, 1, 1})}), false);
    ASSERT_TRUE(parsed.is_ok());
    auto geo = conv_geometry(*parsed, xs, ws);
    auto msh = matmul_shape({5, 27}, {27, 13});
    ASSERT_TRUE(geo.is_ok() && msh.is_ok());
    const ConvGeometry g = *geo;
    const MatMulShape ms = *msh;
    for (int32_t zp : {0, 200, 17, 200}) {
      SCOPED_TRACE(::testing::Message() << "threads=" << threads << " zp=" << zp);
      Tensor x = random_q8(DataType::kUint8, xs, static_cast<uint32_t>(zp) + 1);
      Tensor a = random_q8(DataType::kUint8, {5, 27}, static_cast<uint32_t>(zp) + 2);
      auto r = (*sess)->run({{"x", x}, {"xz", zp_tensor(DataType::kUint8, zp)}, {"a", a},
                             {"az", zp_tensor(DataType::kUint8, zp)}});
      ASSERT_TRUE(r.is_ok()) << r.status().to_string();
      std::vector<int32_t> want(static_cast<size_t>(g.batch * g.c_out * g.out_size()));
      const std::vector<int32_t> wzv = as_i32(wz);
      qconv_reference<uint8_t, int8_t>(g, x.data<uint8_t>(), zp, w.data<int8_t>(), wzv.data(), 1, nullptr,
                                       want.data());
      expect_bytes_equal((*r)[0], want);
      expect_bytes_equal((*r)[1], ref_matmul(ms, a, {zp}, b, {0}));
    }
  }
}

}  // namespace
}  // namespace edgeinfer
