// Concat, Split, Transpose (op level), Constant, ConstantOfShape, Range.
#include <numeric>

#include <gtest/gtest.h>

#include "shape_test_util.h"

namespace edgeinfer::testing {
namespace {

using namespace shape;  // NOLINT

OpSpec spec(const std::string& op, std::vector<Tensor> inputs, Attributes a = {}, int64_t opset = 13) {
  OpSpec s;
  s.op_type = op;
  s.opset = opset;
  s.attributes = std::move(a);
  s.inputs = std::move(inputs);
  return s;
}

// ---------------------------------------------------------------- Concat

TEST(ConcatSplitConcat, AxesAndZeroSizedInputs) {
  const Tensor a = F32({2, 2}, {1, 2, 3, 4}), b = F32({2, 1}, {5, 6}), c = F32({1, 2}, {7, 8});
  EXPECT_TENSOR_EQ(run1(spec("Concat", {a, b}, attrs({attr_int("axis", 1)}))), F32({2, 3}, {1, 2, 5, 3, 4, 6}));
  EXPECT_TENSOR_EQ(run1(spec("Concat", {a, b}, attrs({attr_int("axis", -1)}))), F32({2, 3}, {1, 2, 5, 3, 4, 6}));
  EXPECT_TENSOR_EQ(run1(spec("Concat", {a, c}, attrs({attr_int("axis", 0)}))), F32({3, 2}, {1, 2, 3, 4, 7, 8}));
  const Tensor empty = Tensor::allocate(DataType::kFloat32, {0, 2}).value();
  EXPECT_TENSOR_EQ(run1(spec("Concat", {empty, a, empty}, attrs({attr_int("axis", 0)}))), a);
  EXPECT_TENSOR_EQ(run1(spec("Concat", {I64v({1, 2}), I64v({3}), I64v({-1})}, attrs({attr_int("axis", 0)}))),
                   I64v({1, 2, 3, -1}));
  EXPECT_TENSOR_EQ(run1(spec("Concat", {Bool({1}, {true}), Bool({2}, {false, true})}, attrs({attr_int("axis", 0)}))),
                   Bool({3}, {true, false, true}));
}

TEST(ConcatSplitConcat, MiddleAxisMatchesNaive) {
  const Tensor a = Iota(DataType::kInt32, {2, 3, 4}), b = random_int(DataType::kInt32, {2, 1, 4}, 3, -9, 9);
  Tensor y = run1(spec("Concat", {a, b}, attrs({attr_int("axis", -2)})));
  ASSERT_EQ(y.shape(), (Shape{2, 4, 4}));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 4; ++k)
        EXPECT_EQ(y.data<int32_t>()[(i * 4 + j) * 4 + k],
                  j < 3 ? a.data<int32_t>()[(i * 3 + j) * 4 + k] : b.data<int32_t>()[i * 4 + k]);
}

TEST(ConcatSplitConcat, Errors) {
  const Tensor a = F32({2, 2}, {1, 2, 3, 4});
  EXPECT_EQ(run_code(spec("Concat", {a, F32({3, 1}, {1, 2, 3})}, attrs({attr_int("axis", 1)}))),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Concat", {a, F32({4}, {1, 2, 3, 4})}, attrs({attr_int("axis", 0)}))),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Concat", {a, a}, attrs({attr_int("axis", 2)}))), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Concat", {a, I64({2, 2}, {1, 2, 3, 4})}, attrs({attr_int("axis", 0)}))),
            StatusCode::kInvalidModel);
  EXPECT_EQ(run_code(spec("Concat", {a, a})), StatusCode::kInvalidModel);  // axis is required
}

// ---------------------------------------------------------------- Split

std::vector<Tensor> split(std::vector<Tensor> in, Attributes a, int64_t opset, int outs) {
  OpSpec s = spec("Split", std::move(in), std::move(a), opset);
  s.num_outputs = outs;
  return run_ok(s);
}

