// Elementwise arithmetic and unary ops through run_op(), against naive loops written here: numpy
// broadcasting computed by unravelling the output index, std:: math for unary functions.
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

Result<std::vector<Tensor>> run(const std::string& op, std::vector<Tensor> inputs, std::vector<Attribute> a = {},
                                int64_t opset = 17, int threads = 1) {
  OpSpec s;
  s.op_type = op;
  s.opset = opset;
  s.inputs = std::move(inputs);
  s.attributes = attrs(std::move(a));
  s.num_threads = threads;
  return run_op(s);
}

Tensor run_ok(const std::string& op, std::vector<Tensor> inputs, std::vector<Attribute> a = {}, int64_t opset = 17,
              int threads = 1) {
  auto r = run(op, std::move(inputs), std::move(a), opset, threads);
  EXPECT_TRUE(r.is_ok()) << op << ": " << r.status().to_string();
  if (!r.is_ok()) return Tensor();
  return r.value()[0];
}

StatusCode run_code(const std::string& op, std::vector<Tensor> inputs, std::vector<Attribute> a = {},
                    int64_t opset = 17) {
  auto r = run(op, std::move(inputs), std::move(a), opset);
  return r.status().code();
}

Shape naive_broadcast(const std::vector<Shape>& shapes) {
  size_t rank = 0;
  for (const Shape& s : shapes) rank = std::max(rank, s.size());
  Shape out(rank, 1);
  for (const Shape& s : shapes)
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t& o = out[rank - s.size() + i];
      if (s[i] != 1) o = s[i];
    }
  return out;
}

// Index into `s` of the output coordinate `coord` under numpy broadcasting.
int64_t bcast_index(const Shape& s, const std::vector<int64_t>& coord) {
  int64_t idx = 0;
  for (size_t d = 0; d < s.size(); ++d) {
    const int64_t c = coord[coord.size() - s.size() + d];
    idx = idx * s[d] + (s[d] == 1 ? 0 : c);
  }
  return idx;
}

// out[i] = f(in0[..], in1[..], ...) over the broadcast shape, for inputs of type T and output O.
template <typename T, typename O>
Tensor naive_nary(const std::vector<Tensor>& ins, const std::function<O(const std::vector<T>&)>& f) {
  std::vector<Shape> shapes;
  for (const Tensor& t : ins) shapes.push_back(t.shape());
  const Shape out = naive_broadcast(shapes);
  Tensor y = Tensor::allocate(dtype_of<O>(), out).value();
  std::vector<int64_t> coord(out.size());
  for (int64_t flat = 0; flat < y.numel(); ++flat) {
    int64_t r = flat;
    for (size_t d = out.size(); d-- > 0;) {
      coord[d] = r % out[d];
      r /= out[d];
    }
    std::vector<T> args;
    for (const Tensor& t : ins) args.push_back(t.data<T>()[bcast_index(t.shape(), coord)]);
    y.data<O>()[flat] = f(args);
  }
  return y;
}

Tensor naive_f32(const std::vector<Tensor>& ins, const std::function<float(const std::vector<float>&)>& f) {
  return naive_nary<float, float>(ins, f);
}

template <typename T>
Tensor naive_binary(const Tensor& a, const Tensor& b, std::function<T(T, T)> f) {
  return naive_nary<T, T>({a, b}, [&](const std::vector<T>& v) { return f(v[0], v[1]); });
}

// Shape pairs that exercise every broadcast pattern: equal, scalar, rank 0, per-channel,
// row, both sides broadcasting, size-1 dims, long rows.
std::vector<std::pair<Shape, Shape>> broadcast_cases() {
  return {
      {{2, 3, 4, 5}, {2, 3, 4, 5}},
      {{2, 3, 4, 5}, {}},
      {{}, {2, 3, 4, 5}},
      {{}, {}},
      {{1}, {7}},
      {{2, 3, 4, 5}, {3, 1, 1}},
      {{1, 3, 1, 1}, {2, 3, 4, 5}},
      {{2, 3, 4, 5}, {5}},
      {{3, 1, 5}, {1, 4, 1}},
      {{4, 1}, {1, 6}},
      {{1, 1, 1}, {3, 1, 2}},
      {{2, 1, 3, 1, 5}, {7, 1, 1, 5}},
      {{3, 67}, {3, 1}},
      {{0, 3}, {1, 3}},
      {{1, 16, 80, 83}, {1, 16, 1, 1}},  // > 64K elements: the threaded path
  };
}

