// MatMul against a naive batched loop: 1-D promotion, batch broadcasting both ways, constant and
// runtime B, fused activation, threads, and errors.
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

namespace edgeinfer {
namespace {

using testing::OpSpec;
using testing::random_f32;
using testing::run_op;

// numpy matmul for float tensors, written independently of the kernel.
Tensor naive_matmul(const Tensor& a_in, const Tensor& b_in) {
  Shape a = a_in.shape(), b = b_in.shape();
  const bool a1 = a.size() == 1, b1 = b.size() == 1;
  if (a1) a.insert(a.begin(), 1);
  if (b1) b.push_back(1);
  const int64_t m = a[a.size() - 2], k = a.back(), n = b.back();
  const size_t rank = std::max(a.size(), b.size());
  Shape pa(rank - a.size(), 1), pb(rank - b.size(), 1);
  pa.insert(pa.end(), a.begin(), a.end());
  pb.insert(pb.end(), b.begin(), b.end());
  Shape batch(rank - 2);
  for (size_t d = 0; d + 2 < rank; ++d) batch[d] = std::max(pa[d], pb[d]);
  Shape out = batch;
  if (!a1) out.push_back(m);
  if (!b1) out.push_back(n);
  Tensor y = Tensor::allocate(DataType::kFloat32, out).value();
  int64_t count = 1;
  for (int64_t d : batch) count *= d;
  for (int64_t ob = 0; ob < count; ++ob) {
    int64_t ia = 0, ib = 0, sa = 1, sb = 1, rem = ob;
    for (size_t d = batch.size(); d-- > 0;) {
      const int64_t c = rem % batch[d];
      rem /= batch[d];
      ia += (pa[d] == 1 ? 0 : c) * sa;
      ib += (pb[d] == 1 ? 0 : c) * sb;
      sa *= pa[d];
      sb *= pb[d];
    }
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < k; ++p)
          acc += double(a_in.data<float>()[ia * m * k + i * k + p]) * b_in.data<float>()[ib * k * n + p * n + j];
        y.data<float>()[ob * m * n + i * n + j] = static_cast<float>(acc);
      }
  }
  return y;
}

void check(const Shape& as, const Shape& bs, std::vector<int> consts, int threads = 1) {
  SCOPED_TRACE(shape_to_string(as) + " x " + shape_to_string(bs) + " consts=" + std::to_string(consts.size()) +
               " threads=" + std::to_string(threads));
  OpSpec s;
  s.op_type = "MatMul";
  s.opset = 13;
  s.inputs = {random_f32(as, 11), random_f32(bs, 12)};
  s.constant_inputs = consts;
  s.num_threads = threads;
  auto r = run_op(s);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_TENSOR_NEAR((*r)[0], naive_matmul(s.inputs[0], s.inputs[1]), 1e-4f, 1e-4f);
}

TEST(MatMulOp, ShapesAndBroadcasting) {
  for (std::vector<int> consts : {std::vector<int>{}, {1}}) {
    check({5, 7}, {7, 9}, consts);
    check({1, 33}, {33, 17}, consts);
    check({7}, {7, 9}, consts);        // 1-D A
    check({5, 7}, {7}, consts);        // 1-D B
    check({7}, {7}, consts);           // dot product: scalar result
    check({3, 5, 7}, {7, 9}, consts);  // batch of A folds into M
    check({3, 5, 7}, {3, 7, 9}, consts);
    check({2, 1, 5, 7}, {3, 7, 9}, consts);  // both broadcast
    check({5, 7}, {4, 7, 9}, consts);        // A broadcast over B's batch
    check({2, 3, 4, 6}, {2, 1, 6, 10}, consts);
    check({2, 4, 7}, {7}, consts);           // 1-D B with batch A
    check({7}, {2, 7, 3}, consts);           // 1-D A with batch B
    check({3, 0, 7}, {7, 9}, consts);        // empty
    check({3, 5, 0}, {0, 9}, consts);        // K = 0: zeros
  }
}

TEST(MatMulOp, ThreadsGiveSameResultAndLarge) {
  for (int t : {1, 2}) {
    check({67, 129}, {129, 75}, {1}, t);
    check({8, 3, 33, 20}, {8, 3, 20, 33}, {}, t);
    check({1, 257}, {257, 100}, {}, t);
  }
}

TEST(MatMulOp, FusedRelu) {
  OpSpec s;
  s.op_type = "MatMul";
  s.inputs = {random_f32({6, 5}, 1), random_f32({5, 10}, 2)};
  s.constant_inputs = {1};
  s.attributes = testing::attrs({testing::attr_string("_activation", "Relu")});
  auto r = run_op(s);
  ASSERT_TRUE(r.is_ok());
  Tensor e = naive_matmul(s.inputs[0], s.inputs[1]);
  for (int64_t i = 0; i < e.numel(); ++i) e.data<float>()[i] = std::max(0.0f, e.data<float>()[i]);
  EXPECT_TENSOR_NEAR((*r)[0], e, 1e-5f, 1e-5f);
}

TEST(MatMulOp, Errors) {
  OpSpec s;
  s.op_type = "MatMul";
  s.inputs = {random_f32({3, 4}, 1), random_f32({5, 6}, 2)};
  EXPECT_EQ(run_op(s).status().code(), StatusCode::kInvalidArgument);
  s.inputs = {random_f32({2, 3, 4}, 1), random_f32({3, 4, 6}, 2)};  // batch 2 vs 3
  EXPECT_FALSE(run_op(s).is_ok());
  s.inputs = {Tensor::scalar_f32(1.0f), random_f32({1, 6}, 2)};
  EXPECT_FALSE(run_op(s).is_ok());
  s.inputs = {Tensor::from_vector<int64_t>({1, 1}, {1}), Tensor::from_vector<int64_t>({1, 1}, {1})};
  EXPECT_EQ(run_op(s).status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace edgeinfer
