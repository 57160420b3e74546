// Reshape, Flatten, Squeeze, Unsqueeze, Shape, Size, Identity, Dropout, Expand, Tile.
#include <cstring>

#include <gtest/gtest.h>

#include "shape_test_util.h"

namespace edgeinfer::testing {
namespace {

using namespace shape;  // NOLINT

OpSpec spec(const std::string& op, std::vector<Tensor> inputs, Attributes a = {}, int64_t opset = 17) {
  OpSpec s;
  s.op_type = op;
  s.opset = opset;
  s.attributes = std::move(a);
  s.inputs = std::move(inputs);
  return s;
}

// ---------------------------------------------------------------- Reshape

TEST(ShapeOpsReshape, MinusOneAndZeroCopy) {
  Tensor x = Iota(DataType::kFloat32, {2, 3, 4});
  Tensor y = run1(spec("Reshape", {x, I64v({0, -1})}));
  EXPECT_TENSOR_EQ(y, Iota(DataType::kFloat32, {2, 12}));
  y = run1(spec("Reshape", {x, I64v({-1, 2, 2})}));
  EXPECT_TENSOR_EQ(y, Iota(DataType::kFloat32, {6, 2, 2}));
  y = run1(spec("Reshape", {x, I64v({4, 0, 2})}));  // 0 copies dim 1 (3)
  EXPECT_TENSOR_EQ(y, Iota(DataType::kFloat32, {4, 3, 2}));
}

TEST(ShapeOpsReshape, DtypeGenericAndRankZero) {
  for (DataType dt : {DataType::kInt64, DataType::kInt32, DataType::kUint8, DataType::kInt8, DataType::kBool}) {
    Tensor y = run1(spec("Reshape", {Iota(dt, {2, 3}), I64v({3, 2})}));
    EXPECT_TENSOR_EQ(y, Iota(dt, {3, 2})) << dtype_name(dt);
  }
  Tensor s = run1(spec("Reshape", {F32({}, {7.f}), I64({0}, {})}));  // scalar stays scalar
  EXPECT_TENSOR_EQ(s, F32({}, {7.f}));
  Tensor v = run1(spec("Reshape", {F32({}, {7.f}), I64v({-1})}));
  EXPECT_TENSOR_EQ(v, F32({1}, {7.f}));
  Tensor back = run1(spec("Reshape", {F32({1, 1}, {7.f}), I64({0}, {})}));
  EXPECT_TENSOR_EQ(back, F32({}, {7.f}));
}

TEST(ShapeOpsReshape, AllowZero) {
  // allowzero=1: 0 is a real zero dim, so [0,3] reshapes to [3,0] (opset 14).
  Tensor x = Tensor::allocate(DataType::kFloat32, {0, 3}).value();
  Tensor y = run1(spec("Reshape", {x, I64v({3, 0})}, attrs({attr_int("allowzero", 1)}), 14));
  EXPECT_EQ(y.shape(), (Shape{3, 0}));
  // Without allowzero, 0 copies dim 1 of the input (3): [0,3] -> [3,3] is a size mismatch.
  EXPECT_EQ(run_code(spec("Reshape", {x, I64v({3, 0})}, {}, 14)), StatusCode::kInvalidArgument);
  // Without allowzero, [0, 3] -> [0, -1] copies 0 and then -1 cannot be inferred.
  EXPECT_EQ(run_code(spec("Reshape", {Iota(DataType::kFloat32, {2, 3}), I64v({0, -1})},
                          attrs({attr_int("allowzero", 1)}), 14)),
            StatusCode::kInvalidArgument);
}

TEST(ShapeOpsReshape, Errors) {
  Tensor x = Iota(DataType::kFloat32, {2, 3});
  EXPECT_EQ(run_code(spec("Reshape", {x, I64v({4, 2})})), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Reshape", {x, I64v({-1, -1})})), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Reshape", {x, I64v({4, -1})})), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Reshape", {x, I64v({-2, 3})})), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Reshape", {x, I64v({6, 1, 0})})), StatusCode::kInvalidArgument);  // 0 past input rank
  EXPECT_EQ(run_code(spec("Reshape", {x, F32({2}, {3, 2})})), StatusCode::kInvalidModel);
}