TEST(ElementwiseOp, FloatArithmeticBroadcasting) {
  struct Op {
    const char* name;
    std::function<float(float, float)> f;
  };
  const Op ops[] = {
      {"Add", [](float a, float b) { return a + b; }},
      {"Sub", [](float a, float b) { return a - b; }},
      {"Mul", [](float a, float b) { return a * b; }},
      {"Div", [](float a, float b) { return a / b; }},
  };
  uint32_t seed = 1;
  for (const Op& op : ops) {
    for (const auto& c : broadcast_cases()) {
      for (int threads : {1, 2}) {
        Tensor a = random_f32(c.first, seed++, -2, 2);
        Tensor b = random_f32(c.second, seed++, 0.5f, 2);
        Tensor got = run_ok(op.name, {a, b}, {}, 14, threads);
        EXPECT_TENSOR_EQ(got, naive_binary<float>(a, b, op.f))
            << op.name << " " << shape_to_string(c.first) << " " << shape_to_string(c.second);
      }
    }
  }
}

TEST(ElementwiseOp, IntArithmetic) {
  uint32_t seed = 50;
  for (DataType dt : {DataType::kInt64, DataType::kInt32}) {
    for (const auto& c : broadcast_cases()) {
      Tensor a = random_int(dt, c.first, seed++, -1000, 1000);
      Tensor b = random_int(dt, c.second, seed++, 1, 50);
      for (const char* op : {"Add", "Sub", "Mul", "Div", "Max", "Min"}) {
        Tensor got = run_ok(op, {a, b}, {}, 13);
        Tensor want;
        const std::string s = op;
        if (dt == DataType::kInt64) {
          want = naive_binary<int64_t>(a, b, [&](int64_t x, int64_t y) -> int64_t {
            return s == "Add" ? x + y : s == "Sub" ? x - y : s == "Mul" ? x * y : s == "Div" ? x / y
                 : s == "Max" ? std::max(x, y) : std::min(x, y);
          });
        } else {
          want = naive_binary<int32_t>(a, b, [&](int32_t x, int32_t y) -> int32_t {
            return s == "Add" ? x + y : s == "Sub" ? x - y : s == "Mul" ? x * y : s == "Div" ? x / y
                 : s == "Max" ? std::max(x, y) : std::min(x, y);
          });
        }
        EXPECT_TENSOR_EQ(got, want) << op << " " << dtype_name(dt) << " " << shape_to_string(c.first);
      }
    }
  }
}

TEST(ElementwiseOp, IntDivisionTruncatesAndWraps) {
  Tensor a = Tensor::from_vector<int64_t>({5}, {-7, 7, -7, std::numeric_limits<int64_t>::min(), 3});
  Tensor b = Tensor::from_vector<int64_t>({5}, {2, -2, -2, -1, 5});
  EXPECT_TENSOR_EQ(run_ok("Div", {a, b}),
                   Tensor::from_vector<int64_t>({5}, {-3, -3, 3, std::numeric_limits<int64_t>::min(), 0}));
  Tensor i32a = Tensor::from_vector<int32_t>({2}, {std::numeric_limits<int32_t>::max(), -9});
  Tensor i32b = Tensor::from_vector<int32_t>({2}, {1, 4});
  EXPECT_TENSOR_EQ(run_ok("Add", {i32a, i32b}),
                   Tensor::from_vector<int32_t>({2}, {std::numeric_limits<int32_t>::min(), -5}));
  EXPECT_TENSOR_EQ(run_ok("Div", {i32a, i32b}),
                   Tensor::from_vector<int32_t>({2}, {std::numeric_limits<int32_t>::max(), -2}));
  // A zero divisor is an error, not a crash.
  auto r = run("Div", {a, Tensor::from_vector<int64_t>({}, {0})});
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("division by zero"), std::string::npos);
  // Float division by zero follows IEEE.
  Tensor q = run_ok("Div", {Tensor::from_vector<float>({3}, {1, -1, 0}), Tensor::scalar_f32(0.0f)});
  EXPECT_EQ(q.data<float>()[0], INFINITY);
  EXPECT_EQ(q.data<float>()[1], -INFINITY);
  EXPECT_TRUE(std::isnan(q.data<float>()[2]));
}

