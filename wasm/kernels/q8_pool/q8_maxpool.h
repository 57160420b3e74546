// 8-bit 2x2 stride-2 max pooling, one output row at a time: the common MaxPool of quantized CNNs
// (max commutes with the monotone quantization, so QDQ models pool the integer tensor directly).
//   out[j] = max(r0[2j], r0[2j+1], r1[2j], r1[2j+1]) for j < ow
// The simd128 variant takes 16 outputs per step from two 32-byte row segments (pairs of bytes as
// 16-bit lanes, their halves compared); the reference is the plain loop, and the two are equal (tested).
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgeinfer {

// r0, r1: the two input rows (at least 2 * ow bytes each); int8 when is_signed, else uint8.
void q8_maxpool_2x2s2_row(const void* r0, const void* r1, void* out, size_t ow, bool is_signed);
void q8_maxpool_2x2s2_row_reference(const void* r0, const void* r1, void* out, size_t ow, bool is_signed);

// oh consecutive output rows: output row r (at y + r * ow) from input rows 2r and 2r+1 (at x + 2r * iw,
// x + (2r+1) * iw; 2 * ow <= iw). Narrow rows (ow not a multiple of 16: MNIST's 14 and 7) still take
// whole 16-output SIMD steps: the extra bytes read stay inside the x_bytes readable from x, and the
// extra bytes written land in later output rows (inside y's oh * ow bytes), which are written after;
// rows where that does not hold take the exact row path. Same results as the row kernel (tested).
void q8_maxpool_2x2s2_rows(const void* x, size_t iw, size_t x_bytes, void* y, size_t oh, size_t ow, bool is_signed);

}  // namespace edgeinfer
