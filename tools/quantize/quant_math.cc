#include "quant_math.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgeinfer::quant {

int32_t qmin_of(DataType dt) {
  switch (dt) {
    case DataType::kUint8: return 0;
    case DataType::kInt8: return -128;
    default: return std::numeric_limits<int32_t>::min();
  }
}
int32_t qmax_of(DataType dt) {
  switch (dt) {
    case DataType::kUint8: return 255;
    case DataType::kInt8: return 127;
    default: return std::numeric_limits<int32_t>::max();
  }
}

Status compute_qparams(float rmin, float rmax, DataType dt, bool symmetric, float* scale, int32_t* zero_point) {
  if (!std::isfinite(rmin) || !std::isfinite(rmax))
    return invalid_argument("range [" + std::to_string(rmin) + ", " + std::to_string(rmax) + "] is not finite");
  if (dt != DataType::kUint8 && dt != DataType::kInt8)
    return unsupported(std::string("quantized type ") + dtype_name(dt) + " (uint8 and int8 are supported)");
  if (rmin > rmax) std::swap(rmin, rmax);
  rmin = std::min(rmin, 0.0f);
  rmax = std::max(rmax, 0.0f);
  if (symmetric) {
    const float a = std::max(std::fabs(rmin), std::fabs(rmax));
    if (dt == DataType::kInt8) {
      *scale = a / 127.0f;
      *zero_point = 0;
    } else {  // uint8 symmetric: zero at 128
      *scale = 2.0f * a / 255.0f;
      *zero_point = 128;
    }
    if (!(*scale > 0.0f) || !std::isfinite(*scale)) { *scale = 1.0f; *zero_point = dt == DataType::kInt8 ? 0 : 128; }
    return Status::ok();
  }
  const double qmin = qmin_of(dt), qmax = qmax_of(dt);
  const double s = (static_cast<double>(rmax) - rmin) / (qmax - qmin);
  if (!(s > 0.0) || !std::isfinite(static_cast<float>(s)) || static_cast<float>(s) == 0.0f) {
    *scale = 1.0f;
    *zero_point = dt == DataType::kUint8 ? 0 : 0;
    return Status::ok();
  }
  *scale = static_cast<float>(s);
  const double zp = std::nearbyint(qmin - rmin / static_cast<double>(*scale));
  *zero_point = static_cast<int32_t>(std::min(qmax, std::max(qmin, zp)));
  return Status::ok();
}

namespace {

// Number of slices along `axis` and the element count of one slice's contiguous runs.
struct AxisLayout {
  int64_t outer = 1, channels = 1, inner = 1;
};

Result<AxisLayout> layout_of(const Shape& shape, int axis) {
  AxisLayout l;
  if (axis < 0) {
    l.inner = numel(shape);
    return l;
  }
  if (axis >= static_cast<int>(shape.size()))
    return invalid_argument("quantization axis " + std::to_string(axis) + " out of range for shape " +
                            shape_to_string(shape));
  for (int i = 0; i < axis; ++i) l.outer *= shape[static_cast<size_t>(i)];
  l.channels = shape[static_cast<size_t>(axis)];
  for (size_t i = static_cast<size_t>(axis) + 1; i < shape.size(); ++i) l.inner *= shape[i];
  return l;
}

}  // namespace

Result<Tensor> quantize_tensor(const Tensor& x, const QParams& p) {
  if (x.dtype() != DataType::kFloat32) return invalid_argument("quantize_tensor: input is not float32");
  EI_ASSIGN_OR_RETURN(AxisLayout l, layout_of(x.shape(), p.axis));
  if (static_cast<int64_t>(p.scale.size()) != l.channels || p.zero_point.size() != p.scale.size())
    return invalid_argument("quantize_tensor: " + std::to_string(p.scale.size()) + " scales for " +
                            std::to_string(l.channels) + " channels");
  EI_ASSIGN_OR_RETURN(Tensor q, Tensor::allocate(p.dtype, x.shape()));
  const float* src = x.data<float>();
  const double lo = qmin_of(p.dtype), hi = qmax_of(p.dtype);
  for (int64_t o = 0; o < l.outer; ++o) {
    for (int64_t c = 0; c < l.channels; ++c) {
      const double s = p.scale[static_cast<size_t>(c)];
      const double zp = p.zero_point[static_cast<size_t>(c)];
      const int64_t base = (o * l.channels + c) * l.inner;
      for (int64_t i = 0; i < l.inner; ++i) {
        double v = std::nearbyint(static_cast<double>(src[base + i]) / s) + zp;
        v = std::min(hi, std::max(lo, v));
        switch (p.dtype) {
          case DataType::kUint8: q.data<uint8_t>()[base + i] = static_cast<uint8_t>(v); break;
          case DataType::kInt8: q.data<int8_t>()[base + i] = static_cast<int8_t>(v); break;
          case DataType::kInt32: q.data<int32_t>()[base + i] = static_cast<int32_t>(v); break;
          default: return unsupported(std::string("quantize_tensor to ") + dtype_name(p.dtype));
        }
      }
    }
  }
  return q;
}

