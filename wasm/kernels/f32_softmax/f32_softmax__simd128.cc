#include <cmath>

#include "kernels/f32_softmax/f32_exp_simd128.h"
#include "kernels/f32_softmax/f32_softmax.h"

#if EDGEINFER_SIMD128
namespace edgeinfer::kernels {

static inline float exp1(float x) { return wasm_f32x4_extract_lane(f32x4_exp(wasm_f32x4_splat(x)), 0); }

void f32_vexp__simd128(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, f32x4_exp(wasm_v128_load(x + i)));
  for (; i < n; ++i) y[i] = exp1(x[i]);
}

void f32_softmax_rows__simd128(const float* x, float* y, int64_t rows, int64_t n, bool log) {
  for (int64_t r = 0; r < rows; ++r, x += n, y += n) {
    if (n == 0) continue;
    int64_t i = 0;
    v128_t vmx = wasm_f32x4_splat(x[0]);
    // pmax (one maxps in V8; f32x4.max costs ~8 instructions for its NaN rules): a NaN element may be
    // skipped here, but its exp is NaN, so the sum and then every output of the row are NaN anyway.
    for (; i + 4 <= n; i += 4) vmx = wasm_f32x4_pmax(vmx, wasm_v128_load(x + i));
    float mx = f32x4_hmax(vmx);
    for (; i < n; ++i) mx = x[i] > mx ? x[i] : mx;
    const v128_t vm = wasm_f32x4_splat(mx);
    v128_t vsum = wasm_f32x4_splat(0.0f);
    float sum = 0.0f;
    i = 0;
    if (log) {
      for (; i + 4 <= n; i += 4) vsum = wasm_f32x4_add(vsum, f32x4_exp(wasm_f32x4_sub(wasm_v128_load(x + i), vm)));
      for (; i < n; ++i) sum += exp1(x[i] - mx);
      sum += f32x4_hsum(vsum);
      const float shift = mx + std::log(sum);
      const v128_t vs = wasm_f32x4_splat(shift);
      for (i = 0; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_f32x4_sub(wasm_v128_load(x + i), vs));
      for (; i < n; ++i) y[i] = x[i] - shift;
    } else {
      for (; i + 4 <= n; i += 4) {
        v128_t e = f32x4_exp(wasm_f32x4_sub(wasm_v128_load(x + i), vm));
        wasm_v128_store(y + i, e);
        vsum = wasm_f32x4_add(vsum, e);
      }
      for (; i < n; ++i) sum += (y[i] = exp1(x[i] - mx));
      sum += f32x4_hsum(vsum);
      const float inv = 1.0f / sum;
      const v128_t vi = wasm_f32x4_splat(inv);
      for (i = 0; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_f32x4_mul(wasm_v128_load(y + i), vi));
      for (; i < n; ++i) y[i] *= inv;
    }
  }
}

void f32_softmax_strided__simd128(const float* x, float* y, int64_t n, int64_t width, int64_t stride, bool log) {
  if (n == 0) return;
  int64_t j = 0;
  for (; j + 4 <= width; j += 4) {
    v128_t mx = wasm_v128_load(x + j);
    for (int64_t i = 1; i < n; ++i) mx = wasm_f32x4_max(mx, wasm_v128_load(x + i * stride + j));
    v128_t sum = wasm_f32x4_splat(0.0f);
    if (log) {
      for (int64_t i = 0; i < n; ++i)
        sum = wasm_f32x4_add(sum, f32x4_exp(wasm_f32x4_sub(wasm_v128_load(x + i * stride + j), mx)));
      float s[4];
      wasm_v128_store(s, sum);
      for (float& v : s) v = std::log(v);
      const v128_t shift = wasm_f32x4_add(mx, wasm_v128_load(s));
      for (int64_t i = 0; i < n; ++i)
        wasm_v128_store(y + i * stride + j, wasm_f32x4_sub(wasm_v128_load(x + i * stride + j), shift));
    } else {
      for (int64_t i = 0; i < n; ++i) {
        v128_t e = f32x4_exp(wasm_f32x4_sub(wasm_v128_load(x + i * stride + j), mx));
        wasm_v128_store(y + i * stride + j, e);
        sum = wasm_f32x4_add(sum, e);
      }
      const v128_t inv = wasm_f32x4_div(wasm_f32x4_splat(1.0f), sum);
      for (int64_t i = 0; i < n; ++i)
        wasm_v128_store(y + i * stride + j, wasm_f32x4_mul(wasm_v128_load(y + i * stride + j), inv));
    }
  }
  for (; j < width; ++j) {
    float mx = x[j];
    for (int64_t i = 1; i < n; ++i) mx = x[i * stride + j] > mx ? x[i * stride + j] : mx;
    float sum = 0.0f;
    for (int64_t i = 0; i < n; ++i) sum += exp1(x[i * stride + j] - mx);
    if (log) {
      const float shift = mx + std::log(sum);
      for (int64_t i = 0; i < n; ++i) y[i * stride + j] = x[i * stride + j] - shift;
    } else {
      const float inv = 1.0f / sum;
      for (int64_t i = 0; i < n; ++i) y[i * stride + j] = exp1(x[i * stride + j] - mx) * inv;
    }
  }
}

}  // namespace edgeinfer::kernels
#endif