TEST(ConcatSplitSplit, EqualAttributeInputAndNumOutputs) {
  const Tensor x = F32({6}, {1, 2, 3, 4, 5, 6});
  auto o = split({x}, {}, 11, 3);
  EXPECT_TENSOR_EQ(o[0], F32({2}, {1, 2}));
  EXPECT_TENSOR_EQ(o[2], F32({2}, {5, 6}));
  o = split({x}, attrs({attr_ints("split", {2, 4})}), 11, 2);  // attribute form (< 13)
  EXPECT_TENSOR_EQ(o[0], F32({2}, {1, 2}));
  EXPECT_TENSOR_EQ(o[1], F32({4}, {3, 4, 5, 6}));
  o = split({x, I64v({1, 0, 5})}, {}, 13, 3);  // input form, with an empty part
  EXPECT_TENSOR_EQ(o[0], F32({1}, {1}));
  EXPECT_EQ(o[1].shape(), (Shape{0}));
  EXPECT_TENSOR_EQ(o[2], F32({5}, {2, 3, 4, 5, 6}));
  // Opset 18 num_outputs: uneven, last chunk smaller (spec example: 7 into 4 -> 2,2,2,1).
  const Tensor seven = F32({7}, {1, 2, 3, 4, 5, 6, 7});
  o = split({seven}, attrs({attr_int("num_outputs", 4)}), 18, 4);
  EXPECT_TENSOR_EQ(o[0], F32({2}, {1, 2}));
  EXPECT_TENSOR_EQ(o[2], F32({2}, {5, 6}));
  EXPECT_TENSOR_EQ(o[3], F32({1}, {7}));
}

