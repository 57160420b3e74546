#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

namespace edgeinfer {
namespace {

using namespace edgeinfer::testing;

// Naive reduction over the dims flagged in `red`; accumulates in double.
Tensor naive_reduce(const std::string& op, const Tensor& x, std::vector<bool> red, bool keepdims) {
  const int r = x.rank();
  Shape out_keep, out;
  for (int d = 0; d < r; ++d) {
    out_keep.push_back(red[d] ? 1 : x.dim(d));
    if (!red[d]) out.push_back(x.dim(d));
    else if (keepdims) out.push_back(1);
  }
  const int64_t on = numel(out_keep);
  std::vector<std::vector<double>> groups(static_cast<size_t>(on));
  std::vector<int64_t> idx(r, 0);
  auto val = [&](int64_t i) -> double {
    return x.dtype() == DataType::kFloat32 ? x.data<float>()[i] : static_cast<double>(get_int(x, i));
  };
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t rem = i, o = 0, stride = 1;
    for (int d = r - 1; d >= 0; --d) {
      int64_t c = rem % x.dim(d);
      rem /= x.dim(d);
      if (!red[d]) o += c * stride;
      stride *= out_keep[d];
    }
    groups[o].push_back(val(i));
  }
  Tensor y = Tensor::allocate(x.dtype(), keepdims ? out_keep : out).value();
  for (int64_t o = 0; o < on; ++o) {
    const auto& g = groups[o];
    double v = 0;
    if (op == "ReduceSum") for (double e : g) v += e;
    else if (op == "ReduceMean") { for (double e : g) v += e; v /= static_cast<double>(g.size()); }
    else if (op == "ReduceMax") { v = -INFINITY; for (double e : g) v = std::max(v, e); }
    else if (op == "ReduceMin") { v = INFINITY; for (double e : g) v = std::min(v, e); }
    else if (op == "ReduceProd") { v = 1; for (double e : g) v *= e; }
    else if (op == "ReduceL1") for (double e : g) v += std::fabs(e);
    else if (op == "ReduceL2") { for (double e : g) v += e * e; v = std::sqrt(v); }
    else if (op == "ReduceSumSquare") for (double e : g) v += e * e;
    else if (op == "ReduceLogSum") { for (double e : g) v += e; v = std::log(v); }
    else if (op == "ReduceLogSumExp") { for (double e : g) v += std::exp(e); v = std::log(v); }
    if (x.dtype() == DataType::kFloat32) {
      y.data<float>()[o] = static_cast<float>(v);
    } else if (x.dtype() == DataType::kInt64) {
      if (op == "ReduceMean") {  // integer mean truncates
        int64_t s = 0;
        for (double e : g) s += static_cast<int64_t>(e);
        y.data<int64_t>()[o] = s / static_cast<int64_t>(g.size());
      } else {
        y.data<int64_t>()[o] = static_cast<int64_t>(v);
      }
    } else if (x.dtype() == DataType::kInt32) {
      y.data<int32_t>()[o] = static_cast<int32_t>(v);
    }
  }
  return y;
}

const char* kAllOps[] = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
                         "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"};

int64_t axes_input_opset(const std::string& op) { return op == "ReduceSum" ? 13 : 18; }

Result<std::vector<Tensor>> run_reduce(const std::string& op, int64_t opset, const Tensor& x,
                                       const std::vector<int64_t>* axes, int64_t keepdims, int threads = 1,
                                       int64_t noop = -1, bool axes_const = true) {
  OpSpec s;
  s.op_type = op;
  s.opset = opset;
  s.num_threads = threads;
  std::vector<Attribute> a = {attr_int("keepdims", keepdims)};
  if (noop >= 0) a.push_back(attr_int("noop_with_empty_axes", noop));
  s.inputs = {x};
  if (opset >= axes_input_opset(op)) {
    if (axes) {
      s.inputs.push_back(Tensor::from_vector<int64_t>({static_cast<int64_t>(axes->size())}, *axes));
      if (axes_const) s.constant_inputs = {1};
    }
  } else if (axes) {
    a.push_back(attr_ints("axes", *axes));
  }
  s.attributes = attrs(a);
  return run_op(s);
}

// Positive values keep LogSum / Prod well defined; Prod stays bounded with values near 1.
Tensor input_for(const std::string& op, const Shape& shape, uint32_t seed) {
  if (op == "ReduceLogSum") return random_f32(shape, seed, 0.1f, 2.0f);
  if (op == "ReduceProd") return random_f32(shape, seed, 0.5f, 1.5f);
  return random_f32(shape, seed, -3.0f, 3.0f);
}

