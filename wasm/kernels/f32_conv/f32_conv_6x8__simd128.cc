// 6x8 convolution microkernel for WebAssembly SIMD128 (see f32_conv_ukernel_simd128.inl).
#include "kernels/f32_conv/f32_conv_ukernel_simd128.inl"

#if EDGEINFER_SIMD128
namespace edgeinfer {

void f32_conv_6x8__simd128(size_t mr, size_t nc, size_t kc, const float* w, const float* b, const int32_t* koff,
                           float* c, size_t ldc, const F32ConvParams& params) {
  conv_detail::f32_conv_simd128<6>(mr, nc, kc, w, b, koff, c, ldc, params);
}

}  // namespace edgeinfer
#endif
