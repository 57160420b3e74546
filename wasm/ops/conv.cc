// Conv (opsets 1-21): N-D NCHW convolution with groups, dilations, strides, explicit or automatic
// pads, optional bias and the optimizer's fused activation.
// Paths: depthwise (group == channels, 1-D/2-D) -> f32_dwconv; everything else -> f32_conv (offset
// microkernels reading the input planes, zero-padded row bands, or im2col panels: see f32_conv.h).
// Constant weights (and bias) are packed once at session creation.
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/f32_conv/conv_attrs.h"
#include "kernels/f32_conv/f32_conv.h"
#include "kernels/f32_dwconv/f32_dwconv.h"
#include "ops/activation.h"
#include "ops/op.h"

namespace edgeinfer {
namespace {

size_t align_floats(size_t n) { return (n + 15) / 16 * 16; }

// The kernels keep one scratch slot per thread and use as many slots as the scratch holds, so
// planning for the session's threads (not the kernels' maximum) is enough.
int scratch_slots(int threads, int max_slots) { return threads < 1 ? 1 : threads < max_slots ? threads : max_slots; }

bool is_depthwise(const ConvGeometry& g) {
  return g.group > 1 && g.group == g.c_in && g.c_out == g.c_in && g.nd <= 2;
}

DwConv2dParams dw_params(const ConvGeometry& g) {
  DwConv2dParams p;
  p.batch = g.batch;
  p.channels = g.c_in;
  const int o = g.nd == 2 ? 0 : -1;  // 1-D runs as a 1 x W plane
  p.ih = o < 0 ? 1 : g.in[0];
  p.iw = g.in[g.nd - 1];
  p.oh = o < 0 ? 1 : g.out[0];
  p.ow = g.out[g.nd - 1];
  p.kh = o < 0 ? 1 : g.kernel[0];
  p.kw = g.kernel[g.nd - 1];
  p.sh = o < 0 ? 1 : g.stride[0];
  p.sw = g.stride[g.nd - 1];
  p.dh = o < 0 ? 1 : g.dilation[0];
  p.dw = g.dilation[g.nd - 1];
  p.pad_top = o < 0 ? 0 : g.pad_begin[0];
  p.pad_left = g.pad_begin[g.nd - 1];
  return p;
}

class ConvKernel final : public Kernel {
 public:
  ConvKernel(ConvAttrs attrs, Activation act) : attrs_(std::move(attrs)), act_(act) {}

  // W (and B when constant too) known at session creation: pack now.
  void prepack(const Tensor& w, const Tensor* b) {
    if (w.dtype() != DataType::kFloat32 || w.rank() < 3) return;
    if (b && (b->dtype() != DataType::kFloat32 || b->rank() != 1 || b->dim(0) != w.dim(0))) return;
    w_shape_ = w.shape();
    ConvGeometry g = conv_weight_geometry(attrs_, w.shape());
    if (g.group < 1 || w.dim(0) % g.group != 0) return;  // infer() reports it
    if (is_depthwise(g)) {
      dw_w_.assign(w.data<float>(), w.data<float>() + w.numel());
      dw_b_.assign(g.c_out, 0.0f);
      if (b) std::memcpy(dw_b_.data(), b->data<float>(), dw_b_.size() * sizeof(float));
    } else {
      packed_.resize(conv_packed_size(g));
      f32_conv_pack_weights(g, w.data<float>(), b ? b->data<float>() : nullptr, packed_.data());
    }
    prepacked_ = true;
  }