Result<Tensor> dequantize_tensor(const Tensor& q, const QParams& p) {
  EI_ASSIGN_OR_RETURN(AxisLayout l, layout_of(q.shape(), p.axis));
  if (static_cast<int64_t>(p.scale.size()) != l.channels || p.zero_point.size() != p.scale.size())
    return invalid_argument("dequantize_tensor: scale count does not match the channels");
  EI_ASSIGN_OR_RETURN(Tensor x, Tensor::allocate(DataType::kFloat32, q.shape()));
  for (int64_t o = 0; o < l.outer; ++o)
    for (int64_t c = 0; c < l.channels; ++c) {
      const int64_t base = (o * l.channels + c) * l.inner;
      for (int64_t i = 0; i < l.inner; ++i) {
        const int64_t v = get_int(q, base + i);
        x.data<float>()[base + i] = static_cast<float>(v - p.zero_point[static_cast<size_t>(c)]) * p.scale[static_cast<size_t>(c)];
      }
    }
  return x;
}

Result<QParams> weight_qparams(const Tensor& w, DataType dt, bool symmetric, int axis) {
  if (w.dtype() != DataType::kFloat32) return invalid_argument("weights are not float32");
  EI_ASSIGN_OR_RETURN(AxisLayout l, layout_of(w.shape(), axis));
  QParams p;
  p.dtype = dt;
  p.axis = axis;
  std::vector<float> mn(static_cast<size_t>(l.channels), 0.0f), mx(static_cast<size_t>(l.channels), 0.0f);
  const float* d = w.data<float>();
  for (int64_t o = 0; o < l.outer; ++o)
    for (int64_t c = 0; c < l.channels; ++c) {
      const int64_t base = (o * l.channels + c) * l.inner;
      for (int64_t i = 0; i < l.inner; ++i) {
        mn[static_cast<size_t>(c)] = std::min(mn[static_cast<size_t>(c)], d[base + i]);
        mx[static_cast<size_t>(c)] = std::max(mx[static_cast<size_t>(c)], d[base + i]);
      }
    }
  for (int64_t c = 0; c < l.channels; ++c) {
    float s;
    int32_t zp;
    EI_RETURN_IF_ERROR(compute_qparams(mn[static_cast<size_t>(c)], mx[static_cast<size_t>(c)], dt, symmetric, &s, &zp));
    p.scale.push_back(s);
    p.zero_point.push_back(zp);
  }
  return p;
}

Result<Tensor> quantize_bias(const Tensor& b, float x_scale, const std::vector<float>& w_scales, QParams* out) {
  if (b.dtype() != DataType::kFloat32 || b.rank() != 1) return invalid_argument("bias is not a 1-D float32 tensor");
  const int64_t n = b.numel();
  if (w_scales.size() != 1 && static_cast<int64_t>(w_scales.size()) != n)
    return invalid_argument("bias has " + std::to_string(n) + " entries for " + std::to_string(w_scales.size()) +
                            " weight scales");
  QParams p;
  p.dtype = DataType::kInt32;
  p.axis = w_scales.size() == 1 ? -1 : 0;
  for (float ws : w_scales) {
    float s = x_scale * ws;
    if (!(s > 0.0f) || !std::isfinite(s)) s = 1.0f;
    p.scale.push_back(s);
    p.zero_point.push_back(0);
  }
  EI_ASSIGN_OR_RETURN(Tensor q, Tensor::allocate(DataType::kInt32, b.shape()));
  for (int64_t i = 0; i < n; ++i) {
    const double s = p.scale[p.axis < 0 ? 0 : static_cast<size_t>(i)];
    double v = std::nearbyint(static_cast<double>(b.data<float>()[i]) / s);
    v = std::min(2147483647.0, std::max(-2147483648.0, v));
    q.data<int32_t>()[i] = static_cast<int32_t>(v);
  }
  if (out) *out = p;
  return q;
}

