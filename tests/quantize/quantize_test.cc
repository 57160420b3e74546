// edgeinfer quantize on small models built here: every mode's output loads in the runtime and stays
// within an error bound derived from the scales it chose; weights are stored as int8; bad input is
// reported naming what is wrong; the CLI end to end.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "cli_runner.h"
#include "core/npy.h"
#include "graph_builder.h"
#include "onnx/onnx_loader.h"
#include "onnx/onnx_writer.h"
#include "quantize/quant_math.h"
#include "quantize/quantize.h"
#include "runtime/session.h"
#include "test_util.h"

namespace edgeinfer::quant {
namespace {

using testing::attr_float;
using testing::attr_int;
using testing::attr_ints;
using testing::random_f32;

// --------------------------------------------------------------------------------------- helpers
std::vector<Tensor> run(const Model& m, const Sample& s) {
  auto session = Session::create(m, SessionOptions{});
  EXPECT_TRUE(session.is_ok()) << session.status().to_string();
  if (!session.is_ok()) return {};
  auto out = session.value()->run(s);
  EXPECT_TRUE(out.is_ok()) << out.status().to_string();
  return out.is_ok() ? std::move(out).value() : std::vector<Tensor>{};
}

// The model survives the ONNX writer and loader (what the CLI writes is what we test).
Model round_trip(const Model& m) {
  auto bytes = save_onnx_model(m);
  EXPECT_TRUE(bytes.is_ok());
  auto back = load_onnx_model(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size());
  EXPECT_TRUE(back.is_ok()) << back.status().to_string();
  return std::move(back).value();
}

double rel_err(const Model& a, const Model& b, const std::vector<Sample>& samples) {
  auto r = output_relative_error(a, b, samples);
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return r.is_ok() ? r.value() : INFINITY;
}

size_t onnx_size(const Model& m) {
  auto r = save_onnx_model(m);
  EXPECT_TRUE(r.is_ok());
  return r.is_ok() ? r->size() : 0;
}

int count_op(const Model& m, const std::string& op) {
  int n = 0;
  for (const Node& node : m.graph.nodes) n += node.op_type == op;
  return n;
}

const Tensor* init(const Model& m, const std::string& name) {
  const int id = m.graph.find_value(name);
  if (id < 0 || !m.graph.values[static_cast<size_t>(id)].is_initializer) return nullptr;
  return &m.graph.values[static_cast<size_t>(id)].initializer;
}

std::vector<float> floats(const Tensor& t) { return std::vector<float>(t.data<float>(), t.data<float>() + t.numel()); }

float max_abs(const Tensor& t) {
  float m = 0;
  for (int64_t i = 0; i < t.numel(); ++i) m = std::max(m, std::fabs(t.data<float>()[i]));
  return m;
}

// Largest |x - dequantize(quantize(x))| with the model's parameters for tensor `name` (rounding and
// clipping at the calibrated range).
float fake_quant_error(const Model& q, const std::string& name, const Tensor& x) {
  const Tensor* s = init(q, name + "_scale");
  const Tensor* z = init(q, name + "_zero_point");
  EXPECT_TRUE(s && z) << "no quantization parameters for " << name;
  if (!s || !z) return INFINITY;
  QParams p;
  p.dtype = z->dtype();
  p.scale = {s->data<float>()[0]};
  p.zero_point = {static_cast<int32_t>(get_int(*z, 0))};
  auto qt = quantize_tensor(x, p);
  auto back = dequantize_tensor(*qt, p);
  float e = 0;
  for (int64_t i = 0; i < x.numel(); ++i) e = std::max(e, std::fabs(back->data<float>()[i] - x.data<float>()[i]));
  return e;
}

float max_scale(const Model& q, const std::string& name) {
  const Tensor* s = init(q, name + "_scale");
  if (!s) return 0.0f;
  float m = 0;
  for (float v : floats(*s)) m = std::max(m, v);
  return m;
}

// Bound on |y_quantized - y| for y = sum_k w_k x_k + b over K terms, from the quantization steps:
// |w||dx| + |x||dw| + |dx||dw| per term, |db| <= s_b / 2, and, when the output is quantized, the
// output step s_y plus how far fp32 y itself is from its quantized value (rounding and clipping).
struct Bound {
  double k, wmax, xmax, dx, dw, db, out;
  double value() const { return k * (wmax * dx + xmax * dw + dx * dw) + db + out; }
};

// --------------------------------------------------------------------------------------- models
Model conv_model(int64_t opset = 13) {
  GraphBuilder b(opset);
  b.input("x", {1, 3, 9, 9})
      .initializer("w", random_f32({8, 3, 3, 3}, 11, -0.5f, 0.5f))
      .initializer("b", random_f32({8}, 12, -0.2f, 0.2f))
      .node("Conv", {"x", "w", "b"}, {"y"}, {attr_ints("pads", {1, 1, 1, 1})})
      .output("y");
  // Scale the weights per output channel very differently, so per-channel quantization matters.
  Model m = b.build();
  Tensor& w = m.graph.values[static_cast<size_t>(m.graph.find_value("w"))].initializer;
  for (int64_t i = 0; i < w.numel(); ++i) w.data<float>()[i] *= (i / 27 == 0) ? 8.0f : 1.0f;
  return m;
}

Model matmul_model(int64_t k = 32, int64_t n = 16) {
  GraphBuilder b(13);
  b.input("x", {4, k}).initializer("w", random_f32({k, n}, 21)).node("MatMul", {"x", "w"}, {"y"}).output("y");
  return b.build();
}

// Conv -> Relu -> MaxPool -> Conv -> Add(skip) -> Sigmoid -> Concat -> GlobalAveragePool -> Flatten
// -> MatMul: a chain through every quantized op family.
Model cnn_model() {
  GraphBuilder b(13);
  b.input("x", {1, 3, 12, 12})
      .initializer("w1", random_f32({8, 3, 3, 3}, 31, -0.4f, 0.4f))
      .initializer("b1", random_f32({8}, 32, -0.1f, 0.1f))
      .initializer("w2", random_f32({8, 8, 3, 3}, 33, -0.2f, 0.2f))
      .initializer("b2", random_f32({8}, 34, -0.1f, 0.1f))
      .initializer("wf", random_f32({16, 5}, 35))
      .node("Conv", {"x", "w1", "b1"}, {"c1"}, {attr_ints("pads", {1, 1, 1, 1})})
      .node("Relu", {"c1"}, {"r1"})
      .node("MaxPool", {"r1"}, {"p1"}, {attr_ints("kernel_shape", {2, 2}), attr_ints("strides", {2, 2})})
      .node("Conv", {"p1", "w2", "b2"}, {"c2"}, {attr_ints("pads", {1, 1, 1, 1})})
      .node("Add", {"c2", "p1"}, {"a2"})
      .node("Sigmoid", {"a2"}, {"s2"})
      .node("LeakyRelu", {"c2"}, {"l2"}, {attr_float("alpha", 0.1f)})
      .node("Concat", {"s2", "l2"}, {"cat"}, {attr_int("axis", 1)})
      .node("GlobalAveragePool", {"cat"}, {"gap"})
      .node("Flatten", {"gap"}, {"flat"})
      .node("MatMul", {"flat", "wf"}, {"y"})
      .output("y");
  return b.build();
}

std::vector<Sample> samples_for(const std::string& name, const Shape& shape, int n, uint32_t seed, float lo = -1.0f,
                                float hi = 1.0f) {
  std::vector<Sample> s;
  for (int i = 0; i < n; ++i) s.push_back({{name, random_f32(shape, seed + static_cast<uint32_t>(i), lo, hi)}});
  return s;
}

struct Mode {
  Format format;
  bool per_channel;
  DataType act;
  Method method;
};

std::string mode_name(const Mode& m) {
  return std::string(m.format == Format::kQDQ ? "qdq" : "qop") + (m.per_channel ? "_pc" : "_pt") +
         (m.act == DataType::kUint8 ? "_u8" : "_s8") +
         (m.method == Method::kMinMax ? "_minmax" : m.method == Method::kPercentile ? "_pct" : "_entropy");
}

const Mode kModes[] = {
    {Format::kQDQ, false, DataType::kUint8, Method::kMinMax},
    {Format::kQDQ, true, DataType::kUint8, Method::kMinMax},
    {Format::kQDQ, true, DataType::kInt8, Method::kMinMax},
    {Format::kQDQ, false, DataType::kInt8, Method::kPercentile},
    {Format::kQDQ, true, DataType::kUint8, Method::kEntropy},
    {Format::kQOperator, false, DataType::kUint8, Method::kMinMax},
    {Format::kQOperator, true, DataType::kUint8, Method::kMinMax},
    {Format::kQOperator, true, DataType::kInt8, Method::kMinMax},
    {Format::kQOperator, false, DataType::kUint8, Method::kPercentile},
    {Format::kQOperator, true, DataType::kInt8, Method::kEntropy},
};

// --------------------------------------------------------------------------------------- single layers
TEST(Quantize, ConvEveryModeWithinScaleDerivedBound) {
  const Model fp = conv_model();
  const auto calib = samples_for("x", {1, 3, 9, 9}, 4, 100);
  for (const Mode& md : kModes) {
    SCOPED_TRACE(mode_name(md));
    QuantizeOptions o;
    o.format = md.format;
    o.per_channel = md.per_channel;
    o.activations = md.act;
    o.method = md.method;
    QuantizeReport rep;
    auto q = quantize_model(fp, calib, o, &rep);
    ASSERT_TRUE(q.is_ok()) << q.status().to_string();
    const Model qm = round_trip(*q);
    EXPECT_EQ(rep.quantized_nodes, 1);
    // The weights are stored as int8, the bias as int32; no float copy of either is left.
    const Tensor* wq = init(qm, "w_quantized");
    ASSERT_NE(wq, nullptr);
    EXPECT_EQ(wq->dtype(), DataType::kInt8);
    ASSERT_NE(init(qm, "b_quantized"), nullptr);
    EXPECT_EQ(init(qm, "b_quantized")->dtype(), DataType::kInt32);
    EXPECT_EQ(init(qm, "w"), nullptr);
    EXPECT_EQ(init(qm, "b"), nullptr);
    EXPECT_EQ(init(qm, "w_scale")->numel(), md.per_channel ? 8 : 1);
    if (md.act == DataType::kInt8) {
      EXPECT_EQ(get_int(*init(qm, "x_zero_point"), 0), 0);
    }
    if (md.format == Format::kQDQ) {
      EXPECT_EQ(count_op(qm, "Conv"), 1);
      EXPECT_EQ(count_op(qm, "QuantizeLinear"), 1);
      EXPECT_EQ(count_op(qm, "DequantizeLinear"), 3);  // x, w, b
      EXPECT_GE(qm.opset(""), md.per_channel ? 13 : 10);
    } else {
      EXPECT_EQ(count_op(qm, "Conv"), 0);
      EXPECT_EQ(count_op(qm, "QLinearConv"), 1);
    }
    const Tensor* ws = init(qm, "w_scale");
    for (const Sample& s : calib) {
      const Tensor& x = s.at("x");
      const Tensor ref = run(fp, s)[0];
      const Tensor got = run(qm, s)[0];
      Bound bd{27, max_abs(fp.graph.values[static_cast<size_t>(fp.graph.find_value("w"))].initializer), max_abs(x),
               fake_quant_error(qm, "x", x), max_scale(qm, "w") / 2, 0, 0};
      const float sx = init(qm, "x_scale")->data<float>()[0];
      bd.db = sx * max_scale(qm, "w") / 2;  // bias step x_scale * w_scale
      if (md.format == Format::kQOperator) bd.out = max_scale(qm, "y") + fake_quant_error(qm, "y", ref);
      ASSERT_EQ(got.numel(), ref.numel());
      // Per-channel: each output channel has its own weight step, so check channel by channel.
      const int64_t plane = 81;
      for (int64_t c = 0; c < 8; ++c) {
        Bound bc = bd;
        if (md.per_channel) {
          bc.dw = ws->data<float>()[c] / 2;
          bc.db = sx * ws->data<float>()[c] / 2;
        }
        const double limit = bc.value() * (1 + 1e-5) + 1e-6;
        double worst = 0;
        for (int64_t i = c * plane; i < (c + 1) * plane; ++i)
          worst = std::max(worst, static_cast<double>(std::fabs(got.data<float>()[i] - ref.data<float>()[i])));
        EXPECT_LE(worst, limit) << "channel " << c;
        EXPECT_GT(worst, 0.0) << "channel " << c << ": no quantization error at all";
      }
    }
  }
}

TEST(Quantize, PerChannelBeatsPerTensorOnUnevenChannels) {
  const Model fp = conv_model();
  const auto calib = samples_for("x", {1, 3, 9, 9}, 2, 200);
  QuantizeOptions pt, pc;
  pc.per_channel = true;
  auto a = quantize_model(fp, calib, pt);
  auto b = quantize_model(fp, calib, pc);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_LT(rel_err(fp, *b, calib), rel_err(fp, *a, calib));
}

TEST(Quantize, MatMulEveryModeWithinScaleDerivedBound) {
  const Model fp = matmul_model();
  const auto calib = samples_for("x", {4, 32}, 3, 300, -2.0f, 1.0f);
  const Tensor& w = fp.graph.values[static_cast<size_t>(fp.graph.find_value("w"))].initializer;
  for (const Mode& md : kModes) {
    SCOPED_TRACE(mode_name(md));
    QuantizeOptions o;
    o.format = md.format;
    o.per_channel = md.per_channel;
    o.activations = md.act;
    o.method = md.method;
    auto q = quantize_model(fp, calib, o);
    ASSERT_TRUE(q.is_ok()) << q.status().to_string();
    const Model qm = round_trip(*q);
    EXPECT_EQ(count_op(qm, md.format == Format::kQDQ ? "MatMul" : "QLinearMatMul"), 1);
    EXPECT_EQ(init(qm, "w_quantized")->dtype(), DataType::kInt8);
    EXPECT_EQ(init(qm, "w_scale")->numel(), md.per_channel ? 16 : 1);
    for (const Sample& s : calib) {
      const Tensor ref = run(fp, s)[0], got = run(qm, s)[0];
      Bound bd{32, max_abs(w), max_abs(s.at("x")), fake_quant_error(qm, "x", s.at("x")), max_scale(qm, "w") / 2, 0, 0};
      if (md.format == Format::kQOperator) bd.out = max_scale(qm, "y") + fake_quant_error(qm, "y", ref);
      double worst = 0;
      for (int64_t i = 0; i < ref.numel(); ++i)
        worst = std::max(worst, static_cast<double>(std::fabs(got.data<float>()[i] - ref.data<float>()[i])));
      EXPECT_LE(worst, bd.value() * (1 + 1e-5) + 1e-6);
      EXPECT_GT(worst, 0.0);
    }
  }
}

TEST(Quantize, DynamicMatMulAndGemmWithinScaleDerivedBound) {
  GraphBuilder b(9);  // DynamicQuantizeLinear needs opset 11: raised on the way
  b.input("x", {3, 24})
      .initializer("w", random_f32({24, 10}, 41))
      .initializer("wt", random_f32({6, 10}, 42))  // Gemm B transposed: [N, K]
      .initializer("c", random_f32({6}, 43))
      .node("MatMul", {"x", "w"}, {"h"})
      .node("Gemm", {"h", "wt", "c"}, {"y"}, {attr_int("transB", 1), attr_float("alpha", 0.5f), attr_float("beta", 2.0f)})
      .output("h")
      .output("y");
  const Model fp = b.build();
  const auto data = samples_for("x", {3, 24}, 2, 400);
  for (bool pc : {false, true}) {
    SCOPED_TRACE(pc ? "per-channel" : "per-tensor");
    QuantizeOptions o;
    o.dynamic = true;
    o.per_channel = pc;
    QuantizeReport rep;
    auto q = quantize_model(fp, {}, o, &rep);  // no calibration needed
    ASSERT_TRUE(q.is_ok()) << q.status().to_string();
    const Model qm = round_trip(*q);
    EXPECT_EQ(rep.quantized_nodes, 2);
    EXPECT_EQ(count_op(qm, "DynamicQuantizeLinear"), 2);
    EXPECT_EQ(count_op(qm, "MatMulInteger"), 2);
    EXPECT_EQ(count_op(qm, "MatMul") + count_op(qm, "Gemm"), 0);
    EXPECT_GE(qm.opset(""), 11);
    EXPECT_EQ(init(qm, "w_quantized")->dtype(), DataType::kInt8);
    EXPECT_EQ(init(qm, "w_scale")->numel(), pc ? 10 : 1);
    for (const Sample& s : data) {
      const auto ref = run(fp, s), got = run(qm, s);
      ASSERT_EQ(got.size(), 2u);
      // First layer: x quantized at run time over its own range (step sx), weights with step sw.
      const Tensor& x = s.at("x");
      float lo = 0, hi = 0;
      for (int64_t i = 0; i < x.numel(); ++i) lo = std::min(lo, x.data<float>()[i]), hi = std::max(hi, x.data<float>()[i]);
      const double sx = (hi - lo) / 255.0;
      const Tensor& w = fp.graph.values[static_cast<size_t>(fp.graph.find_value("w"))].initializer;
      Bound bd{24, max_abs(w), max_abs(x), sx / 2, max_scale(qm, "w") / 2, 0, 0};
      double worst = 0;
      for (int64_t i = 0; i < ref[0].numel(); ++i)
        worst = std::max(worst, static_cast<double>(std::fabs(got[0].data<float>()[i] - ref[0].data<float>()[i])));
      EXPECT_LE(worst, bd.value() * (1 + 1e-4) + 1e-5);
      EXPECT_GT(worst, 0.0);
      // Second layer (Gemm, alpha 0.5, beta 2, transB): relative error of the same order as the first.
      auto rel = [](const Tensor& a, const Tensor& r) {
        double e = 0, n = 0;
        for (int64_t i = 0; i < r.numel(); ++i) {
          e += std::pow(a.data<float>()[i] - r.data<float>()[i], 2);
          n += std::pow(r.data<float>()[i], 2);
        }
        return std::sqrt(e / n);
      };
      EXPECT_LT(rel(got[1], ref[1]), 4 * rel(got[0], ref[0]) + 0.01);
    }
  }
}

TEST(Quantize, EntropyAndPercentileClipRareOutliers) {
  // 10 samples of 64x32 values in [-1, 1] with one outlier of +-50 each: populated histograms.
  const Model fp = matmul_model();
  GraphBuilder b(13);
  b.input("x", {64, 32}).initializer("w", random_f32({32, 16}, 21)).node("MatMul", {"x", "w"}, {"y"}).output("y");
  const Model m = b.build();
  std::vector<Sample> calib;
  for (int i = 0; i < 10; ++i) {
    Tensor x = random_f32({64, 32}, 1000 + static_cast<uint32_t>(i));
    x.data<float>()[(i * 97) % 2048] = (i % 2 ? 50.0f : -50.0f);
    calib.push_back({{"x", x}});
  }
  QuantizeOptions mm;
  auto qm = quantize_model(m, calib, mm);
  ASSERT_TRUE(qm.is_ok());
  const float minmax_scale = init(*qm, "x_scale")->data<float>()[0];
  EXPECT_NEAR(minmax_scale, 100.0f / 255.0f, 1e-3);
  for (Method method : {Method::kPercentile, Method::kEntropy}) {
    QuantizeOptions o;
    o.method = method;
    o.percentile = 99.9;
    auto q = quantize_model(m, calib, o);
    ASSERT_TRUE(q.is_ok());
    const float sx = init(*q, "x_scale")->data<float>()[0];
    // Percentile 99.9 lands in the dense part; the KL search starts at 128 of 2048 bins (max / 16).
    EXPECT_LT(sx, minmax_scale / (method == Method::kPercentile ? 20 : 8))
        << (method == Method::kPercentile ? "percentile" : "entropy");
    EXPECT_GT(sx, 1.5f / 255.0f);  // the dense part [-1, 1] is kept
    // Rows without the outlier: the scale-derived bound holds; the outlier's row is clipped.
    const Tensor ref = run(m, calib[0])[0], got = run(*q, calib[0])[0];
    const Tensor& x = calib[0].at("x");
    const Tensor& w = m.graph.values[static_cast<size_t>(m.graph.find_value("w"))].initializer;
    Bound bd{32, max_abs(w), 1.0, sx / 2, max_scale(*q, "w") / 2, 0, 0};
    for (int64_t r = 1; r < 64; ++r) {  // row 0 holds sample 0's outlier (index 0)
      for (int64_t c = 0; c < 16; ++c) {
        const int64_t i = r * 16 + c;
        EXPECT_LE(std::fabs(got.data<float>()[i] - ref.data<float>()[i]), bd.value() * (1 + 1e-5) + 1e-6);
      }
    }
    EXPECT_GT(std::fabs(x.data<float>()[0]), 49.0f);
  }
}

// --------------------------------------------------------------------------------------- chains
TEST(Quantize, CnnChainBothFormatsRunAndStayClose) {
  const Model fp = cnn_model();
  const auto calib = samples_for("x", {1, 3, 12, 12}, 4, 500, 0.0f, 1.0f);
  for (const Mode& md : kModes) {
    SCOPED_TRACE(mode_name(md));
    QuantizeOptions o;
    o.format = md.format;
    o.per_channel = md.per_channel;
    o.activations = md.act;
    o.method = md.method;
    QuantizeReport rep;
    auto q = quantize_model(fp, calib, o, &rep);
    ASSERT_TRUE(q.is_ok()) << q.status().to_string();
    const Model qm = round_trip(*q);
    if (md.format == Format::kQOperator) {
      EXPECT_EQ(count_op(qm, "QLinearConv"), 2);
      EXPECT_EQ(count_op(qm, "QLinearAdd"), 1);
      EXPECT_EQ(count_op(qm, "QLinearSigmoid"), 1);
      EXPECT_EQ(count_op(qm, "QLinearLeakyRelu"), 1);
      EXPECT_EQ(count_op(qm, "QLinearConcat"), 1);
      EXPECT_EQ(count_op(qm, "QLinearGlobalAveragePool"), 1);
      EXPECT_EQ(count_op(qm, "QLinearMatMul"), 1);
      EXPECT_EQ(count_op(qm, "Conv") + count_op(qm, "Add") + count_op(qm, "MatMul"), 0);
      EXPECT_EQ(qm.opset("com.microsoft"), 1);
      // uint8: only at the entry (the Relu folds into the first QLinearConv's output range); int8
      // (symmetric, negatives kept): also after the Relu, which stays float in QOperator.
      EXPECT_EQ(count_op(qm, "QuantizeLinear"), md.act == DataType::kUint8 ? 1 : 2);
      EXPECT_EQ(count_op(qm, "MaxPool"), 1);  // on uint8/int8 directly
    } else {
      EXPECT_EQ(count_op(qm, "Conv"), 2);
      EXPECT_GT(count_op(qm, "QuantizeLinear"), 5);
    }
    EXPECT_EQ(count_op(qm, "Relu"), md.act == DataType::kUint8 ? 0 : 1);
    // The measured error equals the one reported, and 8-bit quantization of ~8 layers stays within a
    // few percent (each 8-bit step contributes about 1/255 of its range).
    const double err = rel_err(fp, qm, calib);
    EXPECT_NEAR(err, rep.output_rel_error, 1e-6);
    EXPECT_LT(err, 0.05);
    EXPECT_GT(err, 0.0);
  }
}

TEST(Quantize, WeightDominatedModelShrinksAboutFourTimes) {
  const Model fp = matmul_model(256, 256);
  const auto calib = samples_for("x", {4, 256}, 2, 600);
  for (Format f : {Format::kQDQ, Format::kQOperator}) {
    QuantizeOptions o;
    o.format = f;
    o.per_channel = true;
    auto q = quantize_model(fp, calib, o);
    ASSERT_TRUE(q.is_ok());
    const size_t before = onnx_size(fp), after = onnx_size(*q);
    EXPECT_LT(static_cast<double>(after), 0.27 * before) << before << " -> " << after;
    EXPECT_GT(static_cast<double>(after), 0.24 * before) << before << " -> " << after;
  }
}

TEST(Quantize, ExcludedNodesStayFloat) {
  const Model fp = cnn_model();
  const auto calib = samples_for("x", {1, 3, 12, 12}, 2, 700, 0.0f, 1.0f);
  for (Format f : {Format::kQDQ, Format::kQOperator}) {
    QuantizeOptions all, ex;
    all.format = ex.format = f;
    ex.exclude = {"Conv_3", "MatMul_10"};
    QuantizeReport ra, re;
    auto qa = quantize_model(fp, calib, all, &ra);
    auto qe = quantize_model(fp, calib, ex, &re);
    ASSERT_TRUE(qa.is_ok() && qe.is_ok()) << qe.status().to_string();
    EXPECT_EQ(re.quantized_nodes, ra.quantized_nodes - 2);
    EXPECT_EQ(re.excluded, ex.exclude);
    // The excluded nodes are there under their names, reading the float weights.
    for (const std::string& name : ex.exclude) {
      const Node* n = nullptr;
      for (const Node& node : qe->graph.nodes)
        if (node.name == name) n = &node;
      ASSERT_NE(n, nullptr) << name;
      const Value& w = qe->graph.values[static_cast<size_t>(n->inputs[1])];
      EXPECT_TRUE(w.is_initializer);
      EXPECT_EQ(w.initializer.dtype(), DataType::kFloat32);
    }
    EXPECT_LT(rel_err(fp, *qe, calib), 0.05);
  }
  QuantizeOptions bad;
  bad.exclude = {"no_such_node"};
  auto r = quantize_model(fp, calib, bad);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("'no_such_node'"), std::string::npos);
  EXPECT_NE(r.status().message().find("Conv_0"), std::string::npos) << r.status().message();
}

TEST(Quantize, OpTypesLimitWhatIsQuantized) {
  const Model fp = cnn_model();
  const auto calib = samples_for("x", {1, 3, 12, 12}, 2, 750, 0.0f, 1.0f);
  QuantizeOptions o;
  o.op_types = {"Conv"};
  QuantizeReport rep;
  auto q = quantize_model(fp, calib, o, &rep);
  ASSERT_TRUE(q.is_ok()) << q.status().to_string();
  EXPECT_EQ(rep.quantized_nodes, 2);
  EXPECT_EQ(count_op(*q, "QuantizeLinear"), 4);  // inputs and outputs of the two Convs, nothing else
  EXPECT_EQ(count_op(*q, "Relu"), 1);
  o.op_types = {"Softmax"};
  auto bad = quantize_model(fp, calib, o);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("--op-types 'Softmax'"), std::string::npos) << bad.status().message();
}

