#include "runtime/node_eval.h"

#include "ops/op.h"
#include "runtime/executor.h"
#include "runtime/thread_pool.h"

namespace edgeinfer {

Result<std::optional<std::vector<Tensor>>> evaluate_node(const Graph& g, const Node& n, int64_t opset,
                                                         const std::vector<const Tensor*>& inputs,
                                                         int64_t max_output_elements) {
  auto kernel = create_node_kernel(g, n, opset);
  if (!kernel.is_ok()) return kernel.status();
  std::vector<TensorInfo> infos(inputs.size());
  std::vector<const TensorInfo*> info_ptrs;
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (inputs[k]) infos[k] = TensorInfo{inputs[k]->dtype(), inputs[k]->shape()};
    info_ptrs.push_back(inputs[k] ? &infos[k] : nullptr);
  }
  std::vector<bool> present;
  for (int out : n.outputs) present.push_back(out >= 0);
  InferContext ictx(n, opset, info_ptrs, inputs, present);
  Status st = kernel.value()->infer(ictx);
  if (st.code() == StatusCode::kDeferred) return std::optional<std::vector<Tensor>>();
  EI_RETURN_IF_ERROR(st.with_context(n.error_prefix()));
  int64_t out_elements = 0;
  for (size_t o = 0; o < n.outputs.size(); ++o) {
    if (n.outputs[o] < 0) continue;
    if (ictx.output_dynamic(static_cast<int>(o))) return std::optional<std::vector<Tensor>>();
    auto count = checked_numel(ictx.outputs()[o].shape);
    if (!count.is_ok()) return count.status().with_context(n.error_prefix());
    out_elements += count.value();
  }
  if (max_output_elements >= 0 && out_elements > max_output_elements) return std::optional<std::vector<Tensor>>();
  std::vector<Tensor> outs(n.outputs.size());
  std::vector<Tensor*> out_ptrs;
  for (size_t o = 0; o < n.outputs.size(); ++o) {
    if (n.outputs[o] < 0) {
      out_ptrs.push_back(nullptr);
      continue;
    }
    EI_ASSIGN_OR_RETURN(outs[o], Tensor::allocate(ictx.outputs()[o].dtype, ictx.outputs()[o].shape));
    out_ptrs.push_back(&outs[o]);
  }
  Tensor scratch;
  if (ictx.scratch_bytes()) {
    EI_ASSIGN_OR_RETURN(scratch, Tensor::allocate(DataType::kUint8, {static_cast<int64_t>(ictx.scratch_bytes())}));
  }
  ThreadPool pool(1);
  RunContext rctx(n, inputs, out_ptrs, scratch.raw(), ictx.scratch_bytes(), &pool, nullptr);
  EI_RETURN_IF_ERROR(kernel.value()->run(rctx).with_context(n.error_prefix()));
  return std::optional<std::vector<Tensor>>(std::move(outs));
}

}  // namespace edgeinfer
