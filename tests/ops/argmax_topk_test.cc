#include <algorithm>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

namespace edgeinfer {
namespace {

using namespace edgeinfer::testing;

Result<std::vector<Tensor>> run(const std::string& op, std::vector<Tensor> inputs, std::vector<Attribute> a,
                                int64_t opset = 13, int outputs = 1, std::vector<int> consts = {}, int threads = 1) {
  OpSpec s;
  s.op_type = op;
  s.opset = opset;
  s.inputs = std::move(inputs);
  s.attributes = attrs(std::move(a));
  s.num_outputs = outputs;
  s.constant_inputs = std::move(consts);
  s.num_threads = threads;
  return run_op(s);
}

// Naive arg-reduction; values drawn from a small integer range so ties are frequent.
Tensor naive_arg(const Tensor& x, int axis, bool is_max, bool keepdims, bool last) {
  Shape out = x.shape();
  if (keepdims) out[axis] = 1;
  else out.erase(out.begin() + axis);
  Tensor y = Tensor::allocate(DataType::kInt64, out).value();
  int64_t outer = 1, inner = 1, n = x.dim(axis);
  for (int d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int d = axis + 1; d < x.rank(); ++d) inner *= x.dim(d);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < inner; ++j) {
      std::vector<float> v(n);
      for (int64_t i = 0; i < n; ++i) v[i] = x.data<float>()[(o * n + i) * inner + j];
      float target = is_max ? *std::max_element(v.begin(), v.end()) : *std::min_element(v.begin(), v.end());
      int64_t pick = -1;
      for (int64_t i = 0; i < n; ++i)
        if (v[i] == target && (pick < 0 || last)) pick = i;
      y.data<int64_t>()[o * inner + j] = pick;
    }
  return y;
}

Tensor small_ints_f32(const Shape& shape, uint32_t seed) {
  Tensor t = random_int(DataType::kInt64, shape, seed, -3, 3);
  Tensor f = Tensor::allocate(DataType::kFloat32, shape).value();
  for (int64_t i = 0; i < t.numel(); ++i) f.data<float>()[i] = static_cast<float>(t.data<int64_t>()[i]);
  return f;
}

TEST(ArgMaxOp, AllAttributes) {
  uint32_t seed = 1;
  for (Shape shape : {Shape{7}, Shape{3, 5}, Shape{2, 1, 6}, Shape{2, 3, 4, 5}}) {
    const int r = static_cast<int>(shape.size());
    Tensor x = small_ints_f32(shape, seed++);
    for (int axis = -r; axis < r; ++axis)
      for (bool keep : {false, true})
        for (bool last : {false, true})
          for (const char* op : {"ArgMax", "ArgMin"}) {
            auto got = run(op, {x}, {attr_int("axis", axis), attr_int("keepdims", keep), attr_int("select_last_index", last)});
            ASSERT_TRUE(got.is_ok()) << got.status().to_string();
            EXPECT_TENSOR_EQ(got.value()[0], naive_arg(x, axis < 0 ? axis + r : axis, std::string(op) == "ArgMax", keep, last))
                << op << " axis " << axis << " keep " << keep << " last " << last;
          }
  }
  // Default axis 0, keepdims 1; int64 input.
  Tensor xi = Tensor::from_vector<int64_t>({2, 3}, {1, 9, 3, 4, 2, 6});
  auto got = run("ArgMax", {xi}, {});
  ASSERT_TRUE(got.is_ok());
  EXPECT_TENSOR_EQ(got.value()[0], Tensor::from_vector<int64_t>({1, 3}, {1, 0, 1}));
  got = run("ArgMin", {xi}, {attr_int("axis", 1), attr_int("keepdims", 0)});
  ASSERT_TRUE(got.is_ok());
  EXPECT_TENSOR_EQ(got.value()[0], Tensor::from_vector<int64_t>({2}, {0, 1}));
  // Threads.
  Tensor big = random_f32({64, 300}, 3);
  auto a = run("ArgMax", {big}, {attr_int("axis", 1)}, 13, 1, {}, 1), b = run("ArgMax", {big}, {attr_int("axis", 1)}, 13, 1, {}, 2);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_TENSOR_EQ(a.value()[0], b.value()[0]);
  EXPECT_TENSOR_EQ(a.value()[0], naive_arg(big, 1, true, true, false));
  // Errors.
  EXPECT_FALSE(run("ArgMax", {xi}, {attr_int("axis", 2)}).is_ok());
  EXPECT_FALSE(run("ArgMax", {Tensor::allocate(DataType::kFloat32, {0, 3}).value()}, {}).is_ok());
}

void naive_topk(const Tensor& x, int axis, int64_t k, bool largest, Tensor* vals, Tensor* idx) {
  Shape out = x.shape();
  out[axis] = k;
  *vals = Tensor::allocate(x.dtype(), out).value();
  *idx = Tensor::allocate(DataType::kInt64, out).value();
  int64_t outer = 1, inner = 1, n = x.dim(axis);
  for (int d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int d = axis + 1; d < x.rank(); ++d) inner *= x.dim(d);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < inner; ++j) {
      std::vector<std::pair<double, int64_t>> v;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t at = (o * n + i) * inner + j;
        double e = x.dtype() == DataType::kFloat32 ? x.data<float>()[at] : static_cast<double>(get_int(x, at));
        v.push_back({largest ? -e : e, i});  // sort ascending by key, then by index
      }
      std::sort(v.begin(), v.end());
      for (int64_t i = 0; i < k; ++i) {
        const int64_t at = (o * k + i) * inner + j;
        const int64_t src = (o * n + v[i].second) * inner + j;
        if (x.dtype() == DataType::kFloat32) vals->data<float>()[at] = x.data<float>()[src];
        else vals->data<int64_t>()[at] = x.data<int64_t>()[src];
        idx->data<int64_t>()[at] = v[i].second;
      }
    }
}