TEST(Quantize, AutoKeepsTheMostSensitiveLayersUntilTheTargetIsMet) {
  // The second conv reads a tensor with one huge outlier channel: quantizing it per tensor hurts.
  Model fp = cnn_model();
  {
    Tensor& w1 = fp.graph.values[static_cast<size_t>(fp.graph.find_value("w1"))].initializer;
    for (int64_t i = 0; i < 27; ++i) w1.data<float>()[i] *= 60.0f;
  }
  const auto calib = samples_for("x", {1, 3, 12, 12}, 3, 800, 0.0f, 1.0f);
  QuantizeOptions plain;
  QuantizeReport r0;
  auto q0 = quantize_model(fp, calib, plain, &r0);
  ASSERT_TRUE(q0.is_ok());
  ASSERT_GT(r0.output_rel_error, 0.002);
  for (Format f : {Format::kQDQ, Format::kQOperator}) {
    QuantizeOptions o;
    o.format = f;
    o.auto_exclude = true;
    o.target = r0.output_rel_error / 3;
    QuantizeReport rep;
    auto q = quantize_model(fp, calib, o, &rep);
    ASSERT_TRUE(q.is_ok()) << q.status().to_string();
    EXPECT_FALSE(rep.kept_float.empty());
    EXPECT_LE(rep.output_rel_error, o.target);
    EXPECT_NEAR(rel_err(fp, *q, calib), rep.output_rel_error, 1e-6);
    EXPECT_GT(rep.quantized_nodes, 0) << "auto kept everything in float";
    EXPECT_EQ(rep.layer_sensitivity.size(), rep.quantized_nodes + rep.kept_float.size());
  }
  // A target already met keeps nothing.
  QuantizeOptions loose;
  loose.auto_exclude = true;
  loose.target = 0.5;
  QuantizeReport rl;
  ASSERT_TRUE(quantize_model(fp, calib, loose, &rl).is_ok());
  EXPECT_TRUE(rl.kept_float.empty());
}

