// Conv against a naive direct-convolution loop written here: every attribute, groups (incl.
// depthwise and channel multipliers), 1-D/2-D/3-D, auto_pad modes, asymmetric pads, constant and
// runtime weights, fused activations, threads, and errors.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

namespace edgeinfer {
namespace {

using testing::attr_int;
using testing::attr_ints;
using testing::attr_string;
using testing::OpSpec;
using testing::random_f32;
using testing::run_op;

struct ConvCase {
  Shape x, w;
  int64_t group = 1;
  std::vector<int64_t> strides, dilations, pads;  // empty = default
  std::string auto_pad = "NOTSET";
  bool bias = true;
};

// Direct loop, including its own output-size and auto_pad arithmetic.
Tensor naive_conv(const ConvCase& c, const Tensor& x, const Tensor& w, const Tensor* b) {
  const size_t nd = c.x.size() - 2;
  std::vector<int64_t> s(nd, 1), d(nd, 1), pb(nd, 0), pe(nd, 0), out(nd);
  for (size_t i = 0; i < nd; ++i) {
    if (!c.strides.empty()) s[i] = c.strides[i];
    if (!c.dilations.empty()) d[i] = c.dilations[i];
    const int64_t in = c.x[2 + i], ext = (c.w[2 + i] - 1) * d[i] + 1;
    if (c.auto_pad == "NOTSET" && !c.pads.empty()) { pb[i] = c.pads[i]; pe[i] = c.pads[i + nd]; }
    if (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") {
      const int64_t o = (in + s[i] - 1) / s[i];
      const int64_t total = std::max<int64_t>(0, (o - 1) * s[i] + ext - in);
      pb[i] = c.auto_pad == "SAME_UPPER" ? total / 2 : (total + 1) / 2;
      pe[i] = total - pb[i];
    }
    out[i] = (in + pb[i] + pe[i] - ext) / s[i] + 1;
  }
  const int64_t n_b = c.x[0], ci = c.x[1], co = c.w[0], cg = ci / c.group, mg = co / c.group;
  Shape ys = {n_b, co};
  ys.insert(ys.end(), out.begin(), out.end());
  Tensor y = Tensor::allocate(DataType::kFloat32, ys).value();
  int64_t P = 1, K = 1, Pin = 1;
  for (size_t i = 0; i < nd; ++i) { P *= out[i]; K *= c.w[2 + i]; Pin *= c.x[2 + i]; }
  for (int64_t n = 0; n < n_b; ++n)
    for (int64_t m = 0; m < co; ++m)
      for (int64_t p = 0; p < P; ++p) {
        std::vector<int64_t> o(nd);
        for (int64_t r = p, i = static_cast<int64_t>(nd) - 1; i >= 0; --i) { o[i] = r % out[i]; r /= out[i]; }
        double acc = b ? b->data<float>()[m] : 0.0;
        const int64_t g = m / mg;
        for (int64_t c_ = 0; c_ < cg; ++c_)
          for (int64_t kp = 0; kp < K; ++kp) {
            int64_t off = 0, r = kp;
            std::vector<int64_t> kc(nd);
            for (int64_t i = static_cast<int64_t>(nd) - 1; i >= 0; --i) { kc[i] = r % c.w[2 + i]; r /= c.w[2 + i]; }
            bool inside = true;
            for (size_t i = 0; i < nd; ++i) {
              const int64_t pos = o[i] * s[i] - pb[i] + kc[i] * d[i];
              inside = inside && pos >= 0 && pos < c.x[2 + i];
              off = off * c.x[2 + i] + pos;
            }
            if (inside)
              acc += double(x.data<float>()[(n * ci + g * cg + c_) * Pin + off]) * w.data<float>()[(m * cg + c_) * K + kp];
          }
        y.data<float>()[(n * co + m) * P + p] = static_cast<float>(acc);
      }
  return y;
}

OpSpec conv_spec(const ConvCase& c, std::vector<int> consts, uint32_t seed) {
  OpSpec s;
  s.op_type = "Conv";
  s.opset = 11;
  s.inputs = {random_f32(c.x, seed), random_f32(c.w, seed + 1)};
  if (c.bias) s.inputs.push_back(random_f32({c.w[0]}, seed + 2));
  s.attributes.set(attr_int("group", c.group));
  s.attributes.set(attr_string("auto_pad", c.auto_pad));
  if (!c.strides.empty()) s.attributes.set(attr_ints("strides", c.strides));
  if (!c.dilations.empty()) s.attributes.set(attr_ints("dilations", c.dilations));
  if (!c.pads.empty()) s.attributes.set(attr_ints("pads", c.pads));
  s.constant_inputs = consts;
  return s;
}

void check(const ConvCase& c, uint32_t seed = 1) {
  for (std::vector<int> consts : {std::vector<int>{}, {1, 2}, {1}}) {
    SCOPED_TRACE(::testing::Message() << "X " << shape_to_string(c.x) << " W " << shape_to_string(c.w) << " group "
                                      << c.group << " auto_pad " << c.auto_pad << " consts " << consts.size());
    OpSpec s = conv_spec(c, consts, seed);
    auto r = run_op(s);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    Tensor e = naive_conv(c, s.inputs[0], s.inputs[1], c.bias ? &s.inputs[2] : nullptr);
    EXPECT_TENSOR_NEAR((*r)[0], e, 1e-4f, 1e-4f);
  }
}

TEST(ConvOp, HandComputed) {
  OpSpec s;
  s.op_type = "Conv";
  s.inputs = {Tensor::from_vector<float>({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}),
              Tensor::from_vector<float>({1, 1, 2, 2}, {1, 1, 1, 1}), Tensor::from_vector<float>({1}, {0.5f})};
  s.constant_inputs = {1, 2};
  auto r = run_op(s);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_TENSOR_EQ((*r)[0], Tensor::from_vector<float>({1, 1, 2, 2}, {12.5f, 16.5f, 24.5f, 28.5f}));
}

TEST(ConvOp, TwoDAttributes) {
  check({{2, 3, 9, 10}, {4, 3, 3, 3}, 1, {}, {}, {1, 1, 1, 1}});
  check({{1, 3, 11, 9}, {5, 3, 3, 2}, 1, {2, 1}, {1, 2}, {0, 2, 1, 0}});  // asymmetric pads
  check({{1, 2, 8, 8}, {3, 2, 3, 3}, 1, {2, 2}, {2, 2}, {2, 2, 2, 2}});
  check({{1, 4, 7, 7}, {6, 4, 1, 1}, 1, {}, {}, {}});                     // 1x1
  check({{1, 4, 7, 7}, {6, 4, 1, 1}, 1, {2, 2}, {}, {}});                 // 1x1 strided
  check({{1, 3, 5, 5}, {2, 3, 3, 3}, 1, {}, {}, {}, "NOTSET", false});    // no bias
}

TEST(ConvOp, AutoPad) {
  for (const char* ap : {"SAME_UPPER", "SAME_LOWER", "VALID"}) {
    check({{1, 2, 7, 8}, {3, 2, 4, 3}, 1, {2, 3}, {}, {}, ap});  // odd total padding tells UPPER from LOWER
    check({{1, 2, 6, 6}, {3, 2, 3, 3}, 1, {1, 1}, {2, 1}, {}, ap});
  }
}

TEST(ConvOp, Groups) {
  check({{1, 6, 7, 9}, {4, 3, 3, 3}, 2, {}, {}, {1, 1, 1, 1}});
  check({{2, 8, 9, 11}, {8, 1, 3, 3}, 8, {}, {}, {1, 1, 1, 1}});       // depthwise 3x3 s1
  check({{1, 5, 12, 13}, {5, 1, 3, 3}, 5, {2, 2}, {}, {0, 1, 1, 0}});  // depthwise 3x3 s2 asymmetric
  check({{1, 4, 9, 10}, {4, 1, 5, 5}, 4, {1, 1}, {}, {2, 2, 2, 2}});   // depthwise 5x5
  check({{1, 4, 9, 10}, {4, 1, 5, 5}, 4, {2, 2}, {}, {2, 2, 2, 2}});
  check({{1, 3, 9, 10}, {3, 1, 3, 3}, 3, {1, 2}, {2, 1}, {1, 0, 2, 1}});  // depthwise general path
  check({{1, 3, 8, 8}, {6, 1, 3, 3}, 3, {}, {}, {1, 1, 1, 1}});        // channel multiplier 2
  check({{1, 4, 8, 8}, {4, 1, 3, 3}, 4, {}, {}, {}, "SAME_UPPER"});
}

TEST(ConvOp, OneAndThreeD) {
  check({{2, 3, 17}, {4, 3, 3}, 1, {2}, {2}, {1, 2}});
  check({{1, 4, 15}, {4, 1, 3}, 4, {1}, {}, {1, 1}});  // 1-D depthwise
  check({{1, 2, 5, 6, 7}, {3, 2, 3, 3, 2}, 1, {1, 2, 1}, {1, 1, 2}, {1, 0, 1, 1, 1, 0}});
  check({{1, 4, 4, 5, 6}, {4, 2, 2, 2, 2}, 2, {}, {}, {}, "SAME_LOWER"});
}

TEST(ConvOp, KernelShapeAttribute) {
  ConvCase c{{1, 2, 6, 6}, {3, 2, 3, 2}};
  OpSpec s = conv_spec(c, {1}, 3);
  s.attributes.set(attr_ints("kernel_shape", {3, 2}));
  auto r = run_op(s);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_TENSOR_NEAR((*r)[0], naive_conv(c, s.inputs[0], s.inputs[1], &s.inputs[2]), 1e-4f, 1e-4f);
  s.attributes.set(attr_ints("kernel_shape", {3, 3}));
  EXPECT_FALSE(run_op(s).is_ok());
}

TEST(ConvOp, FusedActivationsAndThreads) {
  for (const char* act : {"Relu", "HardSwish"})
    for (ConvCase c : {ConvCase{{1, 16, 14, 14}, {24, 16, 3, 3}, 1, {}, {}, {1, 1, 1, 1}},
                       ConvCase{{1, 16, 14, 14}, {16, 1, 3, 3}, 16, {}, {}, {1, 1, 1, 1}},
                       ConvCase{{2, 16, 14, 14}, {40, 16, 1, 1}}}) {
      OpSpec s = conv_spec(c, {1, 2}, 9);
      s.attributes.set(attr_string("_activation", act));
      auto r1 = run_op(s);
      s.num_threads = 2;
      auto r2 = run_op(s);
      ASSERT_TRUE(r1.is_ok() && r2.is_ok());
      EXPECT_TENSOR_EQ((*r1)[0], (*r2)[0]);
      Tensor e = naive_conv(c, s.inputs[0], s.inputs[1], &s.inputs[2]);
      for (int64_t i = 0; i < e.numel(); ++i) {
        float& v = e.data<float>()[i];
        v = std::string(act) == "Relu" ? std::max(v, 0.0f) : v * std::min(1.0f, std::max(0.0f, v / 6.0f + 0.5f));
      }
      EXPECT_TENSOR_NEAR((*r1)[0], e, 1e-4f, 1e-4f);
    }
}

TEST(ConvOp, Errors) {
  auto code = [](ConvCase c, std::vector<int> consts = {}) { return run_op(conv_spec(c, consts, 1)).status().code(); };
  EXPECT_EQ(code({{1, 3, 5, 5}, {2, 4, 3, 3}}), StatusCode::kInvalidArgument);          // channel mismatch
  EXPECT_EQ(code({{1, 3, 5, 5}, {2, 4, 3, 3}}, {1, 2}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({{1, 3, 5, 5}, {2, 1, 3, 3}, 2}), StatusCode::kInvalidArgument);       // 3 channels, group 2
  EXPECT_EQ(code({{1, 4, 5, 5}, {3, 2, 3, 3}, 2}), StatusCode::kInvalidArgument);       // 3 outputs, group 2
  EXPECT_EQ(code({{1, 3, 5, 5}, {2, 3, 3}}), StatusCode::kInvalidArgument);             // rank mismatch
  EXPECT_EQ(code({{3, 5}, {2, 3}}), StatusCode::kInvalidArgument);                      // rank < 3
  EXPECT_EQ(code({{1, 3, 2, 2}, {2, 3, 3, 3}}), StatusCode::kInvalidArgument);          // kernel > input
  EXPECT_NE(code({{1, 3, 5, 5}, {2, 3, 3, 3}, 0}), StatusCode::kOk);                    // group 0
  EXPECT_NE(code({{1, 3, 5, 5}, {2, 3, 3, 3}, 1, {1}}), StatusCode::kOk);               // strides length
  EXPECT_NE(code({{1, 3, 5, 5}, {2, 3, 3, 3}, 1, {0, 1}}), StatusCode::kOk);            // stride 0
  EXPECT_NE(code({{1, 3, 5, 5}, {2, 3, 3, 3}, 1, {}, {}, {1, 1, -1, 1}}), StatusCode::kOk);
  EXPECT_NE(code({{1, 3, 5, 5}, {2, 3, 3, 3}, 1, {}, {}, {}, "SAME"}), StatusCode::kOk);
  OpSpec s = conv_spec({{1, 3, 5, 5}, {2, 3, 3, 3}}, {}, 1);
  s.inputs[2] = random_f32({3}, 1);  // bias length
  EXPECT_EQ(run_op(s).status().code(), StatusCode::kInvalidArgument);
  s.inputs[2] = random_f32({2}, 1);
  s.attributes.set(attr_ints("output_padding", {1, 1}));
  EXPECT_FALSE(run_op(s).is_ok());
}

}  // namespace
}  // namespace edgeinfer
