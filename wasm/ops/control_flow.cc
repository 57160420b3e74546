// If: runs one of two subgraphs; its outputs' shapes are known only once the branch has run.
#include "ops/op.h"

namespace edgeinfer {

namespace {

class IfKernel : public Kernel {
 public:
  IfKernel(const Graph* then_branch, const Graph* else_branch) : then_(then_branch), else_(else_branch) {}

  Status infer(InferContext& ctx) override {
    if (!ctx.has_input(0)) return invalid_model("missing input 'cond'");
    if (numel(ctx.input_shape(0)) != 1)
      return invalid_argument("cond must hold one element, got shape " + shape_to_string(ctx.input_shape(0)));
    for (int i = 0; i < ctx.num_outputs(); ++i) {
      // The branches declare their output types; either may leave them open.
      DataType dt = then_->values[static_cast<size_t>(then_->outputs[static_cast<size_t>(i)])].dtype;
      if (dt == DataType::kUndefined) dt = else_->values[static_cast<size_t>(else_->outputs[static_cast<size_t>(i)])].dtype;
      ctx.set_output_dynamic(i, dt);
    }
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& cond = ctx.input(0);
    if (cond.numel() != 1) return invalid_argument("cond must hold one element");
    const bool take_then = cond.dtype() == DataType::kFloat32 ? cond.data<float>()[0] != 0.0f : get_int(cond, 0) != 0;
    const Graph& branch = take_then ? *then_ : *else_;
    if (!ctx.subgraphs()) return internal_error("If needs a subgraph runner");
    EI_ASSIGN_OR_RETURN(std::vector<Tensor> outs, ctx.subgraphs()->run(branch, {}));
    if (static_cast<int>(outs.size()) != ctx.num_outputs())
      return invalid_model("branch '" + branch.name + "' returned " + std::to_string(outs.size()) + " outputs, If has " +
                           std::to_string(ctx.num_outputs()));
    for (int i = 0; i < ctx.num_outputs(); ++i)
      if (ctx.has_output(i)) ctx.set_output(i, std::move(outs[static_cast<size_t>(i)]));
    return Status::ok();
  }

 private:
  const Graph* then_;
  const Graph* else_;
};

Result<std::unique_ptr<Kernel>> create_if(const KernelInit& init) {
  const Attribute* then_attr = init.attrs().find("then_branch");
  const Attribute* else_attr = init.attrs().find("else_branch");
  if (!then_attr || !then_attr->g || !else_attr || !else_attr->g)
    return init.error(invalid_model("If needs graph attributes then_branch and else_branch"));
  const size_t n = static_cast<size_t>(init.num_outputs);
  if (then_attr->g->outputs.size() != n || else_attr->g->outputs.size() != n)
    return init.error(invalid_model("then_branch has " + std::to_string(then_attr->g->outputs.size()) +
                                    " outputs and else_branch " + std::to_string(else_attr->g->outputs.size()) +
                                    "; the node has " + std::to_string(n)));
  if (!then_attr->g->inputs.empty() || !else_attr->g->inputs.empty())
    return init.error(invalid_model("If branches take no inputs"));
  return std::unique_ptr<Kernel>(new IfKernel(then_attr->g.get(), else_attr->g.get()));
}

}  // namespace

const OpRegistration kOpIf = {"", "If", &create_if};

}  // namespace edgeinfer