TEST(ReduceOp, AllOpsRandomAxesBothOpsets) {
  uint32_t seed = 1;
  const std::vector<Shape> shapes = {{7}, {3, 5}, {2, 3, 17}, {4, 1, 6, 5}, {2, 3, 1, 4, 3}, {1, 33, 9}};
  for (const char* op : kAllOps) {
    for (const Shape& shape : shapes) {
      const int r = static_cast<int>(shape.size());
      Tensor x = input_for(op, shape, seed++);
      // Every subset of axes (non-empty), written with a mix of negative and positive indices.
      for (int mask = 1; mask < (1 << r); ++mask) {
        std::vector<int64_t> axes;
        std::vector<bool> red(r, false);
        for (int d = 0; d < r; ++d)
          if (mask & (1 << d)) { axes.push_back((d + mask) % 2 ? d - r : d); red[d] = true; }
        for (int64_t keep : {0, 1}) {
          for (int64_t opset : {int64_t{11}, axes_input_opset(op)}) {
            auto got = run_reduce(op, opset, x, &axes, keep);
            ASSERT_TRUE(got.is_ok()) << got.status().to_string();
            EXPECT_TENSOR_NEAR(got.value()[0], naive_reduce(op, x, red, keep != 0), 1e-4f, 1e-4f)
                << op << " shape " << shape_to_string(shape) << " mask " << mask << " keepdims " << keep
                << " opset " << opset;
          }
        }
      }
    }
  }
}

TEST(ReduceOp, EmptyAxesReducesAllOrIsNoop) {
  Tensor x = random_f32({3, 4, 5}, 9, 0.5f, 1.5f);
  const std::vector<int64_t> empty;
  for (const char* op : kAllOps) {
    // Attribute absent (legacy opset) and input absent / empty (new opset) reduce everything.
    auto a = run_reduce(op, 11, x, nullptr, 1);
    ASSERT_TRUE(a.is_ok()) << a.status().to_string();
    EXPECT_TENSOR_NEAR(a.value()[0], naive_reduce(op, x, {true, true, true}, true), 1e-4f, 1e-4f) << op;
    auto b = run_reduce(op, axes_input_opset(op), x, &empty, 0);
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    EXPECT_TENSOR_NEAR(b.value()[0], naive_reduce(op, x, {true, true, true}, false), 1e-4f, 1e-4f) << op;
    EXPECT_EQ(b.value()[0].rank(), 0);
    auto c = run_reduce(op, axes_input_opset(op), x, nullptr, 1, 1, 1);
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    EXPECT_TENSOR_EQ(c.value()[0], x);
    auto d = run_reduce(op, axes_input_opset(op), x, &empty, 1, 1, 1);
    ASSERT_TRUE(d.is_ok());
    EXPECT_TENSOR_EQ(d.value()[0], x);
  }
}

TEST(ReduceOp, IntegerTypes) {
  uint32_t seed = 300;
  for (const char* op : {"ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceMean"}) {
    for (DataType dt : {DataType::kInt64, DataType::kInt32}) {
      Tensor x = std::string(op) == "ReduceProd" ? random_int(dt, {3, 4, 3}, seed++, -2, 2)
                                                 : random_int(dt, {3, 4, 5}, seed++, -1000, 1000);
      for (std::vector<int64_t> axes : {std::vector<int64_t>{1}, {-1}, {0, 2}, {0, 1, 2}}) {
        std::vector<bool> red(3, false);
        for (int64_t a : axes) red[(a + 3) % 3] = true;
        auto got = run_reduce(op, 13, x, &axes, 1);
        ASSERT_TRUE(got.is_ok()) << got.status().to_string();
        if (dt == DataType::kInt32 && std::string(op) == "ReduceMean") continue;
        EXPECT_TENSOR_EQ(got.value()[0], naive_reduce(op, x, red, true)) << op;
      }
    }
  }
  // Hand-checked int64 values beyond float precision.
  Tensor big = Tensor::from_vector<int64_t>({2, 2}, {(int64_t{1} << 40) + 1, 3, -(int64_t{1} << 40), 5});
  std::vector<int64_t> ax = {0};
  auto s = run_reduce("ReduceSum", 13, big, &ax, 0);
  ASSERT_TRUE(s.is_ok());
  EXPECT_TENSOR_EQ(s.value()[0], Tensor::from_vector<int64_t>({2}, {1, 8}));
  auto mx = run_reduce("ReduceMax", 18, big, &ax, 0);
  ASSERT_TRUE(mx.is_ok());
  EXPECT_TENSOR_EQ(mx.value()[0], Tensor::from_vector<int64_t>({2}, {(int64_t{1} << 40) + 1, 5}));
  // uint8 max/min.
  Tensor u = Tensor::from_vector<uint8_t>({2, 3}, {1, 200, 3, 250, 5, 6});
  ax = {1};
  auto um = run_reduce("ReduceMax", 18, u, &ax, 0);
  ASSERT_TRUE(um.is_ok()) << um.status().to_string();
  EXPECT_TENSOR_EQ(um.value()[0], Tensor::from_vector<uint8_t>({2}, {200, 250}));
}

