// Depthwise 2-D convolution in NCHW (group == channels, one output channel per input channel).
// Each channel plane is copied once into a zero-padded plane in a per-thread scratch slot, so the
// inner loops need no bounds checks; SIMD runs over 4 output columns at a time, with unrolled fast
// paths for 3x3 and 5x5 kernels at stride 1 and 2 (dilation 1) and a general path for the rest.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ops/activation.h"
#include "runtime/thread_pool.h"

namespace edgeinfer {

struct DwConv2dParams {
  int64_t batch = 1, channels = 0;
  int64_t ih = 0, iw = 0, oh = 0, ow = 0;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1, pad_top = 0, pad_left = 0;
};

// Scratch holds one padded plane per thread, for up to kDwConvMaxSlots threads; f32_dwconv2d uses as
// many slots as the scratch it is given holds (at least one).
constexpr int kDwConvMaxSlots = 8;
size_t f32_dwconv2d_scratch_bytes(const DwConv2dParams& p);
// w: channels x kh x kw; bias: channels (may be null).
void f32_dwconv2d(const DwConv2dParams& p, const float* x, const float* w, const float* bias, float* y,
                  const Activation& act, ThreadPool* pool, void* scratch, size_t scratch_bytes);
// Direct loop with bounds checks (tests, benchmark baseline).
void f32_dwconv2d_reference(const DwConv2dParams& p, const float* x, const float* w, const float* bias, float* y);

}  // namespace edgeinfer
