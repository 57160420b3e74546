// 1x8c2 quantized GEMM microkernels for WebAssembly SIMD128 (see q8_gemm_simd128.inl).
#include "kernels/q8_gemm/q8_gemm_simd128.inl"

#if EDGEINFER_SIMD128
namespace edgeinfer {

const Q8GemmConfig& q8_gemm_1x8c2__simd128() { return q8_gemm_detail::q8_gemm_config_for<1>("1x8c2__simd128"); }

}  // namespace edgeinfer
#endif
