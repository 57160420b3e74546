// The QDQ -> integer operator rewrite (runtime/qdq_rewrite.cc): every pattern on a small model built
// here, run with and without the rewrite on random inputs (integer outputs within 1 unit and rarely
// different, float outputs within the last quantized tensor's scale), the optimized graph's exact op
// list (the integer op, no DQ/Q pair around it), and models where one precondition fails and the
// graph stays as the rewrite-off optimizer leaves it.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "graph_builder.h"
#include "runtime/optimizer.h"
#include "runtime/session.h"
#include "test_util.h"

namespace edgeinfer {
namespace {

using testing::attr_float;
using testing::attr_int;
using testing::attr_ints;
using testing::attr_string;
using testing::random_f32;
using testing::random_int;

Tensor f32s(float v) { return Tensor::scalar_f32(v); }
Tensor u8s(int v) { return Tensor::from_vector<uint8_t>({}, {static_cast<uint8_t>(v)}); }
Tensor i8s(int v) { return Tensor::from_vector<int8_t>({}, {static_cast<int8_t>(v)}); }
Tensor zp(DataType dt, int v) { return dt == DataType::kInt8 ? i8s(v) : u8s(v); }
Tensor f32v(std::vector<float> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return Tensor::from_vector<float>({n}, v);
}

// Adds the initializers NAME_s / NAME_z and the nodes Q(in) -> NAME_q, DQ(NAME_q) -> NAME_f.
void qdq(GraphBuilder& b, const std::string& in, const std::string& name, float scale, DataType dt, int z) {
  b.initializer(name + "_s", f32s(scale)).initializer(name + "_z", zp(dt, z));
  b.node("QuantizeLinear", {in, name + "_s", name + "_z"}, {name + "_q"});
  b.node("DequantizeLinear", {name + "_q", name + "_s", name + "_z"}, {name + "_f"});
}
// Q(in) -> out with new parameters NAME_s / NAME_z.
void quant(GraphBuilder& b, const std::string& in, const std::string& out, float scale, DataType dt, int z) {
  b.initializer(out + "_s", f32s(scale)).initializer(out + "_z", zp(dt, z));
  b.node("QuantizeLinear", {in, out + "_s", out + "_z"}, {out});
}
// DQ of a constant integer tensor.
void const_dq(GraphBuilder& b, const std::string& name, Tensor q, Tensor scale, Tensor z, int64_t axis = 1) {
  b.initializer(name + "_int", std::move(q)).initializer(name + "_s", std::move(scale)).initializer(name + "_z", std::move(z));
  std::vector<Attribute> a;
  if (axis != 1) a.push_back(attr_int("axis", axis));
  b.node("DequantizeLinear", {name + "_int", name + "_s", name + "_z"}, {name}, a);
}

std::vector<std::string> optimized_ops(Model m, bool rewrite, int* rewritten = nullptr) {
  OptimizerOptions o;
  o.qdq_rewrite = rewrite;
  auto r = optimize_graph(m.graph, m.opsets, o);
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  if (rewritten && r.is_ok()) *rewritten = r->qdq_rewritten;
  std::vector<std::string> ops;
  for (const Node& n : m.graph.nodes) ops.push_back(n.op_type);
  return ops;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

std::unique_ptr<Session> session(Model m, bool rewrite) {
  SessionOptions o;
  o.qdq_rewrite = rewrite;
  auto s = Session::create(std::move(m), o);
  EXPECT_TRUE(s.is_ok()) << s.status().to_string();
  return s.is_ok() ? std::move(s).value() : nullptr;
}

double at(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::kFloat32: return t.data<float>()[i];
    case DataType::kUint8: return t.data<uint8_t>()[i];
    case DataType::kInt8: return t.data<int8_t>()[i];
    case DataType::kInt32: return t.data<int32_t>()[i];
    default: ADD_FAILURE() << "dtype " << dtype_name(t.dtype()); return 0;
  }
}

// Runs the model with and without the rewrite on `feeds` (3 seeds of random inputs) and compares.
// float_tol: the scale of the last quantized tensor before a float output.
void expect_same_results(const std::function<Model()>& build, const std::map<std::string, Shape>& inputs,
                         float float_tol, float lo = -2.0f, float hi = 2.0f) {
  auto on = session(build(), true), off = session(build(), false);
  ASSERT_TRUE(on && off);
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    std::map<std::string, Tensor> feeds;
    uint32_t k = 0;
    for (const auto& [name, shape] : inputs) feeds[name] = random_f32(shape, seed * 101 + k++, lo, hi);
    auto a = on->run(feeds), e = off->run(feeds);
    ASSERT_TRUE(a.is_ok() && e.is_ok()) << a.status().to_string() << " / " << e.status().to_string();
    ASSERT_EQ(a->size(), e->size());
    for (size_t o = 0; o < a->size(); ++o) {
      const Tensor& x = (*a)[o];
      const Tensor& y = (*e)[o];
      ASSERT_EQ(x.dtype(), y.dtype()) << "output " << o;
      ASSERT_EQ(x.shape(), y.shape()) << "output " << o;
      const bool is_float = x.dtype() == DataType::kFloat32;
      int64_t differ = 0, distinct_lo = 0;
      double first = at(y, 0);
      for (int64_t i = 0; i < x.numel(); ++i) {
        const double d = std::fabs(at(x, i) - at(y, i));
        if (is_float) {
          ASSERT_LE(d, float_tol) << "output " << o << " element " << i << " seed " << seed;
        } else {
          ASSERT_LE(d, 1.0) << "output " << o << " element " << i << " seed " << seed;
          differ += d != 0;
        }
        distinct_lo += at(y, i) != first;
      }
      // Rounding ties are rare: a systematic error (a zero point off by one) would differ everywhere.
      EXPECT_LE(differ, std::max<int64_t>(1, x.numel() / 20)) << "output " << o << ": " << differ << " of " << x.numel() << " differ";
      // The inputs exercise the op: outputs are not all one value.
      EXPECT_GT(distinct_lo, 0) << "output " << o << " is constant";
    }
  }
}

// ---------------------------------------------------------------- Conv

struct ConvCase {
  DataType act = DataType::kUint8;   // x and y dtype
  bool per_channel = true;
  int bias = 2;                      // 0 none, 1 float constant, 2 DQ(int32)
  std::string act_op = "Relu";       // "", "Relu", "Clip"
  int y_zp = 100;
  float bias_scale_factor = 1.0f;    // DQ(int32) bias scale relative to x_scale * w_scale
  float y_scale = 0.05f;
  bool conv_output_too = false;      // the float conv output is also a graph output
  bool x_per_axis = false;           // activation DQ per channel (not rewritable)
};

Model conv_model(const ConvCase& c) {
  GraphBuilder b(13);
  const int xz = c.act == DataType::kInt8 ? -3 : 128;
  b.input("x", {1, 3, 7, 9});
  if (c.x_per_axis) {
    b.initializer("x_s", f32v({0.02f, 0.025f, 0.03f})).initializer("x_z", Tensor::from_vector<uint8_t>({3}, {128, 120, 130}));
    b.node("QuantizeLinear", {"x", "x_s", "x_z"}, {"x_q"});
    b.node("DequantizeLinear", {"x_q", "x_s", "x_z"}, {"x_f"});
  } else {
    qdq(b, "x", "x", 0.02f, c.act, xz);
  }
  std::vector<float> ws = {0.004f, 0.006f, 0.005f, 0.007f, 0.003f};
  if (!c.per_channel) ws = {0.005f};
  const int64_t n = static_cast<int64_t>(ws.size());
  const_dq(b, "w", random_int(DataType::kInt8, {5, 3, 3, 3}, 7, -127, 127),
           c.per_channel ? f32v(ws) : f32s(ws[0]),
           c.per_channel ? Tensor::from_vector<int8_t>({n}, std::vector<int8_t>(5, 0)) : i8s(0), 0);
  std::vector<std::string> ins = {"x_f", "w"};
  if (c.bias == 1) {
    b.initializer("bias", random_f32({5}, 9, -0.5f, 0.5f));
    ins.push_back("bias");
  } else if (c.bias == 2) {
    std::vector<float> bs;
    for (int64_t k = 0; k < 5; ++k) bs.push_back(0.02f * ws[static_cast<size_t>(c.per_channel ? k : 0)] * c.bias_scale_factor);
    const_dq(b, "bias", random_int(DataType::kInt32, {5}, 11, -5000, 5000), f32v(bs),
             Tensor::from_vector<int32_t>({5}, std::vector<int32_t>(5, 0)), 0);
    ins.push_back("bias");
  }
  b.node("Conv", ins, {"conv"}, {attr_ints("pads", {1, 0, 1, 2}), attr_ints("strides", {1, 2})});
  std::string pre_q = "conv";
  if (c.act_op == "Relu") {
    b.node("Relu", {"conv"}, {"act"});
    pre_q = "act";
  } else if (c.act_op == "Clip") {
    b.initializer("lo", f32s(0.0f)).initializer("hi", f32s(1.5f));
    b.node("Clip", {"conv", "lo", "hi"}, {"act"});
    pre_q = "act";
  }
  quant(b, pre_q, "y", c.y_scale, c.act, c.y_zp);
  b.initializer("y_dq_s", f32s(c.y_scale)).initializer("y_dq_z", zp(c.act, c.y_zp));
  b.node("DequantizeLinear", {"y", "y_dq_s", "y_dq_z"}, {"y_f"});
  b.output("y").output("y_f");
  if (c.conv_output_too) b.output("conv");
  return b.build();
}

void expect_conv(const ConvCase& c, const std::vector<std::string>& ops) {
  int n = 0;
  EXPECT_EQ(join(optimized_ops(conv_model(c), true, &n)), join(ops));
  EXPECT_EQ(n, 1);
  expect_same_results([&] { return conv_model(c); }, {{"x", {1, 3, 7, 9}}}, c.y_scale * 1.0001f);
}

TEST(QdqRewrite, ConvPerChannelInt32BiasRelu) {
  // y_zp 100: Relu stays as Max(y, 100) on the integer tensor.
  expect_conv(ConvCase{}, {"QuantizeLinear", "QLinearConv", "Max", "DequantizeLinear"});
}

TEST(QdqRewrite, ConvReluDroppedAtZeroPointMinimum) {
  ConvCase c;
  c.y_zp = 0;
  expect_conv(c, {"QuantizeLinear", "QLinearConv", "DequantizeLinear"});
  c.act = DataType::kInt8;
  c.y_zp = -128;
  expect_conv(c, {"QuantizeLinear", "QLinearConv", "DequantizeLinear"});
}

TEST(QdqRewrite, ConvPerTensorFloatBiasClip) {
  ConvCase c;
  c.per_channel = false;
  c.bias = 1;
  c.act_op = "Clip";
  c.y_scale = 0.01f;  // Clip's 1.5 -> 100 + 150 < 255: a Min stays too
  expect_conv(c, {"QuantizeLinear", "QLinearConv", "Max", "Min", "DequantizeLinear"});
}

TEST(QdqRewrite, ConvInt8NoBiasNoActivation) {
  ConvCase c;
  c.act = DataType::kInt8;
  c.bias = 0;
  c.act_op = "";
  c.y_zp = 5;
  expect_conv(c, {"QuantizeLinear", "QLinearConv", "DequantizeLinear"});
}

TEST(QdqRewrite, ConvPreconditionsFailing) {
  auto expect_unchanged = [](const ConvCase& c, const char* why) {
    int n = -1;
    EXPECT_EQ(join(optimized_ops(conv_model(c), true, &n)), join(optimized_ops(conv_model(c), false))) << why;
    EXPECT_EQ(n, 0) << why;
    expect_same_results([&] { return conv_model(c); }, {{"x", {1, 3, 7, 9}}}, 0.0f);
  };
  ConvCase c;
  c.conv_output_too = true;
  expect_unchanged(c, "the float conv output is a graph output");
  c = ConvCase{};
  c.bias_scale_factor = 1.01f;
  expect_unchanged(c, "int32 bias scale is not x_scale * w_scale");
  c = ConvCase{};
  c.bias = 1;
  c.y_scale = 0.0003f;  // bias step 0.02 * 0.007 / 0.0003 = 0.47 output units: too coarse
  expect_unchanged(c, "float bias cannot be quantized exactly enough");
  c = ConvCase{};
  c.x_per_axis = true;
  expect_unchanged(c, "per-axis activation quantization");
}

TEST(QdqRewrite, NonConstantScaleIsNotRewritten) {
  auto build = [] {
    GraphBuilder b(13);
    b.input("x", {1, 3, 5, 5}).input("ys", {});
    qdq(b, "x", "x", 0.02f, DataType::kUint8, 128);
    const_dq(b, "w", random_int(DataType::kInt8, {4, 3, 1, 1}, 3, -127, 127), f32s(0.01f), i8s(0));
    b.initializer("yz", u8s(128));
    b.node("Conv", {"x_f", "w"}, {"conv"});
    b.node("QuantizeLinear", {"conv", "ys", "yz"}, {"y"});
    b.output("y");
    return b.build();
  };
  int n = -1;
  EXPECT_EQ(join(optimized_ops(build(), true, &n)), join(optimized_ops(build(), false)));
  EXPECT_EQ(n, 0);
}

// Weights as exporters also write them: the integer weight and its scale in Constant nodes, or a
// float weight quantized in the graph (Q(w) -> DQ). The constant folding before the rewrite turns
// both into integer initializers and leaves the DQ for the rewrite.
Model conv_constant_weights_model(bool float_weight_q) {
  GraphBuilder b(13);
  b.input("x", {1, 2, 5, 6});
  qdq(b, "x", "x", 0.02f, DataType::kUint8, 128);
  if (float_weight_q) {
    b.initializer("wf", random_f32({3, 2, 3, 3}, 21, -0.6f, 0.6f));
    b.initializer("w_s", f32s(0.005f)).initializer("w_z", i8s(0));
    b.node("QuantizeLinear", {"wf", "w_s", "w_z"}, {"w_int"});
  } else {
    b.node("Constant", {}, {"w_int"}, {testing::attr_tensor("value", random_int(DataType::kInt8, {3, 2, 3, 3}, 21, -127, 127))});
    b.node("Constant", {}, {"w_s"}, {testing::attr_tensor("value", f32s(0.005f))});
    b.initializer("w_z", i8s(0));
  }
  b.node("DequantizeLinear", {"w_int", "w_s", "w_z"}, {"w"});
  b.node("Conv", {"x_f", "w"}, {"conv"}, {attr_ints("pads", {1, 1, 1, 1})});
  quant(b, "conv", "y", 0.04f, DataType::kUint8, 128);
  b.output("y");
  return b.build();
}

TEST(QdqRewrite, WeightsFromConstantNodesAndQuantizedFloats) {
  for (bool float_weight_q : {false, true}) {
    int n = 0;
    EXPECT_EQ(join(optimized_ops(conv_constant_weights_model(float_weight_q), true, &n)), "QuantizeLinear QLinearConv");
    EXPECT_EQ(n, 1);
    expect_same_results([&] { return conv_constant_weights_model(float_weight_q); }, {{"x", {1, 2, 5, 6}}}, 0.0f);
  }
}

// ---------------------------------------------------------------- MatMul, Gemm

Model matmul_model(bool quantized_out, bool per_column, DataType act, bool bias = false) {
  GraphBuilder b(13);
  b.input("a", {2, 5, 7});
  qdq(b, "a", "a", 0.03f, act, act == DataType::kInt8 ? 2 : 120);
  std::vector<float> bs = {0.01f, 0.012f, 0.008f, 0.011f, 0.009f, 0.013f};
  const_dq(b, "b", random_int(DataType::kInt8, {7, 6}, 5, -127, 127), per_column ? f32v(bs) : f32s(0.01f),
           per_column ? Tensor::from_vector<int8_t>({6}, {0, 1, -1, 0, 2, 0}) : i8s(1), per_column ? -1 : 1);
  b.node("MatMul", {"a_f", "b"}, {"mm"});
  if (quantized_out) {
    b.node("Relu", {"mm"}, {"r"});
    quant(b, "r", "y", 0.04f, act, act == DataType::kInt8 ? -128 : 0);
    b.output("y");
  } else if (bias) {
    b.initializer("bias", random_f32({6}, 23, -1.0f, 1.0f));
    b.node("Add", {"bias", "mm"}, {"y"});
    b.output("y");
  } else {
    b.initializer("two", f32s(2.0f));
    b.node("Mul", {"mm", "two"}, {"y"});
    b.output("y");
  }
  return b.build();
}

TEST(QdqRewrite, MatMulToQLinearMatMul) {
  for (bool per_column : {false, true})
    for (DataType act : {DataType::kUint8, DataType::kInt8}) {
      int n = 0;
      EXPECT_EQ(join(optimized_ops(matmul_model(true, per_column, act), true, &n)), "QuantizeLinear QLinearMatMul");
      EXPECT_EQ(n, 1);
      expect_same_results([&] { return matmul_model(true, per_column, act); }, {{"a", {2, 5, 7}}}, 0.0f);
    }
}

TEST(QdqRewrite, MatMulFloatOutToMatMulIntegerToFloat) {
  for (bool per_column : {false, true}) {
    int n = 0;
    EXPECT_EQ(join(optimized_ops(matmul_model(false, per_column, DataType::kUint8), true, &n)),
              "QuantizeLinear MatMulIntegerToFloat Mul");
    EXPECT_EQ(n, 1);
    // Both compute sum (a - za) * (b - zb) * sa * sb[n] exactly up to float rounding.
    expect_same_results([&] { return matmul_model(false, per_column, DataType::kUint8); }, {{"a", {2, 5, 7}}}, 1e-4f);
    // A constant [N] bias Add joins the op.
    EXPECT_EQ(join(optimized_ops(matmul_model(false, per_column, DataType::kInt8, true), true, &n)),
              "QuantizeLinear MatMulIntegerToFloat");
    expect_same_results([&] { return matmul_model(false, per_column, DataType::kInt8, true); }, {{"a", {2, 5, 7}}}, 1e-4f);
  }
}

Model gemm_model(bool float_bias, int64_t trans_b) {
  GraphBuilder b(13);
  b.input("a", {3, 10});
  qdq(b, "a", "a", 0.02f, DataType::kUint8, 128);
  const std::vector<float> ws = {0.004f, 0.005f, 0.006f, 0.003f, 0.005f, 0.004f, 0.007f};
  const_dq(b, "w", random_int(DataType::kInt8, trans_b ? Shape{7, 10} : Shape{10, 7}, 13, -127, 127), f32v(ws),
           Tensor::from_vector<int8_t>({7}, std::vector<int8_t>(7, 0)), trans_b ? 0 : 1);
  std::vector<std::string> ins = {"a_f", "w"};
  if (float_bias) {
    b.initializer("c", random_f32({7}, 17, -0.3f, 0.3f));
    ins.push_back("c");
  }
  b.node("Gemm", ins, {"g"}, {attr_int("transB", trans_b)});
  quant(b, "g", "y", 0.03f, DataType::kUint8, 110);
  b.output("y");
  return b.build();
}

TEST(QdqRewrite, GemmToQLinearConv) {
  for (bool bias : {false, true}) {
    int n = 0;
    EXPECT_EQ(join(optimized_ops(gemm_model(bias, 1), true, &n)), "QuantizeLinear Reshape QLinearConv Reshape");
    EXPECT_EQ(n, 1);
    expect_same_results([&] { return gemm_model(bias, 1); }, {{"a", {3, 10}}}, 0.0f);
  }
  // transB 0 is not expressible this way: left as written.
  int n = -1;
  EXPECT_EQ(join(optimized_ops(gemm_model(true, 0), true, &n)), join(optimized_ops(gemm_model(true, 0), false)));
  EXPECT_EQ(n, 0);
}

// ---------------------------------------------------------------- contrib ops

Model binary_model(const std::string& op, DataType b_dtype) {
  GraphBuilder b(13);
  b.input("a", {2, 4, 3, 5}).input("c", {4, 1, 5});
  // Scales with no small common ratio: with 0.02, 0.015 and 0.03 a third of the sums are exact ties
  // that either path may round either way.
  qdq(b, "a", "a", 0.0213f, DataType::kUint8, 128);
  qdq(b, "c", "c", 0.0157f, b_dtype, b_dtype == DataType::kInt8 ? 0 : 100);
  b.node(op, {"a_f", "c_f"}, {"s"});
  quant(b, "s", "y", op == "Mul" ? 0.0109f : 0.0311f, DataType::kUint8, 128);
  b.output("y");
  return b.build();
}

TEST(QdqRewrite, AddMulToQLinearAddMul) {
  for (const char* op : {"Add", "Mul"}) {
    int n = 0;
    EXPECT_EQ(join(optimized_ops(binary_model(op, DataType::kUint8), true, &n)),
              std::string("QuantizeLinear QuantizeLinear QLinear") + op);
    EXPECT_EQ(n, 1);
    expect_same_results([&] { return binary_model(op, DataType::kUint8); }, {{"a", {2, 4, 3, 5}}, {"c", {4, 1, 5}}}, 0.0f);
    // Mixed dtypes (onnxruntime's QLinearAdd takes one T): left as written.
    EXPECT_EQ(join(optimized_ops(binary_model(op, DataType::kInt8), true, &n)),
              join(optimized_ops(binary_model(op, DataType::kInt8), false)));
    EXPECT_EQ(n, 0);
  }
}

Model unary_model(const std::string& op, DataType dt) {
  GraphBuilder b(13);
  b.input("x", {2, 3, 6, 5});
  qdq(b, "x", "x", 0.03f, dt, dt == DataType::kInt8 ? 0 : 128);
  std::vector<Attribute> a;
  if (op == "LeakyRelu") a.push_back(attr_float("alpha", 0.2f));
  if (op == "AveragePool")
    a = {attr_ints("kernel_shape", {3, 2}), attr_ints("strides", {2, 1}), attr_ints("pads", {1, 0, 1, 1}),
         attr_int("count_include_pad", 1)};
  b.node(op, {"x_f"}, {"u"}, a);
  quant(b, "u", "y", op == "Sigmoid" ? 1.0f / 256 : 0.02f, dt, op == "Sigmoid" ? (dt == DataType::kInt8 ? -128 : 0) : 7);
  b.output("y");
  return b.build();
}

TEST(QdqRewrite, UnaryAndPoolToContribOps) {
  // Sigmoid and LeakyRelu are elementwise: their DQ -> op -> Q becomes a lookup table.
  const std::map<std::string, std::string> to = {{"Sigmoid", "Q8Lookup"},
                                                 {"LeakyRelu", "Q8Lookup"},
                                                 {"GlobalAveragePool", "QLinearGlobalAveragePool"},
                                                 {"AveragePool", "QLinearAveragePool"}};
  for (const auto& entry : to)
    for (DataType dt : {DataType::kUint8, DataType::kInt8}) {
      // Named copies: C++17 lambdas cannot capture structured bindings (clang rejects it).
      const std::string op = entry.first, qop = entry.second;
      int n = 0;
      EXPECT_EQ(join(optimized_ops(unary_model(op, dt), true, &n)), "QuantizeLinear " + qop) << op;
      EXPECT_EQ(n, qop == "Q8Lookup" ? 0 : 1);
      expect_same_results([&] { return unary_model(op, dt); }, {{"x", {2, 3, 6, 5}}}, 0.0f);
    }
}

Model concat_model(bool mixed) {
  GraphBuilder b(13);
  b.input("a", {1, 2, 3, 4}).input("c", {1, 3, 3, 4});
  qdq(b, "a", "a", 0.02f, DataType::kUint8, 128);
  qdq(b, "c", "c", 0.01f, mixed ? DataType::kInt8 : DataType::kUint8, mixed ? 0 : 90);
  b.node("Concat", {"a_f", "c_f", "a_f"}, {"cat"}, {attr_int("axis", -3)});
  quant(b, "cat", "y", 0.025f, DataType::kUint8, 120);
  b.output("y");
  return b.build();
}

TEST(QdqRewrite, ConcatToQLinearConcat) {
  int n = 0;
  EXPECT_EQ(join(optimized_ops(concat_model(false), true, &n)), "QuantizeLinear QuantizeLinear QLinearConcat");
  EXPECT_EQ(n, 1);
  expect_same_results([] { return concat_model(false); }, {{"a", {1, 2, 3, 4}}, {"c", {1, 3, 3, 4}}}, 0.0f);
  EXPECT_EQ(join(optimized_ops(concat_model(true), true, &n)), join(optimized_ops(concat_model(true), false)));
  EXPECT_EQ(n, 0);
}

// ---------------------------------------------------------------- data movement

// DQ -> MaxPool -> Q -> DQ -> Transpose -> Q -> ... each with equal parameters (or, with
// `change_scale`, the Reshape's Q on another scale).
Model movement_model(bool change_scale, DataType dt) {
  GraphBuilder b(13);
  b.input("x", {1, 4, 6, 5});
  const int z = dt == DataType::kInt8 ? -5 : 130;
  qdq(b, "x", "x", 0.02f, dt, z);
  b.initializer("shape", Tensor::from_vector<int64_t>({3}, {1, 4, -1}));
  b.initializer("axes", Tensor::from_vector<int64_t>({1}, {0}));
  std::string cur = "x_f";
  struct Step {
    std::string op;
    std::vector<std::string> extra;
    std::vector<Attribute> attrs;
  };
  b.initializer("scales", Tensor::from_vector<float>({4}, {1.0f, 1.0f, 2.0f, 1.5f}));
  const std::vector<Step> steps = {
      {"Resize", {"", "scales"}, {}},  // nearest by default
      {"MaxPool", {}, {attr_ints("kernel_shape", {2, 2}), attr_ints("pads", {1, 1, 0, 0})}},
      {"Transpose", {}, {attr_ints("perm", {0, 2, 3, 1})}},
      {"Reshape", {"shape"}, {}},
      {"Squeeze", {"axes"}, {}},
      {"Unsqueeze", {"axes"}, {}},
      {"Flatten", {}, {attr_int("axis", 2)}},
  };
  for (size_t k = 0; k < steps.size(); ++k) {
    const std::string name = "s" + std::to_string(k);
    std::vector<std::string> ins = {cur};
    ins.insert(ins.end(), steps[k].extra.begin(), steps[k].extra.end());
    b.node(steps[k].op, ins, {name}, steps[k].attrs);
    const float scale = change_scale && steps[k].op == "Reshape" ? 0.03f : 0.02f;
    quant(b, name, name + "_q", scale, dt, z);
    b.output(name + "_q");
    if (k + 1 < steps.size()) {
      b.node("DequantizeLinear", {name + "_q", name + "_q_s", name + "_q_z"}, {name + "_f"});
      cur = name + "_f";
    }
  }
  return b.build();
}

TEST(QdqRewrite, DataMovementOnIntegers) {
  for (DataType dt : {DataType::kUint8, DataType::kInt8}) {
    int n = 0;
    EXPECT_EQ(join(optimized_ops(movement_model(false, dt), true, &n)),
              "QuantizeLinear Resize MaxPool Transpose Reshape Squeeze Unsqueeze Flatten");
    EXPECT_EQ(n, 7);
    expect_same_results([&] { return movement_model(false, dt); }, {{"x", {1, 4, 6, 5}}}, 0.0f);
    // A Reshape whose Q has another scale is a requantization: it stays in float.
    EXPECT_EQ(join(optimized_ops(movement_model(true, dt), true, &n)),
              "QuantizeLinear Resize MaxPool Transpose DequantizeLinear Reshape QuantizeLinear DequantizeLinear Squeeze "
              "QuantizeLinear Unsqueeze Flatten");
    EXPECT_EQ(n, 5);
    expect_same_results([&] { return movement_model(true, dt); }, {{"x", {1, 4, 6, 5}}}, 0.0f);
  }
}

TEST(QdqRewrite, LinearResizeStaysInFloat) {
  // Linear interpolation computes new values: DQ -> Resize -> Q stays as written.
  auto build = [] {
    GraphBuilder b(13);
    b.input("x", {1, 2, 3, 4});
    qdq(b, "x", "x", 0.02f, DataType::kUint8, 120);
    b.initializer("scales", Tensor::from_vector<float>({4}, {1.0f, 1.0f, 2.0f, 2.0f}));
    b.node("Resize", {"x_f", "", "scales"}, {"r"}, {attr_string("mode", "linear")});
    quant(b, "r", "y", 0.02f, DataType::kUint8, 120);
    b.output("y");
    return b.build();
  };
  EXPECT_EQ(join(optimized_ops(build(), true)), "QuantizeLinear DequantizeLinear Resize QuantizeLinear");
}

// ---------------------------------------------------------------- lookup tables (runtime/q8_lookup_fusion.h)

// Runs the model with and without the QDQ passes on 3 seeds of random inputs; outputs must be identical.
void expect_identical_results(const std::function<Model()>& build, const std::map<std::string, Shape>& inputs) {
  auto on = session(build(), true), off = session(build(), false);
  ASSERT_TRUE(on && off);
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    std::map<std::string, Tensor> feeds;
    uint32_t k = 0;
    for (const auto& [name, shape] : inputs) feeds[name] = random_f32(shape, seed * 101 + k++, -6.0f, 6.0f);
    auto a = on->run(feeds), e = off->run(feeds);
    ASSERT_TRUE(a.is_ok() && e.is_ok()) << a.status().to_string() << " / " << e.status().to_string();
    ASSERT_EQ(a->size(), e->size());
    for (size_t o = 0; o < a->size(); ++o) {
      const Tensor& x = (*a)[o];
      const Tensor& y = (*e)[o];
      ASSERT_EQ(x.dtype(), y.dtype()) << "output " << o;
      ASSERT_EQ(x.shape(), y.shape()) << "output " << o;
      int64_t distinct = 0;
      for (int64_t i = 0; i < x.numel(); ++i) {
        ASSERT_EQ(at(x, i), at(y, i)) << "output " << o << " element " << i << " seed " << seed;
        distinct += at(y, i) != at(y, 0);
      }
      EXPECT_GT(distinct, 0) << "output " << o << " is constant";
    }
  }
}

