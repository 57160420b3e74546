#include <cmath>

#include "kernels/f32_softmax/f32_softmax.h"

namespace edgeinfer::kernels {

void f32_vexp__ref(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
}

void f32_softmax_rows__ref(const float* x, float* y, int64_t rows, int64_t n, bool log) {
  for (int64_t r = 0; r < rows; ++r, x += n, y += n) {
    if (n == 0) continue;
    float mx = x[0];
    for (int64_t i = 1; i < n; ++i) mx = x[i] > mx ? x[i] : mx;
    float sum = 0.0f;
    if (log) {
      for (int64_t i = 0; i < n; ++i) sum += std::exp(x[i] - mx);
      const float shift = mx + std::log(sum);
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] - shift;
    } else {
      for (int64_t i = 0; i < n; ++i) sum += (y[i] = std::exp(x[i] - mx));
      const float inv = 1.0f / sum;
      for (int64_t i = 0; i < n; ++i) y[i] *= inv;
    }
  }
}

void f32_softmax_strided__ref(const float* x, float* y, int64_t n, int64_t width, int64_t stride, bool log) {
  if (n == 0) return;
  for (int64_t j = 0; j < width; ++j) {
    float mx = x[j];
    for (int64_t i = 1; i < n; ++i) mx = x[i * stride + j] > mx ? x[i * stride + j] : mx;
    float sum = 0.0f;
    for (int64_t i = 0; i < n; ++i) sum += std::exp(x[i * stride + j] - mx);
    if (log) {
      const float shift = mx + std::log(sum);
      for (int64_t i = 0; i < n; ++i) y[i * stride + j] = x[i * stride + j] - shift;
    } else {
      const float inv = 1.0f / sum;
      for (int64_t i = 0; i < n; ++i) y[i * stride + j] = std::exp(x[i * stride + j] - mx) * inv;
    }
  }
}

}  // namespace edgeinfer::kernels
