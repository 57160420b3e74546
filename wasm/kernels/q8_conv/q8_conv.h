// Quantized (8-bit) N-D convolution in NCHW (NC...) with groups, organised like the fp32 conv
// (kernels/f32_conv/): per (image, group) the output block Y_g (Mg channels x P pixels) =
// W_g (Mg x K) * im2col(X_g) (K x P), K = Cg * prod(kernel), with the weights as the A side and the
// activations as the B side, so the microkernels' MR x 8 tiles (MR output channels x 8 pixels of one
// output row, see q8_conv_ukernel.h) are stored straight into the NCHW output.
//  - Weights are packed once (session creation) as int16 W - w_zp[m] in tiles of MR output channels
//    with their int32 biases, the reduction in steps of two input channels at one kernel position
//    (an odd channel count gets a zero channel; single-channel groups pair kernel positions along the
//    first spatial dim instead). Any zero points, uint8 or int8; nothing depends on the activations.
//  - Activations are converted per work item into int16 X - x_zp with the step's two values
//    interleaved (one 32-bit lane per pixel; padding is exactly 0, so no zero-point correction term
//    exists) and read in place through a table of offsets, one per reduction step:
//      pointwise (1x1, stride 1, no pads): chunks of the input planes;
//      1-D/2-D: a band of the few input rows the item's output rows need, zero-padded and split into
//        stride phases, so every stride and dilation reads consecutive lanes (no im2col);
//      otherwise (3-D and up, rows too narrow for 8-pixel tiles): im2col panels of pairs.
//    Each item's operand stays within ~128 KB so every tile of output channels rereads it from L2.
//  - Items are (image, group, pixel chunk or row band, range of MR tiles) over
//    conv_for_each_with_slot; each thread converts into its own scratch slot. Output channel tiles
//    are split too when the pixels alone leave threads idle; tiny convolutions (< 1M MACs) stay on
//    the calling thread.
// Output stage and requantization: exactly q8_gemm's (see q8_gemm.h), with scale / fbias indexed by
// output channel; bit-identical to q8_conv_reference. Each reduction step adds two products of at most
// 255 * 255, so the int32 sum of products cannot overflow for K <= 33025; beyond that (and with the
// bias) it wraps mod 2^32 exactly like the reference.
// Geometry: the fp32 conv's ConvGeometry (kernels/f32_conv/f32_conv.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/f32_conv/f32_conv.h"
#include "kernels/q8_conv/q8_conv_ukernel.h"
#include "kernels/q8_gemm/q8_gemm.h"

namespace edgeinfer {

// int16 elements of packed weights: per group, ceil(Mg / MR) weight tiles of the runtime's microkernel.
size_t q8_conv_packed_size(const ConvGeometry& g);

// Packs OI<kernel> weights (c_out x Cg x kernel, w_type kU8 or kS8) with their zero points (w_zp:
// c_out entries at stride w_zp_stride, 0 for per tensor; may be null: 0) and int32 bias (c_out, may
// be null). Independent of the activations' type and zero point.
void q8_conv_pack_weights(const ConvGeometry& g, const void* w, Q8Type w_type, const void* w_zp, size_t w_zp_stride,
                          const int32_t* bias, int16_t* packed);

// Scratch bytes q8_conv needs with up to `slots` threads (per thread: one activation panel and two
// staging rows).
size_t q8_conv_scratch_bytes(const ConvGeometry& g, int slots = kConvMaxSlots);

// Output pixels per work item with `threads` threads (a multiple of 8; tests aim at its edges).
int64_t q8_conv_block_pixels(const ConvGeometry& g, int threads);

// Y (batch x c_out x out, elements of out.type) from X (batch x c_in x in, x_type with zero point
// x_zp). out.scale / out.fbias are indexed by output channel (scale when per_column).
void q8_conv(const ConvGeometry& g, const void* x, Q8Type x_type, int32_t x_zp, const int16_t* packed, void* y,
             const Q8GemmOutput& out, ThreadPool* pool, void* scratch, size_t scratch_bytes);

// Direct loops from the definition (tests, benchmark baseline); w_zp as for packing.
void q8_conv_reference(const ConvGeometry& g, const void* x, Q8Type x_type, int32_t x_zp, const void* w, Q8Type w_type,
                       const void* w_zp, size_t w_zp_stride, const int32_t* bias, void* y, const Q8GemmOutput& out);

}  // namespace edgeinfer
