// 6x8c2 quantized convolution microkernels for WebAssembly SIMD128 (see q8_conv_ukernel_simd128.inl).
#include "kernels/q8_conv/q8_conv_ukernel_simd128.inl"

#if EDGEINFER_SIMD128
namespace edgeinfer {

const Q8ConvUConfig& q8_conv_6x8c2__simd128() { return q8_conv_detail::q8_conv_config_for<6>("6x8c2__simd128"); }

}  // namespace edgeinfer
#endif