TEST(Quantize, ShapeArithmeticAndIntegerTensorsAreLeftAlone) {
  // Add/Concat on int64 shape values must not be quantized.
  GraphBuilder b(13);
  b.input("x", {2, 6})
      .initializer("w", random_f32({6, 4}, 51))
      .initializer("one", Tensor::from_vector<int64_t>({1}, {0}))
      .node("MatMul", {"x", "w"}, {"h"})
      .node("Shape", {"h"}, {"s"})
      .node("Add", {"s", "one"}, {"s2"})
      .node("Reshape", {"h", "s2"}, {"y"})
      .output("y");
  const Model fp = b.build();
  const auto calib = samples_for("x", {2, 6}, 2, 900);
  for (Format f : {Format::kQDQ, Format::kQOperator}) {
    QuantizeOptions o;
    o.format = f;
    QuantizeReport rep;
    auto q = quantize_model(fp, calib, o, &rep);
    ASSERT_TRUE(q.is_ok()) << q.status().to_string();
    EXPECT_EQ(rep.quantized_nodes, 2);  // MatMul and Reshape
    EXPECT_LT(rel_err(fp, *q, calib), 0.02);
  }
}

TEST(Quantize, ConstantsSharedWithNonActivationInputsStayExact) {
  // `six` is an activation input of the Mul (stored quantized there) and Clip's max (must stay float).
  GraphBuilder b(13);
  b.input("x", {2, 8})
      .initializer("six", Tensor::from_vector<float>({}, {6.0f}))
      .initializer("zero", Tensor::from_vector<float>({}, {0.0f}))
      .node("Mul", {"x", "six"}, {"m"})
      .node("Clip", {"m", "zero", "six"}, {"y"})
      .output("y");
  const Model fp = b.build();
  const auto calib = samples_for("x", {2, 8}, 2, 1100, -2.0f, 2.0f);
  QuantizeOptions o;
  o.activations = DataType::kInt8;  // no Relu/Clip folding: the Clip node stays
  auto q = quantize_model(fp, calib, o);
  ASSERT_TRUE(q.is_ok()) << q.status().to_string();
  const Node* clip = nullptr;
  for (const Node& n : q->graph.nodes)
    if (n.op_type == "Clip") clip = &n;
  ASSERT_NE(clip, nullptr);
  EXPECT_EQ(q->graph.values[static_cast<size_t>(clip->inputs[2])].name, "six");
  EXPECT_EQ(q->graph.values[static_cast<size_t>(clip->inputs[1])].name, "zero");
  EXPECT_NE(q->graph.find_value("six_quantized"), -1);  // the Mul's copy
}

