#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

namespace edgeinfer {
namespace {

using namespace edgeinfer::testing;

// Naive softmax along `axis` (single axis), or over the flattened tail when `coerce`.
Tensor naive_softmax(const Tensor& x, int axis, bool coerce, bool log) {
  Tensor y = Tensor::allocate(DataType::kFloat32, x.shape()).value();
  int64_t outer = 1, n = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= x.dim(d);
  if (coerce) {
    for (int d = axis; d < x.rank(); ++d) n *= x.dim(d);
  } else {
    n = x.dim(axis);
    for (int d = axis + 1; d < x.rank(); ++d) inner *= x.dim(d);
  }
  const float* a = x.data<float>();
  float* b = y.data<float>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < inner; ++j) {
      double mx = -INFINITY, sum = 0;
      for (int64_t i = 0; i < n; ++i) mx = std::max<double>(mx, a[(o * n + i) * inner + j]);
      for (int64_t i = 0; i < n; ++i) sum += std::exp(a[(o * n + i) * inner + j] - mx);
      for (int64_t i = 0; i < n; ++i) {
        double v = a[(o * n + i) * inner + j] - mx;
        b[(o * n + i) * inner + j] = static_cast<float>(log ? v - std::log(sum) : std::exp(v) / sum);
      }
    }
  return y;
}

Tensor run1(const std::string& op, int64_t opset, const Tensor& x, std::vector<Attribute> a, int threads = 1) {
  OpSpec s;
  s.op_type = op;
  s.opset = opset;
  s.attributes = attrs(std::move(a));
  s.inputs = {x};
  s.num_threads = threads;
  auto r = run_op(s);
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return r.is_ok() ? r.value()[0] : Tensor();
}

TEST(SoftmaxOp, Opset13SingleAxisEveryAxis) {
  uint32_t seed = 7;
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    const bool log = std::string(op) == "LogSoftmax";
    for (Shape shape : {Shape{5}, Shape{2, 3, 7}, Shape{1, 9, 1, 5}, Shape{3, 4, 6}}) {
      const int r = static_cast<int>(shape.size());
      Tensor x = random_f32(shape, seed++, -8.0f, 8.0f);
      for (int axis = -r; axis < r; ++axis) {
        Tensor got = run1(op, 13, x, {attr_int("axis", axis)});
        EXPECT_TENSOR_NEAR(got, naive_softmax(x, axis < 0 ? axis + r : axis, false, log), 1e-5f, 1e-5f)
            << op << " axis " << axis << " shape " << shape_to_string(shape);
      }
    }
    // Default axis is -1.
    Tensor x = random_f32({3, 4, 5}, seed++);
    EXPECT_TENSOR_NEAR(run1(op, 13, x, {}), naive_softmax(x, 2, false, log), 1e-5f, 1e-5f);
  }
}

TEST(SoftmaxOp, LegacyCoercesTo2D) {
  uint32_t seed = 70;
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    const bool log = std::string(op) == "LogSoftmax";
    Tensor x = random_f32({2, 3, 4, 5}, seed++, -5.0f, 5.0f);
    // Default axis 1: rows of 3*4*5.
    EXPECT_TENSOR_NEAR(run1(op, 11, x, {}), naive_softmax(x, 1, true, log), 1e-5f, 1e-5f);
    for (int axis : {0, 2, 3, -1, -3}) {
      for (int64_t opset : {1 + 6, 11}) {
        Tensor got = run1(op, opset, x, {attr_int("axis", axis)});
        EXPECT_TENSOR_NEAR(got, naive_softmax(x, axis < 0 ? axis + 4 : axis, true, log), 1e-5f, 1e-5f);
      }
    }
  }
}

TEST(SoftmaxOp, LargeValuesStableAndThreadsAgree) {
  Tensor x = random_f32({64, 301}, 3, -1000.0f, 1000.0f);
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    Tensor a = run1(op, 13, x, {attr_int("axis", 1)}, 1);
    Tensor b = run1(op, 13, x, {attr_int("axis", 1)}, 2);
    EXPECT_TENSOR_EQ(a, b);
    EXPECT_TENSOR_NEAR(a, naive_softmax(x, 1, false, std::string(op) == "LogSoftmax"), 1e-4f, 1e-5f);
    Tensor c = run1(op, 13, x, {attr_int("axis", 0)}, 1);
    Tensor d = run1(op, 13, x, {attr_int("axis", 0)}, 2);
    EXPECT_TENSOR_EQ(c, d);
    EXPECT_TENSOR_NEAR(c, naive_softmax(x, 0, false, std::string(op) == "LogSoftmax"), 1e-4f, 1e-5f);
    // A single outer block with many columns: split into column chunks.
    Tensor seg = random_f32({1, 19, 37, 41}, 11, -6.0f, 6.0f);
    Tensor e = run1(op, 13, seg, {attr_int("axis", 1)}, 2);
    EXPECT_TENSOR_NEAR(e, naive_softmax(seg, 1, false, std::string(op) == "LogSoftmax"), 1e-5f, 1e-5f);
  }
  Tensor s = run1("Softmax", 13, x, {attr_int("axis", 1)});
  for (int64_t r = 0; r < 64; ++r) {
    double sum = 0;
    for (int64_t i = 0; i < 301; ++i) sum += s.data<float>()[r * 301 + i];
    EXPECT_NEAR(sum, 1.0, 1e-4);
  }
}

TEST(SoftmaxOp, Errors) {
  OpSpec s;
  s.op_type = "Softmax";
  s.opset = 13;
  s.inputs = {random_f32({2, 3}, 1)};
  s.attributes = attrs({attr_int("axis", 2)});
  auto r = run_op(s);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("axis"), std::string::npos) << r.status().to_string();
  s.attributes = attrs({attr_float("axis", 1.0f)});
  EXPECT_EQ(run_op(s).status().code(), StatusCode::kInvalidModel);
  s.attributes = attrs({});
  s.inputs = {random_int(DataType::kInt64, {2, 3}, 1, 0, 5)};
  EXPECT_EQ(run_op(s).status().code(), StatusCode::kUnsupported);
  s.inputs = {Tensor::scalar_f32(1.0f)};
  EXPECT_FALSE(run_op(s).is_ok());
}

}  // namespace
}  // namespace edgeinfer