void AbsHistogram::add(const float* x, int64_t n) {
  const int bins = static_cast<int>(counts.size());
  if (bins == 0) return;
  if (!(max_abs > 0.0f)) {
    counts[0] += static_cast<double>(n);
    return;
  }
  const double inv = bins / static_cast<double>(max_abs);
  for (int64_t i = 0; i < n; ++i) {
    const float a = std::fabs(x[i]);
    if (!std::isfinite(a)) continue;
    int b = static_cast<int>(a * inv);
    if (b >= bins) b = bins - 1;
    counts[static_cast<size_t>(b)] += 1.0;
  }
}

float percentile_threshold(const AbsHistogram& h, double percentile) {
  double total = 0;
  for (double c : h.counts) total += c;
  if (total <= 0 || h.counts.empty()) return h.max_abs;
  const double target = std::min(1.0, std::max(0.0, percentile / 100.0)) * total;
  double cum = 0;
  for (size_t i = 0; i < h.counts.size(); ++i) {
    cum += h.counts[i];
    if (cum >= target) return static_cast<float>((i + 1) * h.bin_width());
  }
  return h.max_abs;
}

namespace {

// Replaces zeros by eps, taking the mass from the nonzero entries (MXNet/TensorRT smoothing), so the
// KL divergence stays finite. Returns false when every entry is zero.
bool smooth(std::vector<double>& p, double eps = 1e-4) {
  size_t zeros = 0;
  for (double v : p) zeros += v == 0.0;
  const size_t nonzeros = p.size() - zeros;
  if (nonzeros == 0) return false;
  const double take = eps * static_cast<double>(zeros) / static_cast<double>(nonzeros);
  for (double& v : p) v = v == 0.0 ? eps : v - take;
  return true;
}

}  // namespace

float entropy_threshold(const AbsHistogram& h, int num_quant_bins) {
  const int bins = static_cast<int>(h.counts.size());
  if (bins == 0 || !(h.max_abs > 0.0f)) return h.max_abs;
  if (num_quant_bins < 1 || num_quant_bins >= bins) return h.max_abs;
  double total = 0;
  for (double c : h.counts) total += c;
  if (total <= 0) return h.max_abs;
  // Suffix sums give the clipped tail of each candidate in O(1).
  std::vector<double> tail(static_cast<size_t>(bins) + 1, 0.0);
  for (int i = bins - 1; i >= 0; --i) tail[static_cast<size_t>(i)] = tail[static_cast<size_t>(i) + 1] + h.counts[static_cast<size_t>(i)];

  double best_kl = std::numeric_limits<double>::infinity();
  int best_i = bins;
  std::vector<double> p, q;
  for (int i = num_quant_bins; i <= bins; ++i) {
    p.assign(h.counts.begin(), h.counts.begin() + i);
    p[static_cast<size_t>(i) - 1] += tail[static_cast<size_t>(i)];
    // Q: hist[0..i) merged into num_quant_bins levels, each spread evenly over its nonzero source bins.
    q.assign(static_cast<size_t>(i), 0.0);
    const int merged = i / num_quant_bins;
    for (int j = 0; j < num_quant_bins; ++j) {
      const int start = j * merged;
      const int stop = j == num_quant_bins - 1 ? i : start + merged;
      double sum = 0;
      int nonzero = 0;
      for (int k = start; k < stop; ++k) {
        sum += h.counts[static_cast<size_t>(k)];
        nonzero += h.counts[static_cast<size_t>(k)] != 0.0;
      }
      if (nonzero == 0) continue;
      for (int k = start; k < stop; ++k)
        if (h.counts[static_cast<size_t>(k)] != 0.0) q[static_cast<size_t>(k)] = sum / nonzero;
    }
    double ps = 0, qs = 0;
    for (double v : p) ps += v;
    for (double v : q) qs += v;
    if (ps <= 0 || qs <= 0) continue;
    for (double& v : p) v /= ps;
    for (double& v : q) v /= qs;
    if (!smooth(p) || !smooth(q)) continue;
    double kl = 0;
    for (size_t k = 0; k < p.size(); ++k) kl += p[k] * std::log(p[k] / q[k]);
    if (kl < best_kl - 1e-12) {
      best_kl = kl;
      best_i = i;
    }
  }
  return static_cast<float>(best_i * h.bin_width());
}

}  // namespace edgeinfer::quant
