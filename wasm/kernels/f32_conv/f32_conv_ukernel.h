// Convolution microkernels: an MR x 8 tile of output (MR output channels x 8 consecutive output
// pixels of one row) where the input operand is read in place through a per-reduction-step offset
// table instead of a packed im2col panel. For reduction step k = (c, kh, kw) the 8 pixels' inputs are
// the 8 consecutive floats at b + koff[k]: true for any stride-1 row of a (zero-padded, stride-phase
// split) input band, for a pointwise convolution's input plane, and for a row-major im2col panel, so
// one microkernel serves every convolution path (see f32_conv.cc).
//
// Packed weights ("A") per group of MR output channels: MR biases, then for each k the MR weights
// w[k][0..MR) (rows past the channel count are zero). The scalar splats of a step then come from one
// 16- or 24-byte run, and the tile needs no A-side pointer per row.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgeinfer {

// Epilogue: v = leaky ? (v >= 0 ? v : alpha * v) : v, then clamp to [min, max].
struct F32ConvParams {
  float min;
  float max;
  float alpha;
  int leaky;
};

// Rows [0, mr) (mr <= MR) over nc pixels (any nc > 0, processed 8 at a time): c[i * ldc + j] =
// epilogue(w_bias[i] + sum_k w[k][i] * b[koff[k] + j]). Loads are 8 wide: b + koff[k] + j must be
// readable for j < round_up(nc, 8) (the values past nc are computed and dropped).
using F32ConvUKernel = void (*)(size_t mr, size_t nc, size_t kc, const float* w, const float* b,
                                const int32_t* koff, float* c, size_t ldc, const F32ConvParams& params);

void f32_conv_4x8__scalar(size_t mr, size_t nc, size_t kc, const float* w, const float* b, const int32_t* koff,
                          float* c, size_t ldc, const F32ConvParams& params);
#if defined(__wasm_simd128__) || defined(EDGEINFER_USE_SIMDE)
void f32_conv_4x8__simd128(size_t mr, size_t nc, size_t kc, const float* w, const float* b, const int32_t* koff,
                           float* c, size_t ldc, const F32ConvParams& params);
void f32_conv_6x8__simd128(size_t mr, size_t nc, size_t kc, const float* w, const float* b, const int32_t* koff,
                           float* c, size_t ldc, const F32ConvParams& params);
#endif

struct F32ConvUConfig {
  F32ConvUKernel ukernel;
  int mr;
  const char* name;
};

// The variant the runtime uses in this build (weights are packed for its MR).
const F32ConvUConfig& f32_conv_ukernel_config();

// Naive loop with the same contract (tests).
void f32_conv_ukernel_reference(int mr_tile, size_t mr, size_t nc, size_t kc, const float* w, const float* b,
                                const int32_t* koff, float* c, size_t ldc, const F32ConvParams& params);

}  // namespace edgeinfer
