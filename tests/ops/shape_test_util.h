// Small helpers shared by the data-movement op tests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ops/op.h"
#include "test_util.h"

namespace edgeinfer::testing::shape {

inline Tensor I64(Shape s, std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(std::move(s), v); }
inline Tensor I32(Shape s, std::vector<int32_t> v) { return Tensor::from_vector<int32_t>(std::move(s), v); }
inline Tensor F32(Shape s, std::vector<float> v) { return Tensor::from_vector<float>(std::move(s), v); }
inline Tensor U8(Shape s, std::vector<uint8_t> v) { return Tensor::from_vector<uint8_t>(std::move(s), v); }
inline Tensor Bool(Shape s, std::vector<bool> v) {
  Tensor t = Tensor::allocate(DataType::kBool, std::move(s)).value();
  for (size_t i = 0; i < v.size(); ++i) t.data<bool>()[i] = v[i];
  return t;
}
inline Tensor I64v(std::vector<int64_t> v) { return I64({static_cast<int64_t>(v.size())}, v); }
inline Tensor Iota(DataType dt, Shape s) {
  Tensor t = Tensor::allocate(dt, s).value();
  for (int64_t i = 0; i < t.numel(); ++i) {
    switch (dt) {
      case DataType::kFloat32: t.data<float>()[i] = static_cast<float>(i); break;
      case DataType::kInt64: t.data<int64_t>()[i] = i; break;
      case DataType::kInt32: t.data<int32_t>()[i] = static_cast<int32_t>(i); break;
      case DataType::kUint8: t.data<uint8_t>()[i] = static_cast<uint8_t>(i); break;
      case DataType::kInt8: t.data<int8_t>()[i] = static_cast<int8_t>(i); break;
      case DataType::kBool: t.data<bool>()[i] = i % 3 == 0; break;
      default: break;
    }
  }
  return t;
}

// Runs and expects success; on failure records it and returns empty tensors (later checks fail too).
inline std::vector<Tensor> run_ok(const OpSpec& spec) {
  auto r = run_op(spec);
  if (!r.is_ok()) {
    ADD_FAILURE() << spec.op_type << ": " << r.status().to_string();
    return std::vector<Tensor>(static_cast<size_t>(spec.num_outputs));
  }
  return std::move(r).value();
}
inline Tensor run1(const OpSpec& spec) { return run_ok(spec)[0]; }

inline StatusCode run_code(const OpSpec& spec) { return run_op(spec).status().code(); }

// Runs only the factory and the planning-time infer (constants = the inputs listed in spec.constant_inputs),
// as the runtime does while planning. Returns the status and the output shapes.
struct PlanResult {
  StatusCode code = StatusCode::kOk;
  std::vector<Shape> shapes;
};
inline PlanResult plan_only(const OpSpec& spec) {
  PlanResult res;
  const OpRegistration* reg = find_op(spec.domain, spec.op_type);
  if (!reg) { res.code = StatusCode::kUnsupported; return res; }
  Node node;
  node.name = "plan";
  node.op_type = spec.op_type;
  node.attrs = spec.attributes;
  const size_t n = spec.inputs.size();
  KernelInit init;
  init.node = &node;
  init.opset = spec.opset;
  init.num_outputs = spec.num_outputs;
  init.present.resize(n);
  init.constants.assign(n, nullptr);
  std::vector<TensorInfo> infos(n);
  std::vector<const TensorInfo*> ptrs(n, nullptr);
  for (size_t i = 0; i < n; ++i) {
    init.present[i] = !spec.inputs[i].empty();
    if (!init.present[i]) continue;
    for (int c : spec.constant_inputs)
      if (c == static_cast<int>(i)) init.constants[i] = &spec.inputs[i];
    infos[i] = TensorInfo{spec.inputs[i].dtype(), spec.inputs[i].shape()};
    ptrs[i] = &infos[i];
  }
  auto k = reg->create(init);
  if (!k.is_ok()) { res.code = k.status().code(); return res; }
  InferContext ctx(node, spec.opset, ptrs, init.constants, std::vector<bool>(static_cast<size_t>(spec.num_outputs), true));
  Status st = k.value()->infer(ctx);
  res.code = st.code();
  if (st.is_ok())
    for (const TensorInfo& o : ctx.outputs()) res.shapes.push_back(o.shape);
  return res;
}

}  // namespace edgeinfer::testing::shape
