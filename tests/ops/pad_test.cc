// Pad: modes, opset forms (attribute < 11, inputs >= 11, axes 18, wrap 19), negative pads, errors.
#include <gtest/gtest.h>

#include "shape_test_util.h"

namespace edgeinfer::testing {
namespace {

using namespace shape;  // NOLINT

OpSpec pad(std::vector<Tensor> inputs, const std::string& mode, int64_t opset = 19) {
  OpSpec s;
  s.op_type = "Pad";
  s.opset = opset;
  s.attributes = attrs({attr_string("mode", mode)});
  s.inputs = std::move(inputs);
  return s;
}

const Tensor kSpecData = F32({3, 2}, {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f});

TEST(PadOp, SpecExamples) {
  EXPECT_TENSOR_EQ(run1(pad({kSpecData, I64v({0, 2, 0, 0}), F32({}, {0.0f})}, "constant")),
                   F32({3, 4}, {0, 0, 1.0f, 1.2f, 0, 0, 2.3f, 3.4f, 0, 0, 4.5f, 5.7f}));
  EXPECT_TENSOR_EQ(run1(pad({kSpecData, I64v({0, 2, 0, 0})}, "reflect")),
                   F32({3, 4}, {1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f}));
  EXPECT_TENSOR_EQ(run1(pad({kSpecData, I64v({0, 2, 0, 0})}, "edge")),
                   F32({3, 4}, {1.0f, 1.0f, 1.0f, 1.2f, 2.3f, 2.3f, 2.3f, 3.4f, 4.5f, 4.5f, 4.5f, 5.7f}));
  EXPECT_TENSOR_EQ(run1(pad({kSpecData, I64v({2, 1, 1, 1})}, "wrap")),
                   F32({6, 4}, {3.4f, 2.3f, 3.4f, 2.3f, 5.7f, 4.5f, 5.7f, 4.5f, 1.2f, 1.0f, 1.2f, 1.0f,
                                3.4f, 2.3f, 3.4f, 2.3f, 5.7f, 4.5f, 5.7f, 4.5f, 1.2f, 1.0f, 1.2f, 1.0f}));
}

// Expected values below come from numpy.pad on np.arange(24).reshape(2,3,4) (numpy's reflect/edge/wrap
// are the ONNX modes; constant uses constant_values=-7).
TEST(PadOp, ThreeDMatchesNumpy) {
  const Tensor x = Iota(DataType::kInt64, {2, 3, 4});
  const std::vector<int64_t> reflect = {
      21, 22, 23, 22, 21, 20, 21, 22, 23, 22, 21, 20, 17, 18, 19, 18, 17, 16, 17, 18, 19, 18, 17, 16, 13, 14, 15, 14,
      13, 12, 13, 14, 15, 14, 13, 12, 17, 18, 19, 18, 17, 16, 17, 18, 19, 18, 17, 16, 21, 22, 23, 22, 21, 20, 21, 22,
      23, 22, 21, 20, 17, 18, 19, 18, 17, 16, 17, 18, 19, 18, 17, 16, 9,  10, 11, 10, 9,  8,  9,  10, 11, 10, 9,  8,
      5,  6,  7,  6,  5,  4,  5,  6,  7,  6,  5,  4,  1,  2,  3,  2,  1,  0,  1,  2,  3,  2,  1,  0,  5,  6,  7,  6,
      5,  4,  5,  6,  7,  6,  5,  4,  9,  10, 11, 10, 9,  8,  9,  10, 11, 10, 9,  8,  5,  6,  7,  6,  5,  4,  5,  6,
      7,  6,  5,  4,  21, 22, 23, 22, 21, 20, 21, 22, 23, 22, 21, 20, 17, 18, 19, 18, 17, 16, 17, 18, 19, 18, 17, 16,
      13, 14, 15, 14, 13, 12, 13, 14, 15, 14, 13, 12, 17, 18, 19, 18, 17, 16, 17, 18, 19, 18, 17, 16, 21, 22, 23, 22,
      21, 20, 21, 22, 23, 22, 21, 20, 17, 18, 19, 18, 17, 16, 17, 18, 19, 18, 17, 16};
  EXPECT_TENSOR_EQ(run1(pad({x, I64v({1, 2, 5, 0, 1, 3})}, "reflect")), I64({3, 6, 12}, reflect));
  const std::vector<int64_t> edge = {
      0,  0,  0,  1,  2,  3,  4,  4,  4,  5,  6,  7,  8,  8,  8,  9,  10, 11, 8,  8,  8,  9,  10, 11,
      0,  0,  0,  1,  2,  3,  4,  4,  4,  5,  6,  7,  8,  8,  8,  9,  10, 11, 8,  8,  8,  9,  10, 11,
      12, 12, 12, 13, 14, 15, 16, 16, 16, 17, 18, 19, 20, 20, 20, 21, 22, 23, 20, 20, 20, 21, 22, 23,
      12, 12, 12, 13, 14, 15, 16, 16, 16, 17, 18, 19, 20, 20, 20, 21, 22, 23, 20, 20, 20, 21, 22, 23,
      12, 12, 12, 13, 14, 15, 16, 16, 16, 17, 18, 19, 20, 20, 20, 21, 22, 23, 20, 20, 20, 21, 22, 23};
  EXPECT_TENSOR_EQ(run1(pad({x, I64v({1, 0, 2, 2, 1, 0})}, "edge")), I64({5, 4, 6}, edge));
  // Wrap pads no longer than the axis (numpy's wrap of longer pads re-wraps already padded values).
  const std::vector<int64_t> wrap = {
      7,  4,  5,  6,  7,  4,  5,  6,  11, 8,  9,  10, 11, 8,  9,  10, 3,  0,  1,  2,  3,  0,  1,  2,
      7,  4,  5,  6,  7,  4,  5,  6,  11, 8,  9,  10, 11, 8,  9,  10, 19, 16, 17, 18, 19, 16, 17, 18,
      23, 20, 21, 22, 23, 20, 21, 22, 15, 12, 13, 14, 15, 12, 13, 14, 19, 16, 17, 18, 19, 16, 17, 18,
      23, 20, 21, 22, 23, 20, 21, 22, 7,  4,  5,  6,  7,  4,  5,  6,  11, 8,  9,  10, 11, 8,  9,  10,
      3,  0,  1,  2,  3,  0,  1,  2,  7,  4,  5,  6,  7,  4,  5,  6,  11, 8,  9,  10, 11, 8,  9,  10};
  EXPECT_TENSOR_EQ(run1(pad({x, I64v({0, 2, 1, 1, 0, 3})}, "wrap")), I64({3, 5, 8}, wrap));
  // Longer wrap pads repeat periodically: [a,b] padded (3, 4) -> b,a,b, a,b, a,b,a,b.
  EXPECT_TENSOR_EQ(run1(pad({I64v({1, 2}), I64v({3, 4})}, "wrap")), I64v({2, 1, 2, 1, 2, 1, 2, 1, 2}));
  const std::vector<int64_t> constant = {-7, -7, -7, -7, -7, -7, -7, -7, -7, -7, -7, -7, -7, -7, -7, -7, -7, -7, -7, -7,
                                         -7, -7, -7, -7, -7, 0,  1,  2,  3,  -7, 4,  5,  6,  7,  -7, 8,  9,  10, 11, -7,
                                         -7, -7, -7, -7, -7, 12, 13, 14, 15, -7, 16, 17, 18, 19, -7, 20, 21, 22, 23, -7};
  EXPECT_TENSOR_EQ(run1(pad({x, I64v({1, 1, 0, 0, 0, 1}), I64({}, {-7})}, "constant")), I64({3, 4, 5}, constant));
}

TEST(PadOp, NegativePadsCropFirst) {
  const Tensor x = Iota(DataType::kFloat32, {5});
  // ONNX reference: crop [1:], then reflect 2 at the end (numpy: [1,2,3,4,3,2]).
  EXPECT_TENSOR_EQ(run1(pad({x, I64v({-1, 2})}, "reflect")), F32({6}, {1, 2, 3, 4, 3, 2}));
  EXPECT_TENSOR_EQ(run1(pad({x, I64v({-2, 1}), F32({}, {9.0f})}, "constant")), F32({4}, {2, 3, 4, 9}));
  EXPECT_TENSOR_EQ(run1(pad({x, I64v({1, -3})}, "edge")), F32({3}, {0, 0, 1}));
  EXPECT_TENSOR_EQ(run1(pad({x, I64v({-5, 0})}, "constant")), F32({0}, {}));
  EXPECT_TENSOR_EQ(run1(pad({Iota(DataType::kFloat32, {2, 3}), I64v({0, -1, 0, -1})}, "constant")), F32({2, 1}, {1, 4}));
}

TEST(PadOp, AxesInputOpset18) {
  const Tensor x = Iota(DataType::kFloat32, {2, 3});
  // pads [1, 2] on axis -1 only: begin 1, end 2.
  EXPECT_TENSOR_EQ(run1(pad({x, I64v({1, 2}), F32({}, {-1.0f}), I64v({-1})}, "constant", 18)),
                   F32({2, 6}, {-1, 0, 1, 2, -1, -1, -1, 3, 4, 5, -1, -1}));
  EXPECT_TENSOR_EQ(run1(pad({x, I64v({1, 0}), Tensor(), I64v({0})}, "edge", 18)),
                   F32({3, 3}, {0, 1, 2, 0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(run_code(pad({x, I64v({1, 0}), Tensor(), I64v({0, 1})}, "edge", 18)), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(pad({x, I64v({1, 0, 0, 0}), Tensor(), I64v({0, -2})}, "edge", 18)), StatusCode::kInvalidArgument);
}

TEST(PadOp, AttributeFormBeforeOpset11) {
  OpSpec s;
  s.op_type = "Pad";
  s.opset = 2;
  s.attributes = attrs({attr_string("mode", "constant"), attr_ints("pads", {0, 1, 0, 1}), attr_float("value", 2.5f)});
  s.inputs = {F32({1, 2}, {7, 8})};
  EXPECT_TENSOR_EQ(run1(s), F32({1, 4}, {2.5f, 7, 8, 2.5f}));
  s.inputs = {I32({1, 2}, {7, 8})};  // value is cast to the data type
  EXPECT_TENSOR_EQ(run1(s), I32({1, 4}, {2, 7, 8, 2}));
  s.attributes = attrs({attr_string("mode", "reflect"), attr_ints("pads", {1, 0, 0, 0})});
  s.inputs = {Iota(DataType::kFloat32, {2, 2})};
  EXPECT_TENSOR_EQ(run1(s), F32({3, 2}, {2, 3, 0, 1, 2, 3}));
  s.attributes = attrs({attr_string("mode", "constant")});
  EXPECT_EQ(run_code(s), StatusCode::kInvalidModel);
}

TEST(PadOp, DtypesAndDefaults) {
  EXPECT_TENSOR_EQ(run1(pad({U8({2}, {5, 6}), I64v({1, 1})}, "constant")), U8({4}, {0, 5, 6, 0}));
  EXPECT_TENSOR_EQ(run1(pad({Bool({2}, {true, false}), I64v({0, 2})}, "wrap")), Bool({4}, {true, false, true, false}));
  EXPECT_TENSOR_EQ(run1(pad({F32({}, {3.f}), I64({0}, {})}, "constant")), F32({}, {3.f}));
  // A 1-long axis reflects onto itself.
  EXPECT_TENSOR_EQ(run1(pad({F32({1}, {4.f}), I64v({2, 1})}, "reflect")), F32({4}, {4, 4, 4, 4}));
}

TEST(PadOp, LargeParallelMatchesSerial) {
  const Tensor x = random_f32({2, 16, 40, 40}, 5);
  OpSpec s = pad({x, I64v({0, 0, 3, 1, 0, 0, 2, 4})}, "reflect");
  Tensor one = run1(s);
  s.num_threads = 2;
  EXPECT_TENSOR_EQ(run1(s), one);
  // Spot-check against the formula: out[n][c][h][w] = x[n][c][reflect(h-3)][reflect(w-1)].
  auto refl = [](int64_t i, int64_t n) { return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i; };
  for (int h = 0; h < 45; h += 4)
    for (int w = 0; w < 45; w += 3)
      EXPECT_EQ(one.data<float>()[((1 * 16 + 5) * 45 + h) * 45 + w],
                x.data<float>()[((1 * 16 + 5) * 40 + refl(h - 3, 40)) * 40 + refl(w - 1, 40)]);
}

TEST(PadOp, Errors) {
  const Tensor x = Iota(DataType::kFloat32, {2, 3});
  EXPECT_EQ(run_code(pad({x, I64v({1, 1})}, "constant")), StatusCode::kInvalidArgument);  // 2 values for rank 2
  EXPECT_EQ(run_code(pad({x, I64v({-3, 0, 0, 0})}, "constant")), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(pad({x, I64v({-2, 0, 1, 0})}, "reflect")), StatusCode::kInvalidArgument);  // empty axis
  EXPECT_EQ(run_code(pad({x, I64v({0, 0, 0, 0})}, "mirror")), StatusCode::kInvalidModel);
  EXPECT_EQ(run_code(pad({x, I64v({0, 0, 0, 0}), I64({}, {1})}, "constant")), StatusCode::kInvalidModel);
  OpSpec s = pad({x, I64v({0, 1, 0, 1})}, "constant");
  EXPECT_EQ(plan_only(s).code, StatusCode::kDeferred);
  s.constant_inputs = {1};
  EXPECT_EQ(plan_only(s).shapes.at(0), (Shape{2, 5}));
}

}  // namespace
}  // namespace edgeinfer::testing