TEST(ElementwiseOp, OtherDtypes) {
  Tensor a = Tensor::from_vector<double>({3}, {1.5, -2.25, 1e300});
  Tensor b = Tensor::from_vector<double>({}, {2.0});
  EXPECT_TENSOR_EQ(run_ok("Mul", {a, b}), Tensor::from_vector<double>({3}, {3.0, -4.5, 2e300}));
  Tensor u = Tensor::from_vector<uint8_t>({3}, {250, 3, 7});
  Tensor v = Tensor::from_vector<uint8_t>({3}, {10, 5, 2});
  EXPECT_TENSOR_EQ(run_ok("Add", {u, v}), Tensor::from_vector<uint8_t>({3}, {4, 8, 9}));
  EXPECT_TENSOR_EQ(run_ok("Sub", {u, v}), Tensor::from_vector<uint8_t>({3}, {240, 254, 5}));
  EXPECT_TENSOR_EQ(run_ok("Div", {u, v}), Tensor::from_vector<uint8_t>({3}, {25, 0, 3}));
}

TEST(ElementwiseOp, Errors) {
  Tensor a = random_f32({2, 3}, 1), b = random_f32({4}, 2);
  EXPECT_EQ(run_code("Add", {a, b}), StatusCode::kInvalidArgument);  // 3 vs 4
  EXPECT_EQ(run_code("Mul", {random_f32({2, 3, 4}, 3), random_f32({3, 1, 3}, 4)}), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code("Add", {a, random_int(DataType::kInt64, {2, 3}, 5, 0, 3)}), StatusCode::kInvalidModel);
  EXPECT_EQ(run_code("Add", {random_int(DataType::kBool, {2}, 1, 0, 1), random_int(DataType::kBool, {2}, 2, 0, 1)}),
            StatusCode::kUnsupported);
  EXPECT_EQ(run_code("Sum", {random_int(DataType::kInt64, {2}, 1, 0, 1)}), StatusCode::kUnsupported);
  EXPECT_EQ(run_code("Add", {a}), StatusCode::kInvalidModel);
  EXPECT_EQ(run_code("Add", {a, a}, {attr_int("broadcast", 1)}), StatusCode::kUnsupported);
  EXPECT_EQ(run_code("Max", {a, b, a}), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code("Max", {}), StatusCode::kInvalidModel);
  auto r = run("Add", {a, b});
  EXPECT_NE(r.status().message().find("[2,3]"), std::string::npos) << r.status().message();
}

