// 6x8 fp32 GEMM microkernel for WebAssembly SIMD128 (see f32_gemm_simd128.inl).
#include "kernels/f32_gemm/f32_gemm_simd128.inl"

#if EDGEINFER_SIMD128
namespace edgeinfer {

void f32_gemm_6x8__simd128(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                          float* c, size_t cm_stride, const F32MinMax& params) {
  gemm_detail::f32_gemm_simd128<6, 2>(mr, nc, kc, a, a_stride, w, c, cm_stride, params);
}

}  // namespace edgeinfer
#endif
