// Quantized (8-bit) N-D convolution in NCHW (NC...) with groups, organised like the fp32 conv
// (kernels/f32_conv/): per (image, group) the output block Y_g (Mg channels x P pixels) =
// W_g (Mg x K) * im2col(X_g) (K x P), K = Cg * prod(kernel), with the weights as the A side and the
// activations as the B side, so the microkernels' MR x 8 tiles (MR output channels x 8 pixels, see
// q8_conv_ukernel.h) land directly in the NCHW output.
//  - Weights are packed once (session creation) as int16 W - w_zp[m] in MR-row tiles with the int32
//    biases; any zero point works, uint8 or int8.
//  - Activations are packed per work item (a block of output pixels sized so the panel, K x block x 2
//    bytes, stays in L2) as int16 X - x_zp in the pair-interleaved layout the dot kernel reads, so
//    padding taps are exactly 0 and no zero-point correction term exists. The K rows of the panel
//    are the input planes themselves for 1x1 stride-1 unpadded convolutions; for 1-D/2-D ones each
//    (c, ky, kx) row is built from shifted contiguous runs of input rows (strided runs at stride > 1,
//    padding written as the zero point), then widened and interleaved 8 pixels at a time; 3-D (and
//    higher) geometries take a per-pixel offset path.
//  - Items are (image, group, pixel block, range of MR tiles) over conv_for_each_with_slot: each
//    thread packs a block into its own scratch slot and runs every tile of output channels over it.
// Output stage and requantization: exactly q8_gemm's (see q8_gemm.h), with the per-channel scale and
// fbias indexed by output channel. Accumulation is int32 and cannot overflow for K <= 33025 (each
// pair of products is at most 2 * 255 * 255); beyond, it wraps mod 2^32 exactly like the reference.
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