// --------------------------------------------------------------------------------------- opsets
TEST(Quantize, RaisingTheOpsetConvertsChangedOps) {
  GraphBuilder b(11);
  b.input("x", {2, 3, 4})
      .initializer("w", random_f32({4, 5}, 61))
      .node("MatMul", {"x", "w"}, {"h"})
      .node("Unsqueeze", {"h"}, {"u"}, {attr_ints("axes", {0})})
      .node("Squeeze", {"u"}, {"sq"}, {attr_ints("axes", {0})})
      .node("Softmax", {"sq"}, {"sm"}, {attr_int("axis", 1)})  // opset 11: softmax over dims 1.. flattened
      .node("ReduceSum", {"sm"}, {"y"}, {attr_ints("axes", {2}), attr_int("keepdims", 0)})
      .output("sm")
      .output("y");
  const Model fp = b.build();
  Model raised = fp;
  ASSERT_TRUE(raise_opset(raised, 13).is_ok());
  EXPECT_EQ(raised.opset(""), 13);
  const Sample s{{"x", random_f32({2, 3, 4}, 62)}};
  const auto a = run(fp, s), c = run(round_trip(raised), s);
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_TENSOR_NEAR(c[0], a[0], 1e-6f, 1e-6f);
  EXPECT_TENSOR_NEAR(c[1], a[1], 1e-6f, 1e-6f);
  // Per-channel QDQ raises it on the way.
  QuantizeOptions o;
  o.per_channel = true;
  QuantizeReport rep;
  auto q = quantize_model(fp, {s}, o, &rep);
  ASSERT_TRUE(q.is_ok()) << q.status().to_string();
  EXPECT_EQ(rep.original_opset, 11);
  EXPECT_EQ(rep.opset, 13);

  GraphBuilder old(10);
  old.input("x", {1, 4})
      .initializer("w", random_f32({4, 4}, 63))
      .node("MatMul", {"x", "w"}, {"h"})
      .node("Clip", {"h"}, {"y"}, {attr_float("min", 0.0f), attr_float("max", 6.0f)})
      .output("y");
  const Model old_model = old.build();
  auto r = quantize_model(old_model, {{{"x", random_f32({1, 4}, 64)}}}, o);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("Clip"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("opset"), std::string::npos);
  // Per tensor needs only opset 10: no conversion, no refusal.
  QuantizeOptions pt;
  EXPECT_TRUE(quantize_model(old_model, {{{"x", random_f32({1, 4}, 64)}}}, pt).is_ok());
}

