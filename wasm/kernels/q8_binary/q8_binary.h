// QLinearAdd / QLinearMul (com.microsoft) arithmetic on 8-bit tensors, one contiguous run at a time:
//   add: y = saturate(round_half_even(clamp(ra * (a - za) + rb * (b - zb), qmin - zc, qmax - zc)) + zc)
//        with ra = a_scale / c_scale, rb = b_scale / c_scale (float);
//   mul: y = saturate(round_half_even(float((a - za) * (b - zb)) * m) + zc), m = a_scale * b_scale / c_scale
// (onnxruntime computes in float the same way; its MLAS kernels round with cvtps, half to even).
// Each operand is read with stride 1 or 0 (one element broadcast over the run). The simd128 variant
// performs the same float operations in the same order as the scalar one, 16 elements per step, so
// the two are bit-identical (tested); the scalar file is compiled without FMA contraction so that
// the native build (-mfma) rounds like wasm. onnxruntime's MLAS kernels may contract (or not) and
// round ties the same way, so against it results are exact or within 1 unit.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgeinfer {

struct Q8BinaryParams {
  bool mul = false;        // QLinearMul, else QLinearAdd
  bool is_signed = false;  // int8, else uint8 (all three tensors)
  float ra = 1, rb = 1;    // add: a_scale / c_scale, b_scale / c_scale; mul: ra = a_scale * b_scale / c_scale
  int32_t za = 0, zb = 0, zc = 0;
};

// y[i] = op(a[i * a_stride], b[i * b_stride]) for i < n; strides 0 or 1.
void q8_binary(const Q8BinaryParams& p, const void* a, size_t a_stride, const void* b, size_t b_stride, void* y,
               size_t n);
// The scalar loop (the baseline build's path, and the tests' reference).
void q8_binary_reference(const Q8BinaryParams& p, const void* a, size_t a_stride, const void* b, size_t b_stride,
                         void* y, size_t n);

}  // namespace edgeinfer
