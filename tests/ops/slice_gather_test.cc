// Slice, Gather, GatherElements.
#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

#include "shape_test_util.h"

namespace edgeinfer::testing {
namespace {

using namespace shape;  // NOLINT

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

OpSpec spec(const std::string& op, std::vector<Tensor> inputs, Attributes a = {}, int64_t opset = 13) {
  OpSpec s;
  s.op_type = op;
  s.opset = opset;
  s.attributes = std::move(a);
  s.inputs = std::move(inputs);
  return s;
}

// ---------------------------------------------------------------- Slice

TEST(SliceGatherSlice, ClampingAndStepsMatchNumpy) {
  // Expected values from numpy: np.arange(10)[slice(start, end, step)] (same clamping rules as ONNX).
  struct Case { int64_t s, e, st; std::vector<int64_t> want; };
  const std::vector<Case> cases = {
      {2, 8, 1, {2, 3, 4, 5, 6, 7}},
      {-3, kMax, 1, {7, 8, 9}},
      {0, -1, 2, {0, 2, 4, 6, 8}},
      {kMax, kMin, -1, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
      {-1, kMin, -2, {9, 7, 5, 3, 1}},
      {8, 2, -3, {8, 5}},
      {20, 30, 1, {}},
      {-20, 3, 1, {0, 1, 2}},
      {5, 5, 1, {}},
      {3, 1, 1, {}},
      {9, -100, -4, {9, 5, 1}},
      {-100, 100, 3, {0, 3, 6, 9}},
      {1, kMax, kMax, {1}},
      {8, 0, kMin, {8}},
  };
  const Tensor x = Iota(DataType::kInt64, {10});
  for (const Case& c : cases) {
    Tensor y = run1(spec("Slice", {x, I64v({c.s}), I64v({c.e}), I64v({0}), I64v({c.st})}));
    EXPECT_TENSOR_EQ(y, I64({static_cast<int64_t>(c.want.size())}, c.want)) << c.s << ":" << c.e << ":" << c.st;
  }
}

TEST(SliceGatherSlice, SpecExamples) {
  const Tensor data = F32({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  // slice, axes [0,1], starts [1,0], ends [2,3], steps [1,2] -> [[5,7]]
  EXPECT_TENSOR_EQ(run1(spec("Slice", {data, I64v({1, 0}), I64v({2, 3}), I64v({0, 1}), I64v({1, 2})})),
                   F32({1, 2}, {5, 7}));
  // starts [0,1], ends [-1,1000] -> [[2,3,4]]
  EXPECT_TENSOR_EQ(run1(spec("Slice", {data, I64v({0, 1}), I64v({-1, 1000})})), F32({1, 3}, {2, 3, 4}));
  // Negative axes, int32 lists, steps omitted.
  EXPECT_TENSOR_EQ(run1(spec("Slice", {data, I32({1}, {1}), I32({1}, {3}), I32({1}, {-1})})),
                   F32({2, 2}, {2, 3, 6, 7}));
  // Reverse both axes.
  EXPECT_TENSOR_EQ(run1(spec("Slice", {data, I64v({-1, -1}), I64v({kMin, kMin}), I64v({0, 1}), I64v({-1, -1})})),
                   F32({2, 4}, {8, 7, 6, 5, 4, 3, 2, 1}));
  // Empty result.
  EXPECT_EQ(run1(spec("Slice", {data, I64v({3}), I64v({1}), I64v({1})})).shape(), (Shape{2, 0}));
}

TEST(SliceGatherSlice, Opset9Attributes) {
  const Tensor data = F32({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_TENSOR_EQ(run1(spec("Slice", {data}, attrs({attr_ints("starts", {0, 1}), attr_ints("ends", {-1, 1000})}), 9)),
                   F32({1, 3}, {2, 3, 4}));
  EXPECT_TENSOR_EQ(run1(spec("Slice", {data},
                             attrs({attr_ints("axes", {1}), attr_ints("starts", {-3}), attr_ints("ends", {kMax})}), 1)),
                   F32({2, 3}, {2, 3, 4, 6, 7, 8}));
  EXPECT_EQ(run_code(spec("Slice", {data}, attrs({attr_ints("starts", {0})}), 9)), StatusCode::kInvalidModel);
}

TEST(SliceGatherSlice, RandomMatchesNaive) {
  for (uint32_t seed = 0; seed < 40; ++seed) {
    const int r = 1 + static_cast<int>(seed % 4);
    Shape in = random_shape(r, seed, 1, 7);
    Tensor x = random_int(seed % 2 ? DataType::kInt32 : DataType::kUint8, in, seed, 0, 120);
    // In-range starts with positive steps: a plain loop gives the expectation.
    std::vector<int64_t> starts, ends, steps, axes;
    Shape out = in;
    for (int k = 0; k < r; ++k) {
      const int64_t s = (seed + k) % in[k], st = 1 + (seed + 2 * k) % 3;
      const int64_t e = s + (seed * 7 + k) % (in[k] - s + 1);
      starts.push_back(s);
      ends.push_back(e);
      steps.push_back(st);
      axes.push_back(k - r);  // negative axes
      out[k] = e > s ? (e - s + st - 1) / st : 0;
    }
    OpSpec sp = spec("Slice", {x, I64v(starts), I64v(ends), I64v(axes), I64v(steps)});
    Tensor y = run1(sp);
    ASSERT_EQ(y.shape(), out) << "seed " << seed;
    std::vector<int64_t> idx(static_cast<size_t>(r), 0);
    for (int64_t o = 0; o < y.numel(); ++o) {
      int64_t src = 0;
      for (int k = 0; k < r; ++k) src = src * in[k] + starts[k] + idx[k] * steps[k];
      ASSERT_EQ(get_int(y, o), get_int(x, src)) << "seed " << seed;
      for (int k = r - 1; k >= 0; --k) {
        if (++idx[k] < out[k]) break;
        idx[k] = 0;
      }
    }
  }
}

TEST(SliceGatherSlice, Errors) {
  const Tensor data = F32({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_EQ(run_code(spec("Slice", {data, I64v({0}), I64v({1}), I64v({0}), I64v({0})})), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Slice", {data, I64v({0, 0}), I64v({1, 1}), I64v({1, -1})})), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Slice", {data, I64v({0}), I64v({1}), I64v({2})})), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Slice", {data, I64v({0, 1}), I64v({1})})), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Slice", {data, I64v({0, 0, 0}), I64v({1, 1, 1})})), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Slice", {data, F32({1}, {0}), I64v({1})})), StatusCode::kInvalidModel);
}

TEST(SliceGatherSlice, ResolvesAtPlanningWhenListsAreKnown) {
  OpSpec s = spec("Slice", {Iota(DataType::kInt64, {5}), I64v({1}), I64v({-1})});
  EXPECT_EQ(plan_only(s).code, StatusCode::kDeferred);
  s.constant_inputs = {1, 2};
  PlanResult p = plan_only(s);
  ASSERT_EQ(p.code, StatusCode::kOk);
  EXPECT_EQ(p.shapes[0], (Shape{3}));
}

// ---------------------------------------------------------------- Gather

TEST(SliceGatherGather, SpecExamples) {
  const Tensor d0 = F32({3, 2}, {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f});
  EXPECT_TENSOR_EQ(run1(spec("Gather", {d0, I64({2, 2}, {0, 1, 1, 2})})),
                   F32({2, 2, 2}, {1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f}));
  const Tensor d1 = F32({3, 3}, {1.0f, 1.2f, 1.9f, 2.3f, 3.4f, 3.9f, 4.5f, 5.7f, 5.9f});
  EXPECT_TENSOR_EQ(run1(spec("Gather", {d1, I64({1, 2}, {0, 2})}, attrs({attr_int("axis", 1)}))),
                   F32({3, 1, 2}, {1.0f, 1.9f, 2.3f, 3.9f, 4.5f, 5.9f}));
  EXPECT_TENSOR_EQ(run1(spec("Gather", {d1, I32({1, 2}, {0, 2})}, attrs({attr_int("axis", -1)}))),
                   F32({3, 1, 2}, {1.0f, 1.9f, 2.3f, 3.9f, 4.5f, 5.9f}));
}

TEST(SliceGatherGather, NegativeScalarAndEmptyIndices) {
  const Tensor x = Iota(DataType::kInt64, {10});
  EXPECT_TENSOR_EQ(run1(spec("Gather", {x, I64v({0, -9, -10, 9})})), I64v({0, 1, 0, 9}));
  const Tensor m = Iota(DataType::kFloat32, {3, 4});
  EXPECT_TENSOR_EQ(run1(spec("Gather", {m, I64({}, {-1})})), F32({4}, {8, 9, 10, 11}));
  EXPECT_TENSOR_EQ(run1(spec("Gather", {m, I64({}, {2})}, attrs({attr_int("axis", 1)}))), F32({3}, {2, 6, 10}));
  EXPECT_EQ(run1(spec("Gather", {m, I64({0}, {})})).shape(), (Shape{0, 4}));
  // Shape -> Gather(scalar) is how models read one dim.
  EXPECT_TENSOR_EQ(run1(spec("Gather", {I64v({1, 3, 640, 480}), I64({}, {2})})), I64({}, {640}));
  EXPECT_TENSOR_EQ(run1(spec("Gather", {Iota(DataType::kBool, {4}), I64v({3, 0, 1})})), Bool({3}, {true, true, false}));
}

TEST(SliceGatherGather, RandomMatchesNaive) {
  for (uint32_t seed = 0; seed < 30; ++seed) {
    const int r = 1 + static_cast<int>(seed % 4);
    Shape in = random_shape(r, seed, 1, 5);
    const int axis = static_cast<int>(seed % r);
    Tensor x = random_int(DataType::kInt32, in, seed, -1000, 1000);
    Tensor idx = random_int(DataType::kInt64, random_shape(seed % 3, seed + 9, 1, 3), seed, -in[axis], in[axis] - 1);
    OpSpec s = spec("Gather", {x, idx}, attrs({attr_int("axis", axis)}));
    s.num_threads = 2;
    Tensor y = run1(s);
    int64_t outer = 1, inner = 1;
    for (int k = 0; k < axis; ++k) outer *= in[k];
    for (int k = axis + 1; k < r; ++k) inner *= in[k];
    ASSERT_EQ(y.numel(), outer * idx.numel() * inner);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < idx.numel(); ++j) {
        int64_t p = get_int(idx, j);
        if (p < 0) p += in[axis];
        for (int64_t i = 0; i < inner; ++i)
          ASSERT_EQ(get_int(y, (o * idx.numel() + j) * inner + i), get_int(x, (o * in[axis] + p) * inner + i));
      }
  }
}

TEST(SliceGatherGather, Errors) {
  const Tensor x = Iota(DataType::kFloat32, {3, 2});
  EXPECT_EQ(run_code(spec("Gather", {x, I64v({3})})), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Gather", {x, I64v({-4})})), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Gather", {x, I32({1}, {2})}, attrs({attr_int("axis", 1)}))), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Gather", {x, I64v({0})}, attrs({attr_int("axis", 2)}))), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("Gather", {x, F32({1}, {0})})), StatusCode::kInvalidModel);
  EXPECT_EQ(run_code(spec("Gather", {F32({}, {1}), I64v({0})})), StatusCode::kInvalidModel);
}

// ---------------------------------------------------------------- GatherElements

TEST(SliceGatherGatherElements, SpecExamples) {
  EXPECT_TENSOR_EQ(run1(spec("GatherElements", {F32({2, 2}, {1, 2, 3, 4}), I64({2, 2}, {0, 0, 1, 0})},
                             attrs({attr_int("axis", 1)}))),
                   F32({2, 2}, {1, 1, 4, 3}));
  EXPECT_TENSOR_EQ(run1(spec("GatherElements", {F32({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}),
                                                I32({2, 3}, {1, 2, 0, 2, 0, 0})})),
                   F32({2, 3}, {4, 8, 3, 7, 2, 3}));
  // Negative indices (spec example 3): [[-1,-2,0],[-2,0,0]] on axis 0.
  EXPECT_TENSOR_EQ(run1(spec("GatherElements", {F32({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}),
                                                I64({2, 3}, {-1, -2, 0, -2, 0, 0})})),
                   F32({2, 3}, {7, 5, 3, 4, 2, 3}));
  // axis -1, smaller index tensor on a non-axis dim.
  EXPECT_TENSOR_EQ(run1(spec("GatherElements", {Iota(DataType::kInt64, {3, 4}), I64({2, 1}, {3, 0})},
                             attrs({attr_int("axis", -1)}))),
                   I64({2, 1}, {3, 4}));
}

TEST(SliceGatherGatherElements, RandomMatchesNaive3d) {
  for (uint32_t seed = 0; seed < 20; ++seed) {
    Shape in = random_shape(3, seed, 1, 5);
    const int axis = static_cast<int>(seed % 3);
    Shape is = in;
    is[axis] = 1 + seed % 4;
    Tensor x = random_f32(in, seed);
    Tensor idx = random_int(DataType::kInt64, is, seed + 1, -in[axis], in[axis] - 1);
    Tensor y = run1(spec("GatherElements", {x, idx}, attrs({attr_int("axis", axis)})));
    ASSERT_EQ(y.shape(), is);
    for (int64_t a = 0; a < is[0]; ++a)
      for (int64_t b = 0; b < is[1]; ++b)
        for (int64_t c = 0; c < is[2]; ++c) {
          int64_t p[3] = {a, b, c};
          int64_t j = idx.data<int64_t>()[(a * is[1] + b) * is[2] + c];
          p[axis] = j < 0 ? j + in[axis] : j;
          ASSERT_EQ(y.data<float>()[(a * is[1] + b) * is[2] + c], x.data<float>()[(p[0] * in[1] + p[1]) * in[2] + p[2]]);
        }
  }
}

TEST(SliceGatherGatherElements, Errors) {
  const Tensor x = F32({2, 2}, {1, 2, 3, 4});
  EXPECT_EQ(run_code(spec("GatherElements", {x, I64({1, 1}, {2})})), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("GatherElements", {x, I64({1, 1}, {-3})})), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("GatherElements", {x, I64({2}, {0, 1})})), StatusCode::kInvalidModel);
  EXPECT_EQ(run_code(spec("GatherElements", {x, I64({1, 3}, {0, 0, 0})})), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(spec("GatherElements", {x, I64({1, 1}, {0})}, attrs({attr_int("axis", 2)}))),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace edgeinfer::testing
