// ConvTranspose (opsets 1-21): N-D, groups, strides, dilations, pads / auto_pad, output_padding and
// output_shape, optional bias and fused activation. Computed as a GEMM (W^T x X panels) followed by
// a scatter-add (col2im) into the output; constant weights are packed once.
#include <algorithm>
#include <memory>
#include <vector>

#include "kernels/f32_conv/conv_attrs.h"
#include "kernels/f32_conv/f32_conv.h"
#include "ops/activation.h"
#include "ops/op.h"

namespace edgeinfer {
namespace {

size_t align_floats(size_t n) { return (n + 15) / 16 * 16; }

class ConvTransposeKernel final : public Kernel {
 public:
  ConvTransposeKernel(ConvAttrs attrs, Activation act) : attrs_(std::move(attrs)), act_(act) {}

  void prepack(const Tensor& w) {
    if (w.dtype() != DataType::kFloat32 || w.rank() < 3 || w.dim(0) % attrs_.group != 0) return;
    ConvGeometry g;
    g.nd = w.rank() - 2;
    g.group = attrs_.group;
    g.c_in = w.dim(0);
    g.c_out = w.dim(1) * attrs_.group;
    g.kernel.assign(w.shape().begin() + 2, w.shape().end());
    packed_.resize(conv_transpose_packed_size(g));
    f32_conv_transpose_pack_weights(g, w.data<float>(), packed_.data());
    w_shape_ = w.shape();
    prepacked_ = true;
  }

  Status infer(InferContext& ctx) override {
    if (!ctx.has_input(0) || !ctx.has_input(1)) return invalid_model("ConvTranspose needs inputs X and W");
    if (ctx.num_inputs() > 3) return invalid_model("ConvTranspose takes at most 3 inputs");
    for (int i = 0; i < ctx.num_inputs(); ++i)
      if (ctx.has_input(i) && ctx.input_dtype(i) != DataType::kFloat32)
        return unsupported(std::string("ConvTranspose on ") + dtype_name(ctx.input_dtype(i)) + " (float32 only)");
    EI_ASSIGN_OR_RETURN(ConvGeometry g, conv_transpose_geometry(attrs_, ctx.input_shape(0), ctx.input_shape(1)));
    if (ctx.has_input(2)) {
      const Shape& b = ctx.input_shape(2);
      if (b.size() != 1 || b[0] != g.c_out)
        return invalid_argument("B " + shape_to_string(b) + " must be [" + std::to_string(g.c_out) + "]");
    }
    // One slot per thread the session has (the kernel uses as many as the scratch holds).
    const int slots = std::max(1, std::min(ctx.num_threads(), kConvMaxSlots));
    size_t scratch = f32_conv_transpose_scratch_bytes(g) / kConvMaxSlots * static_cast<size_t>(slots);
    if (!prepacked_) scratch += align_floats(conv_transpose_packed_size(g)) * sizeof(float);
    ctx.request_scratch(scratch);
    Shape out = {g.batch, g.c_out};
    out.insert(out.end(), g.out.begin(), g.out.end());
    ctx.set_output(0, DataType::kFloat32, out);
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& w = ctx.input(1);
    const Tensor* b = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    EI_ASSIGN_OR_RETURN(ConvGeometry g, conv_transpose_geometry(attrs_, x.shape(), w.shape()));
    if (prepacked_ && w.shape() != w_shape_) return internal_error("ConvTranspose: W changed shape after prepacking");
    if (b && (b->rank() != 1 || b->dim(0) != g.c_out)) return invalid_argument("ConvTranspose: bad B shape");
    char* scratch = static_cast<char*>(ctx.scratch());
    size_t scratch_bytes = ctx.scratch_bytes();
    const float* packed = packed_.data();
    if (!prepacked_) {
      const size_t bytes = align_floats(conv_transpose_packed_size(g)) * sizeof(float);
      if (scratch_bytes < bytes) return internal_error("ConvTranspose: scratch smaller than planned");
      float* dst = reinterpret_cast<float*>(scratch);
      f32_conv_transpose_pack_weights(g, w.data<float>(), dst);
      packed = dst;
      scratch += bytes;
      scratch_bytes -= bytes;
    }
    if (scratch_bytes < f32_conv_transpose_scratch_bytes(g) / kConvMaxSlots)
      return internal_error("ConvTranspose: scratch smaller than planned");
    f32_conv_transpose(g, x.data<float>(), packed, b ? b->data<float>() : nullptr, ctx.output(0).data<float>(), act_,
                       &ctx.pool(), scratch, scratch_bytes);
    return Status::ok();
  }

  size_t owned_bytes() const override { return packed_.size() * sizeof(float); }
  bool copied_constant_input(int i) const override { return prepacked_ && i == 1; }

 private:
  ConvAttrs attrs_;
  Activation act_;
  bool prepacked_ = false;
  Shape w_shape_;
  std::vector<float> packed_;
};

Result<std::unique_ptr<Kernel>> create_conv_transpose(const KernelInit& init) {
  auto attrs = parse_conv_attrs(init.attrs(), true);
  if (!attrs.is_ok()) return init.error(attrs.status());
  auto act = Activation::from_attrs(init.attrs());
  if (!act.is_ok()) return init.error(act.status());
  if (!init.has_input(0) || !init.has_input(1)) return init.error(invalid_model("ConvTranspose needs inputs X and W"));
  auto k = std::make_unique<ConvTransposeKernel>(std::move(attrs).value(), *act);
  if (const Tensor* w = init.constant_input(1)) k->prepack(*w);
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace

extern const OpRegistration kOpConvTranspose = {"", "ConvTranspose", &create_conv_transpose};

}  // namespace edgeinfer