int lookups(Model m) {
  auto r = optimize_graph(m.graph, m.opsets, OptimizerOptions{});
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return r.is_ok() ? r->q8_lookups : -1;
}

// PP-OCR's learnable affine block and hardswish as a QDQ model writes them:
// Q(x) -> DQ -> Mul DQ(w) -> Q -> DQ -> Add b -> Q -> DQ -> Add 3 -> Clip 0..6 -> Q -> DQ -> Mul (with the
// Add b output) -> Q -> DQ -> Div 6 -> Q -> y, y also dequantized.
// float_branch: the Add b output's DQ is also a graph output (a float value leaving the chain).
// wide_constant: the Add 3 constant has shape [1, 1, 1, 1] (broadcasting x of rank 2 to rank 4).
Model hardswish_chain(DataType dt, bool float_branch, bool wide_constant) {
  GraphBuilder b(13);
  const int z = dt == DataType::kInt8 ? -5 : 120;
  b.input("x", {3, 17});
  qdq(b, "x", "x", 0.05f, dt, z);
  const_dq(b, "w", dt == DataType::kInt8 ? i8s(90) : u8s(200), f32s(0.01f), zp(dt, dt == DataType::kInt8 ? 0 : 128));
  b.node("Mul", {"x_f", "w"}, {"m"});
  qdq(b, "m", "m", 0.04f, dt, z);
  b.initializer("bias", f32s(0.3f));
  b.node("Add", {"m_f", "bias"}, {"a"});
  qdq(b, "a", "a", 0.045f, dt, z);
  b.initializer("three", wide_constant ? Tensor::from_vector<float>({1, 1, 1, 1}, {3.0f}) : f32s(3.0f));
  b.node("Add", {"a_f", "three"}, {"a3"});
  b.initializer("lo", f32s(0.0f)).initializer("hi", f32s(6.0f));
  b.node("Clip", {"a3", "lo", "hi"}, {"r6"});
  qdq(b, "r6", "r6", 6.0f / 255, dt, dt == DataType::kInt8 ? -128 : 0);
  b.node("Mul", {"a_f", "r6_f"}, {"p"});
  qdq(b, "p", "p", 0.2f, dt, z);
  b.initializer("six", f32s(6.0f));
  b.node("Div", {"p_f", "six"}, {"hs"});
  quant(b, "hs", "y", 0.03f, dt, z);
  b.initializer("y_dq_s", f32s(0.03f)).initializer("y_dq_z", zp(dt, z));
  b.node("DequantizeLinear", {"y", "y_dq_s", "y_dq_z"}, {"y_f"});
  b.output("y").output("y_f");
  if (float_branch) b.output("a_f");
  return b.build();
}