TEST(ElementwiseOp, Pow) {
  Tensor base = random_f32({2, 3, 5}, 7, 0.1f, 3.0f);
  Tensor e = random_f32({3, 1}, 8, -2.0f, 2.0f);
  EXPECT_TENSOR_NEAR(run_ok("Pow", {base, e}),
                     naive_binary<float>(base, e, [](float x, float y) { return std::pow(x, y); }), 0, 1e-6f);
  // Scalar exponent 2 (the x*x path) with negative bases.
  Tensor neg = random_f32({3, 7}, 9, -4, 4);
  EXPECT_TENSOR_EQ(run_ok("Pow", {neg, Tensor::scalar_f32(2.0f)}),
                   naive_binary<float>(neg, Tensor::scalar_f32(2.0f), [](float x, float) { return x * x; }));
  // Integer exponents (opset 12+ mixed types) with negative bases.
  Tensor x = Tensor::from_vector<float>({4}, {-2.0f, 3.0f, 0.5f, -1.5f});
  Tensor ie = Tensor::from_vector<int64_t>({4}, {3, -2, 4, 2});
  EXPECT_TENSOR_NEAR(run_ok("Pow", {x, ie}), Tensor::from_vector<float>({4}, {-8.0f, 1.0f / 9.0f, 0.0625f, 2.25f}),
                     0, 1e-7f);
  Tensor ie32 = Tensor::from_vector<int32_t>({}, {3});
  EXPECT_TENSOR_EQ(run_ok("Pow", {x, ie32}), Tensor::from_vector<float>({4}, {-8.0f, 27.0f, 0.125f, -3.375f}));
  // Integer base.
  Tensor ib = Tensor::from_vector<int64_t>({4}, {2, -3, 5, 2});
  EXPECT_TENSOR_EQ(run_ok("Pow", {ib, Tensor::from_vector<int64_t>({4}, {10, 3, 0, -1})}),
                   Tensor::from_vector<int64_t>({4}, {1024, -27, 1, 0}));
  // Float exponent on a float base with NaN result for negative base.
  Tensor nanr = run_ok("Pow", {Tensor::scalar_f32(-2.0f), Tensor::scalar_f32(0.5f)});
  EXPECT_TRUE(std::isnan(nanr.data<float>()[0]));
  EXPECT_EQ(run_code("Pow", {random_int(DataType::kUint8, {2}, 1, 0, 3), Tensor::scalar_f32(1)}),
            StatusCode::kUnsupported);
}

TEST(ElementwiseOp, PRelu) {
  Tensor x = random_f32({2, 3, 4, 5}, 11, -2, 2);
  auto prelu = [](float v, float s) { return v < 0 ? v * s : v; };
  for (Shape slope_shape : {Shape{3, 1, 1}, Shape{1}, Shape{}, Shape{5}, Shape{2, 3, 4, 5}, Shape{1, 3, 1, 1}}) {
    Tensor s = random_f32(slope_shape, 12, 0, 0.5f);
    EXPECT_TENSOR_EQ(run_ok("PRelu", {x, s}), naive_binary<float>(x, s, prelu)) << shape_to_string(slope_shape);
  }
  // The slope broadcasts to X, never the other way round.
  EXPECT_EQ(run_code("PRelu", {random_f32({3, 1}, 1), random_f32({3, 4}, 2)}), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code("PRelu", {x, random_f32({3}, 2)}), StatusCode::kInvalidArgument);
  Tensor xi = Tensor::from_vector<int64_t>({3}, {-4, 0, 5});
  EXPECT_TENSOR_EQ(run_ok("PRelu", {xi, Tensor::from_vector<int64_t>({}, {3})}),
                   Tensor::from_vector<int64_t>({3}, {-12, 0, 5}));
}