TEST(ConcatSplitSplit, Axis1AndNegative) {
  const Tensor x = F32({2, 6}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  auto o = split({x, I64v({2, 4})}, attrs({attr_int("axis", -1)}), 13, 2);
  EXPECT_TENSOR_EQ(o[0], F32({2, 2}, {1, 2, 7, 8}));
  EXPECT_TENSOR_EQ(o[1], F32({2, 4}, {3, 4, 5, 6, 9, 10, 11, 12}));
  o = split({x}, attrs({attr_int("axis", 0)}), 13, 2);
  EXPECT_TENSOR_EQ(o[1], F32({1, 6}, {7, 8, 9, 10, 11, 12}));
  o = split({Iota(DataType::kInt64, {2, 3, 2})}, attrs({attr_int("axis", 1)}), 18, 3);
  EXPECT_TENSOR_EQ(o[1], I64({2, 1, 2}, {2, 3, 8, 9}));
}

TEST(ConcatSplitSplit, Errors) {
  const Tensor x = F32({6}, {1, 2, 3, 4, 5, 6});
  OpSpec s = spec("Split", {x, I64v({2, 3})}, {}, 13);
  s.num_outputs = 2;
  EXPECT_EQ(run_code(s), StatusCode::kInvalidArgument);  // sums to 5
  s.inputs[1] = I64v({2, 2, 2});
  EXPECT_EQ(run_code(s), StatusCode::kInvalidModel);  // 3 sizes, 2 outputs
  s.inputs = {x};
  s.num_outputs = 4;
  EXPECT_EQ(run_code(s), StatusCode::kInvalidArgument);  // 6 into 4 equal parts
  s.attributes = attrs({attr_int("num_outputs", 3)});
  s.opset = 18;
  EXPECT_EQ(run_code(s), StatusCode::kInvalidModel);  // num_outputs != outputs
  s.attributes = attrs({attr_int("axis", 1)});
  s.num_outputs = 2;
  EXPECT_EQ(run_code(s), StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------- Transpose (op)

TEST(ConcatSplitTranspose, DefaultPermReverses) {
  Tensor y = run1(spec("Transpose", {Iota(DataType::kFloat32, {2, 3, 4})}));
  ASSERT_EQ(y.shape(), (Shape{4, 3, 2}));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) EXPECT_EQ(y.data<float>()[(k * 3 + j) * 2 + i], static_cast<float>((i * 3 + j) * 4 + k));
}

TEST(ConcatSplitTranspose, NchwToNhwcAndBack) {
  const Tensor x = random_f32({2, 5, 7, 9}, 4);
  OpSpec s = spec("Transpose", {x}, attrs({attr_ints("perm", {0, 2, 3, 1})}));
  s.num_threads = 2;
  Tensor y = run1(s);
  ASSERT_EQ(y.shape(), (Shape{2, 7, 9, 5}));
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 5; ++c)
      for (int h = 0; h < 7; ++h)
        for (int w = 0; w < 9; ++w)
          ASSERT_EQ(y.data<float>()[((n * 7 + h) * 9 + w) * 5 + c], x.data<float>()[((n * 5 + c) * 7 + h) * 9 + w]);
  OpSpec back = spec("Transpose", {y}, attrs({attr_ints("perm", {0, 3, 1, 2})}));
  EXPECT_TENSOR_EQ(run1(back), x);
  // int64 and bool via the element-size paths; [0,2,1,3] keeps the last dim.
  const Tensor b = Iota(DataType::kInt64, {2, 3, 4, 5});
  Tensor t = run1(spec("Transpose", {b}, attrs({attr_ints("perm", {0, 2, 1, 3})})));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        for (int l = 0; l < 5; ++l)
          ASSERT_EQ(t.data<int64_t>()[((i * 4 + k) * 3 + j) * 5 + l], ((i * 3 + j) * 4 + k) * 5 + l);
  EXPECT_TENSOR_EQ(run1(spec("Transpose", {Bool({2, 2}, {true, false, false, false})})),
                   Bool({2, 2}, {true, false, false, false}));
  EXPECT_TENSOR_EQ(run1(spec("Transpose", {F32({}, {3.f})})), F32({}, {3.f}));
}

TEST(ConcatSplitTranspose, BadPerm) {
  const Tensor x = Iota(DataType::kFloat32, {2, 3});
  EXPECT_EQ(run_code(spec("Transpose", {x}, attrs({attr_ints("perm", {0, 0})}))), StatusCode::kInvalidModel);
  EXPECT_EQ(run_code(spec("Transpose", {x}, attrs({attr_ints("perm", {0, 2})}))), StatusCode::kInvalidModel);
  EXPECT_EQ(run_code(spec("Transpose", {x}, attrs({attr_ints("perm", {1, 0, 2})}))), StatusCode::kInvalidModel);
}

// ---------------------------------------------------------------- Constant / ConstantOfShape / Range

TEST(ConcatSplitGenerators, ConstantForms) {
  EXPECT_TENSOR_EQ(run1(spec("Constant", {}, attrs({attr_tensor("value", I64({2}, {4, 5}))}))), I64({2}, {4, 5}));
  EXPECT_TENSOR_EQ(run1(spec("Constant", {}, attrs({attr_float("value_float", 2.5f)}))), F32({}, {2.5f}));
  EXPECT_TENSOR_EQ(run1(spec("Constant", {}, attrs({attr_floats("value_floats", {1, 2})}))), F32({2}, {1, 2}));
  EXPECT_TENSOR_EQ(run1(spec("Constant", {}, attrs({attr_int("value_int", -3)}))), I64({}, {-3}));
  EXPECT_TENSOR_EQ(run1(spec("Constant", {}, attrs({attr_ints("value_ints", {7, 8, 9})}))), I64v({7, 8, 9}));
  EXPECT_EQ(run_code(spec("Constant", {}, attrs({attr_string("value_string", "x")}))), StatusCode::kUnsupported);
  Attribute sparse;
  sparse.name = "sparse_value";
  sparse.type = AttrType::kSparseTensor;
  EXPECT_EQ(run_code(spec("Constant", {}, attrs({sparse}))), StatusCode::kUnsupported);
  EXPECT_EQ(run_code(spec("Constant", {})), StatusCode::kInvalidModel);
  EXPECT_EQ(run_code(spec("Constant", {}, attrs({attr_int("value_int", 1), attr_float("value_float", 1)}))),
            StatusCode::kInvalidModel);
}

TEST(ConcatSplitGenerators, ConstantOfShape) {
  EXPECT_TENSOR_EQ(run1(spec("ConstantOfShape", {I64v({2, 3})})), F32({2, 3}, std::vector<float>(6, 0.0f)));
  EXPECT_TENSOR_EQ(run1(spec("ConstantOfShape", {I64v({3})}, attrs({attr_tensor("value", I64({1}, {7}))}))),
                   I64v({7, 7, 7}));
  EXPECT_TENSOR_EQ(run1(spec("ConstantOfShape", {I64v({2})}, attrs({attr_tensor("value", F32({1}, {1.5f}))}))),
                   F32({2}, {1.5f, 1.5f}));
  EXPECT_TENSOR_EQ(run1(spec("ConstantOfShape", {I64({0}, {})}, attrs({attr_tensor("value", I32({1}, {4}))}))),
                   I32({}, {4}));  // empty shape -> scalar
  EXPECT_EQ(run1(spec("ConstantOfShape", {I64v({2, 0})})).shape(), (Shape{2, 0}));
  EXPECT_EQ(run_code(spec("ConstantOfShape", {I64v({2, -1})})), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("ConstantOfShape", {I64v({1LL << 40, 1LL << 40})})), StatusCode::kResourceExhausted);
  EXPECT_EQ(run_code(spec("ConstantOfShape", {I64v({2})}, attrs({attr_tensor("value", F32({2}, {1, 2}))}))),
            StatusCode::kInvalidModel);
  OpSpec s = spec("ConstantOfShape", {I64v({4, 4})});
  EXPECT_EQ(plan_only(s).code, StatusCode::kDeferred);
  s.constant_inputs = {0};
  EXPECT_EQ(plan_only(s).shapes.at(0), (Shape{4, 4}));
}

