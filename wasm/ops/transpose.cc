// Transpose: validates perm and hands the work to the transpose kernel family.
#include <string>
#include <vector>

#include "kernels/transpose/transpose.h"
#include "ops/op.h"

namespace edgeinfer {

namespace {

class TransposeKernel : public Kernel {
 public:
  TransposeKernel(bool has_perm, std::vector<int64_t> perm) : has_perm_(has_perm), perm_(std::move(perm)) {}

  Result<std::vector<int>> perm_for(int rank) const {
    std::vector<int> p(static_cast<size_t>(rank));
    if (!has_perm_) {
      for (int i = 0; i < rank; ++i) p[i] = rank - 1 - i;
      return p;
    }
    if (static_cast<int>(perm_.size()) != rank)
      return invalid_model("perm has " + std::to_string(perm_.size()) + " values for an input of rank " +
                           std::to_string(rank));
    std::vector<bool> seen(static_cast<size_t>(rank), false);
    for (int i = 0; i < rank; ++i) {
      const int64_t v = perm_[i];
      if (v < 0 || v >= rank || seen[v]) return invalid_model("perm " + shape_to_string(perm_) + " is not a permutation");
      seen[v] = true;
      p[i] = static_cast<int>(v);
    }
    return p;
  }

  Status infer(InferContext& ctx) override {
    const DataType dt = ctx.input_dtype(0);
    if (dtype_size(dt) == 0) return unsupported(std::string("dtype ") + dtype_name(dt));
    const Shape& in = ctx.input_shape(0);
    EI_ASSIGN_OR_RETURN(std::vector<int> p, perm_for(static_cast<int>(in.size())));
    Shape out(in.size());
    for (size_t i = 0; i < in.size(); ++i) out[i] = in[p[i]];
    ctx.set_output(0, dt, out);
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    const Tensor& in = ctx.input(0);
    EI_ASSIGN_OR_RETURN(std::vector<int> p, perm_for(in.rank()));
    transpose_nd(in.raw(), ctx.output(0).raw(), in.shape(), p, dtype_size(in.dtype()), &ctx.pool());
    return Status::ok();
  }

 private:
  bool has_perm_;
  std::vector<int64_t> perm_;
};

Result<std::unique_ptr<Kernel>> create_transpose(const KernelInit& init) {
  if (!init.has_input(0)) return init.error(invalid_model("Transpose needs an input"));
  EI_RETURN_IF_ERROR(init.error(init.attrs().check_type("perm", AttrType::kInts)));
  return std::unique_ptr<Kernel>(new TransposeKernel(init.attrs().has("perm"), init.attrs().get_ints("perm")));
}

}  // namespace

extern const OpRegistration kOpTranspose = {"", "Transpose", &create_transpose};

}  // namespace edgeinfer