TEST(ElementwiseOp, VariadicMaxMinSumMean) {
  Tensor a = random_f32({2, 1, 4}, 20, -3, 3);
  Tensor b = random_f32({3, 1}, 21, -3, 3);
  Tensor c = random_f32({}, 22, -3, 3);
  Tensor d = random_f32({2, 3, 4}, 23, -3, 3);
  const std::vector<Tensor> all = {a, b, c, d};
  using Fold = std::function<float(const std::vector<float>&)>;
  const Fold fmax = [](const std::vector<float>& v) {
    float m = v[0];
    for (float x : v) m = std::max(m, x);
    return m;
  };
  const Fold fmin = [](const std::vector<float>& v) {
    float m = v[0];
    for (float x : v) m = std::min(m, x);
    return m;
  };
  const Fold fsum = [](const std::vector<float>& v) {
    float s = 0;
    for (float x : v) s += x;
    return s;
  };
  const Fold fmean = [&](const std::vector<float>& v) { return fsum(v) / static_cast<float>(v.size()); };
  EXPECT_TENSOR_EQ(run_ok("Max", all), naive_f32(all, fmax));
  EXPECT_TENSOR_EQ(run_ok("Min", all), naive_f32(all, fmin));
  EXPECT_TENSOR_NEAR(run_ok("Sum", all), naive_f32(all, fsum), 1e-6f, 1e-6f);
  EXPECT_TENSOR_NEAR(run_ok("Mean", all), naive_f32(all, fmean), 1e-6f, 1e-6f);
  // One input: a copy. Two inputs of different ranks.
  EXPECT_TENSOR_EQ(run_ok("Max", {d}), d);
  EXPECT_TENSOR_EQ(run_ok("Mean", {d}), d);
  EXPECT_TENSOR_EQ(run_ok("Sum", {b, c}), naive_binary<float>(b, c, [](float x, float y) { return x + y; }));
  // NaN propagates through Max/Min.
  Tensor n = Tensor::from_vector<float>({2}, {NAN, 1.0f});
  Tensor m = run_ok("Max", {n, Tensor::scalar_f32(5.0f)});
  EXPECT_TRUE(std::isnan(m.data<float>()[0]));
  EXPECT_EQ(m.data<float>()[1], 5.0f);
  // Integer Max/Min (shape arithmetic).
  Tensor i1 = Tensor::from_vector<int64_t>({3}, {1, -5, 9});
  Tensor i2 = Tensor::from_vector<int64_t>({}, {2});
  Tensor i3 = Tensor::from_vector<int64_t>({3}, {0, 7, 3});
  EXPECT_TENSOR_EQ(run_ok("Max", {i1, i2, i3}), Tensor::from_vector<int64_t>({3}, {2, 7, 9}));
  EXPECT_TENSOR_EQ(run_ok("Min", {i1, i2, i3}), Tensor::from_vector<int64_t>({3}, {0, -5, 2}));
  // Large, threaded.
  Tensor big = random_f32({1, 32, 64, 64}, 30);
  Tensor chan = random_f32({32, 1, 1}, 31);
  const std::vector<Tensor> three = {big, chan, Tensor::scalar_f32(0.1f)};
  EXPECT_TENSOR_EQ(run_ok("Max", three, {}, 13, 2), naive_f32(three, fmax));
}

// ---- Unary

struct UnaryCase {
  const char* op;
  std::vector<Attribute> attributes;
  float lo, hi;
  std::function<double(double)> f;
  float atol, rtol;
};