TEST(ShapeOpsReshape, ResolvesAtPlanningWhenShapeIsKnown) {
  OpSpec s = spec("Reshape", {Iota(DataType::kFloat32, {2, 3, 4}), I64v({0, -1})});
  PlanResult unknown = plan_only(s);
  EXPECT_EQ(unknown.code, StatusCode::kDeferred);
  s.constant_inputs = {1};
  PlanResult known = plan_only(s);
  ASSERT_EQ(known.code, StatusCode::kOk);
  EXPECT_EQ(known.shapes[0], (Shape{2, 12}));
}

// ---------------------------------------------------------------- Flatten

TEST(ShapeOpsFlatten, Axes) {
  Tensor x = Iota(DataType::kFloat32, {2, 3, 4, 5});
  EXPECT_EQ(run1(spec("Flatten", {x})).shape(), (Shape{2, 60}));  // default axis 1
  EXPECT_EQ(run1(spec("Flatten", {x}, attrs({attr_int("axis", 0)}))).shape(), (Shape{1, 120}));
  EXPECT_EQ(run1(spec("Flatten", {x}, attrs({attr_int("axis", 4)}))).shape(), (Shape{120, 1}));
  EXPECT_EQ(run1(spec("Flatten", {x}, attrs({attr_int("axis", -1)}))).shape(), (Shape{24, 5}));
  EXPECT_EQ(run1(spec("Flatten", {x}, attrs({attr_int("axis", -4)}))).shape(), (Shape{1, 120}));
  EXPECT_TENSOR_EQ(run1(spec("Flatten", {x}, attrs({attr_int("axis", 2)}))), Iota(DataType::kFloat32, {6, 20}));
  EXPECT_EQ(run1(spec("Flatten", {F32({}, {1.f})}, attrs({attr_int("axis", 0)}))).shape(), (Shape{1, 1}));
  EXPECT_EQ(run_code(spec("Flatten", {x}, attrs({attr_int("axis", 5)}))), StatusCode::kInvalidModel);
  EXPECT_EQ(run_code(spec("Flatten", {x}, attrs({attr_int("axis", -5)}))), StatusCode::kInvalidModel);
}

// ---------------------------------------------------------------- Squeeze / Unsqueeze

TEST(ShapeOpsSqueeze, AttributeAndInputForms) {
  Tensor x = Iota(DataType::kFloat32, {1, 3, 1, 2});
  EXPECT_TENSOR_EQ(run1(spec("Squeeze", {x}, attrs({attr_ints("axes", {0})}), 11)), Iota(DataType::kFloat32, {3, 1, 2}));
  EXPECT_TENSOR_EQ(run1(spec("Squeeze", {x}, attrs({attr_ints("axes", {-2})}), 11)), Iota(DataType::kFloat32, {1, 3, 2}));
  EXPECT_TENSOR_EQ(run1(spec("Squeeze", {x}, {}, 11)), Iota(DataType::kFloat32, {3, 2}));
  EXPECT_TENSOR_EQ(run1(spec("Squeeze", {x, I64v({0, 2})}, {}, 13)), Iota(DataType::kFloat32, {3, 2}));
  EXPECT_TENSOR_EQ(run1(spec("Squeeze", {x, I64v({-4})}, {}, 13)), Iota(DataType::kFloat32, {3, 1, 2}));
  EXPECT_TENSOR_EQ(run1(spec("Squeeze", {x}, {}, 13)), Iota(DataType::kFloat32, {3, 2}));  // no axes input
  EXPECT_TENSOR_EQ(run1(spec("Squeeze", {Iota(DataType::kInt64, {1, 1})}, {}, 13)), Iota(DataType::kInt64, {}));
}