  Status infer(InferContext& ctx) override {
    if (!ctx.has_input(0) || !ctx.has_input(1)) return invalid_model("Conv needs inputs X and W");
    for (int i = 0; i < ctx.num_inputs() && i < 3; ++i)
      if (ctx.has_input(i) && ctx.input_dtype(i) != DataType::kFloat32)
        return unsupported(std::string("Conv on ") + dtype_name(ctx.input_dtype(i)) + " (float32 only)");
    if (ctx.num_inputs() > 3) return invalid_model("Conv takes at most 3 inputs");
    EI_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(attrs_, ctx.input_shape(0), ctx.input_shape(1)));
    if (ctx.has_input(2)) {
      const Shape& b = ctx.input_shape(2);
      if (b.size() != 1 || b[0] != g.c_out)
        return invalid_argument("B " + shape_to_string(b) + " must be [" + std::to_string(g.c_out) + "]");
    }
    size_t scratch = 0;
    if (is_depthwise(g)) {
      scratch = f32_dwconv2d_scratch_bytes(dw_params(g)) / kDwConvMaxSlots *
                static_cast<size_t>(scratch_slots(ctx.num_threads(), kDwConvMaxSlots));
    } else {
      scratch = f32_conv_scratch_bytes(g, scratch_slots(ctx.num_threads(), kConvMaxSlots));
      if (!prepacked_) scratch += align_floats(conv_packed_size(g)) * sizeof(float);
    }
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
    EI_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(attrs_, x.shape(), w.shape()));
    if (prepacked_ && w.shape() != w_shape_) return internal_error("Conv: W changed shape after prepacking");
    if (b && (b->rank() != 1 || b->dim(0) != g.c_out)) return invalid_argument("Conv: bad B shape");
    float* y = ctx.output(0).data<float>();
    ThreadPool* pool = &ctx.pool();
    char* scratch = static_cast<char*>(ctx.scratch());
    size_t scratch_bytes = ctx.scratch_bytes();
    if (is_depthwise(g)) {
      const DwConv2dParams p = dw_params(g);
      if (scratch_bytes < f32_dwconv2d_scratch_bytes(p) / kDwConvMaxSlots) return internal_error("Conv: scratch smaller than planned");
      const float* wd = prepacked_ ? dw_w_.data() : w.data<float>();
      const float* bd = prepacked_ ? dw_b_.data() : (b ? b->data<float>() : nullptr);
      f32_dwconv2d(p, x.data<float>(), wd, bd, y, act_, pool, scratch, scratch_bytes);
      return Status::ok();
    }
    const float* packed = packed_.data();
    if (!prepacked_) {
      const size_t bytes = align_floats(conv_packed_size(g)) * sizeof(float);
      if (scratch_bytes < bytes) return internal_error("Conv: scratch smaller than planned");
      float* dst = reinterpret_cast<float*>(scratch);
      f32_conv_pack_weights(g, w.data<float>(), b ? b->data<float>() : nullptr, dst);
      packed = dst;
      scratch += bytes;
      scratch_bytes -= bytes;
    }
    if (scratch_bytes < f32_conv_scratch_bytes(g, 1)) return internal_error("Conv: scratch smaller than planned");
    f32_conv(g, x.data<float>(), packed, y, act_, pool, scratch, scratch_bytes);
    return Status::ok();
  }

  size_t owned_bytes() const override {
    return (packed_.size() + dw_w_.size() + dw_b_.size()) * sizeof(float);
  }
  bool copied_constant_input(int i) const override { return prepacked_ && (i == 1 || i == 2); }

 private:
  ConvAttrs attrs_;
  Activation act_;
  bool prepacked_ = false;
  Shape w_shape_;
  std::vector<float> packed_, dw_w_, dw_b_;
};

Result<std::unique_ptr<Kernel>> create_conv(const KernelInit& init) {
  auto attrs = parse_conv_attrs(init.attrs(), false);
  if (!attrs.is_ok()) return init.error(attrs.status());
  auto act = Activation::from_attrs(init.attrs());
  if (!act.is_ok()) return init.error(act.status());
  if (!init.has_input(0) || !init.has_input(1)) return init.error(invalid_model("Conv needs inputs X and W"));
  auto k = std::make_unique<ConvKernel>(std::move(attrs).value(), *act);
  const Tensor* w = init.constant_input(1);
  const Tensor* b = init.constant_input(2);
  if (w && (!init.has_input(2) || b)) k->prepack(*w, b);
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace

extern const OpRegistration kOpConv = {"", "Conv", &create_conv};

}  // namespace edgeinfer