TEST(Quantize, BadOptionsAndInputs) {
  const Model fp = matmul_model();
  QuantizeOptions o;
  auto r = quantize_model(fp, {}, o);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("calibration"), std::string::npos);
  o.method = Method::kPercentile;
  o.percentile = 0;
  EXPECT_FALSE(quantize_model(fp, samples_for("x", {4, 32}, 1, 1), o).is_ok());
  // NaN in an activation is named.
  Tensor x = random_f32({4, 32}, 2);
  x.data<float>()[5] = NAN;
  QuantizeOptions d;
  auto n = quantize_model(fp, {{{"x", x}}}, d);
  ASSERT_FALSE(n.is_ok());
  EXPECT_NE(n.status().message().find("'x'"), std::string::npos) << n.status().message();
  // An already quantized model is refused.
  auto q = quantize_model(fp, samples_for("x", {4, 32}, 1, 3), d);
  ASSERT_TRUE(q.is_ok());
  auto again = quantize_model(*q, samples_for("x", {4, 32}, 1, 3), d);
  ASSERT_FALSE(again.is_ok());
  EXPECT_NE(again.status().message().find("already quantized"), std::string::npos);
}

// --------------------------------------------------------------------------------------- calibration folders
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/edgeinfer_quantize_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(QuantizeCalibration, FolderLayoutsAndErrors) {
  const Model fp = matmul_model();
  TempDir t;
  const std::string d = t.path();
  // One sample: DIR/x.npy.
  ASSERT_TRUE(write_npy(d + "/x.npy", random_f32({4, 32}, 1)).is_ok());
  auto one = load_calibration_dir(d, fp);
  ASSERT_TRUE(one.is_ok()) << one.status().to_string();
  EXPECT_EQ(one->size(), 1u);
  // Subfolders: one sample each (the top-level file is then ignored, being no sample).
  std::remove((d + "/x.npy").c_str());
  for (int i = 0; i < 3; ++i) {
    mkdir((d + "/" + std::to_string(i)).c_str(), 0755);
    ASSERT_TRUE(write_npy(d + "/" + std::to_string(i) + "/x.npy", random_f32({4, 32}, 10 + i)).is_ok());
  }
  auto three = load_calibration_dir(d, fp);
  ASSERT_TRUE(three.is_ok());
  EXPECT_EQ(three->size(), 3u);
  // Missing file: names the folder, the file and the input's type.
  mkdir((d + "/3").c_str(), 0755);
  auto missing = load_calibration_dir(d, fp);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("/3: missing x.npy"), std::string::npos) << missing.status().message();
  EXPECT_NE(missing.status().message().find("float32 [4,32]"), std::string::npos) << missing.status().message();
  // Wrong shape, wrong dtype, a file for no input.
  ASSERT_TRUE(write_npy(d + "/3/x.npy", random_f32({4, 31}, 5)).is_ok());
  auto shape = load_calibration_dir(d, fp);
  ASSERT_FALSE(shape.is_ok());
  EXPECT_NE(shape.status().message().find("shape [4,31] does not fit input 'x' [4,32]"), std::string::npos)
      << shape.status().message();
  ASSERT_TRUE(write_npy(d + "/3/x.npy", Tensor::from_vector<int32_t>({4, 32}, std::vector<int32_t>(128, 1))).is_ok());
  auto dtype = load_calibration_dir(d, fp);
  ASSERT_FALSE(dtype.is_ok());
  EXPECT_NE(dtype.status().message().find("dtype int32, but input 'x' is float32"), std::string::npos)
      << dtype.status().message();
  ASSERT_TRUE(write_npy(d + "/3/x.npy", random_f32({4, 32}, 5)).is_ok());
  ASSERT_TRUE(write_npy(d + "/3/y.npy", random_f32({4, 32}, 5)).is_ok());
  auto stray = load_calibration_dir(d, fp);
  ASSERT_FALSE(stray.is_ok());
  EXPECT_NE(stray.status().message().find("y.npy matches no model input"), std::string::npos);
  EXPECT_FALSE(load_calibration_dir(d + "/nope", fp).is_ok());
}