TEST(ElementwiseOp, UnaryFloatOps) {
  const double kSeluA = 1.67326319217681884765625, kSeluG = 1.05070102214813232421875;
  const std::vector<UnaryCase> cases = {
      {"Abs", {}, -5, 5, [](double x) { return std::fabs(x); }, 0, 0},
      {"Neg", {}, -5, 5, [](double x) { return -x; }, 0, 0},
      {"Sqrt", {}, 0, 50, [](double x) { return std::sqrt(x); }, 0, 1e-7f},
      {"Exp", {}, -20, 20, [](double x) { return std::exp(x); }, 0, 3e-7f},
      {"Log", {}, 0.001f, 100, [](double x) { return std::log(x); }, 1e-7f, 2e-7f},
      {"Reciprocal", {}, 0.1f, 10, [](double x) { return 1.0 / x; }, 0, 1e-7f},
      {"Floor", {}, -9, 9, [](double x) { return std::floor(x); }, 0, 0},
      {"Ceil", {}, -9, 9, [](double x) { return std::ceil(x); }, 0, 0},
      {"Round", {}, -9, 9, [](double x) { return std::nearbyint(x); }, 0, 0},
      {"Erf", {}, -4, 4, [](double x) { return std::erf(x); }, 5e-7f, 0},
      {"Tanh", {}, -6, 6, [](double x) { return std::tanh(x); }, 1e-7f, 4e-7f},
      {"Sigmoid", {}, -20, 20, [](double x) { return 1 / (1 + std::exp(-x)); }, 0, 3e-7f},
      {"Relu", {}, -5, 5, [](double x) { return x > 0 ? x : 0; }, 0, 0},
      {"LeakyRelu", {}, -5, 5, [](double x) { return x < 0 ? double(0.01f) * x : x; }, 1e-8f, 1e-7f},
      {"LeakyRelu", {attr_float("alpha", 0.3f)}, -5, 5, [](double x) { return x < 0 ? double(0.3f) * x : x; }, 1e-8f, 1e-7f},
      {"Elu", {}, -5, 5, [](double x) { return x < 0 ? std::expm1(x) : x; }, 1e-7f, 1e-6f},
      {"Elu", {attr_float("alpha", 2.0f)}, -5, 5, [](double x) { return x < 0 ? 2 * std::expm1(x) : x; }, 1e-7f, 1e-6f},
      {"Selu", {}, -5, 5, [&](double x) { return x <= 0 ? kSeluG * kSeluA * std::expm1(x) : kSeluG * x; }, 1e-7f, 1e-6f},
      {"Selu", {attr_float("alpha", 2.0f), attr_float("gamma", 3.0f)}, -5, 5,
       [](double x) { return x <= 0 ? 3 * 2 * std::expm1(x) : 3 * x; }, 1e-7f, 1e-6f},
      {"Softplus", {}, -30, 30, [](double x) { return std::log1p(std::exp(x)); }, 1e-7f, 1e-6f},
      {"Softsign", {}, -5, 5, [](double x) { return x / (1 + std::fabs(x)); }, 0, 2e-7f},
      {"HardSigmoid", {}, -5, 5, [](double x) { return std::min(1.0, std::max(0.0, 0.2 * x + 0.5)); }, 1e-7f, 0},
      {"HardSigmoid", {attr_float("alpha", 0.5f), attr_float("beta", 0.25f)}, -5, 5,
       [](double x) { return std::min(1.0, std::max(0.0, 0.5 * x + 0.25)); }, 1e-7f, 0},
      {"HardSwish", {}, -6, 6, [](double x) { return x * std::min(1.0, std::max(0.0, x / 6 + 0.5)); }, 1e-6f, 1e-6f},
      // Gelu's absolute error is erf's (<= 5e-7) times |x| / 2.
      {"Gelu", {}, -5, 5, [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }, 1.5e-6f, 1e-6f},
      {"Gelu", {attr_string("approximate", "tanh")}, -5, 5,
       [](double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))); }, 1e-6f,
       1e-6f},
      {"Sign", {}, -3, 3, [](double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }, 0, 0},
      {"Sin", {}, -6, 6, [](double x) { return std::sin(x); }, 1e-7f, 1e-6f},
      {"Cos", {}, -6, 6, [](double x) { return std::cos(x); }, 1e-7f, 1e-6f},
  };
  uint32_t seed = 300;
  for (const UnaryCase& c : cases) {
    for (Shape shape : {Shape{}, Shape{1}, Shape{7}, Shape{3, 1, 67}, Shape{2, 0}, Shape{1, 16, 72, 64}}) {
      Tensor x = random_f32(shape, seed++, c.lo, c.hi);
      Tensor want = Tensor::allocate(DataType::kFloat32, shape).value();
      for (int64_t i = 0; i < x.numel(); ++i) want.data<float>()[i] = static_cast<float>(c.f(x.data<float>()[i]));
      const int opset = std::string(c.op) == "Gelu" ? 20 : 17;
      EXPECT_TENSOR_NEAR(run_ok(c.op, {x}, c.attributes, opset, 2), want, c.atol, c.rtol)
          << c.op << " " << shape_to_string(shape);
    }
  }
}

TEST(ElementwiseOp, UnarySpecialValues) {
  Tensor x = Tensor::from_vector<float>({6}, {NAN, INFINITY, -INFINITY, 0.0f, 2.5f, -0.5f});
  Tensor r = run_ok("Round", {x});
  EXPECT_TRUE(std::isnan(r.data<float>()[0]));
  EXPECT_EQ(r.data<float>()[4], 2.0f);
  EXPECT_EQ(r.data<float>()[5], -0.0f);
  Tensor s = run_ok("Sigmoid", {x});
  EXPECT_TRUE(std::isnan(s.data<float>()[0]));
  EXPECT_EQ(s.data<float>()[1], 1.0f);
  EXPECT_EQ(s.data<float>()[2], 0.0f);
  EXPECT_EQ(s.data<float>()[3], 0.5f);
  Tensor relu = run_ok("Relu", {x});
  EXPECT_TRUE(std::isnan(relu.data<float>()[0]));
  EXPECT_EQ(relu.data<float>()[1], INFINITY);
  EXPECT_EQ(relu.data<float>()[2], 0.0f);
  Tensor lg = run_ok("Log", {Tensor::from_vector<float>({2}, {0.0f, -1.0f})});
  EXPECT_EQ(lg.data<float>()[0], -INFINITY);
  EXPECT_TRUE(std::isnan(lg.data<float>()[1]));
  Tensor sp = run_ok("Softplus", {Tensor::from_vector<float>({2}, {100.0f, -100.0f})});
  EXPECT_EQ(sp.data<float>()[0], 100.0f);
  EXPECT_NEAR(sp.data<float>()[1], std::exp(-100.0), 1e-45);
}

