// Quantized (8-bit) depthwise 2-D convolution in NCHW (group == c_in == c_out, multiplier 1):
// y[c] = requantize(bias[c] + sum (x - x_zp) * (w[c] - w_zp[c])) with q8_gemm's output stage
// (Q8GemmOutput, per-channel scales indexed by channel). Each thread converts one channel plane at a
// time into a zero-padded int16 plane of (x - x_zp) (padding contributes 0) stored as pairs of
// horizontally adjacent taps' inputs, with columns split into `stride` phases, so that at every
// stride and dilation 4 consecutive outputs read 4 consecutive pairs: one i32x4.dot_i16x8_s
// (pmaddwd) against the splat weight pair adds two taps for 4 outputs into int32 accumulators
// (3x3 and 5x5 unrolled; an odd last tap pairs with weight 0). At stride 2 with dilation 1 the pairs
// are the converted row itself (every pair starts at an even column), so those planes need no
// shuffles. The store step requantizes 8 outputs at once (float, clamp, round half to even by adding
// 1.5 * 2^23, + zero point: bit-identical to q8_store_scalar).
// The baseline build runs the same plane through scalar loops.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/f32_dwconv/f32_dwconv.h"
#include "kernels/q8_gemm/q8_gemm.h"

namespace edgeinfer {

// Scratch for `slots` threads (one padded int16 plane each).
size_t q8_dwconv2d_scratch_bytes(const DwConv2dParams& p, int slots = kDwConvMaxSlots);

// x: batch x channels x ih x iw (x_type); w: channels x kh x kw (w_type) with zero points w_zp
// (stride 0: per tensor; may be null); bias int32 per channel (may be null); y: out.type elements.
void q8_dwconv2d(const DwConv2dParams& p, const void* x, Q8Type x_type, int32_t x_zp, const void* w, Q8Type w_type,
                 const void* w_zp, size_t w_zp_stride, const int32_t* bias, void* y, const Q8GemmOutput& out,
                 ThreadPool* pool, void* scratch, size_t scratch_bytes);

}  // namespace edgeinfer