// --------------------------------------------------------------------------------------- CLI
TEST(QuantizeCli, EndToEndAndErrors) {
  TempDir t;
  const std::string d = t.path();
  ASSERT_TRUE(save_onnx_file(cnn_model(), d + "/cnn.onnx").is_ok());
  for (int i = 0; i < 2; ++i) {
    mkdir((d + "/calib/" + std::to_string(i)).c_str(), 0755);
    mkdir((d + "/calib").c_str(), 0755);
    mkdir((d + "/calib/" + std::to_string(i)).c_str(), 0755);
    ASSERT_TRUE(write_npy(d + "/calib/" + std::to_string(i) + "/x.npy", random_f32({1, 3, 12, 12}, 70 + i, 0, 1)).is_ok());
  }
  for (const std::string& flags : {std::string("--format qdq --per-channel"), std::string("--format qoperator --activations int8"),
                                   std::string("--method entropy --exclude Conv_0"), std::string("--auto --target 0.001"),
                                   std::string("--dynamic")}) {
    SCOPED_TRACE(flags);
    auto r = testing::run_cli("quantize " + d + "/cnn.onnx " + d + "/q.onnx --calibration " + d + "/calib " + flags);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("size:"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("quantized:"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("excluded:"), std::string::npos) << r.out;
    if (flags.find("--auto") != std::string::npos) {
      EXPECT_NE(r.out.find("kept in float"), std::string::npos) << r.out;
    }
    auto run = testing::run_cli("run " + d + "/q.onnx --input x=" + d + "/calib/0/x.npy --output-dir " + d + "/out");
    EXPECT_EQ(run.exit_code, 0) << run.out;
  }
  auto missing = testing::run_cli("quantize " + d + "/cnn.onnx " + d + "/q.onnx");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.out.find("--calibration"), std::string::npos) << missing.out;
  std::remove((d + "/calib/1/x.npy").c_str());
  auto nofile = testing::run_cli("quantize " + d + "/cnn.onnx " + d + "/q.onnx --calibration " + d + "/calib");
  EXPECT_EQ(nofile.exit_code, 1);
  EXPECT_NE(nofile.out.find("missing x.npy for input 'x'"), std::string::npos) << nofile.out;
  auto unknown = testing::run_cli("quantize " + d + "/cnn.onnx " + d + "/q.onnx --dynamic --exclude nope");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.out.find("--exclude 'nope'"), std::string::npos) << unknown.out;
  auto fmt = testing::run_cli("quantize " + d + "/cnn.onnx " + d + "/q.onnx --dynamic --format qlinear");
  EXPECT_NE(fmt.exit_code, 0);
}

}  // namespace
}  // namespace edgeinfer::quant
