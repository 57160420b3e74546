// Quantized (8-bit) N-D convolution in NCHW (NC...) with groups, on the q8_gemm microkernels.
// Per (image, group) and block of output pixels: an im2row panel (pixels x K, K = Cg * prod(kernel),
// padding filled with the input zero point so it contributes nothing) is the GEMM's A operand, the
// group's weights packed by q8_gemm_pack_b are its B (output channels are the GEMM columns, so
// per-channel weight zero points and scales are per-column ones), and the pixels x channels result is
// transposed into the NCHW output. Output stage and requantization: exactly q8_gemm's (see q8_gemm.h).
// Geometry: the fp32 conv's ConvGeometry (kernels/f32_conv/f32_conv.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/f32_conv/f32_conv.h"
#include "kernels/q8_gemm/q8_gemm.h"

namespace edgeinfer {

// int16 elements of packed weights: per group, a q8_gemm packed B of K x Mg.
size_t q8_conv_packed_size(const ConvGeometry& g);

// Packs OI<kernel> weights (c_out x Cg x kernel, w_type kU8 or kS8) with their zero points (w_zp:
// c_out entries at stride w_zp_stride, 0 for per tensor; may be null) and int32 bias (c_out, may be
// null); x_type / x_zp are the input's, folded into the packed biases.
void q8_conv_pack_weights(const ConvGeometry& g, const void* w, Q8Type w_type, const void* w_zp, size_t w_zp_stride,
                          const int32_t* bias, Q8Type x_type, int32_t x_zp, int16_t* packed);

// Scratch bytes q8_conv needs with up to `slots` threads (per thread: one panel and one result block).
size_t q8_conv_scratch_bytes(const ConvGeometry& g, Q8Type out_type, int slots = kConvMaxSlots);

// Y (batch x c_out x out, elements of out.type) from X (batch x c_in x in, x_type). out.scale /
// out.fbias are indexed by output channel when per_column.
void q8_conv(const ConvGeometry& g, const void* x, Q8Type x_type, int32_t x_zp, const int16_t* packed, void* y,
             const Q8GemmOutput& out, ThreadPool* pool, void* scratch, size_t scratch_bytes);

// Direct loops from the definition (tests, benchmark baseline); w_zp as for packing.
void q8_conv_reference(const ConvGeometry& g, const void* x, Q8Type x_type, int32_t x_zp, const void* w, Q8Type w_type,
                       const void* w_zp, size_t w_zp_stride, const int32_t* bias, void* y, const Q8GemmOutput& out);

}  // namespace edgeinfer
