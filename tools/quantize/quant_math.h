// Quantization arithmetic of `edgeinfer quantize`: scale/zero-point from a range, weight and bias
// quantization (per tensor or per channel), and the calibration range estimators (min/max, histogram
// percentile, KL-divergence threshold search). Native only; nothing here enters the wasm runtime.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace edgeinfer::quant {

// Scale and zero point of one tensor (per tensor: one entry; per channel: one per slice along axis).
struct QParams {
  DataType dtype = DataType::kUint8;  // kUint8 or kInt8 (kInt32 for biases)
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  int axis = -1;                       // -1: per tensor
};

// Round half to even (the ONNX QuantizeLinear rounding).
inline float round_half_even(float v) { return std::nearbyint(v); }  // default FE_TONEAREST
int32_t qmin_of(DataType dt);
int32_t qmax_of(DataType dt);

// Scale/zero point covering [rmin, rmax] extended to include 0. Symmetric (int8 only): zero point 0,
// scale max(|rmin|, |rmax|) / 127 (quantized range [-127, 127], as onnxruntime's quantizer).
// Asymmetric: scale (rmax - rmin) / (qmax - qmin), zero point round(qmin - rmin / scale).
// An empty range (rmin == rmax == 0) gives scale 1, zero point 0 (symmetric) or qmin-based 0 point.
// Fails on non-finite bounds.
Status compute_qparams(float rmin, float rmax, DataType dt, bool symmetric, float* scale, int32_t* zero_point);

// Quantizes a float32 tensor to dt with `p` (per tensor or per channel along p.axis).
Result<Tensor> quantize_tensor(const Tensor& x, const QParams& p);
// The float value of each quantized element (the DequantizeLinear arithmetic), for tests and
// error estimates.
Result<Tensor> dequantize_tensor(const Tensor& q, const QParams& p);

// Weight quantization: per tensor (axis -1) or per channel along axis; symmetric int8 or asymmetric
// uint8/int8. Returns the parameters; quantize_tensor() makes the data.
Result<QParams> weight_qparams(const Tensor& w, DataType dt, bool symmetric, int axis);

// int32 bias for a product of an activation with scale x_scale and weights with w_scales (1 or C
// entries): scale x_scale * w_scale[c], zero point 0, values round(b / scale) saturated.
Result<Tensor> quantize_bias(const Tensor& b, float x_scale, const std::vector<float>& w_scales, QParams* out);

// A histogram of |x| over [0, max_abs] with a fixed bin count.
struct AbsHistogram {
  float max_abs = 0.0f;
  std::vector<double> counts;
  explicit AbsHistogram(float max_abs_ = 0.0f, int bins = 2048) : max_abs(max_abs_), counts(static_cast<size_t>(bins), 0.0) {}
  void add(const float* x, int64_t n);
  double bin_width() const { return counts.empty() ? 0.0 : static_cast<double>(max_abs) / counts.size(); }
};

// The smallest t such that at least `percentile` % of the |x| lie in [0, t]: the right edge of the
// bin where the cumulative count first reaches the percentile.
float percentile_threshold(const AbsHistogram& h, double percentile);

// TensorRT-style entropy calibration: for every candidate threshold bin i in [num_quant_bins, bins]
// the reference distribution P is hist[0..i) with the clipped tail added to its last bin, the
// candidate Q is hist[0..i) merged into num_quant_bins levels and expanded back over the nonzero
// bins; the threshold (right edge of bin i-1) minimizing KL(P || Q) is returned (smallest on ties).
float entropy_threshold(const AbsHistogram& h, int num_quant_bins = 128);

}  // namespace edgeinfer::quant
