#include "kernels/f32_norm/f32_norm.h"

namespace edgeinfer::kernels {

void f32_moments__ref(const float* x, int64_t n, float* mean, float* var) {
  if (n == 0) { *mean = 0.0f; *var = 0.0f; return; }
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += x[i];
  const float m = s / static_cast<float>(n);
  float v = 0.0f;
  for (int64_t i = 0; i < n; ++i) v += (x[i] - m) * (x[i] - m);
  *mean = m;
  *var = v / static_cast<float>(n);
}

void f32_normalize__ref(const float* x, float* y, int64_t n, float mean, float inv_std, const float* scale,
                        const float* bias) {
  for (int64_t i = 0; i < n; ++i) {
    float v = (x[i] - mean) * inv_std;
    if (scale) v *= scale[i];
    if (bias) v += bias[i];
    y[i] = v;
  }
}

void f32_affine__ref(const float* x, float* y, int64_t n, float a, float b) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * a + b;
}

}  // namespace edgeinfer::kernels