TEST(TopKOp, InputKAllAxes) {
  uint32_t seed = 10;
  for (Shape shape : {Shape{9}, Shape{4, 7}, Shape{3, 5, 2}, Shape{2, 1, 33}}) {
    const int r = static_cast<int>(shape.size());
    Tensor x = small_ints_f32(shape, seed++);
    for (int axis = -r; axis < r; ++axis) {
      const int ax = axis < 0 ? axis + r : axis;
      for (int64_t k : {int64_t{0}, int64_t{1}, shape[ax] / 2, shape[ax]}) {
        for (bool largest : {false, true}) {
          for (bool constant : {false, true}) {
            Tensor kt = Tensor::from_vector<int64_t>({1}, {k});
            auto got = run("TopK", {x, kt}, {attr_int("axis", axis), attr_int("largest", largest), attr_int("sorted", 1)},
                           11, 2, constant ? std::vector<int>{1} : std::vector<int>{});
            ASSERT_TRUE(got.is_ok()) << got.status().to_string();
            Tensor v, i;
            naive_topk(x, ax, k, largest, &v, &i);
            EXPECT_TENSOR_EQ(got.value()[0], v) << "axis " << axis << " k " << k << " largest " << largest;
            EXPECT_TENSOR_EQ(got.value()[1], i);
          }
        }
      }
    }
  }
}

TEST(TopKOp, OpsetVariantsAndTypes) {
  Tensor x = random_f32({3, 10}, 5);
  Tensor v, i;
  naive_topk(x, 1, 4, true, &v, &i);
  auto a = run("TopK", {x}, {attr_int("k", 4)}, 1 + 8, 2);  // opset 9: attribute k, always largest
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  EXPECT_TENSOR_EQ(a.value()[0], v);
  EXPECT_TENSOR_EQ(a.value()[1], i);
  auto b = run("TopK", {x, Tensor::from_vector<int64_t>({1}, {4})}, {}, 10, 2, {1});
  ASSERT_TRUE(b.is_ok());
  EXPECT_TENSOR_EQ(b.value()[0], v);
  Tensor xi = random_int(DataType::kInt64, {4, 6}, 8, -5, 5);
  naive_topk(xi, 0, 2, false, &v, &i);
  auto c = run("TopK", {xi, Tensor::from_vector<int64_t>({1}, {2})}, {attr_int("axis", 0), attr_int("largest", 0)}, 11, 2);
  ASSERT_TRUE(c.is_ok());
  EXPECT_TENSOR_EQ(c.value()[0], v);
  EXPECT_TENSOR_EQ(c.value()[1], i);
  // Threads.
  Tensor big = random_f32({100, 50}, 6);
  auto t1 = run("TopK", {big, Tensor::from_vector<int64_t>({1}, {7})}, {}, 11, 2, {1}, 1);
  auto t2 = run("TopK", {big, Tensor::from_vector<int64_t>({1}, {7})}, {}, 11, 2, {1}, 2);
  ASSERT_TRUE(t1.is_ok() && t2.is_ok());
  EXPECT_TENSOR_EQ(t1.value()[0], t2.value()[0]);
  EXPECT_TENSOR_EQ(t1.value()[1], t2.value()[1]);
}

