// fp32 convolution in NCHW (and N-D NC...). Per (image, group) the output block Y_g (Mg x P pixels) =
// W_g (Mg x K) * im2col(X_g) (K x P) with K = Cg * prod(kernel), computed by the offset microkernels
// of f32_conv_ukernel.h (MR output channels x 8 pixels of one row, bias and activation in the
// store step), which read the input operand in place through a table of K offsets:
//  - pointwise (1x1, stride 1, no pads): straight from the input planes, no copy at all;
//  - 1-D/2-D: each work item copies the few input rows its output rows need into a zero-padded
//    band (split into stride phases, so every stride reads consecutive floats) in a per-thread slot
//    of scratch; the band is ~100 KB, so it stays in L2 while every tile of output channels reads it;
//  - otherwise (3-D, rows narrower than ~6 pixels): im2col panels of a few hundred pixels per item.
// Memory stays bounded by the slots; the whole im2col matrix is never materialised.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/f32_conv/f32_conv_ukernel.h"
#include "kernels/f32_gemm/f32_gemm.h"
#include "ops/activation.h"
#include "runtime/thread_pool.h"

namespace edgeinfer {

constexpr int kConvMaxSlots = 8;  // per-thread scratch slots; more threads than this share work

struct ConvGeometry {
  int nd = 2;                  // spatial dims
  int64_t batch = 1, c_in = 0, c_out = 0, group = 1;
  std::vector<int64_t> in, out, kernel, stride, dilation, pad_begin;  // each nd long
  int64_t in_size() const;     // prod(in)
  int64_t out_size() const;    // prod(out)
  int64_t kernel_size() const; // prod(kernel)
};

// Floats of packed weights: per group, ceil(Mg / MR) tiles of MR biases + K x MR weights (MR of the
// runtime's microkernel; depends on W's shape only, so weights are packed at session creation).
size_t conv_packed_size(const ConvGeometry& g);
// Packs OIHW weights (c_out x Cg x kernel) and bias (c_out, may be null) into that layout.
void f32_conv_pack_weights(const ConvGeometry& g, const float* w, const float* bias, float* packed);

// Scratch bytes f32_conv needs to run with `slots` threads' slots (1..kConvMaxSlots): a table shared
// by all threads plus one slot of row bands or panels per thread.
size_t f32_conv_scratch_bytes(const ConvGeometry& g, int slots = kConvMaxSlots);
// Y = act(conv(X, W) + bias). packed: from f32_conv_pack_weights.
void f32_conv(const ConvGeometry& g, const float* x, const float* packed, float* y, const Activation& act,
              ThreadPool* pool, void* scratch, size_t scratch_bytes);

// Naive direct convolution (tests and benchmarks): w is OI<kernel>, bias may be null.
void f32_conv_reference(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y);

// Runs fn(slot, item) for items [0, n) over min(threads, slots) workers that take items from a
// shared counter; slot < slots identifies a private scratch region.
template <typename F>
void conv_for_each_with_slot(ThreadPool* pool, int64_t n, int slots, F&& fn);

// ConvTranspose: Y (c_out = group * Mg channels, spatial `out`) from X (c_in channels, spatial `in`);
// geometry fields mean the same as for the forward conv whose gradient this is (pad_begin may be
// negative when output_shape asks for more than the natural size).
// Weights IO<kernel> (c_in x Mg x kernel) pack into A rows (m, kpos) x Cg per group.
inline size_t conv_transpose_packed_size(const ConvGeometry& g) {
  return static_cast<size_t>(g.c_out * g.kernel_size() * (g.c_in / g.group));
}
void f32_conv_transpose_pack_weights(const ConvGeometry& g, const float* w, float* packed);
size_t f32_conv_transpose_scratch_bytes(const ConvGeometry& g);
void f32_conv_transpose(const ConvGeometry& g, const float* x, const float* packed, const float* bias, float* y,
                        const Activation& act, ThreadPool* pool, void* scratch, size_t scratch_bytes);
void f32_conv_transpose_reference(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y);

// ---- implementation of the template
template <typename F>
void conv_for_each_with_slot(ThreadPool* pool, int64_t n, int slots, F&& fn) {
  if (n <= 0) return;
  const int threads = pool ? pool->num_threads() : 1;
  int workers = threads < slots ? threads : slots;
  if (workers > n) workers = static_cast<int>(n);
  if (workers <= 1) {
    for (int64_t i = 0; i < n; ++i) fn(0, i);
    return;
  }
  std::atomic<int64_t> next{0};
  pool->parallel_for(workers, 1, [&](int64_t b, int64_t e) {
    for (int64_t slot = b; slot < e; ++slot)
      for (int64_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(static_cast<int>(slot), i);
  });
}

}  // namespace edgeinfer
