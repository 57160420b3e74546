// Comparison, logic and Where ops through run_op(), against naive broadcast loops written here.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

namespace edgeinfer {
namespace {

using namespace edgeinfer::testing;

Result<std::vector<Tensor>> run(const std::string& op, std::vector<Tensor> inputs, int64_t opset = 16,
                                int threads = 1) {
  OpSpec s;
  s.op_type = op;
  s.opset = opset;
  s.inputs = std::move(inputs);
  s.num_threads = threads;
  return run_op(s);
}

Tensor run_ok(const std::string& op, std::vector<Tensor> inputs, int64_t opset = 16, int threads = 1) {
  auto r = run(op, std::move(inputs), opset, threads);
  EXPECT_TRUE(r.is_ok()) << op << ": " << r.status().to_string();
  if (!r.is_ok()) return Tensor();
  return r.value()[0];
}

Shape naive_broadcast(const std::vector<Shape>& shapes) {
  size_t rank = 0;
  for (const Shape& s : shapes) rank = std::max(rank, s.size());
  Shape out(rank, 1);
  for (const Shape& s : shapes)
    for (size_t i = 0; i < s.size(); ++i)
      if (s[i] != 1) out[rank - s.size() + i] = s[i];
  return out;
}

int64_t bcast_index(const Shape& s, const std::vector<int64_t>& coord) {
  int64_t idx = 0;
  for (size_t d = 0; d < s.size(); ++d) {
    const int64_t c = coord[coord.size() - s.size() + d];
    idx = idx * s[d] + (s[d] == 1 ? 0 : c);
  }
  return idx;
}

// Calls f(flat_out_index, per-input flat indices) over the broadcast shape of `shapes`.
void for_each_broadcast(const std::vector<Shape>& shapes, const std::function<void(int64_t, const std::vector<int64_t>&)>& f) {
  const Shape out = naive_broadcast(shapes);
  std::vector<int64_t> coord(out.size());
  for (int64_t flat = 0; flat < numel(out); ++flat) {
    int64_t r = flat;
    for (size_t d = out.size(); d-- > 0;) {
      coord[d] = r % out[d];
      r /= out[d];
    }
    std::vector<int64_t> idx;
    for (const Shape& s : shapes) idx.push_back(bcast_index(s, coord));
    f(flat, idx);
  }
}

template <typename T>
Tensor naive_compare(const Tensor& a, const Tensor& b, const std::function<bool(T, T)>& f) {
  Tensor y = Tensor::allocate(DataType::kBool, naive_broadcast({a.shape(), b.shape()})).value();
  for_each_broadcast({a.shape(), b.shape()}, [&](int64_t o, const std::vector<int64_t>& i) {
    y.data<bool>()[o] = f(a.data<T>()[i[0]], b.data<T>()[i[1]]);
  });
  return y;
}

const std::vector<std::pair<Shape, Shape>>& shape_cases() {
  static const std::vector<std::pair<Shape, Shape>> cases = {
      {{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {}}, {{}, {5}}, {{}, {}}, {{3, 1}, {1, 4}},
      {{2, 3, 4, 5}, {3, 1, 1}}, {{1, 64, 33, 33}, {64, 1, 1}}, {{0, 2}, {2}},
  };
  return cases;
}

TEST(CompareLogicOp, ComparisonsFloatAndInt) {
  struct Op {
    const char* name;
    std::function<bool(double, double)> f;
  };
  const Op ops[] = {
      {"Equal", [](double a, double b) { return a == b; }},
      {"Greater", [](double a, double b) { return a > b; }},
      {"GreaterOrEqual", [](double a, double b) { return a >= b; }},
      {"Less", [](double a, double b) { return a < b; }},
      {"LessOrEqual", [](double a, double b) { return a <= b; }},
  };
  uint32_t seed = 1;
  for (const Op& op : ops) {
    for (const auto& c : shape_cases()) {
      // Small integer-valued ranges so that equality happens often.
      Tensor ia = random_int(DataType::kInt64, c.first, seed++, -3, 3);
      Tensor ib = random_int(DataType::kInt64, c.second, seed++, -3, 3);
      EXPECT_TENSOR_EQ(run_ok(op.name, {ia, ib}, 16, 2),
                       naive_compare<int64_t>(ia, ib, [&](int64_t x, int64_t y) { return op.f(x, y); }))
          << op.name << " int64 " << shape_to_string(c.first) << " " << shape_to_string(c.second);
      Tensor ja = random_int(DataType::kInt32, c.first, seed++, -3, 3);
      Tensor jb = random_int(DataType::kInt32, c.second, seed++, -3, 3);
      EXPECT_TENSOR_EQ(run_ok(op.name, {ja, jb}),
                       naive_compare<int32_t>(ja, jb, [&](int32_t x, int32_t y) { return op.f(x, y); }));
      Tensor fa = Tensor::allocate(DataType::kFloat32, c.first).value();
      Tensor fb = Tensor::allocate(DataType::kFloat32, c.second).value();
      for (int64_t i = 0; i < ia.numel(); ++i) fa.data<float>()[i] = ia.data<int64_t>()[i] * 0.5f;
      for (int64_t i = 0; i < ib.numel(); ++i) fb.data<float>()[i] = ib.data<int64_t>()[i] * 0.5f;
      EXPECT_TENSOR_EQ(run_ok(op.name, {fa, fb}),
                       naive_compare<float>(fa, fb, [&](float x, float y) { return op.f(x, y); }));
    }
  }
}

TEST(CompareLogicOp, NaNComparesFalse) {
  Tensor a = Tensor::from_vector<float>({2}, {NAN, 1.0f});
  Tensor b = Tensor::from_vector<float>({2}, {NAN, NAN});
  for (const char* op : {"Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual"})
    EXPECT_TENSOR_EQ(run_ok(op, {a, b}), Tensor::from_vector<bool>({2}, {false, false})) << op;
}

TEST(CompareLogicOp, EqualBool) {
  Tensor a = Tensor::from_vector<bool>({4}, {true, true, false, false});
  Tensor b = Tensor::from_vector<bool>({4}, {true, false, true, false});
  EXPECT_TENSOR_EQ(run_ok("Equal", {a, b}), Tensor::from_vector<bool>({4}, {true, false, false, true}));
  EXPECT_TENSOR_EQ(run_ok("Equal", {a, Tensor::from_vector<bool>({}, {false})}),
                   Tensor::from_vector<bool>({4}, {false, false, true, true}));
}

TEST(CompareLogicOp, AndOrXorNot) {
  uint32_t seed = 70;
  for (const auto& c : shape_cases()) {
    Tensor a = random_int(DataType::kBool, c.first, seed++, 0, 1);
    Tensor b = random_int(DataType::kBool, c.second, seed++, 0, 1);
    EXPECT_TENSOR_EQ(run_ok("And", {a, b}), naive_compare<bool>(a, b, [](bool x, bool y) { return x && y; }));
    EXPECT_TENSOR_EQ(run_ok("Or", {a, b}), naive_compare<bool>(a, b, [](bool x, bool y) { return x || y; }));
    EXPECT_TENSOR_EQ(run_ok("Xor", {a, b}), naive_compare<bool>(a, b, [](bool x, bool y) { return x != y; }));
    Tensor n = run_ok("Not", {a});
    ASSERT_EQ(n.shape(), a.shape());
    for (int64_t i = 0; i < a.numel(); ++i) EXPECT_EQ(n.data<bool>()[i], !a.data<bool>()[i]);
  }
}

template <typename T>
Tensor naive_where(const Tensor& c, const Tensor& x, const Tensor& y) {
  Tensor out = Tensor::allocate(x.dtype(), naive_broadcast({c.shape(), x.shape(), y.shape()})).value();
  for_each_broadcast({c.shape(), x.shape(), y.shape()}, [&](int64_t o, const std::vector<int64_t>& i) {
    out.data<T>()[o] = c.data<bool>()[i[0]] ? x.data<T>()[i[1]] : y.data<T>()[i[2]];
  });
  return out;
}

TEST(CompareLogicOp, WhereThreeWayBroadcast) {
  const std::vector<std::vector<Shape>> cases = {
      {{2, 3, 4}, {2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {}, {}},        {{}, {3, 4}, {2, 1, 4}},
      {{3, 1}, {1, 4}, {2, 1, 1}},       {{1, 1, 5}, {4, 1}, {5}},   {{1, 32, 48, 48}, {32, 1, 1}, {}},
      {{0, 3}, {3}, {1}},                {{}, {}, {}},
  };
  uint32_t seed = 100;
  for (const auto& s : cases) {
    Tensor c = random_int(DataType::kBool, s[0], seed++, 0, 1);
    Tensor xf = random_f32(s[1], seed++), yf = random_f32(s[2], seed++);
    EXPECT_TENSOR_EQ(run_ok("Where", {c, xf, yf}, 16, 2), naive_where<float>(c, xf, yf));
    Tensor xi = random_int(DataType::kInt64, s[1], seed++, -1000, 1000);
    Tensor yi = random_int(DataType::kInt64, s[2], seed++, -1000, 1000);
    EXPECT_TENSOR_EQ(run_ok("Where", {c, xi, yi}), naive_where<int64_t>(c, xi, yi));
    Tensor xb = random_int(DataType::kUint8, s[1], seed++, 0, 255);
    Tensor yb = random_int(DataType::kUint8, s[2], seed++, 0, 255);
    EXPECT_TENSOR_EQ(run_ok("Where", {c, xb, yb}), naive_where<uint8_t>(c, xb, yb));
    Tensor xs = random_int(DataType::kInt32, s[1], seed++, -9, 9);
    Tensor ys = random_int(DataType::kInt32, s[2], seed++, -9, 9);
    EXPECT_TENSOR_EQ(run_ok("Where", {c, xs, ys}), naive_where<int32_t>(c, xs, ys));
  }
}

TEST(CompareLogicOp, Errors) {
  Tensor f = random_f32({2, 3}, 1);
  Tensor i = random_int(DataType::kInt64, {2, 3}, 2, 0, 3);
  Tensor bo = random_int(DataType::kBool, {2, 3}, 3, 0, 1);
  EXPECT_EQ(run("Equal", {f, i}).status().code(), StatusCode::kInvalidModel);
  EXPECT_EQ(run("Less", {f, random_f32({4}, 2)}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run("Greater", {bo, bo}).status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(run("And", {f, f}).status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(run("Not", {f}).status().code(), StatusCode::kInvalidModel);
  EXPECT_EQ(run("Where", {f, f, f}).status().code(), StatusCode::kInvalidModel);
  EXPECT_EQ(run("Where", {bo, f, i}).status().code(), StatusCode::kInvalidModel);
  EXPECT_EQ(run("Where", {bo, f, random_f32({4}, 5)}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run("Where", {bo, f}).status().code(), StatusCode::kInvalidModel);
}

}  // namespace
}  // namespace edgeinfer
