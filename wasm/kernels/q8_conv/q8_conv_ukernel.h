// Quantized convolution microkernels: an MR x 8 tile of output (MR output channels x 8 consecutive
// output pixels of one row), weights as the A side and int16 activations as the B side, so the tile
// is stored straight into the NCHW output (one row per output channel).
//
// Both operands are int16 with the zero points already subtracted (W - w_zp[m] and X - x_zp, each in
// [-255, 255]), so no zero-point correction term exists: padding is exactly 0, and any combination of
// uint8/int8 weights and activations with any zero points runs the same kernel. The reduction runs
// over pairs of input channels (c2): step t = (channel pair cp, kernel position kp); each row's two
// weights [W(m,2cp,kp) W(m,2cp+1,kp)] are splat as one 32-bit lane and i32x4.dot_i16x8_s against the
// activation pairs [X(2cp,.) X(2cp+1,.)] of 4 pixels adds both products per lane (pmaddwd on x86
// engines). A pair is at most 2 * 255 * 255 = 130050 in magnitude, so the int32 sum of products
// cannot overflow for K <= 33025 (2^31 / 255^2); beyond that (and with the bias) it wraps mod 2^32 as
// q8_conv_reference does (wrapping addition is associative, so results never depend on the order).
//
// Packed weights, per tile of MR output channels (channels past the group's count are zero rows):
//   MR int32 biases (2 * MR int16), then for each step t < kc: MR x [W(m,2cp,kp) W(m,2cp+1,kp)]
//   (2 * MR int16), t = cp * prod(kernel) + kp; an odd channel count is padded with a zero channel.
//   (q8_conv pairs kernel positions along the first spatial dim instead for single-channel groups;
//   the microkernels only see pairs of int16.)
// Activations are read in place through a table of kc offsets (int16 elements), as in the fp32
// conv microkernels: for step t, the pairs of 8 consecutive pixels are the 8 consecutive 32-bit lanes
// [X(2cp,p) X(2cp+1,p)] at b + koff[t] (+ 16 per further tile of 8 pixels). That holds for a
// channel-pair-interleaved band of input rows (each stride phase a row of its own), for the
// interleaved input planes of a pointwise convolution, and for an im2col panel of pairs, so one
// microkernel serves every convolution path (see q8_conv.cc).
//
// Output stage (Q8GemmOutput, see q8_gemm.h) per row: the scale and fbias of output channel m0 + i
// (per_column indexes them by channel), the same float operations in the same order as
// q8_store_scalar, so every variant is bit-identical to the reference.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/q8_gemm/q8_gemm.h"

namespace edgeinfer {

// Rows [0, mr) (mr <= MR) over nc pixels (any nc > 0, 8 at a time) and kc steps:
//   acc[i][j] = bias[i] + sum_t W'(i, t) . X'(t, j);  c[i * ldc + j] = output_stage(acc, channel m0 + i)
// w: one packed weight tile; X'(t, j) is the int16 pair at b + koff[t] + 2 * j; loads are 8 pixels
// wide, so pairs up to round_up(nc, 8) must be readable (the values past nc are computed and
// dropped); c: elements of out.type.
using Q8ConvUKernel = void (*)(size_t mr, size_t nc, size_t kc, const int16_t* w, const int16_t* b,
                               const int32_t* koff, void* c, size_t ldc, size_t m0, const Q8GemmOutput& out);

struct Q8ConvUConfig {
  Q8ConvUKernel ukernel[4];  // by output type (Q8Type)
  int mr;
  const char* name;
  Q8ConvUKernel get(Q8Type out_type) const { return ukernel[static_cast<int>(out_type)]; }
};

const Q8ConvUConfig& q8_conv_4x8c2__scalar();
#if defined(__wasm_simd128__) || defined(EDGEINFER_USE_SIMDE)
const Q8ConvUConfig& q8_conv_4x8c2__simd128();
#endif

// The variant the runtime uses in this build (weights are packed for its MR).
const Q8ConvUConfig& q8_conv_ukernel_config();

// int16 elements of one packed weight tile of MR rows and kc pairs.
inline size_t q8_conv_weight_tile_size(int mr, size_t kc) { return static_cast<size_t>(mr) * 2 * (1 + kc); }
// Naive loop with the same contract (tests).
void q8_conv_ukernel_reference(int mr_tile, size_t mr, size_t nc, size_t kc, const int16_t* w, const int16_t* b,
                               const int32_t* koff, void* c, size_t ldc, size_t m0, const Q8GemmOutput& out);

}  // namespace edgeinfer