TEST(QdqRewrite, ElementwiseChainBecomesOneLookup) {
  for (DataType dt : {DataType::kUint8, DataType::kInt8}) {
    EXPECT_EQ(join(optimized_ops(hardswish_chain(dt, false, false), true)), "QuantizeLinear Q8Lookup DequantizeLinear");
    // x's DQ, the 6 float ops, 5 Q and the 4 DQ between them; not the DQ of the output.
    EXPECT_EQ(lookups(hardswish_chain(dt, false, false)), 16);
    expect_identical_results([&] { return hardswish_chain(dt, false, false); }, {{"x", {3, 17}}});
  }
}

TEST(QdqRewrite, LookupRegionStopsAtFloatValuesReadOutside) {
  // a_f is a graph output: the chain splits at Q(a), whose value feeds that DQ and the second lookup.
  EXPECT_EQ(join(optimized_ops(hardswish_chain(DataType::kUint8, true, false), true)),
            "QuantizeLinear Q8Lookup Q8Lookup DequantizeLinear DequantizeLinear");
  expect_identical_results([] { return hardswish_chain(DataType::kUint8, true, false); }, {{"x", {3, 17}}});
}

TEST(QdqRewrite, LookupKeepsTheBroadcastRank) {
  // The [1,1,1,1] constant makes every value after it rank 4: the lookup's output is [1,1,3,17].
  EXPECT_EQ(join(optimized_ops(hardswish_chain(DataType::kUint8, false, true), true)),
            "QuantizeLinear Q8Lookup DequantizeLinear");
  expect_identical_results([] { return hardswish_chain(DataType::kUint8, false, true); }, {{"x", {3, 17}}});
}