TEST(ElementwiseOp, UnaryIntOps) {
  Tensor x = Tensor::from_vector<int64_t>({5}, {-3, 0, 4, std::numeric_limits<int64_t>::min(), -1});
  EXPECT_TENSOR_EQ(run_ok("Abs", {x}), Tensor::from_vector<int64_t>({5}, {3, 0, 4, std::numeric_limits<int64_t>::min(), 1}));
  EXPECT_TENSOR_EQ(run_ok("Neg", {x}), Tensor::from_vector<int64_t>({5}, {3, 0, -4, std::numeric_limits<int64_t>::min(), 1}));
  EXPECT_TENSOR_EQ(run_ok("Relu", {x}), Tensor::from_vector<int64_t>({5}, {0, 0, 4, 0, 0}));
  EXPECT_TENSOR_EQ(run_ok("Sign", {x}), Tensor::from_vector<int64_t>({5}, {-1, 0, 1, -1, -1}));
  Tensor y = Tensor::from_vector<int32_t>({3}, {-7, 8, 0});
  EXPECT_TENSOR_EQ(run_ok("Abs", {y}), Tensor::from_vector<int32_t>({3}, {7, 8, 0}));
  EXPECT_TENSOR_EQ(run_ok("Neg", {y}), Tensor::from_vector<int32_t>({3}, {7, -8, 0}));
  EXPECT_TENSOR_EQ(run_ok("Relu", {y}), Tensor::from_vector<int32_t>({3}, {0, 8, 0}));
  Tensor d = Tensor::from_vector<double>({3}, {-1.5, 4.0, 0.25});
  EXPECT_TENSOR_EQ(run_ok("Sqrt", {Tensor::from_vector<double>({2}, {4.0, 2.25})}),
                   Tensor::from_vector<double>({2}, {2.0, 1.5}));
  EXPECT_TENSOR_EQ(run_ok("Abs", {d}), Tensor::from_vector<double>({3}, {1.5, 4.0, 0.25}));
  // Float-only ops reject integers; Not-a-number types are unsupported.
  EXPECT_EQ(run_code("Exp", {x}), StatusCode::kUnsupported);
  EXPECT_EQ(run_code("Sigmoid", {y}), StatusCode::kUnsupported);
  EXPECT_EQ(run_code("Neg", {random_int(DataType::kUint8, {2}, 1, 0, 3)}), StatusCode::kUnsupported);
  EXPECT_EQ(run_code("Relu", {}), StatusCode::kInvalidModel);
}

TEST(ElementwiseOp, UnaryAttributeErrors) {
  Tensor x = random_f32({4}, 1);
  EXPECT_EQ(run_code("LeakyRelu", {x}, {attr_string("alpha", "big")}), StatusCode::kInvalidModel);
  EXPECT_EQ(run_code("Gelu", {x}, {attr_string("approximate", "fast")}, 20), StatusCode::kInvalidModel);
  EXPECT_EQ(run_code("Gelu", {x}, {attr_int("approximate", 1)}, 20), StatusCode::kInvalidModel);
}

