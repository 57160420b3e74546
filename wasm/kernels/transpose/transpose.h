// Transpose kernels. The 2-D kernels move a rows x cols matrix whose rows are contiguous into a
// cols x rows matrix (both with a leading dimension in elements); the N-d entry point reduces any
// permutation to batches of block copies or 2-D transposes and splits them over the thread pool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "kernels/simd.h"
#include "runtime/thread_pool.h"

namespace edgeinfer {

// dst[c * dst_ld + r] = src[r * src_ld + c] for r < rows, c < cols. elem_size is 1, 2, 4 or 8.
void transpose2d_ref(const void* src, int64_t src_ld, void* dst, int64_t dst_ld, int64_t rows, int64_t cols,
                     size_t elem_size);
// Same contract, cache-blocked scalar loops (any element size).
void transpose2d__blocked(const void* src, int64_t src_ld, void* dst, int64_t dst_ld, int64_t rows, int64_t cols,
                          size_t elem_size);
#if EDGEINFER_SIMD128
// 32-bit elements, 4x4 register tiles inside 32x32 cache blocks.
void transpose2d_x32__simd128(const uint32_t* src, int64_t src_ld, uint32_t* dst, int64_t dst_ld, int64_t rows,
                              int64_t cols);
#endif
// Picks the best variant for the element size.
void transpose2d(const void* src, int64_t src_ld, void* dst, int64_t dst_ld, int64_t rows, int64_t cols,
                 size_t elem_size);

// out[i_perm[0], ..., i_perm[r-1]] = in[i_0, ..., i_{r-1}], i.e. out.shape[k] = in_shape[perm[k]] (ONNX
// Transpose). perm must be a permutation of [0, rank). Naive odometer loop: the reference.
void transpose_nd_ref(const void* src, void* dst, const Shape& in_shape, const std::vector<int>& perm,
                      size_t elem_size);
// The fast path: drops 1-sized dims, merges dims that stay adjacent, then runs block copies (innermost
// dim kept) or batched 2-D transposes, in parallel when pool is non-null.
void transpose_nd(const void* src, void* dst, const Shape& in_shape, const std::vector<int>& perm, size_t elem_size,
                  ThreadPool* pool);

}  // namespace edgeinfer