TEST(ReduceOp, HandComputed) {
  Tensor x = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  std::vector<int64_t> ax = {1};
  auto m = run_reduce("ReduceMean", 18, x, &ax, 1);
  ASSERT_TRUE(m.is_ok());
  EXPECT_TENSOR_NEAR(m.value()[0], Tensor::from_vector<float>({2, 1}, {2, 5}), 1e-6f, 0);
  ax = {0};
  auto l2 = run_reduce("ReduceL2", 13, x, &ax, 0);
  ASSERT_TRUE(l2.is_ok());
  EXPECT_TENSOR_NEAR(l2.value()[0], Tensor::from_vector<float>({3}, {std::sqrt(17.f), std::sqrt(29.f), std::sqrt(45.f)}),
                     1e-6f, 1e-6f);
  // Stable LogSumExp for large values.
  Tensor big = Tensor::from_vector<float>({2}, {1000.0f, 1000.0f});
  ax = {0};
  auto lse = run_reduce("ReduceLogSumExp", 18, big, &ax, 0);
  ASSERT_TRUE(lse.is_ok());
  EXPECT_NEAR(lse.value()[0].data<float>()[0], 1000.0f + std::log(2.0f), 1e-3f);
}

TEST(ReduceOp, ZeroSizedReducedAxis) {
  Tensor x = Tensor::allocate(DataType::kFloat32, {2, 0, 3}).value();
  std::vector<int64_t> ax = {1};
  auto s = run_reduce("ReduceSum", 13, x, &ax, 0);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_TENSOR_EQ(s.value()[0], Tensor::from_vector<float>({2, 3}, std::vector<float>(6, 0.0f)));
  auto mx = run_reduce("ReduceMax", 13, x, &ax, 1);
  ASSERT_TRUE(mx.is_ok());
  EXPECT_TENSOR_EQ(mx.value()[0], Tensor::from_vector<float>({2, 1, 3}, std::vector<float>(6, -INFINITY)));
  auto p = run_reduce("ReduceProd", 13, x, &ax, 1);
  ASSERT_TRUE(p.is_ok());
  EXPECT_TENSOR_EQ(p.value()[0], Tensor::from_vector<float>({2, 1, 3}, std::vector<float>(6, 1.0f)));
}

TEST(ReduceOp, ThreadsAgreeOnLargeInputs) {
  for (Shape shape : {Shape{1, 40, 3000}, Shape{1, 3000, 40}, Shape{8, 4000}, Shape{6, 33, 70, 5}}) {
    Tensor x = random_f32(shape, 44);
    for (std::vector<int64_t> axes : {std::vector<int64_t>{-1}, {1}, {0, 2}}) {
      if (static_cast<size_t>(axes.back() < 0 ? 0 : axes.back()) >= shape.size()) continue;
      std::vector<bool> red(shape.size(), false);
      for (int64_t a : axes) red[(a + shape.size()) % shape.size()] = true;
      for (const char* op : {"ReduceMean", "ReduceMax", "ReduceSumSquare"}) {
        auto one = run_reduce(op, 18, x, &axes, 1, 1);
        auto two = run_reduce(op, 18, x, &axes, 1, 2);
        ASSERT_TRUE(one.is_ok() && two.is_ok());
        EXPECT_TENSOR_EQ(one.value()[0], two.value()[0]);
        EXPECT_TENSOR_NEAR(one.value()[0], naive_reduce(op, x, red, true), 1e-3f, 1e-4f) << op;
      }
    }
  }
}

TEST(ReduceOp, AxesKnownOnlyAtRunTime) {
  Tensor x = random_f32({3, 4, 5}, 5);
  std::vector<int64_t> axes = {0, -1};
  auto got = run_reduce("ReduceMax", 18, x, &axes, 0, 1, -1, /*axes_const=*/false);
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_TENSOR_NEAR(got.value()[0], naive_reduce("ReduceMax", x, {true, false, true}, false), 0, 0);
}

TEST(ReduceOp, Errors) {
  Tensor x = random_f32({3, 4}, 5);
  std::vector<int64_t> bad = {2};
  EXPECT_FALSE(run_reduce("ReduceSum", 13, x, &bad, 1).is_ok());
  EXPECT_FALSE(run_reduce("ReduceMean", 11, x, &bad, 1).is_ok());
  std::vector<int64_t> dup = {1, -1};
  auto r = run_reduce("ReduceSum", 13, x, &dup, 1);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidModel);
  // Axes attribute where the opset wants an input.
  OpSpec s;
  s.op_type = "ReduceMean";
  s.opset = 18;
  s.inputs = {x};
  s.attributes = attrs({attr_ints("axes", {0})});
  EXPECT_EQ(run_op(s).status().code(), StatusCode::kInvalidModel);
  // Float-only reductions reject ints.
  Tensor xi = random_int(DataType::kInt64, {3, 4}, 1, 0, 9);
  std::vector<int64_t> ax = {1};
  EXPECT_EQ(run_reduce("ReduceL2", 18, xi, &ax, 1).status().code(), StatusCode::kUnsupported);
  // Axes input of the wrong dtype.
  s.attributes = attrs({});
  s.inputs = {x, Tensor::from_vector<float>({1}, {0.0f})};
  s.constant_inputs = {1};
  EXPECT_FALSE(run_op(s).is_ok());
}

}  // namespace
}  // namespace edgeinfer
