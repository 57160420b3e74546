// Conv / ConvTranspose attributes and the output geometry they define (ONNX opsets 1-21), shared by
// wasm/ops/conv.cc and wasm/ops/conv_transpose.cc.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "kernels/f32_conv/f32_conv.h"

namespace edgeinfer {

struct ConvAttrs {
  enum AutoPad { kNotSet, kSameUpper, kSameLower, kValid };
  AutoPad auto_pad = kNotSet;
  int64_t group = 1;
  std::vector<int64_t> kernel_shape, strides, dilations, pads, output_padding, output_shape;  // empty = absent
};

// Validates types and values that do not depend on shapes; transpose enables output_padding/output_shape.
Result<ConvAttrs> parse_conv_attrs(const Attributes& attrs, bool transpose);
// Geometry of Conv from X and W shapes; errors name the mismatch.
Result<ConvGeometry> conv_geometry(const ConvAttrs& a, const Shape& x, const Shape& w);
// What weight packing needs, from W (c_out x Cg x kernel) alone: c_out, c_in, group and the kernel;
// the spatial fields are placeholders (1), so kernels can pack before the input shape is known.
ConvGeometry conv_weight_geometry(const ConvAttrs& a, const Shape& w);
// Geometry of ConvTranspose (ConvGeometry.in = X spatial, .out = Y spatial, c_out = W[1] * group).
Result<ConvGeometry> conv_transpose_geometry(const ConvAttrs& a, const Shape& x, const Shape& w);

}  // namespace edgeinfer
