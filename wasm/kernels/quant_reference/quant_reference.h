// Scalar reference arithmetic for the quantized operators: rounding, saturation, requantization of
// int32 accumulators, and naive integer GEMM / convolution with zero points. These are the readable
// definitions the int8 SIMD kernels (kernels/q8_*) that the operators run on are checked against
// (tests/ops/quant_kernels_test.cc); the operators still use them where the kernels cannot express a
// case (per-row quantization of A / Y in the matrix products).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/f32_conv/f32_conv.h"

namespace edgeinfer {

template <typename T> constexpr int32_t qmin() { return std::numeric_limits<T>::min(); }
template <typename T> constexpr int32_t qmax() { return std::numeric_limits<T>::max(); }

// Round half to even (the default FE_TONEAREST mode; nearbyint never raises inexact).
inline float round_half_even(float v) { return std::nearbyint(v); }

// ONNX QuantizeLinear: saturate(round_half_even(x / scale) + zero_point). NaN maps to zero_point's
// saturated value like onnxruntime's clamp-then-convert does not define; we pick zero_point.
template <typename T>
inline T quantize_value(float x, float scale, int32_t zp) {
  float q = round_half_even(x / scale);
  if (std::isnan(q)) return static_cast<T>(std::clamp(zp, qmin<T>(), qmax<T>()));
  q += static_cast<float>(zp);
  q = std::min(std::max(q, static_cast<float>(qmin<T>())), static_cast<float>(qmax<T>()));
  return static_cast<T>(static_cast<int32_t>(q));
}

// Requantization of an int32 accumulator as onnxruntime's CPU provider does it: in float,
// acc * multiplier, round half to even, + zero point, saturate.
template <typename T>
inline T requantize_value(int32_t acc, float multiplier, int32_t zp) {
  float v = static_cast<float>(acc) * multiplier;
  v = std::min(std::max(v, static_cast<float>(qmin<T>() - zp)), static_cast<float>(qmax<T>() - zp));
  return static_cast<T>(static_cast<int32_t>(round_half_even(v)) + zp);
}

// C[m x n] (int32) = sum_k (A[i,k] - a_zp(i)) * (B[k,j] - b_zp(j)); a_zp per row (a_zp_stride 1) or
// per tensor (stride 0), b_zp per column or per tensor likewise.
template <typename TA, typename TB>
void qgemm_reference(int64_t m, int64_t n, int64_t k, const TA* a, const int32_t* a_zp, int64_t a_zp_stride,
                     const TB* b, const int32_t* b_zp, int64_t b_zp_stride, int32_t* c) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      const int32_t za = a_zp[i * a_zp_stride], zb = b_zp[j * b_zp_stride];
      int32_t acc = 0;
      for (int64_t p = 0; p < k; ++p)
        acc += (static_cast<int32_t>(a[i * k + p]) - za) * (static_cast<int32_t>(b[p * n + j]) - zb);
      c[i * n + j] = acc;
    }
}

// Direct N-D convolution to int32: y[b, co, ...] = bias[co] + sum (x - x_zp) * (w - w_zp[co]).
// Padding contributes nothing (it is the real value 0, i.e. x_zp in the quantized domain).
// w_zp_stride is 1 for per-output-channel zero points, 0 for per-tensor; bias may be null.
template <typename TX, typename TW>
void qconv_reference(const ConvGeometry& g, const TX* x, int32_t x_zp, const TW* w, const int32_t* w_zp,
                     int64_t w_zp_stride, const int32_t* bias, int32_t* y) {
  const int nd = g.nd;
  const int64_t cg = g.c_in / g.group, mg = g.c_out / g.group;
  const int64_t in_size = g.in_size(), out_size = g.out_size(), ksize = g.kernel_size();
  std::vector<int64_t> oc(static_cast<size_t>(nd)), kc(static_cast<size_t>(nd));
  for (int64_t b = 0; b < g.batch; ++b)
    for (int64_t co = 0; co < g.c_out; ++co) {
      const int64_t grp = co / mg;
      const int32_t zw = w_zp[co * w_zp_stride];
      for (int64_t op = 0; op < out_size; ++op) {
        int64_t rem = op;
        for (int d = nd - 1; d >= 0; --d) {
          oc[static_cast<size_t>(d)] = rem % g.out[static_cast<size_t>(d)];
          rem /= g.out[static_cast<size_t>(d)];
        }
        int32_t acc = bias ? bias[co] : 0;
        for (int64_t ci = 0; ci < cg; ++ci) {
          const TX* xp = x + (b * g.c_in + grp * cg + ci) * in_size;
          const TW* wp = w + (co * cg + ci) * ksize;
          for (int64_t kp = 0; kp < ksize; ++kp) {
            int64_t krem = kp, xoff = 0;
            bool inside = true;
            for (int d = nd - 1; d >= 0; --d) {
              const size_t ds = static_cast<size_t>(d);
              kc[ds] = krem % g.kernel[ds];
              krem /= g.kernel[ds];
            }
            for (int d = 0; d < nd && inside; ++d) {
              const size_t ds = static_cast<size_t>(d);
              const int64_t pos = oc[ds] * g.stride[ds] - g.pad_begin[ds] + kc[ds] * g.dilation[ds];
              if (pos < 0 || pos >= g.in[ds]) inside = false;
              xoff = xoff * g.in[ds] + pos;
            }
            if (!inside) continue;
            acc += (static_cast<int32_t>(xp[xoff]) - x_zp) * (static_cast<int32_t>(wp[kp]) - zw);
          }
        }
        y[(b * g.c_out + co) * out_size + op] = acc;
      }
    }
}

}  // namespace edgeinfer
