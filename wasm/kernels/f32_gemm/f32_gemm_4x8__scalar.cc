// 4x8 fp32 GEMM microkernel in plain C++ (see f32_gemm_scalar.inl).
#include "kernels/f32_gemm/f32_gemm_scalar.inl"

namespace edgeinfer {

void f32_gemm_4x8__scalar(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w, float* c,
                          size_t cm_stride, const F32MinMax& params) {
  gemm_detail::f32_gemm_scalar<4, 8>(mr, nc, kc, a, a_stride, w, c, cm_stride, params);
}

}  // namespace edgeinfer