TEST(ShapeOpsSqueeze, Errors) {
  Tensor x = Iota(DataType::kFloat32, {1, 3});
  EXPECT_EQ(run_code(spec("Squeeze", {x, I64v({1})}, {}, 13)), StatusCode::kInvalidArgument);  // dim 3
  EXPECT_EQ(run_code(spec("Squeeze", {x, I64v({2})}, {}, 13)), StatusCode::kInvalidArgument);  // out of range
  EXPECT_EQ(run_code(spec("Squeeze", {x}, attrs({attr_ints("axes", {-3})}), 11)), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Squeeze", {x, I64v({0, 0})}, {}, 13)), StatusCode::kInvalidModel);
  EXPECT_EQ(run_code(spec("Squeeze", {x}, attrs({attr_ints("axes", {0})}), 13)), StatusCode::kInvalidModel);
}

TEST(ShapeOpsUnsqueeze, AttributeAndInputForms) {
  Tensor x = Iota(DataType::kFloat32, {3, 4, 5});
  // Spec example: axes [0, 4] on [3,4,5] -> [1,3,4,5,1].
  EXPECT_TENSOR_EQ(run1(spec("Unsqueeze", {x}, attrs({attr_ints("axes", {0, 4})}), 11)),
                   Iota(DataType::kFloat32, {1, 3, 4, 5, 1}));
  EXPECT_TENSOR_EQ(run1(spec("Unsqueeze", {x, I64v({4, 0})}, {}, 13)), Iota(DataType::kFloat32, {1, 3, 4, 5, 1}));
  // Negative axes count from the end of the output rank.
  EXPECT_TENSOR_EQ(run1(spec("Unsqueeze", {x, I64v({-1})}, {}, 13)), Iota(DataType::kFloat32, {3, 4, 5, 1}));
  EXPECT_TENSOR_EQ(run1(spec("Unsqueeze", {x, I64v({-2, 1})}, {}, 13)), Iota(DataType::kFloat32, {3, 1, 4, 1, 5}));
  EXPECT_TENSOR_EQ(run1(spec("Unsqueeze", {I64({}, {9}), I64v({0})}, {}, 13)), I64({1}, {9}));
  EXPECT_EQ(run_code(spec("Unsqueeze", {x, I64v({5})}, {}, 13)), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Unsqueeze", {x, I64v({1, -4})}, {}, 13)), StatusCode::kInvalidModel);  // same axis twice
  EXPECT_EQ(run_code(spec("Unsqueeze", {x}, {}, 11)), StatusCode::kInvalidModel);
}

TEST(ShapeOpsUnsqueeze, AxesInputDefersUntilKnown) {
  OpSpec s = spec("Unsqueeze", {Iota(DataType::kFloat32, {3}), I64v({0})}, {}, 13);
  EXPECT_EQ(plan_only(s).code, StatusCode::kDeferred);
  s.constant_inputs = {1};
  PlanResult p = plan_only(s);
  ASSERT_EQ(p.code, StatusCode::kOk);
  EXPECT_EQ(p.shapes[0], (Shape{1, 3}));
}

// ---------------------------------------------------------------- Shape / Size

TEST(ShapeOpsShape, FullAndSliced) {
  Tensor x = Tensor::allocate(DataType::kFloat32, {2, 3, 4, 5}).value();
  EXPECT_TENSOR_EQ(run1(spec("Shape", {x})), I64v({2, 3, 4, 5}));
  EXPECT_TENSOR_EQ(run1(spec("Shape", {x}, attrs({attr_int("start", 1)}), 15)), I64v({3, 4, 5}));
  EXPECT_TENSOR_EQ(run1(spec("Shape", {x}, attrs({attr_int("start", -2)}), 15)), I64v({4, 5}));
  EXPECT_TENSOR_EQ(run1(spec("Shape", {x}, attrs({attr_int("end", -1)}), 15)), I64v({2, 3, 4}));
  EXPECT_TENSOR_EQ(run1(spec("Shape", {x}, attrs({attr_int("start", 1), attr_int("end", 3)}), 15)), I64v({3, 4}));
  // Out-of-range start/end clamp; start past end gives an empty shape.
  EXPECT_TENSOR_EQ(run1(spec("Shape", {x}, attrs({attr_int("start", -10), attr_int("end", 10)}), 15)),
                   I64v({2, 3, 4, 5}));
  EXPECT_TENSOR_EQ(run1(spec("Shape", {x}, attrs({attr_int("start", 3), attr_int("end", 1)}), 15)), I64({0}, {}));
  EXPECT_TENSOR_EQ(run1(spec("Shape", {F32({}, {1.f})})), I64({0}, {}));
  // The output shape is known while planning, from the input shape alone.
  PlanResult p = plan_only(spec("Shape", {x}));
  ASSERT_EQ(p.code, StatusCode::kOk);
  EXPECT_EQ(p.shapes[0], (Shape{4}));
}

TEST(ShapeOpsSize, Counts) {
  EXPECT_TENSOR_EQ(run1(spec("Size", {Tensor::allocate(DataType::kUint8, {2, 3, 4}).value()})), I64({}, {24}));
  EXPECT_TENSOR_EQ(run1(spec("Size", {Tensor::allocate(DataType::kFloat32, {2, 0}).value()})), I64({}, {0}));
  EXPECT_TENSOR_EQ(run1(spec("Size", {F32({}, {1.f})})), I64({}, {1}));
}

// ---------------------------------------------------------------- Identity / Dropout

TEST(ShapeOpsIdentity, CopiesAnyDtype) {
  for (DataType dt : {DataType::kFloat32, DataType::kInt64, DataType::kBool, DataType::kInt8})
    EXPECT_TENSOR_EQ(run1(spec("Identity", {Iota(dt, {3, 2})})), Iota(dt, {3, 2}));
  EXPECT_EQ(run1(spec("Identity", {Tensor::allocate(DataType::kFloat32, {0, 4}).value()})).shape(), (Shape{0, 4}));
}

TEST(ShapeOpsDropout, InferenceIsIdentityWithTrueMask) {
  Tensor x = random_f32({4, 5}, 1);
  OpSpec s = spec("Dropout", {x}, attrs({attr_float("ratio", 0.5f)}), 7);
  s.num_outputs = 2;
  auto out = run_ok(s);
  EXPECT_TENSOR_EQ(out[0], x);
  Tensor ones = F32({4, 5}, std::vector<float>(20, 1.0f));
  EXPECT_TENSOR_EQ(out[1], ones);  // opset 7: the mask has the input's type

  OpSpec s12 = spec("Dropout", {x, F32({}, {0.3f}), Bool({}, {false})}, {}, 13);
  s12.num_outputs = 2;
  out = run_ok(s12);
  EXPECT_TENSOR_EQ(out[0], x);
  EXPECT_TENSOR_EQ(out[1], Bool({4, 5}, std::vector<bool>(20, true)));

  OpSpec one = spec("Dropout", {Iota(DataType::kFloat32, {3})}, {}, 13);
  EXPECT_TENSOR_EQ(run1(one), Iota(DataType::kFloat32, {3}));
}

TEST(ShapeOpsDropout, TrainingModeIsUnsupported) {
  OpSpec s = spec("Dropout", {random_f32({2, 2}, 1), F32({}, {0.5f}), Bool({}, {true})}, {}, 13);
  EXPECT_EQ(run_code(s), StatusCode::kUnsupported);  // known only at run time
  s.constant_inputs = {2};
  EXPECT_EQ(run_code(s), StatusCode::kUnsupported);  // rejected by the factory
}

// ---------------------------------------------------------------- Expand

// Naive broadcast: out[i] = in[i mod broadcast].
Tensor naive_expand(const Tensor& in, const Shape& out_shape) {
  Tensor out = Tensor::allocate(in.dtype(), out_shape).value();
  const size_t r = out_shape.size(), off = r - in.shape().size();
  std::vector<int64_t> idx(r, 0);
  const size_t es = dtype_size(in.dtype());
  for (int64_t o = 0; o < out.numel(); ++o) {
    int64_t src = 0;
    for (size_t k = 0; k < in.shape().size(); ++k) {
      const int64_t d = in.shape()[k];
      src = src * d + (d == 1 ? 0 : idx[k + off]);
    }
    std::memcpy(static_cast<uint8_t*>(out.raw()) + o * static_cast<int64_t>(es),
                static_cast<const uint8_t*>(in.raw()) + src * static_cast<int64_t>(es), es);
    for (int k = static_cast<int>(r) - 1; k >= 0; --k) {
      if (++idx[k] < out_shape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

TEST(ShapeOpsExpand, SpecExamples) {
  // [3,1] expanded by [2,1,6] -> [2,3,6]
  Tensor x = F32({3, 1}, {1, 2, 3});
  Tensor y = run1(spec("Expand", {x, I64v({2, 1, 6})}));
  ASSERT_EQ(y.shape(), (Shape{2, 3, 6}));
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 6; ++j) EXPECT_EQ(y.data<float>()[(b * 3 + i) * 6 + j], static_cast<float>(i + 1));
  // A shape smaller than the input keeps the input's dims: [3,1] by [3,4].
  EXPECT_EQ(run1(spec("Expand", {x, I64v({3, 4})})).shape(), (Shape{3, 4}));
  EXPECT_EQ(run1(spec("Expand", {x, I64v({1})})).shape(), (Shape{3, 1}));
  EXPECT_TENSOR_EQ(run1(spec("Expand", {I64({}, {5}), I64v({2, 2})})), I64({2, 2}, {5, 5, 5, 5}));
}

TEST(ShapeOpsExpand, RandomMatchesNaive) {
  for (uint32_t seed = 0; seed < 40; ++seed) {
    Shape in = random_shape(1 + seed % 4, seed, 1, 4);
    Shape target = in;
    for (size_t k = 0; k < in.size(); ++k)
      if ((seed >> k) & 1) { in[k] = 1; target[k] = 1 + (seed + k) % 5; }
    if (seed % 3 == 0) target.insert(target.begin(), 2);
    const DataType dt = seed % 2 ? DataType::kInt64 : DataType::kUint8;
    Tensor x = random_int(dt, in, seed, 0, 100);
    OpSpec s = spec("Expand", {x, I64v(target)});
    s.num_threads = 1 + seed % 2;
    EXPECT_TENSOR_EQ(run1(s), naive_expand(x, target)) << shape_to_string(in) << " -> " << shape_to_string(target);
  }
  Tensor big = random_f32({1, 64, 1, 80}, 3);
  OpSpec s = spec("Expand", {big, I64v({4, 64, 80, 80})});
  s.num_threads = 2;
  EXPECT_TENSOR_EQ(run1(s), naive_expand(big, {4, 64, 80, 80}));
}

TEST(ShapeOpsExpand, Errors) {
  Tensor x = F32({3, 2}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(run_code(spec("Expand", {x, I64v({3, 4})})), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Expand", {x, I64v({-1, 2})})), StatusCode::kInvalidArgument);
  EXPECT_EQ(plan_only(spec("Expand", {x, I64v({2, 3, 2})})).code, StatusCode::kDeferred);
}

// ---------------------------------------------------------------- Tile

TEST(ShapeOpsTile, Basic) {
  Tensor x = F32({2, 2}, {0, 1, 2, 3});
  // Spec example: repeats [2,2].
  EXPECT_TENSOR_EQ(run1(spec("Tile", {x, I64v({2, 2})})),
                   F32({4, 4}, {0, 1, 0, 1, 2, 3, 2, 3, 0, 1, 0, 1, 2, 3, 2, 3}));
  EXPECT_TENSOR_EQ(run1(spec("Tile", {x, I64v({1, 3})})), F32({2, 6}, {0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3}));
  EXPECT_EQ(run1(spec("Tile", {x, I64v({0, 2})})).shape(), (Shape{0, 4}));
  EXPECT_TENSOR_EQ(run1(spec("Tile", {F32({}, {4.f}), I64({0}, {})})), F32({}, {4.f}));
}

TEST(ShapeOpsTile, RandomMatchesNaive) {
  for (uint32_t seed = 0; seed < 30; ++seed) {
    const int r = 1 + static_cast<int>(seed % 4);
    Shape in = random_shape(r, seed, 1, 4);
    std::vector<int64_t> rep = random_shape(r, seed + 100, 1, 3);
    const DataType dt = seed % 3 == 0 ? DataType::kBool : seed % 3 == 1 ? DataType::kInt32 : DataType::kInt8;
    Tensor x = random_int(dt, in, seed, 0, 1);
    if (dt != DataType::kBool) x = random_int(dt, in, seed, -100, 100);
    Tensor y = run1(spec("Tile", {x, I64v(rep)}));
    Shape out(in.size());
    for (int k = 0; k < r; ++k) out[k] = in[k] * rep[k];
    ASSERT_EQ(y.shape(), out);
    std::vector<int64_t> idx(static_cast<size_t>(r), 0);
    for (int64_t o = 0; o < y.numel(); ++o) {
      int64_t src = 0;
      for (int k = 0; k < r; ++k) src = src * in[k] + idx[k] % in[k];
      ASSERT_EQ(get_int(y, o), get_int(x, src)) << "seed " << seed << " flat " << o;
      for (int k = r - 1; k >= 0; --k) {
        if (++idx[k] < out[k]) break;
        idx[k] = 0;
      }
    }
  }
}

TEST(ShapeOpsTile, Errors) {
  Tensor x = F32({2, 2}, {0, 1, 2, 3});
  EXPECT_EQ(run_code(spec("Tile", {x, I64v({2})})), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Tile", {x, I64v({2, -1})})), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Tile", {x, I64v({1LL << 40, 1LL << 40})})), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace edgeinfer::testing
