// Strided gather-copy: the data-movement core of Expand, Tile and Slice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "runtime/thread_pool.h"

namespace edgeinfer {

// For every output index (i_0..i_{r-1}) of out_shape in row-major order:
//   dst[flat(i)] = src[sum_k i_k * src_stride[k]]   (strides in elements; 0 broadcasts, negative walks back).
// The caller guarantees every addressed source element is in bounds.
void strided_copy(const void* src, void* dst, const Shape& out_shape, const std::vector<int64_t>& src_stride,
                  size_t elem_size, ThreadPool* pool);
// Naive reference for tests.
void strided_copy_ref(const void* src, void* dst, const Shape& out_shape, const std::vector<int64_t>& src_stride,
                      size_t elem_size);

}  // namespace edgeinfer
