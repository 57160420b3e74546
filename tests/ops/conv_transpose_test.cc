// ConvTranspose against a naive scatter loop written here, with the spec's output-size and
// padding rules (pads, auto_pad, output_padding, output_shape) computed independently.
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

struct CTCase {
  Shape x, w;  // w: C_in x C_out/group x k...
  int64_t group = 1;
  std::vector<int64_t> strides, dilations, pads, output_padding, output_shape;
  std::string auto_pad = "NOTSET";
  bool bias = true;
};

Tensor naive_convt(const CTCase& c, const Tensor& x, const Tensor& w, const Tensor* b) {
  const size_t nd = c.x.size() - 2;
  std::vector<int64_t> s(nd, 1), d(nd, 1), pb(nd, 0), out(nd);
  for (size_t i = 0; i < nd; ++i) {
    if (!c.strides.empty()) s[i] = c.strides[i];
    if (!c.dilations.empty()) d[i] = c.dilations[i];
    const int64_t op = c.output_padding.empty() ? 0 : c.output_padding[i];
    const int64_t full = s[i] * (c.x[2 + i] - 1) + op + (c.w[2 + i] - 1) * d[i] + 1;
    if (!c.output_shape.empty() || c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") {
      out[i] = !c.output_shape.empty() ? c.output_shape[c.output_shape.size() - nd + i] : c.x[2 + i] * s[i];
      const int64_t total = full - out[i];
      pb[i] = c.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    } else {
      int64_t pe = 0;
      if (c.auto_pad == "NOTSET" && !c.pads.empty()) { pb[i] = c.pads[i]; pe = c.pads[i + nd]; }
      out[i] = full - pb[i] - pe;
    }
  }
  const int64_t n_b = c.x[0], ci = c.x[1], mg = c.w[1], co = mg * c.group, cg = ci / c.group;
  Shape ys = {n_b, co};
  ys.insert(ys.end(), out.begin(), out.end());
  Tensor y = Tensor::allocate(DataType::kFloat32, ys).value();
  int64_t P = 1, K = 1, Pin = 1;
  for (size_t i = 0; i < nd; ++i) { P *= out[i]; K *= c.w[2 + i]; Pin *= c.x[2 + i]; }
  float* yd = y.data<float>();
  for (int64_t n = 0; n < n_b; ++n)
    for (int64_t m = 0; m < co; ++m)
      for (int64_t p = 0; p < P; ++p) yd[(n * co + m) * P + p] = b ? b->data<float>()[m] : 0.0f;
  for (int64_t n = 0; n < n_b; ++n)
    for (int64_t cin = 0; cin < ci; ++cin)
      for (int64_t p = 0; p < Pin; ++p) {
        std::vector<int64_t> ic(nd);
        for (int64_t r = p, i = static_cast<int64_t>(nd) - 1; i >= 0; --i) { ic[i] = r % c.x[2 + i]; r /= c.x[2 + i]; }
        const int64_t g = cin / cg;
        for (int64_t m = 0; m < mg; ++m)
          for (int64_t kp = 0; kp < K; ++kp) {
            std::vector<int64_t> kc(nd);
            for (int64_t r = kp, i = static_cast<int64_t>(nd) - 1; i >= 0; --i) { kc[i] = r % c.w[2 + i]; r /= c.w[2 + i]; }
            int64_t off = 0;
            bool inside = true;
            for (size_t i = 0; i < nd; ++i) {
              const int64_t o = ic[i] * s[i] - pb[i] + kc[i] * d[i];
              inside = inside && o >= 0 && o < out[i];
              off = off * out[i] + o;
            }
            if (inside)
              yd[(n * co + g * mg + m) * P + off] +=
                  x.data<float>()[(n * ci + cin) * Pin + p] * w.data<float>()[(cin * mg + m) * K + kp];
          }
      }
  return y;
}

OpSpec ct_spec(const CTCase& c, std::vector<int> consts, uint32_t seed) {
  OpSpec s;
  s.op_type = "ConvTranspose";
  s.opset = 11;
  s.inputs = {random_f32(c.x, seed), random_f32(c.w, seed + 1)};
  if (c.bias) s.inputs.push_back(random_f32({c.w[1] * c.group}, seed + 2));
  s.attributes.set(attr_int("group", c.group));
  s.attributes.set(attr_string("auto_pad", c.auto_pad));
  if (!c.strides.empty()) s.attributes.set(attr_ints("strides", c.strides));
  if (!c.dilations.empty()) s.attributes.set(attr_ints("dilations", c.dilations));
  if (!c.pads.empty()) s.attributes.set(attr_ints("pads", c.pads));
  if (!c.output_padding.empty()) s.attributes.set(attr_ints("output_padding", c.output_padding));
  if (!c.output_shape.empty()) s.attributes.set(attr_ints("output_shape", c.output_shape));
  s.constant_inputs = consts;
  return s;
}

void check(const CTCase& c) {
  for (std::vector<int> consts : {std::vector<int>{}, {1, 2}}) {
    SCOPED_TRACE(::testing::Message() << "X " << shape_to_string(c.x) << " W " << shape_to_string(c.w) << " group "
                                      << c.group << " auto_pad " << c.auto_pad << " consts " << consts.size());
    OpSpec s = ct_spec(c, consts, 5);
    auto r = run_op(s);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_TENSOR_NEAR((*r)[0], naive_convt(c, s.inputs[0], s.inputs[1], c.bias ? &s.inputs[2] : nullptr), 1e-4f,
                       1e-4f);
  }
}

