// Sum of a contiguous run of 8-bit values: the reduction of QLinearGlobalAveragePool (NCHW) and of
// 8-bit average pooling over whole images.
//   q8_sum(x, n) = sum_i x[i]   (int8 when is_signed, else uint8), int32, wrapping mod 2^32
// The simd128 variant adds byte pairs into 16-bit lanes and those pairs into 32-bit lanes
// (extadd_pairwise: pmaddubsw / pmaddwd with ones on x86 engines), 16 bytes per step; since integer
// addition is associative the result equals the reference loop exactly (tested).
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgeinfer {

int32_t q8_sum(const void* x, size_t n, bool is_signed);
int32_t q8_sum_reference(const void* x, size_t n, bool is_signed);

}  // namespace edgeinfer