TEST(QdqRewrite, LookupNeedsOneElementConstants) {
  // A per-channel multiplier is not a function of one 8-bit value: QLinearMul, not a lookup.
  auto build = [] {
    GraphBuilder b(13);
    b.input("x", {2, 3, 4});
    qdq(b, "x", "x", 0.05f, DataType::kUint8, 120);
    const_dq(b, "w", Tensor::from_vector<uint8_t>({3, 1}, {20, 200, 130}), f32s(0.01f), u8s(128));
    b.node("Mul", {"x_f", "w"}, {"m"});
    quant(b, "m", "y", 0.04f, DataType::kUint8, 120);
    b.output("y");
    return b.build();
  };
  EXPECT_EQ(lookups(build()), 0);
  EXPECT_EQ(join(optimized_ops(build(), true)), "QuantizeLinear QLinearMul");
}

// ---------------------------------------------------------------- session option and report

TEST(QdqRewrite, SessionReportsRewrittenNodes) {
  auto on = session(conv_model(ConvCase{}), true);
  auto off = session(conv_model(ConvCase{}), false);
  ASSERT_TRUE(on && off);
  EXPECT_EQ(on->optimizer_report().qdq_rewritten, 1);
  EXPECT_EQ(off->optimizer_report().qdq_rewritten, 0);
  SessionOptions o;
  o.optimize = false;
  auto plain = Session::create(conv_model(ConvCase{}), o);
  ASSERT_TRUE(plain.is_ok());
  EXPECT_EQ((*plain)->optimizer_report().qdq_rewritten, 0);
}

}  // namespace
}  // namespace edgeinfer