TEST(ConcatSplitGenerators, Range) {
  // Spec examples: (3, 9, 3) -> [3, 6]; (10, 4, -2) -> [10, 8, 6].
  EXPECT_TENSOR_EQ(run1(spec("Range", {I64({}, {3}), I64({}, {9}), I64({}, {3})})), I64v({3, 6}));
  EXPECT_TENSOR_EQ(run1(spec("Range", {I32({}, {10}), I32({}, {4}), I32({}, {-2})})), I32({3}, {10, 8, 6}));
  EXPECT_TENSOR_EQ(run1(spec("Range", {I64({}, {0}), I64({}, {10}), I64({}, {4})})), I64v({0, 4, 8}));
  EXPECT_TENSOR_EQ(run1(spec("Range", {F32({}, {1.0f}), F32({}, {2.0f}), F32({}, {0.25f})})),
                   F32({4}, {1.0f, 1.25f, 1.5f, 1.75f}));
  EXPECT_TENSOR_NEAR(run1(spec("Range", {F32({}, {0.0f}), F32({}, {1.0f}), F32({}, {0.3f})})),
                     F32({4}, {0.0f, 0.3f, 0.6f, 0.9f}), 1e-6f, 0.0f);
  EXPECT_EQ(run1(spec("Range", {I64({}, {5}), I64({}, {1}), I64({}, {1})})).shape(), (Shape{0}));
  EXPECT_EQ(run_code(spec("Range", {I64({}, {0}), I64({}, {5}), I64({}, {0})})), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Range", {F32({}, {0}), F32({}, {1e30f}), F32({}, {1e-30f})})), StatusCode::kResourceExhausted);
  EXPECT_EQ(run_code(spec("Range", {I64({}, {INT64_MIN}), I64({}, {INT64_MAX}), I64({}, {1})})),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(run_code(spec("Range", {I64({}, {0}), I32({}, {5}), I64({}, {1})})), StatusCode::kInvalidModel);
  OpSpec s = spec("Range", {I64({}, {0}), I64({}, {6}), I64({}, {2})});
  EXPECT_EQ(plan_only(s).code, StatusCode::kDeferred);
  s.constant_inputs = {0, 1, 2};
  EXPECT_EQ(plan_only(s).shapes.at(0), (Shape{3}));
}

}  // namespace
}  // namespace edgeinfer::testing
