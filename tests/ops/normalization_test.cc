#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

namespace edgeinfer {
namespace {

using namespace edgeinfer::testing;

Result<std::vector<Tensor>> run(const std::string& op, std::vector<Tensor> inputs, std::vector<Attribute> a,
                                int64_t opset = 17, int outputs = 1, int threads = 1) {
  OpSpec s;
  s.op_type = op;
  s.opset = opset;
  s.inputs = std::move(inputs);
  s.attributes = attrs(std::move(a));
  s.num_outputs = outputs;
  s.num_threads = threads;
  return run_op(s);
}

TEST(BatchNormOp, MatchesNaive) {
  uint32_t seed = 1;
  for (Shape shape : {Shape{2, 3}, Shape{1, 4, 5, 7}, Shape{3, 2, 9}, Shape{2, 5, 2, 3, 3}}) {
    const int64_t c = shape[1];
    Tensor x = random_f32(shape, seed++), sc = random_f32({c}, seed++), b = random_f32({c}, seed++);
    Tensor m = random_f32({c}, seed++), v = random_f32({c}, seed++, 0.1f, 2.0f);
    Tensor want = Tensor::allocate(DataType::kFloat32, shape).value();
    const int64_t inner = x.numel() / (shape[0] * c);
    const float eps = 1e-3f;
    for (int64_t i = 0; i < x.numel(); ++i) {
      const int64_t ch = (i / inner) % c;
      want.data<float>()[i] = (x.data<float>()[i] - m.data<float>()[ch]) / std::sqrt(v.data<float>()[ch] + eps) *
                                  sc.data<float>()[ch] + b.data<float>()[ch];
    }
    for (int64_t opset : {7, 9, 15}) {
      for (int threads : {1, 2}) {
        auto r = run("BatchNormalization", {x, sc, b, m, v}, {attr_float("epsilon", eps), attr_float("momentum", 0.9f)},
                     opset, 1, threads);
        ASSERT_TRUE(r.is_ok()) << r.status().to_string();
        EXPECT_TENSOR_NEAR(r.value()[0], want, 1e-5f, 1e-5f);
      }
    }
  }
}

TEST(BatchNormOp, NonSpatialOpset7AndDefaults) {
  Tensor x = random_f32({2, 3, 4}, 5);
  Tensor sc = random_f32({3, 4}, 6), b = random_f32({3, 4}, 7), m = random_f32({3, 4}, 8), v = random_f32({3, 4}, 9, 0.5f, 1.0f);
  Tensor want = Tensor::allocate(DataType::kFloat32, {2, 3, 4}).value();
  for (int64_t i = 0; i < 24; ++i) {
    const int64_t p = i % 12;
    want.data<float>()[i] = (x.data<float>()[i] - m.data<float>()[p]) / std::sqrt(v.data<float>()[p] + 1e-5f) *
                                sc.data<float>()[p] + b.data<float>()[p];
  }
  auto r = run("BatchNormalization", {x, sc, b, m, v}, {attr_int("spatial", 0)}, 7);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_TENSOR_NEAR(r.value()[0], want, 1e-5f, 1e-5f);
  // spatial=1 with [C, D] parameters is a shape error.
  EXPECT_FALSE(run("BatchNormalization", {x, sc, b, m, v}, {}, 7).is_ok());
}

TEST(BatchNormOp, Errors) {
  Tensor x = random_f32({1, 3, 4}, 5), p = random_f32({3}, 1);
  EXPECT_EQ(run("BatchNormalization", {x, p, p, p, p}, {attr_int("training_mode", 1)}, 15).status().code(),
            StatusCode::kUnsupported);
  EXPECT_EQ(run("BatchNormalization", {x, p, p, p, p}, {}, 15, 3).status().code(), StatusCode::kUnsupported);
  EXPECT_FALSE(run("BatchNormalization", {x, random_f32({4}, 1), p, p, p}, {}, 15).is_ok());
  EXPECT_FALSE(run("BatchNormalization", {random_f32({3}, 1), p, p, p, p}, {}, 15).is_ok());
  EXPECT_FALSE(run("BatchNormalization", {x, p, p, p, p}, {attr_int("spatial", 1)}, 15).is_ok());
}

TEST(InstanceNormOp, MatchesNaive) {
  uint32_t seed = 20;
  for (Shape shape : {Shape{1, 3, 5}, Shape{2, 4, 6, 7}, Shape{2, 2, 1, 1}, Shape{1, 3, 2, 3, 4}, Shape{1, 8, 33, 65}}) {
    const int64_t c = shape[1];
    Tensor x = random_f32(shape, seed++, -3.0f, 5.0f), sc = random_f32({c}, seed++), b = random_f32({c}, seed++);
    const int64_t inner = x.numel() / (shape[0] * c);
    Tensor want = Tensor::allocate(DataType::kFloat32, shape).value();
    for (int64_t p = 0; p < shape[0] * c; ++p) {
      double mean = 0, var = 0;
      for (int64_t i = 0; i < inner; ++i) mean += x.data<float>()[p * inner + i];
      mean /= inner;
      for (int64_t i = 0; i < inner; ++i) var += std::pow(x.data<float>()[p * inner + i] - mean, 2);
      var /= inner;
      for (int64_t i = 0; i < inner; ++i)
        want.data<float>()[p * inner + i] = static_cast<float>(
            (x.data<float>()[p * inner + i] - mean) / std::sqrt(var + 1e-2) * sc.data<float>()[p % c] + b.data<float>()[p % c]);
    }
    for (int threads : {1, 2}) {
      auto r = run("InstanceNormalization", {x, sc, b}, {attr_float("epsilon", 1e-2f)}, 17, 1, threads);
      ASSERT_TRUE(r.is_ok()) << r.status().to_string();
      EXPECT_TENSOR_NEAR(r.value()[0], want, 1e-4f, 1e-4f);
    }
  }
  EXPECT_FALSE(run("InstanceNormalization", {random_f32({2, 3}, 1), random_f32({3}, 1), random_f32({3}, 1)}, {}).is_ok());
  EXPECT_FALSE(run("InstanceNormalization", {random_f32({2, 3, 4}, 1), random_f32({2}, 1), random_f32({3}, 1)}, {}).is_ok());
}

// Naive LayerNorm with Mean/InvStdDev, scale/bias broadcast from their (right-aligned) shapes.
void naive_layernorm(const Tensor& x, int axis, const Tensor& sc, const Tensor* b, float eps, Tensor* y, Tensor* mean,
                     Tensor* inv) {
  const Shape norm(x.shape().begin() + axis, x.shape().end());
  const int64_t n = numel(norm), rows = x.numel() / n;
  Shape stat(x.shape().begin(), x.shape().begin() + axis);
  stat.resize(x.rank(), 1);
  *y = Tensor::allocate(DataType::kFloat32, x.shape()).value();
  *mean = Tensor::allocate(DataType::kFloat32, stat).value();
  *inv = Tensor::allocate(DataType::kFloat32, stat).value();
  auto bcast = [&](const Tensor& t, int64_t i) {
    int64_t off = 0, mul = 1;
    for (int d = static_cast<int>(norm.size()) - 1, td = t.rank() - 1; td >= 0; --d, --td) {
      const int64_t c = (i % norm[d]);
      i /= norm[d];
      if (t.dim(td) != 1) off += c * mul;
      mul *= t.dim(td);
    }
    return t.data<float>()[off];
  };
  for (int64_t r = 0; r < rows; ++r) {
    double m = 0, v = 0;
    for (int64_t i = 0; i < n; ++i) m += x.data<float>()[r * n + i];
    m /= n;
    for (int64_t i = 0; i < n; ++i) v += std::pow(x.data<float>()[r * n + i] - m, 2);
    v /= n;
    const double is = 1.0 / std::sqrt(v + eps);
    for (int64_t i = 0; i < n; ++i)
      y->data<float>()[r * n + i] =
          static_cast<float>((x.data<float>()[r * n + i] - m) * is * bcast(sc, i) + (b ? bcast(*b, i) : 0.0f));
    mean->data<float>()[r] = static_cast<float>(m);
    inv->data<float>()[r] = static_cast<float>(is);
  }
}

TEST(LayerNormOp, AxesOutputsAndBroadcast) {
  uint32_t seed = 50;
  for (Shape shape : {Shape{4, 7}, Shape{2, 3, 5}, Shape{1, 25, 120}, Shape{3, 1, 4, 6}}) {
    const int r = static_cast<int>(shape.size());
    for (int axis = -r; axis < r; ++axis) {
      const int ax = axis < 0 ? axis + r : axis;
      const Shape norm(shape.begin() + ax, shape.end());
      Tensor x = random_f32(shape, seed++, -2.0f, 4.0f);
      Tensor sc = random_f32(norm, seed++), b = random_f32(norm, seed++);
      Tensor y, m, inv;
      naive_layernorm(x, ax, sc, &b, 1e-5f, &y, &m, &inv);
      for (int threads : {1, 2}) {
        auto got = run("LayerNormalization", {x, sc, b}, {attr_int("axis", axis)}, 17, 3, threads);
        ASSERT_TRUE(got.is_ok()) << got.status().to_string();
        EXPECT_TENSOR_NEAR(got.value()[0], y, 1e-4f, 1e-4f) << shape_to_string(shape) << " axis " << axis;
        EXPECT_TENSOR_NEAR(got.value()[1], m, 1e-5f, 1e-5f);
        EXPECT_TENSOR_NEAR(got.value()[2], inv, 1e-4f, 1e-4f);
      }
    }
  }
  // No bias, broadcast scale of shape [1, n] and [1], custom epsilon, default axis -1.
  Tensor x = random_f32({3, 4, 6}, 99);
  Tensor sc = random_f32({1, 6}, 98), s1 = random_f32({1}, 97);
  Tensor y, m, inv;
  naive_layernorm(x, 1, sc, nullptr, 0.5f, &y, &m, &inv);
  auto got = run("LayerNormalization", {x, sc}, {attr_float("epsilon", 0.5f), attr_int("axis", 1)});
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_TENSOR_NEAR(got.value()[0], y, 1e-5f, 1e-5f);
  Tensor s6 = random_f32({6}, 96);
  naive_layernorm(x, 2, s6, nullptr, 1e-5f, &y, &m, &inv);
  got = run("LayerNormalization", {x, s6}, {});
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_TENSOR_NEAR(got.value()[0], y, 1e-4f, 1e-4f);
  naive_layernorm(x, 1, s1, &s1, 1e-5f, &y, &m, &inv);
  got = run("LayerNormalization", {x, s1, s1}, {attr_int("axis", 1)});
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_TENSOR_NEAR(got.value()[0], y, 1e-4f, 1e-4f);
}

TEST(LayerNormOp, Errors) {
  Tensor x = random_f32({2, 3, 4}, 1);
  EXPECT_FALSE(run("LayerNormalization", {x, random_f32({3}, 1)}, {}).is_ok());
  EXPECT_FALSE(run("LayerNormalization", {x, random_f32({4}, 1)}, {attr_int("axis", 3)}).is_ok());
  EXPECT_EQ(run("LayerNormalization", {x, random_f32({4}, 1)}, {attr_int("stash_type", 10)}).status().code(),
            StatusCode::kUnsupported);
  EXPECT_FALSE(run("LayerNormalization", {x, random_f32({2, 3, 3, 4}, 1)}, {attr_int("axis", 1)}).is_ok());
}

}  // namespace
}  // namespace edgeinfer
