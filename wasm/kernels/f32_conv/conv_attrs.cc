#include "kernels/f32_conv/conv_attrs.h"

namespace edgeinfer {

namespace {

std::string vec_str(const std::vector<int64_t>& v) { return shape_to_string(v); }

Status check_len(const char* name, const std::vector<int64_t>& v, size_t n) {
  if (!v.empty() && v.size() != n)
    return invalid_model(std::string(name) + " has " + std::to_string(v.size()) + " values, expected " +
                         std::to_string(n));
  return Status::ok();
}

// Shape checks shared by both ops: ranks, kernel_shape, lengths; fills nd, batch, spatial in and kernel.
Status common(const ConvAttrs& a, const Shape& x, const Shape& w, ConvGeometry* g) {
  if (x.size() < 3) return invalid_argument("X must have rank >= 3 (N, C, spatial...), got " + shape_to_string(x));
  if (w.size() != x.size())
    return invalid_argument("W rank " + std::to_string(w.size()) + " differs from X rank " + std::to_string(x.size()) +
                            " (X " + shape_to_string(x) + ", W " + shape_to_string(w) + ")");
  for (int64_t d : x)
    if (d < 0) return invalid_argument("X has an unknown dim: " + shape_to_string(x));
  for (int64_t d : w)
    if (d < 0) return invalid_argument("W has an unknown dim: " + shape_to_string(w));
  const size_t nd = x.size() - 2;
  g->nd = static_cast<int>(nd);
  g->batch = x[0];
  g->group = a.group;
  g->in.assign(x.begin() + 2, x.end());
  g->kernel.assign(w.begin() + 2, w.end());
  if (!a.kernel_shape.empty() && a.kernel_shape != g->kernel)
    return invalid_argument("kernel_shape " + vec_str(a.kernel_shape) + " differs from W spatial dims " +
                            vec_str(g->kernel));
  for (int64_t k : g->kernel)
    if (k < 1) return invalid_argument("W has an empty kernel: " + shape_to_string(w));
  EI_RETURN_IF_ERROR(check_len("strides", a.strides, nd));
  EI_RETURN_IF_ERROR(check_len("dilations", a.dilations, nd));
  EI_RETURN_IF_ERROR(check_len("pads", a.pads, 2 * nd));
  EI_RETURN_IF_ERROR(check_len("output_padding", a.output_padding, nd));
  g->stride = a.strides.empty() ? std::vector<int64_t>(nd, 1) : a.strides;
  g->dilation = a.dilations.empty() ? std::vector<int64_t>(nd, 1) : a.dilations;
  g->pad_begin.assign(nd, 0);
  g->out.assign(nd, 0);
  return Status::ok();
}

}  // namespace

Result<ConvAttrs> parse_conv_attrs(const Attributes& attrs, bool transpose) {
  ConvAttrs a;
  EI_RETURN_IF_ERROR(attrs.check_type("auto_pad", AttrType::kString));
  EI_RETURN_IF_ERROR(attrs.check_type("group", AttrType::kInt));
  for (const char* n : {"kernel_shape", "strides", "dilations", "pads"})
    EI_RETURN_IF_ERROR(attrs.check_type(n, AttrType::kInts));
  const std::string ap = attrs.get_string("auto_pad", "NOTSET");
  if (ap == "NOTSET" || ap.empty()) a.auto_pad = ConvAttrs::kNotSet;
  else if (ap == "SAME_UPPER") a.auto_pad = ConvAttrs::kSameUpper;
  else if (ap == "SAME_LOWER") a.auto_pad = ConvAttrs::kSameLower;
  else if (ap == "VALID") a.auto_pad = ConvAttrs::kValid;
  else return invalid_model("auto_pad '" + ap + "' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID");
  a.group = attrs.get_int("group", 1);
  if (a.group < 1) return invalid_model("group must be >= 1, got " + std::to_string(a.group));
  a.kernel_shape = attrs.get_ints("kernel_shape");
  a.strides = attrs.get_ints("strides");
  a.dilations = attrs.get_ints("dilations");
  a.pads = attrs.get_ints("pads");
  for (int64_t v : a.kernel_shape)
    if (v < 1) return invalid_model("kernel_shape values must be >= 1");
  for (int64_t v : a.strides)
    if (v < 1) return invalid_model("strides must be >= 1, got " + vec_str(a.strides));
  for (int64_t v : a.dilations)
    if (v < 1) return invalid_model("dilations must be >= 1, got " + vec_str(a.dilations));
  for (int64_t v : a.pads)
    if (v < 0) return invalid_model("pads must be >= 0, got " + vec_str(a.pads));
  if (transpose) {
    EI_RETURN_IF_ERROR(attrs.check_type("output_padding", AttrType::kInts));
    EI_RETURN_IF_ERROR(attrs.check_type("output_shape", AttrType::kInts));
    a.output_padding = attrs.get_ints("output_padding");
    a.output_shape = attrs.get_ints("output_shape");
    for (int64_t v : a.output_padding)
      if (v < 0) return invalid_model("output_padding must be >= 0, got " + vec_str(a.output_padding));
    for (int64_t v : a.output_shape)
      if (v < 0) return invalid_model("output_shape must be >= 0, got " + vec_str(a.output_shape));
  } else {
    for (const char* n : {"output_padding", "output_shape"})
      if (attrs.has(n)) return invalid_model(std::string("Conv has no attribute '") + n + "'");
  }
  return a;
}

ConvGeometry conv_weight_geometry(const ConvAttrs& a, const Shape& w) {
  ConvGeometry g;
  g.nd = static_cast<int>(w.size()) - 2;
  g.group = a.group;
  g.c_out = w[0];
  g.c_in = w[1] * a.group;
  g.kernel.assign(w.begin() + 2, w.end());
  g.in = g.out = g.stride = g.dilation = g.pad_begin = std::vector<int64_t>(static_cast<size_t>(g.nd), 1);
  return g;
}

Result<ConvGeometry> conv_geometry(const ConvAttrs& a, const Shape& x, const Shape& w) {
  ConvGeometry g;
  EI_RETURN_IF_ERROR(common(a, x, w, &g));
  g.c_in = x[1];
  g.c_out = w[0];
  if (g.c_in % a.group != 0)
    return invalid_argument("X channels " + std::to_string(g.c_in) + " not divisible by group " + std::to_string(a.group));
  if (w[1] != g.c_in / a.group)
    return invalid_argument("W " + shape_to_string(w) + " expects " + std::to_string(w[1] * a.group) +
                            " input channels (group " + std::to_string(a.group) + "), X has " + std::to_string(g.c_in));
  if (g.c_out % a.group != 0)
    return invalid_argument("W output channels " + std::to_string(g.c_out) + " not divisible by group " +
                            std::to_string(a.group));
  for (int d = 0; d < g.nd; ++d) {
    const int64_t ext = (g.kernel[d] - 1) * g.dilation[d] + 1, s = g.stride[d], in = g.in[d];
    int64_t pb = 0, pe = 0, out = 0;
    switch (a.auto_pad) {
      case ConvAttrs::kNotSet:
        if (!a.pads.empty()) { pb = a.pads[d]; pe = a.pads[d + g.nd]; }
        break;
      case ConvAttrs::kValid:
        break;
      case ConvAttrs::kSameUpper:
      case ConvAttrs::kSameLower: {
        out = (in + s - 1) / s;
        const int64_t total = std::max<int64_t>(0, (out - 1) * s + ext - in);
        pb = a.auto_pad == ConvAttrs::kSameUpper ? total / 2 : total - total / 2;
        pe = total - pb;
        break;
      }
    }
    const int64_t span = in + pb + pe - ext;
    if (span < 0)
      return invalid_argument("kernel extent " + std::to_string(ext) + " exceeds padded input " +
                              std::to_string(in + pb + pe) + " in spatial dim " + std::to_string(d));
    g.out[d] = span / s + 1;
    g.pad_begin[d] = pb;
  }
  return g;
}

Result<ConvGeometry> conv_transpose_geometry(const ConvAttrs& a, const Shape& x, const Shape& w) {
  ConvGeometry g;
  EI_RETURN_IF_ERROR(common(a, x, w, &g));
  g.c_in = x[1];
  if (w[0] != g.c_in)
    return invalid_argument("W " + shape_to_string(w) + " expects " + std::to_string(w[0]) + " input channels, X has " +
                            std::to_string(g.c_in));
  if (g.c_in % a.group != 0)
    return invalid_argument("X channels " + std::to_string(g.c_in) + " not divisible by group " + std::to_string(a.group));
  g.c_out = w[1] * a.group;
  const size_t nd = static_cast<size_t>(g.nd);
  std::vector<int64_t> os;
  if (!a.output_shape.empty()) {
    if (a.output_shape.size() == nd) os = a.output_shape;
    else if (a.output_shape.size() == nd + 2) os.assign(a.output_shape.end() - static_cast<long>(nd), a.output_shape.end());
    else return invalid_model("output_shape " + vec_str(a.output_shape) + " has neither " + std::to_string(nd) +
                              " nor " + std::to_string(nd + 2) + " values");
  }
  for (int d = 0; d < g.nd; ++d) {
    const int64_t ext = (g.kernel[d] - 1) * g.dilation[d] + 1, s = g.stride[d], in = g.in[d];
    const int64_t op = a.output_padding.empty() ? 0 : a.output_padding[d];
    if (op >= s && op >= g.dilation[d])
      return invalid_model("output_padding " + std::to_string(op) + " must be smaller than stride or dilation");
    const int64_t full = s * (in - 1) + op + ext;
    int64_t out, pb;
    if (!os.empty() || a.auto_pad == ConvAttrs::kSameUpper || a.auto_pad == ConvAttrs::kSameLower) {
      out = !os.empty() ? os[d] : in * s;
      const int64_t total = full - out;
      // ONNX: SAME_UPPER puts the smaller half first; otherwise the larger half goes first.
      pb = a.auto_pad == ConvAttrs::kSameUpper ? total / 2 : total - total / 2;
    } else {
      int64_t pe = 0;
      pb = 0;
      if (a.auto_pad == ConvAttrs::kNotSet && !a.pads.empty()) { pb = a.pads[d]; pe = a.pads[d + g.nd]; }
      out = full - pb - pe;
    }
    if (out < 0)
      return invalid_argument("ConvTranspose output size " + std::to_string(out) + " in spatial dim " +
                              std::to_string(d) + " is negative");
    g.out[d] = out;
    g.pad_begin[d] = pb;
  }
  return g;
}

}  // namespace edgeinfer
