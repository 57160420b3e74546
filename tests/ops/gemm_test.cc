// Gemm against a naive loop: transA/transB, alpha/beta, every broadcast form of C, constant and
// runtime B/C, opset 7 vs 11+, fused activations, threads, and errors.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

namespace edgeinfer {
namespace {

using testing::attr_float;
using testing::attr_int;
using testing::attr_string;
using testing::attr_floats;
using testing::OpSpec;
using testing::random_f32;
using testing::run_op;

// Y = alpha * op(A) op(B) + beta * C with C broadcast from shape c_shape.
Tensor naive_gemm(const Tensor& a, const Tensor& b, const Tensor* c, bool ta, bool tb, float alpha, float beta) {
  const int64_t m = ta ? a.dim(1) : a.dim(0), k = ta ? a.dim(0) : a.dim(1), n = tb ? b.dim(0) : b.dim(1);
  Tensor y = Tensor::allocate(DataType::kFloat32, {m, n}).value();
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < k; ++p) {
        const float av = ta ? a.data<float>()[p * m + i] : a.data<float>()[i * k + p];
        const float bv = tb ? b.data<float>()[j * k + p] : b.data<float>()[p * n + j];
        acc += double(av) * bv;
      }
      double cv = 0;
      if (c) {
        const Shape& cs = c->shape();
        const int64_t cm = cs.size() == 2 ? cs[0] : 1, cn = cs.empty() ? 1 : cs.back();
        cv = c->data<float>()[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
      }
      y.data<float>()[i * n + j] = static_cast<float>(alpha * acc + beta * cv);
    }
  return y;
}

OpSpec gemm_spec(Tensor a, Tensor b, Tensor c, bool ta, bool tb, float alpha, float beta, std::vector<int> consts) {
  OpSpec s;
  s.op_type = "Gemm";
  s.attributes = testing::attrs({attr_int("transA", ta), attr_int("transB", tb), attr_float("alpha", alpha),
                                 attr_float("beta", beta)});
  s.inputs = {a, b};
  if (!c.empty()) s.inputs.push_back(c);
  s.constant_inputs = consts;
  return s;
}

TEST(GemmOp, TransposesAlphaBetaAndCBroadcasts) {
  const int64_t m = 7, k = 13, n = 19;
  const std::vector<Shape> c_shapes = {{n}, {1, n}, {m, 1}, {m, n}, {}, {1}, {1, 1}};
  uint32_t seed = 1;
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (const Shape& cs : c_shapes)
        for (const std::vector<int>& consts : {std::vector<int>{}, {1}, {1, 2}, {2}}) {
          SCOPED_TRACE(::testing::Message() << "ta=" << ta << " tb=" << tb << " C=" << shape_to_string(cs)
                                            << " consts=" << consts.size());
          Tensor a = random_f32(ta ? Shape{k, m} : Shape{m, k}, seed++);
          Tensor b = random_f32(tb ? Shape{n, k} : Shape{k, n}, seed++);
          Tensor c = random_f32(cs, seed++);
          auto r = run_op(gemm_spec(a, b, c, ta, tb, 0.5f, -1.5f, consts));
          ASSERT_TRUE(r.is_ok()) << r.status().to_string();
          EXPECT_TENSOR_NEAR((*r)[0], naive_gemm(a, b, &c, ta, tb, 0.5f, -1.5f), 1e-4f, 1e-4f);
        }
}

TEST(GemmOp, OptionalCFromOpset11AndRequiredBefore) {
  Tensor a = random_f32({5, 3}, 1), b = random_f32({3, 4}, 2);
  for (std::vector<int> consts : {std::vector<int>{}, {1}}) {
    OpSpec s = gemm_spec(a, b, Tensor(), false, false, 2.0f, 1.0f, consts);
    s.opset = 13;
    auto r = run_op(s);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_TENSOR_NEAR((*r)[0], naive_gemm(a, b, nullptr, false, false, 2.0f, 0.0f), 1e-5f, 1e-5f);
    s.opset = 9;
    EXPECT_FALSE(run_op(s).is_ok());
  }
  // Opset 7 with C and default attributes.
  Tensor c = random_f32({4}, 3);
  OpSpec s;
  s.op_type = "Gemm";
  s.opset = 7;
  s.inputs = {a, b, c};
  auto r = run_op(s);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_TENSOR_NEAR((*r)[0], naive_gemm(a, b, &c, false, false, 1.0f, 1.0f), 1e-5f, 1e-5f);
}

TEST(GemmOp, BetaZeroIgnoresC) {
  Tensor a = random_f32({3, 2}, 1), b = random_f32({2, 9}, 2), c = random_f32({3, 9}, 3);
  auto r = run_op(gemm_spec(a, b, c, false, false, 1.0f, 0.0f, {1, 2}));
  ASSERT_TRUE(r.is_ok());
  EXPECT_TENSOR_NEAR((*r)[0], naive_gemm(a, b, nullptr, false, false, 1.0f, 0.0f), 1e-5f, 1e-5f);
}

TEST(GemmOp, FusedActivations) {
  Tensor a = random_f32({9, 11}, 4), b = random_f32({11, 21}, 5), c = random_f32({21}, 6);
  struct Case { const char* name; std::vector<float> params; };
  for (const Case& cs : {Case{"Relu", {}}, Case{"Clip", {-0.3f, 0.4f}}, Case{"LeakyRelu", {0.2f}},
                         Case{"HardSigmoid", {0.3f, 0.4f}}, Case{"HardSwish", {}}, Case{"Sigmoid", {}}})
    for (std::vector<int> consts : {std::vector<int>{}, {1, 2}}) {
      SCOPED_TRACE(cs.name);
      OpSpec s = gemm_spec(a, b, c, false, false, 1.0f, 1.0f, consts);
      s.attributes.set(attr_string("_activation", cs.name));
      s.attributes.set(attr_floats("_activation_params", cs.params));
      auto r = run_op(s);
      ASSERT_TRUE(r.is_ok()) << r.status().to_string();
      Tensor e = naive_gemm(a, b, &c, false, false, 1.0f, 1.0f);
      for (int64_t i = 0; i < e.numel(); ++i) {
        float& x = e.data<float>()[i];
        const std::string n = cs.name;
        if (n == "Relu") x = std::max(x, 0.0f);
        if (n == "Clip") x = std::min(std::max(x, -0.3f), 0.4f);
        if (n == "LeakyRelu") x = x >= 0 ? x : 0.2f * x;
        if (n == "HardSigmoid") x = std::min(1.0f, std::max(0.0f, 0.3f * x + 0.4f));
        if (n == "HardSwish") x = x * std::min(1.0f, std::max(0.0f, x / 6.0f + 0.5f));
        if (n == "Sigmoid") x = 1.0f / (1.0f + std::exp(-x));
      }
      EXPECT_TENSOR_NEAR((*r)[0], e, 1e-5f, 1e-4f);
    }
}

TEST(GemmOp, ThreadsGiveSameResult) {
  Tensor a = random_f32({67, 45}, 7), b = random_f32({45, 131}, 8), c = random_f32({67, 131}, 9);
  for (std::vector<int> consts : {std::vector<int>{}, {1, 2}}) {
    OpSpec s = gemm_spec(a, b, c, false, true, 1.0f, 0.5f, consts);
    s.inputs[1] = random_f32({131, 45}, 8);
    auto r1 = run_op(s);
    s.num_threads = 2;
    auto r2 = run_op(s);
    ASSERT_TRUE(r1.is_ok() && r2.is_ok());
    EXPECT_TENSOR_EQ((*r1)[0], (*r2)[0]);
    EXPECT_TENSOR_NEAR((*r1)[0], naive_gemm(a, s.inputs[1], &c, false, true, 1.0f, 0.5f), 1e-4f, 1e-4f);
  }
}

TEST(GemmOp, Errors) {
  Tensor a = random_f32({4, 3}, 1), b = random_f32({3, 5}, 2);
  // Inner dimension mismatch.
  EXPECT_EQ(run_op(gemm_spec(a, random_f32({4, 5}, 3), Tensor(), false, false, 1, 1, {})).status().code(),
            StatusCode::kInvalidArgument);
  // Rank 3 A.
  EXPECT_EQ(run_op(gemm_spec(random_f32({1, 4, 3}, 3), b, Tensor(), false, false, 1, 1, {1})).status().code(),
            StatusCode::kInvalidArgument);
  // C not unidirectionally broadcastable.
  EXPECT_EQ(run_op(gemm_spec(a, b, random_f32({3, 5}, 4), false, false, 1, 1, {})).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op(gemm_spec(a, b, random_f32({2, 4, 5}, 4), false, false, 1, 1, {1, 2})).status().code(),
            StatusCode::kInvalidArgument);
  // Bad transA value and non-float dtype.
  OpSpec s = gemm_spec(a, b, Tensor(), false, false, 1, 1, {});
  s.attributes.set(attr_int("transA", 2));
  EXPECT_FALSE(run_op(s).is_ok());
  OpSpec si = gemm_spec(Tensor::from_vector<int32_t>({1, 1}, {1}), Tensor::from_vector<int32_t>({1, 1}, {1}),
                        Tensor(), false, false, 1, 1, {});
  EXPECT_EQ(run_op(si).status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace edgeinfer
