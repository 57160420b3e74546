#include "kernels/f32_norm/f32_norm.h"
#include "kernels/f32_softmax/f32_exp_simd128.h"

#if EDGEINFER_SIMD128
namespace edgeinfer::kernels {

void f32_moments__simd128(const float* x, int64_t n, float* mean, float* var) {
  if (n == 0) { *mean = 0.0f; *var = 0.0f; return; }
  v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    s0 = wasm_f32x4_add(s0, wasm_v128_load(x + i));
    s1 = wasm_f32x4_add(s1, wasm_v128_load(x + i + 4));
  }
  for (; i + 4 <= n; i += 4) s0 = wasm_f32x4_add(s0, wasm_v128_load(x + i));
  float s = f32x4_hsum(wasm_f32x4_add(s0, s1));
  for (; i < n; ++i) s += x[i];
  const float m = s / static_cast<float>(n);
  const v128_t vm = wasm_f32x4_splat(m);
  v128_t v0 = wasm_f32x4_splat(0.0f), v1 = v0;
  for (i = 0; i + 8 <= n; i += 8) {
    const v128_t d0 = wasm_f32x4_sub(wasm_v128_load(x + i), vm), d1 = wasm_f32x4_sub(wasm_v128_load(x + i + 4), vm);
    v0 = wasm_f32x4_add(v0, wasm_f32x4_mul(d0, d0));
    v1 = wasm_f32x4_add(v1, wasm_f32x4_mul(d1, d1));
  }
  for (; i + 4 <= n; i += 4) {
    const v128_t d0 = wasm_f32x4_sub(wasm_v128_load(x + i), vm);
    v0 = wasm_f32x4_add(v0, wasm_f32x4_mul(d0, d0));
  }
  float v = f32x4_hsum(wasm_f32x4_add(v0, v1));
  for (; i < n; ++i) v += (x[i] - m) * (x[i] - m);
  *mean = m;
  *var = v / static_cast<float>(n);
}

void f32_normalize__simd128(const float* x, float* y, int64_t n, float mean, float inv_std, const float* scale,
                            const float* bias) {
  const v128_t vm = wasm_f32x4_splat(mean), vi = wasm_f32x4_splat(inv_std);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + i), vm), vi);
    if (scale) v = wasm_f32x4_mul(v, wasm_v128_load(scale + i));
    if (bias) v = wasm_f32x4_add(v, wasm_v128_load(bias + i));
    wasm_v128_store(y + i, v);
  }
  for (; i < n; ++i) {
    float v = (x[i] - mean) * inv_std;
    if (scale) v *= scale[i];
    if (bias) v += bias[i];
    y[i] = v;
  }
}

void f32_affine__simd128(const float* x, float* y, int64_t n, float a, float b) {
  const v128_t va = wasm_f32x4_splat(a), vb = wasm_f32x4_splat(b);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    wasm_v128_store(y + i, wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(x + i), va), vb));
    wasm_v128_store(y + i + 4, wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(x + i + 4), va), vb));
  }
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(x + i), va), vb));
  for (; i < n; ++i) y[i] = x[i] * a + b;
}

}  // namespace edgeinfer::kernels
#endif