TEST(TopKOp, Errors) {
  Tensor x = random_f32({3, 4}, 1);
  EXPECT_FALSE(run("TopK", {x, Tensor::from_vector<int64_t>({1}, {5})}, {}, 11, 2).is_ok());
  EXPECT_FALSE(run("TopK", {x, Tensor::from_vector<int64_t>({1}, {5})}, {}, 11, 2, {1}).is_ok());
  EXPECT_FALSE(run("TopK", {x, Tensor::from_vector<int64_t>({1}, {-1})}, {}, 11, 2, {1}).is_ok());
  EXPECT_FALSE(run("TopK", {x, Tensor::from_vector<int64_t>({2}, {1, 2})}, {}, 11, 2, {1}).is_ok());
  EXPECT_FALSE(run("TopK", {x, Tensor::from_vector<float>({1}, {1})}, {}, 11, 2, {1}).is_ok());
  EXPECT_FALSE(run("TopK", {x}, {}, 9, 2).is_ok());  // k attribute missing
  EXPECT_FALSE(run("TopK", {x, Tensor::from_vector<int64_t>({1}, {1})}, {attr_int("axis", 2)}, 11, 2, {1}).is_ok());
}

Tensor naive_cumsum(const Tensor& x, int axis, bool excl, bool rev) {
  Tensor y = Tensor::allocate(x.dtype(), x.shape()).value();
  int64_t outer = 1, inner = 1, n = x.dim(axis);
  for (int d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int d = axis + 1; d < x.rank(); ++d) inner *= x.dim(d);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < inner; ++j)
      for (int64_t i = 0; i < n; ++i) {
        double s = 0;
        for (int64_t t = 0; t < n; ++t) {
          bool take = rev ? (excl ? t > i : t >= i) : (excl ? t < i : t <= i);
          const int64_t at = (o * n + t) * inner + j;
          if (take) s += x.dtype() == DataType::kFloat32 ? x.data<float>()[at] : static_cast<double>(get_int(x, at));
        }
        const int64_t at = (o * n + i) * inner + j;
        if (x.dtype() == DataType::kFloat32) y.data<float>()[at] = static_cast<float>(s);
        else if (x.dtype() == DataType::kInt64) y.data<int64_t>()[at] = static_cast<int64_t>(s);
        else y.data<int32_t>()[at] = static_cast<int32_t>(s);
      }
  return y;
}

TEST(CumSumOp, AllAttributesAndTypes) {
  uint32_t seed = 30;
  for (Shape shape : {Shape{6}, Shape{3, 4}, Shape{2, 1, 5}, Shape{2, 3, 4, 3}}) {
    const int r = static_cast<int>(shape.size());
    for (DataType dt : {DataType::kFloat32, DataType::kInt64, DataType::kInt32}) {
      Tensor x = dt == DataType::kFloat32 ? random_f32(shape, seed++) : random_int(dt, shape, seed++, -100, 100);
      for (int axis = -r; axis < r; ++axis)
        for (bool excl : {false, true})
          for (bool rev : {false, true}) {
            Tensor ax = (axis % 2) ? Tensor::scalar_i64(axis) : Tensor::from_vector<int32_t>({}, {axis});
            auto got = run("CumSum", {x, ax}, {attr_int("exclusive", excl), attr_int("reverse", rev)});
            ASSERT_TRUE(got.is_ok()) << got.status().to_string();
            EXPECT_TENSOR_NEAR(got.value()[0], naive_cumsum(x, axis < 0 ? axis + r : axis, excl, rev), 1e-5f, 1e-5f)
                << "axis " << axis << " excl " << excl << " rev " << rev;
          }
    }
  }
  Tensor x = Tensor::from_vector<float>({5}, {1, 2, 3, 4, 5});
  auto got = run("CumSum", {x, Tensor::scalar_i64(0)}, {attr_int("exclusive", 1), attr_int("reverse", 1)});
  ASSERT_TRUE(got.is_ok());
  EXPECT_TENSOR_EQ(got.value()[0], Tensor::from_vector<float>({5}, {14, 12, 9, 5, 0}));
  Tensor big = random_f32({300, 40}, 3);
  auto a = run("CumSum", {big, Tensor::scalar_i64(1)}, {}, 14, 1, {}, 1), b = run("CumSum", {big, Tensor::scalar_i64(1)}, {}, 14, 1, {}, 2);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_TENSOR_EQ(a.value()[0], b.value()[0]);
  EXPECT_FALSE(run("CumSum", {x, Tensor::scalar_i64(1)}, {}).is_ok());
  EXPECT_FALSE(run("CumSum", {x, Tensor::scalar_i64(1)}, {}, 14, 1, {1}).is_ok());
  EXPECT_FALSE(run("CumSum", {x, Tensor::scalar_f32(0)}, {}).is_ok());
  EXPECT_FALSE(run("CumSum", {x, Tensor::from_vector<int64_t>({2}, {0, 0})}, {}).is_ok());
}

}  // namespace
}  // namespace edgeinfer
