// Cast and CastLike through run_op(): hand-computed conversions, float16 bit patterns, the
// saturating float -> integer rule, unsupported targets.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

namespace edgeinfer {
namespace {

using namespace edgeinfer::testing;

Result<std::vector<Tensor>> cast(const Tensor& x, int64_t to, int64_t opset = 13, std::vector<Attribute> extra = {}) {
  OpSpec s;
  s.op_type = "Cast";
  s.opset = opset;
  s.inputs = {x};
  extra.push_back(attr_int("to", to));
  s.attributes = attrs(std::move(extra));
  return run_op(s);
}

Tensor cast_ok(const Tensor& x, DataType to) {
  auto r = cast(x, static_cast<int64_t>(to));
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return r.is_ok() ? r.value()[0] : Tensor();
}

Tensor half_tensor(const Shape& shape, const std::vector<uint16_t>& bits) {
  Tensor t = Tensor::allocate(DataType::kFloat16, shape).value();
  std::memcpy(t.raw(), bits.data(), bits.size() * 2);
  return t;
}

std::vector<uint16_t> half_bits(const Tensor& t) {
  std::vector<uint16_t> v(static_cast<size_t>(t.numel()));
  std::memcpy(v.data(), t.raw(), v.size() * 2);
  return v;
}

TEST(CastOp, FloatToIntegers) {
  Tensor x = Tensor::from_vector<float>({6}, {-2.7f, -0.5f, 0.0f, 1.9f, 300.6f, 1e20f});
  EXPECT_TENSOR_EQ(cast_ok(x, DataType::kInt64),
                   Tensor::from_vector<int64_t>({6}, {-2, 0, 0, 1, 300, std::numeric_limits<int64_t>::max()}));
  EXPECT_TENSOR_EQ(cast_ok(x, DataType::kInt32),
                   Tensor::from_vector<int32_t>({6}, {-2, 0, 0, 1, 300, std::numeric_limits<int32_t>::max()}));
  // Out of range saturates (the spec leaves it undefined; this runtime never invokes UB).
  EXPECT_TENSOR_EQ(cast_ok(x, DataType::kUint8), Tensor::from_vector<uint8_t>({6}, {0, 0, 0, 1, 255, 255}));
  EXPECT_TENSOR_EQ(cast_ok(x, DataType::kInt8), Tensor::from_vector<int8_t>({6}, {-2, 0, 0, 1, 127, 127}));
  Tensor special = Tensor::from_vector<float>({3}, {NAN, -INFINITY, INFINITY});
  EXPECT_TENSOR_EQ(cast_ok(special, DataType::kInt64),
                   Tensor::from_vector<int64_t>({3}, {0, std::numeric_limits<int64_t>::min(),
                                                      std::numeric_limits<int64_t>::max()}));
}

TEST(CastOp, IntegerConversions) {
  Tensor x = Tensor::from_vector<int64_t>({5}, {-1, 0, 300, 1LL << 40, 16777217});
  EXPECT_TENSOR_EQ(cast_ok(x, DataType::kFloat32),
                   Tensor::from_vector<float>({5}, {-1.0f, 0.0f, 300.0f, 1099511627776.0f, 16777216.0f}));
  EXPECT_TENSOR_EQ(cast_ok(x, DataType::kFloat64),
                   Tensor::from_vector<double>({5}, {-1.0, 0.0, 300.0, 1099511627776.0, 16777217.0}));
  // Narrowing wraps modulo 2^n.
  EXPECT_TENSOR_EQ(cast_ok(x, DataType::kUint8), Tensor::from_vector<uint8_t>({5}, {255, 0, 44, 0, 1}));
  EXPECT_TENSOR_EQ(cast_ok(x, DataType::kInt32), Tensor::from_vector<int32_t>({5}, {-1, 0, 300, 0, 16777217}));
  Tensor u = cast_ok(x, DataType::kUint16);
  const uint16_t want_u16[5] = {65535, 0, 300, 0, 1};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(u.data<uint16_t>()[i], want_u16[i]);
  Tensor i32 = Tensor::from_vector<int32_t>({3}, {-5, 7, 0});
  EXPECT_TENSOR_EQ(cast_ok(i32, DataType::kInt64), Tensor::from_vector<int64_t>({3}, {-5, 7, 0}));
  Tensor u64 = cast_ok(i32, DataType::kUint64);
  EXPECT_EQ(u64.data<uint64_t>()[0], static_cast<uint64_t>(-5));
}

TEST(CastOp, Bool) {
  Tensor x = Tensor::from_vector<float>({4}, {0.0f, -0.0f, 0.25f, NAN});
  EXPECT_TENSOR_EQ(cast_ok(x, DataType::kBool), Tensor::from_vector<bool>({4}, {false, false, true, true}));
  Tensor i = Tensor::from_vector<int64_t>({3}, {0, -3, 256});
  EXPECT_TENSOR_EQ(cast_ok(i, DataType::kBool), Tensor::from_vector<bool>({3}, {false, true, true}));
  Tensor b = Tensor::from_vector<bool>({2}, {true, false});
  EXPECT_TENSOR_EQ(cast_ok(b, DataType::kFloat32), Tensor::from_vector<float>({2}, {1.0f, 0.0f}));
  EXPECT_TENSOR_EQ(cast_ok(b, DataType::kInt64), Tensor::from_vector<int64_t>({2}, {1, 0}));
  EXPECT_TENSOR_EQ(cast_ok(b, DataType::kBool), b);
}

TEST(CastOp, Float16) {
  // 1, -2, 65504, 65520 (-> inf), 2^-24 (smallest subnormal), 2^-25 (ties to 0), 1+2^-11 (ties to 1),
  // 1+3*2^-11 (ties up), 0.1, NaN.
  Tensor x = Tensor::from_vector<float>({10}, {1.0f, -2.0f, 65504.0f, 65520.0f, std::ldexp(1.0f, -24),
                                               std::ldexp(1.0f, -25), 1.0f + std::ldexp(1.0f, -11),
                                               1.0f + 3 * std::ldexp(1.0f, -11), 0.1f, NAN});
  Tensor h = cast_ok(x, DataType::kFloat16);
  ASSERT_EQ(h.dtype(), DataType::kFloat16);
  std::vector<uint16_t> bits = half_bits(h);
  const uint16_t want[9] = {0x3C00, 0xC000, 0x7BFF, 0x7C00, 0x0001, 0x0000, 0x3C00, 0x3C02, 0x2E66};
  for (int i = 0; i < 9; ++i) EXPECT_EQ(bits[static_cast<size_t>(i)], want[i]) << "element " << i;
  EXPECT_EQ(bits[9] & 0x7C00, 0x7C00);
  EXPECT_NE(bits[9] & 0x03FF, 0);
  // Back to float32 and float64, from bit patterns.
  Tensor hx = half_tensor({6}, {0x3C00, 0xC000, 0x7BFF, 0x0001, 0xFC00, 0x3555});
  EXPECT_TENSOR_EQ(cast_ok(hx, DataType::kFloat32),
                   Tensor::from_vector<float>({6}, {1.0f, -2.0f, 65504.0f, std::ldexp(1.0f, -24), -INFINITY,
                                                    0.333251953125f}));
  EXPECT_TENSOR_EQ(cast_ok(hx, DataType::kFloat64),
                   Tensor::from_vector<double>({6}, {1.0, -2.0, 65504.0, std::ldexp(1.0, -24), -INFINITY,
                                                     0.333251953125}));
  EXPECT_TENSOR_EQ(cast_ok(half_tensor({3}, {0x4500, 0xC500, 0x3800}), DataType::kInt64),
                   Tensor::from_vector<int64_t>({3}, {5, -5, 0}));
  // float64 -> float16 rounds once: 1 + 2^-11 + 2^-40 is just above the tie, so it rounds up
  // (through float32 it would first become 1 + 2^-11 and then round down to 1).
  Tensor d = Tensor::from_vector<double>({1}, {1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40)});
  EXPECT_EQ(half_bits(cast_ok(d, DataType::kFloat16))[0], 0x3C01);
  // int -> float16.
  EXPECT_EQ(half_bits(cast_ok(Tensor::from_vector<int64_t>({2}, {2049, 100000}), DataType::kFloat16)),
            (std::vector<uint16_t>{0x6800, 0x7C00}));
}

TEST(CastOp, LargeAndSameType) {
  Tensor x = random_f32({1, 8, 128, 128}, 3, -100, 100);
  OpSpec s;
  s.op_type = "Cast";
  s.opset = 13;
  s.inputs = {x};
  s.attributes = attrs({attr_int("to", static_cast<int64_t>(DataType::kInt32))});
  s.num_threads = 2;
  auto r = run_op(s);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  for (int64_t i = 0; i < x.numel(); ++i)
    ASSERT_EQ(r.value()[0].data<int32_t>()[i], static_cast<int32_t>(x.data<float>()[i]));
  EXPECT_TENSOR_EQ(cast_ok(x, DataType::kFloat32), x);
}

TEST(CastOp, AttributesAndErrors) {
  Tensor x = random_f32({3}, 1);
  // saturate (opset 19) is accepted for non-float8 targets.
  auto ok = cast(x, static_cast<int64_t>(DataType::kInt64), 19, {attr_int("saturate", 0)});
  EXPECT_TRUE(ok.is_ok()) << ok.status().to_string();
  EXPECT_EQ(cast(x, 8).status().code(), StatusCode::kUnsupported);   // string
  EXPECT_EQ(cast(x, 16).status().code(), StatusCode::kUnsupported);  // bfloat16
  for (int64_t f8 = 17; f8 <= 20; ++f8) {
    auto r = cast(x, f8, 19);
    EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(r.status().message().find("float8"), std::string::npos) << r.status().message();
  }
  EXPECT_EQ(cast(x, 0).status().code(), StatusCode::kInvalidModel);
  EXPECT_EQ(cast(x, 99).status().code(), StatusCode::kInvalidModel);
  OpSpec s;
  s.op_type = "Cast";
  s.inputs = {x};
  EXPECT_EQ(run_op(s).status().code(), StatusCode::kInvalidModel);  // 'to' missing
  s.attributes = attrs({attr_float("to", 1.0f)});
  EXPECT_EQ(run_op(s).status().code(), StatusCode::kInvalidModel);
}

TEST(CastOp, CastLike) {
  OpSpec s;
  s.op_type = "CastLike";
  s.opset = 15;
  s.inputs = {Tensor::from_vector<float>({3}, {1.5f, -2.5f, 7.0f}), Tensor::from_vector<int32_t>({}, {0})};
  auto r = run_op(s);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_TENSOR_EQ(r.value()[0], Tensor::from_vector<int32_t>({3}, {1, -2, 7}));
  s.inputs = {Tensor::from_vector<int64_t>({2}, {3, 0}), Tensor::from_vector<bool>({1}, {true})};
  r = run_op(s);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_TENSOR_EQ(r.value()[0], Tensor::from_vector<bool>({2}, {true, false}));
}

}  // namespace
}  // namespace edgeinfer
