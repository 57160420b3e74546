// numpy matmul shape rules shared by MatMul and the integer matrix products (MatMulInteger,
// QLinearMatMul, MatMulIntegerToFloat, DynamicQuantizeMatMul): 1-D operands promoted and their unit
// dims dropped from the output, batch dims broadcast.
#pragma once

#include "core/status.h"
#include "core/tensor.h"

namespace edgeinfer {

struct MatMulShape {
  int64_t m = 0, n = 0, k = 0;
  Shape batch;             // broadcast batch dims of the output
  Shape a_batch, b_batch;  // each operand's batch dims, right-aligned to `batch` with 1s
  Shape out;
  int64_t batch_count = 1, b_count = 1;
  bool b_batched = false;  // B has a batch dim > 1
};

inline Result<MatMulShape> matmul_shape(const Shape& a_in, const Shape& b_in) {
  if (a_in.empty() || b_in.empty()) return invalid_argument("matrix operands must have rank >= 1");
  Shape a = a_in, b = b_in;
  const bool a1 = a.size() == 1, b1 = b.size() == 1;
  if (a1) a.insert(a.begin(), 1);
  if (b1) b.push_back(1);
  MatMulShape s;
  s.m = a[a.size() - 2];
  s.k = a.back();
  s.n = b.back();
  if (b[b.size() - 2] != s.k)
    return invalid_argument("inner dimensions differ: " + shape_to_string(a_in) + " x " + shape_to_string(b_in));
  Shape ab(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
  EI_ASSIGN_OR_RETURN(s.batch, broadcast_shapes(ab, bb));
  s.a_batch = Shape(s.batch.size() - ab.size(), 1);
  s.a_batch.insert(s.a_batch.end(), ab.begin(), ab.end());
  s.b_batch = Shape(s.batch.size() - bb.size(), 1);
  s.b_batch.insert(s.b_batch.end(), bb.begin(), bb.end());
  for (int64_t d : s.batch) s.batch_count *= d;
  for (int64_t d : s.b_batch) s.b_count *= d;
  s.b_batched = s.b_count > 1;
  s.out = s.batch;
  if (!a1) s.out.push_back(s.m);
  if (!b1) s.out.push_back(s.n);
  return s;
}

// Offset (in batch items) of output batch index `ob` inside an operand with batch dims `own`.
inline int64_t operand_batch(const Shape& batch, const Shape& own, int64_t ob) {
  int64_t idx = 0, stride = 1;
  for (size_t d = batch.size(); d-- > 0;) {
    const int64_t coord = ob % batch[d];
    ob /= batch[d];
    if (own[d] != 1) idx += coord * stride;
    stride *= own[d];
  }
  return idx;
}

}  // namespace edgeinfer