TEST(ElementwiseOp, ClipOpset6Attributes) {
  Tensor x = Tensor::from_vector<float>({6}, {-5, -1, 0, 1, 5, NAN});
  Tensor y = run_ok("Clip", {x}, {attr_float("min", -2.0f), attr_float("max", 3.0f)}, 6);
  EXPECT_TENSOR_EQ(y, Tensor::from_vector<float>({6}, {-2, -1, 0, 1, 3, NAN}));
  // Defaults: the float range (infinities clip to the largest finite values).
  Tensor inf = Tensor::from_vector<float>({3}, {-INFINITY, 2.0f, INFINITY});
  EXPECT_TENSOR_EQ(run_ok("Clip", {inf}, {}, 6),
                   Tensor::from_vector<float>({3}, {std::numeric_limits<float>::lowest(), 2.0f,
                                                    std::numeric_limits<float>::max()}));
  EXPECT_TENSOR_EQ(run_ok("Clip", {x}, {attr_float("max", 0.5f)}, 6),
                   Tensor::from_vector<float>({6}, {-5, -1, 0, 0.5f, 0.5f, NAN}));
}

TEST(ElementwiseOp, ClipOpset11Inputs) {
  Tensor x = random_f32({2, 3, 67}, 5, -4, 4);
  auto clip = [&](float lo, float hi) {
    Tensor w = x.clone();
    for (int64_t i = 0; i < w.numel(); ++i) w.data<float>()[i] = std::min(std::max(w.data<float>()[i], lo), hi);
    return w;
  };
  EXPECT_TENSOR_EQ(run_ok("Clip", {x, Tensor::scalar_f32(-1), Tensor::scalar_f32(2)}, {}, 13), clip(-1, 2));
  EXPECT_TENSOR_EQ(run_ok("Clip", {x, Tensor(), Tensor::scalar_f32(0.5f)}, {}, 13), clip(-INFINITY, 0.5f));
  EXPECT_TENSOR_EQ(run_ok("Clip", {x, Tensor::scalar_f32(0.0f)}, {}, 11), clip(0, INFINITY));
  EXPECT_TENSOR_EQ(run_ok("Clip", {x}, {}, 13), x);
  // min > max: every value becomes max.
  EXPECT_TENSOR_EQ(run_ok("Clip", {x, Tensor::scalar_f32(3), Tensor::scalar_f32(1)}, {}, 13), clip(3, 1));
  // Shape [1] bounds are accepted as scalars.
  EXPECT_TENSOR_EQ(run_ok("Clip", {x, Tensor::from_vector<float>({1}, {-1}), Tensor::from_vector<float>({1}, {1})}, {}, 13),
                   clip(-1, 1));
  // Integer Clip (opset 12+), with one bound omitted.
  Tensor xi = Tensor::from_vector<int64_t>({5}, {-10, -1, 0, 3, 100});
  EXPECT_TENSOR_EQ(run_ok("Clip", {xi, Tensor::scalar_i64(-2), Tensor::scalar_i64(5)}, {}, 13),
                   Tensor::from_vector<int64_t>({5}, {-2, -1, 0, 3, 5}));
  EXPECT_TENSOR_EQ(run_ok("Clip", {xi, Tensor(), Tensor::scalar_i64(2)}, {}, 13),
                   Tensor::from_vector<int64_t>({5}, {-10, -1, 0, 2, 2}));
  // Large + threads.
  Tensor big = random_f32({1, 16, 80, 80}, 6, -8, 8);
  Tensor got = run_ok("Clip", {big, Tensor::scalar_f32(0), Tensor::scalar_f32(6)}, {}, 13, 2);
  for (int64_t i = 0; i < big.numel(); ++i)
    ASSERT_EQ(got.data<float>()[i], std::min(std::max(big.data<float>()[i], 0.0f), 6.0f));
  // Errors.
  EXPECT_EQ(run_code("Clip", {x, Tensor::from_vector<float>({2}, {0, 1})}, {}, 13), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code("Clip", {x, Tensor::scalar_i64(0)}, {}, 13), StatusCode::kInvalidModel);
  EXPECT_EQ(run_code("Clip", {x}, {attr_float("min", 0)}, 13), StatusCode::kInvalidModel);
  EXPECT_EQ(run_code("Clip", {xi}, {}, 6), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace edgeinfer