TEST(ConvTransposeOp, HandComputed2x2Stride2) {
  OpSpec s;
  s.op_type = "ConvTranspose";
  s.inputs = {Tensor::from_vector<float>({1, 1, 2, 2}, {1, 2, 3, 4}),
              Tensor::from_vector<float>({1, 1, 2, 2}, {1, 10, 100, 1000})};
  s.attributes = testing::attrs({attr_ints("strides", {2, 2})});
  s.constant_inputs = {1};
  auto r = run_op(s);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_TENSOR_EQ((*r)[0], Tensor::from_vector<float>({1, 1, 4, 4}, {1, 10, 2, 20, 100, 1000, 200, 2000,  //
                                                                     3, 30, 4, 40, 300, 3000, 400, 4000}));
}

TEST(ConvTransposeOp, Attributes) {
  check({{1, 8, 6, 7}, {8, 4, 2, 2}, 1, {2, 2}});                                   // PP-OCR upsampling
  check({{2, 3, 5, 4}, {3, 2, 3, 3}, 1, {1, 1}, {}, {1, 1, 1, 1}});
  check({{1, 3, 5, 4}, {3, 2, 3, 3}, 1, {2, 3}, {1, 2}, {0, 2, 1, 0}});              // asymmetric pads
  check({{1, 2, 4, 4}, {2, 3, 3, 3}, 1, {2, 2}, {}, {1, 1, 1, 1}, {1, 1}});          // output_padding
  check({{1, 2, 4, 4}, {2, 3, 3, 3}, 1, {3, 2}, {2, 1}, {}, {2, 1}});
  check({{1, 4, 5, 5}, {4, 3, 3, 3}, 2, {2, 2}, {}, {1, 0, 0, 1}});                  // groups
  check({{1, 4, 5, 5}, {4, 1, 3, 3}, 4, {1, 1}, {}, {1, 1, 1, 1}});                  // depthwise
  check({{1, 3, 5, 5}, {3, 2, 3, 3}, 1, {}, {}, {}, {}, {}, "NOTSET", false});        // no bias
}

TEST(ConvTransposeOp, OutputShapeAndAutoPad) {
  check({{1, 2, 4, 5}, {2, 3, 3, 3}, 1, {2, 2}, {}, {}, {}, {9, 10}});              // spatial output_shape
  check({{1, 2, 4, 5}, {2, 3, 3, 3}, 1, {2, 2}, {}, {}, {}, {1, 3, 8, 11}});        // full output_shape
  check({{1, 2, 4, 5}, {2, 3, 3, 3}, 1, {2, 2}, {}, {}, {}, {10, 11}, "SAME_UPPER"});
  for (const char* ap : {"SAME_UPPER", "SAME_LOWER", "VALID"}) {
    check({{1, 2, 4, 5}, {2, 3, 3, 3}, 1, {2, 2}, {}, {}, {}, {}, ap});
    check({{1, 2, 5, 3}, {2, 2, 4, 2}, 1, {1, 3}, {1, 1}, {}, {}, {}, ap});
  }
}

TEST(ConvTransposeOp, OneAndThreeD) {
  check({{2, 3, 7}, {3, 2, 4}, 1, {3}, {1}, {1, 2}});
  check({{1, 2, 3, 4, 2}, {2, 2, 2, 3, 2}, 1, {2, 1, 2}, {1, 1, 1}, {0, 1, 0, 0, 0, 1}});
}

TEST(ConvTransposeOp, ActivationAndThreads) {
  CTCase c{{1, 40, 9, 9}, {40, 70, 2, 2}, 1, {2, 2}};
  OpSpec s = ct_spec(c, {1, 2}, 3);
  s.attributes.set(attr_string("_activation", "Relu"));
  auto r1 = run_op(s);
  s.num_threads = 2;
  auto r2 = run_op(s);
  ASSERT_TRUE(r1.is_ok() && r2.is_ok());
  EXPECT_TENSOR_EQ((*r1)[0], (*r2)[0]);
  Tensor e = naive_convt(c, s.inputs[0], s.inputs[1], &s.inputs[2]);
  for (int64_t i = 0; i < e.numel(); ++i) e.data<float>()[i] = std::max(0.0f, e.data<float>()[i]);
  EXPECT_TENSOR_NEAR((*r1)[0], e, 1e-4f, 1e-4f);
}

TEST(ConvTransposeOp, Errors) {
  auto code = [](CTCase c) { return run_op(ct_spec(c, {1}, 1)).status().code(); };
  EXPECT_EQ(code({{1, 3, 4, 4}, {2, 2, 3, 3}}), StatusCode::kInvalidArgument);       // W[0] != C
  EXPECT_EQ(code({{1, 3, 4, 4}, {3, 2, 3, 3}, 2}), StatusCode::kInvalidArgument);    // C % group
  EXPECT_EQ(code({{1, 3, 4, 4}, {3, 2, 3}}), StatusCode::kInvalidArgument);          // rank mismatch
  EXPECT_NE(code({{1, 3, 4, 4}, {3, 2, 3, 3}, 1, {}, {}, {}, {}, {5}}), StatusCode::kOk);  // output_shape length
  EXPECT_NE(code({{1, 3, 4, 4}, {3, 2, 3, 3}, 1, {1, 1}, {}, {}, {2, 2}}), StatusCode::kOk);  // output_padding >= stride
  EXPECT_NE(code({{1, 3, 4, 4}, {3, 2, 3, 3}, 1, {}, {}, {-1, 0, 0, 0}}), StatusCode::kOk);
}

}  // namespace
}  // namespace edgeinfer
