// Resize (opsets 10, 11, 13, 18, 19) and Upsample (7, 9).
// Every axis gets a table of source taps per output index (nearest: 1 tap, linear: 2, cubic: 4),
// computed once per run from the ONNX coordinate transformation. Nearest copies elements of any
// dtype; linear/cubic work on float32, with a direct 2-D path for the usual NCHW case (only H and W
// resized) parallelised over planes and rows, and separable per-axis passes otherwise.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "ops/op.h"

namespace edgeinfer {

namespace {

enum class Mode { kNearest, kLinear, kCubic };
enum class Coord { kHalfPixel, kHalfPixelSymmetric, kPytorchHalfPixel, kAlignCorners, kAsymmetric, kTfCropAndResize,
                   kTfHalfPixelForNn };
// kSimple: opset-10 Resize and Upsample, which define no nearest_mode: floor when upsampling and
// ceil when downsampling (what onnxruntime does for these opsets).
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kSimple };
enum class AspectPolicy { kStretch, kNotLarger, kNotSmaller };

struct Options {
  Mode mode = Mode::kNearest;
  Coord coord = Coord::kHalfPixel;
  NearestMode nearest = NearestMode::kRoundPreferFloor;
  AspectPolicy policy = AspectPolicy::kStretch;
  float cubic_a = -0.75f;
  bool exclude_outside = false;
  float extrapolation = 0.0f;
  std::vector<int64_t> axes;  // opset 18; empty = all
  bool has_axes = false;
  bool upsample = false;      // Upsample op: scales must be >= 1
  // Where the scales and sizes come from.
  int scales_input = -1;      // input index, or -1
  int sizes_input = -1;
  int roi_input = -1;
  bool scales_from_attr = false;
  std::vector<float> scales_attr;
};

struct Plan {
  Shape out;
  std::vector<double> scale;  // per axis
};

// Per output index along one axis: taps source indices (clamped) and weights; extrap marks outputs
// that tf_crop_and_resize sends outside the input.
struct AxisTaps {
  int ntaps = 1;
  bool identity = false;
  std::vector<int64_t> idx;
  std::vector<float> w;
  std::vector<uint8_t> extrap;
};

Result<std::vector<double>> float_list(const Tensor& t, const char* what) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  if (t.dtype() == DataType::kFloat32) {
    for (int64_t i = 0; i < t.numel(); ++i) v[i] = t.data<float>()[i];
  } else if (t.dtype() == DataType::kFloat64) {
    for (int64_t i = 0; i < t.numel(); ++i) v[i] = t.data<double>()[i];
  } else {
    return unsupported(std::string(what) + " of dtype " + dtype_name(t.dtype()));
  }
  return v;
}

class ResizeKernel : public Kernel {
 public:
  explicit ResizeKernel(Options o) : o_(std::move(o)) {}

  // An input that is present and has elements (opset 11+ use empty tensors as placeholders).
  template <typename Ctx>
  static bool given(const Ctx& ctx, int i, const Shape* shape) {
    if (i < 0 || !ctx.has_input(i)) return false;
    return numel(*shape) > 0;
  }

  Result<std::vector<int>> axes_for(int r) const {
    std::vector<int> axes;
    if (!o_.has_axes) {
      for (int i = 0; i < r; ++i) axes.push_back(i);
      return axes;
    }
    for (int64_t a : o_.axes) {
      if (r == 0) return invalid_argument("axes given for a rank-0 input");
      EI_ASSIGN_OR_RETURN(int n, normalize_axis(a, r));
      if (std::find(axes.begin(), axes.end(), n) != axes.end())
        return invalid_model("axis " + std::to_string(a) + " is repeated");
      axes.push_back(n);
    }
    return axes;
  }

  Result<Plan> make_plan(const Shape& in, const Tensor* scales, const Tensor* sizes) const {
    const int r = static_cast<int>(in.size());
    EI_ASSIGN_OR_RETURN(std::vector<int> axes, axes_for(r));
    Plan p;
    p.out = in;
    p.scale.assign(static_cast<size_t>(r), 1.0);
    if (sizes) {
      if (sizes->dtype() != DataType::kInt64) return invalid_model("sizes must be int64");
      EI_ASSIGN_OR_RETURN(std::vector<int64_t> sz, to_int_vector(*sizes));
      if (sz.size() != axes.size())
        return invalid_argument("sizes has " + std::to_string(sz.size()) + " values, expected " +
                                std::to_string(axes.size()));
      for (size_t i = 0; i < axes.size(); ++i) {
        if (sz[i] < 0) return invalid_argument("sizes " + shape_to_string(sz) + " has a negative value");
        if (in[axes[i]] == 0 && sz[i] != 0) return invalid_argument("cannot resize an empty axis to a non-empty one");
      }
      if (o_.policy == AspectPolicy::kStretch) {
        for (size_t i = 0; i < axes.size(); ++i) {
          const int a = axes[i];
          p.out[a] = sz[i];
          p.scale[a] = in[a] ? static_cast<double>(sz[i]) / static_cast<double>(in[a]) : 1.0;
        }
      } else {
        double s = o_.policy == AspectPolicy::kNotLarger ? INFINITY : 0.0;
        for (size_t i = 0; i < axes.size(); ++i) {
          if (in[axes[i]] == 0) continue;
          const double q = static_cast<double>(sz[i]) / static_cast<double>(in[axes[i]]);
          s = o_.policy == AspectPolicy::kNotLarger ? std::min(s, q) : std::max(s, q);
        }
        if (!std::isfinite(s)) s = 1.0;
        for (int a : axes) {
          p.out[a] = static_cast<int64_t>(std::floor(s * static_cast<double>(in[a]) + 0.5));
          p.scale[a] = s;
        }
      }
    } else {
      std::vector<double> sc;
      if (scales) {
        EI_ASSIGN_OR_RETURN(sc, float_list(*scales, "scales"));
      } else if (o_.scales_from_attr) {
        sc.assign(o_.scales_attr.begin(), o_.scales_attr.end());
      } else {
        return invalid_model("Resize needs scales or sizes");
      }
      if (sc.size() != axes.size())
        return invalid_argument("scales has " + std::to_string(sc.size()) + " values, expected " +
                                std::to_string(axes.size()));
      for (size_t i = 0; i < axes.size(); ++i) {
        const int a = axes[i];
        if (!(sc[i] > 0.0) || !std::isfinite(sc[i]))
          return invalid_argument("scale " + std::to_string(sc[i]) + " must be positive");
        if (o_.upsample && sc[i] < 1.0) return invalid_argument("Upsample scales must be >= 1");
        const double o = std::floor(sc[i] * static_cast<double>(in[a]));
        if (o > static_cast<double>(kMaxTensorElements)) return resource_exhausted("Resize output is too large");
        p.out[a] = static_cast<int64_t>(o);
        p.scale[a] = sc[i];
      }
    }
    EI_RETURN_IF_ERROR(checked_numel(p.out).status());
    return p;
  }

  Status infer(InferContext& ctx) override {
    const DataType dt = ctx.input_dtype(0);
    if (dtype_size(dt) == 0) return unsupported(std::string("dtype ") + dtype_name(dt));
    if (o_.mode != Mode::kNearest && dt != DataType::kFloat32)
      return unsupported(std::string("Resize linear/cubic on ") + dtype_name(dt) + " (float32 only)");
    const Tensor* scales = nullptr;
    const Tensor* sizes = nullptr;
    if (o_.sizes_input >= 0 && ctx.has_input(o_.sizes_input) && numel(ctx.input_shape(o_.sizes_input)) > 0) {
      sizes = ctx.input_value(o_.sizes_input);
      if (!sizes) return ctx.deferred(o_.sizes_input);
    } else if (o_.scales_input >= 0 && ctx.has_input(o_.scales_input) &&
               numel(ctx.input_shape(o_.scales_input)) > 0) {
      scales = ctx.input_value(o_.scales_input);
      if (!scales) return ctx.deferred(o_.scales_input);
    }
    if (sizes && o_.scales_input >= 0 && ctx.has_input(o_.scales_input) && numel(ctx.input_shape(o_.scales_input)) > 0)
      return invalid_model("Resize takes scales or sizes, not both");
    EI_ASSIGN_OR_RETURN(Plan p, make_plan(ctx.input_shape(0), scales, sizes));
    ctx.set_output(0, dt, p.out);
    return Status::ok();
  }

  double coordinate(int64_t o, double scale, int64_t L, int64_t O, double roi0, double roi1) const {
    switch (o_.coord) {
      case Coord::kHalfPixel: return (static_cast<double>(o) + 0.5) / scale - 0.5;
      case Coord::kHalfPixelSymmetric: {
        const double adj = static_cast<double>(O) / (scale * static_cast<double>(L));
        const double center = static_cast<double>(L) / 2.0;
        return center * (1.0 - adj) + (static_cast<double>(o) + 0.5) / scale - 0.5;
      }
      case Coord::kPytorchHalfPixel: return O > 1 ? (static_cast<double>(o) + 0.5) / scale - 0.5 : 0.0;
      case Coord::kAlignCorners:
        return O == 1 ? 0.0 : static_cast<double>(o) * static_cast<double>(L - 1) / static_cast<double>(O - 1);
      case Coord::kAsymmetric: return static_cast<double>(o) / scale;
      case Coord::kTfHalfPixelForNn: return (static_cast<double>(o) + 0.5) / scale;
      case Coord::kTfCropAndResize:
        return O > 1 ? roi0 * static_cast<double>(L - 1) +
                           static_cast<double>(o) * (roi1 - roi0) * static_cast<double>(L - 1) / static_cast<double>(O - 1)
                     : 0.5 * (roi0 + roi1) * static_cast<double>(L - 1);
    }
    return 0.0;
  }

  int64_t nearest_index(double x, double scale) const {
    const double f = std::floor(x);
    const double frac = x - f;
    switch (o_.nearest) {
      case NearestMode::kRoundPreferFloor: return static_cast<int64_t>(frac <= 0.5 ? f : f + 1);
      case NearestMode::kRoundPreferCeil: return static_cast<int64_t>(frac < 0.5 ? f : f + 1);
      case NearestMode::kFloor: return static_cast<int64_t>(f);
      case NearestMode::kCeil: return static_cast<int64_t>(std::ceil(x));
      case NearestMode::kSimple: return static_cast<int64_t>(scale < 1.0 ? std::ceil(x) : f);
    }
    return 0;
  }

  AxisTaps axis_taps(int64_t L, int64_t O, double scale, double roi0, double roi1) const {
    AxisTaps t;
    t.ntaps = o_.mode == Mode::kNearest ? 1 : o_.mode == Mode::kLinear ? 2 : 4;
    t.identity = L == O && scale == 1.0 &&
                 (o_.coord != Coord::kTfCropAndResize || (roi0 == 0.0 && roi1 == 1.0));
    t.idx.resize(static_cast<size_t>(O * t.ntaps));
    t.w.resize(static_cast<size_t>(O * t.ntaps));
    t.extrap.assign(static_cast<size_t>(O), 0);
    auto clamp = [&](int64_t i) { return std::min(std::max<int64_t>(i, 0), L - 1); };
    const double A = o_.cubic_a;
    for (int64_t o = 0; o < O; ++o) {
      int64_t* idx = &t.idx[o * t.ntaps];
      float* w = &t.w[o * t.ntaps];
      if (t.identity) {
        idx[0] = o;
        w[0] = 1.0f;
        for (int k = 1; k < t.ntaps; ++k) { idx[k] = o; w[k] = 0.0f; }
        continue;
      }
      const double x = coordinate(o, scale, L, O, roi0, roi1);
      if (o_.coord == Coord::kTfCropAndResize && (x < 0.0 || x > static_cast<double>(L - 1))) {
        t.extrap[o] = 1;
        for (int k = 0; k < t.ntaps; ++k) { idx[k] = 0; w[k] = 0.0f; }
        continue;
      }
      if (o_.mode == Mode::kNearest) {
        idx[0] = clamp(nearest_index(x, scale));
        w[0] = 1.0f;
        continue;
      }
      const double f = std::floor(x);
      const double r = x - f;
      const int64_t base = static_cast<int64_t>(f);
      double c[4];
      int64_t raw[4];
      if (o_.mode == Mode::kLinear) {
        c[0] = 1.0 - r;
        c[1] = r;
        raw[0] = base;
        raw[1] = base + 1;
      } else {
        const double r1 = r + 1, r2 = 1 - r, r3 = 2 - r;
        c[0] = ((A * r1 - 5 * A) * r1 + 8 * A) * r1 - 4 * A;
        c[1] = ((A + 2) * r - (A + 3)) * r * r + 1;
        c[2] = ((A + 2) * r2 - (A + 3)) * r2 * r2 + 1;
        c[3] = ((A * r3 - 5 * A) * r3 + 8 * A) * r3 - 4 * A;
        for (int k = 0; k < 4; ++k) raw[k] = base - 1 + k;
      }
      if (o_.exclude_outside) {
        double sum = 0.0;
        for (int k = 0; k < t.ntaps; ++k) {
          if (raw[k] < 0 || raw[k] >= L) c[k] = 0.0;
          sum += c[k];
        }
        if (sum != 0.0)
          for (int k = 0; k < t.ntaps; ++k) c[k] /= sum;
      }
      for (int k = 0; k < t.ntaps; ++k) {
        idx[k] = clamp(raw[k]);
        w[k] = static_cast<float>(c[k]);
      }
    }
    return t;
  }

  Status run(RunContext& ctx) override {
    const Tensor& in = ctx.input(0);
    Tensor& out = ctx.output(0);
    const Tensor* scales = nullptr;
    const Tensor* sizes = nullptr;
    if (o_.sizes_input >= 0 && ctx.has_input(o_.sizes_input) && ctx.input(o_.sizes_input).numel() > 0)
      sizes = &ctx.input(o_.sizes_input);
    else if (o_.scales_input >= 0 && ctx.has_input(o_.scales_input) && ctx.input(o_.scales_input).numel() > 0)
      scales = &ctx.input(o_.scales_input);
    EI_ASSIGN_OR_RETURN(Plan p, make_plan(in.shape(), scales, sizes));
    if (p.out != out.shape()) return internal_error("Resize output shape changed between infer and run");
    if (out.numel() == 0) return Status::ok();
    const int r = in.rank();
    // roi: [starts..., ends...] over the resized axes; only tf_crop_and_resize reads it.
    std::vector<double> roi0(static_cast<size_t>(r), 0.0), roi1(static_cast<size_t>(r), 1.0);
    if (o_.coord == Coord::kTfCropAndResize) {
      if (o_.roi_input < 0 || !ctx.has_input(o_.roi_input) || ctx.input(o_.roi_input).numel() == 0)
        return invalid_model("tf_crop_and_resize needs the roi input");
      EI_ASSIGN_OR_RETURN(std::vector<double> roi, float_list(ctx.input(o_.roi_input), "roi"));
      EI_ASSIGN_OR_RETURN(std::vector<int> axes, axes_for(r));
      if (roi.size() != 2 * axes.size())
        return invalid_argument("roi has " + std::to_string(roi.size()) + " values, expected " +
                                std::to_string(2 * axes.size()));
      for (size_t i = 0; i < axes.size(); ++i) {
        roi0[axes[i]] = roi[i];
        roi1[axes[i]] = roi[i + axes.size()];
      }
    }
    std::vector<AxisTaps> taps(static_cast<size_t>(r));
    for (int k = 0; k < r; ++k) taps[k] = axis_taps(in.dim(k), out.dim(k), p.scale[k], roi0[k], roi1[k]);
    if (o_.mode == Mode::kNearest) return run_nearest(ctx, in, out, taps);
    return run_float(ctx, in, out, taps);
  }

  // ---- nearest, any dtype
  template <typename T>
  void nearest_rows(const Tensor& in, Tensor& out, const std::vector<AxisTaps>& taps, const std::vector<int64_t>& stride,
                    int64_t b, int64_t e, T extrap) const {
    const int r = in.rank();
    const int64_t W = out.dim(r - 1);
    const AxisTaps& tx = taps[r - 1];
    const T* src = in.data<T>();
    T* dst = out.data<T>();
    int64_t prev_off = -2;
    for (int64_t row = b; row < e; ++row) {
      int64_t rem = row, off = 0;
      bool ex = false;
      for (int k = r - 2; k >= 0; --k) {
        const int64_t i = rem % out.dim(k);
        rem /= out.dim(k);
        ex = ex || taps[k].extrap[i];
        off += taps[k].idx[i] * stride[k];
      }
      T* d = dst + row * W;
      if (ex) {
        std::fill(d, d + W, extrap);
        prev_off = -2;
        continue;
      }
      if (off == prev_off) {  // repeated source row (upsampling): copy the row just written
        std::memcpy(d, d - W, static_cast<size_t>(W) * sizeof(T));
        continue;
      }
      const T* s = src + off;
      for (int64_t x = 0; x < W; ++x) d[x] = tx.extrap[x] ? extrap : s[tx.idx[x]];
      prev_off = off;
    }
  }

  Status run_nearest(RunContext& ctx, const Tensor& in, Tensor& out, const std::vector<AxisTaps>& taps) const {
    const int r = in.rank();
    if (r == 0) {
      std::memcpy(out.raw(), in.raw(), dtype_size(in.dtype()));
      return Status::ok();
    }
    std::vector<int64_t> stride(static_cast<size_t>(r), 1);
    for (int k = r - 2; k >= 0; --k) stride[k] = stride[k + 1] * in.dim(k + 1);
    const int64_t rows = out.numel() / out.dim(r - 1);
    const double ev = o_.extrapolation;
    auto work = [&](int64_t b, int64_t e) {
      switch (dtype_size(in.dtype())) {
        case 1:
          if (in.dtype() == DataType::kInt8) nearest_rows<int8_t>(in, out, taps, stride, b, e, static_cast<int8_t>(ev));
          else nearest_rows<uint8_t>(in, out, taps, stride, b, e, static_cast<uint8_t>(ev));
          break;
        case 2:
          if (in.dtype() == DataType::kInt16) nearest_rows<int16_t>(in, out, taps, stride, b, e, static_cast<int16_t>(ev));
          else nearest_rows<uint16_t>(in, out, taps, stride, b, e, static_cast<uint16_t>(ev));
          break;
        case 4:
          if (in.dtype() == DataType::kFloat32) nearest_rows<float>(in, out, taps, stride, b, e, static_cast<float>(ev));
          else if (in.dtype() == DataType::kInt32) nearest_rows<int32_t>(in, out, taps, stride, b, e, static_cast<int32_t>(ev));
          else nearest_rows<uint32_t>(in, out, taps, stride, b, e, static_cast<uint32_t>(ev));
          break;
        case 8:
          if (in.dtype() == DataType::kFloat64) nearest_rows<double>(in, out, taps, stride, b, e, ev);
          else if (in.dtype() == DataType::kInt64) nearest_rows<int64_t>(in, out, taps, stride, b, e, static_cast<int64_t>(ev));
          else nearest_rows<uint64_t>(in, out, taps, stride, b, e, static_cast<uint64_t>(ev));
          break;
      }
    };
    if (ctx.pool().num_threads() > 1 && out.nbytes() >= 64 * 1024) {
      const int64_t grain = std::max<int64_t>(1, 8192 / std::max<int64_t>(1, out.dim(r - 1)));
      ctx.pool().parallel_for(rows, grain, [&](int64_t b, int64_t e) { work(b, e); });
    } else {
      work(0, rows);
    }
    return Status::ok();
  }

  // ---- linear / cubic, float32
  Status run_float(RunContext& ctx, const Tensor& in, Tensor& out, const std::vector<AxisTaps>& taps) const {
    const int r = in.rank();
    if (r == 0) {
      out.data<float>()[0] = in.data<float>()[0];
      return Status::ok();
    }
    int first_resized = r;
    for (int k = 0; k < r; ++k)
      if (!taps[k].identity) { first_resized = std::min(first_resized, k); }
    if (first_resized >= r - 2) {
      plane_resize(ctx, in, out, taps);
      return Status::ok();
    }
    // Separable passes over the resized axes; the last pass writes the output.
    std::vector<int> resized;
    for (int k = 0; k < r; ++k)
      if (!taps[k].identity) resized.push_back(k);
    Shape cur = in.shape();
    std::vector<float> buf_a, buf_b;
    const float* src = in.data<float>();
    for (size_t n = 0; n < resized.size(); ++n) {
      const int a = resized[n];
      Shape next = cur;
      next[a] = out.dim(a);
      float* dst;
      if (n + 1 == resized.size()) {
        dst = out.data<float>();
      } else {
        std::vector<float>& buf = (n % 2 == 0) ? buf_a : buf_b;
        buf.assign(static_cast<size_t>(numel(next)), 0.0f);
        dst = buf.data();
      }
      axis_pass(ctx, src, dst, cur, a, taps[a], next[a]);
      src = dst;
      cur = next;
    }
    return Status::ok();
  }

  void axis_pass(RunContext& ctx, const float* src, float* dst, const Shape& shape, int a, const AxisTaps& t,
                 int64_t O) const {
    int64_t outer = 1, inner = 1;
    for (int k = 0; k < a; ++k) outer *= shape[k];
    for (size_t k = static_cast<size_t>(a) + 1; k < shape.size(); ++k) inner *= shape[k];
    const int64_t L = shape[a];
    const float ev = o_.extrapolation;
    auto work = [&](int64_t b, int64_t e) {
      for (int64_t job = b; job < e; ++job) {
        const int64_t o = job / O, x = job % O;
        float* d = dst + (o * O + x) * inner;
        if (t.extrap[x]) {
          std::fill(d, d + inner, ev);
          continue;
        }
        const float* s = src + o * L * inner;
        std::fill(d, d + inner, 0.0f);
        for (int k = 0; k < t.ntaps; ++k) {
          const float w = t.w[x * t.ntaps + k];
          if (w == 0.0f) continue;
          const float* sr = s + t.idx[x * t.ntaps + k] * inner;
          for (int64_t i = 0; i < inner; ++i) d[i] += w * sr[i];
        }
      }
    };
    if (ctx.pool().num_threads() > 1 && outer * O * inner >= 16384)
      ctx.pool().parallel_for(outer * O, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, inner)),
                              [&](int64_t b, int64_t e) { work(b, e); });
    else
      work(0, outer * O);
  }

  // Only the last two axes (or the last one) are resized: each [H, W] plane -> [OH, OW].
  void plane_resize(RunContext& ctx, const Tensor& in, Tensor& out, const std::vector<AxisTaps>& taps) const {
    const int r = in.rank();
    const int64_t W = in.dim(r - 1), OW = out.dim(r - 1);
    const int64_t H = r >= 2 ? in.dim(r - 2) : 1, OH = r >= 2 ? out.dim(r - 2) : 1;
    const int64_t planes = out.numel() / (OH * OW);
    AxisTaps unit;
    unit.ntaps = taps[r - 1].ntaps;
    unit.identity = true;
    unit.idx.assign(static_cast<size_t>(unit.ntaps), 0);
    unit.w.assign(static_cast<size_t>(unit.ntaps), 0.0f);
    unit.w[0] = 1.0f;
    unit.extrap.assign(1, 0);
    const AxisTaps& ty = r >= 2 ? taps[r - 2] : unit;
    const AxisTaps& tx = taps[r - 1];
    const int nt = tx.ntaps;
    const float ev = o_.extrapolation;
    const float* src = in.data<float>();
    float* dst = out.data<float>();
    auto work = [&](int64_t b, int64_t e) {
      std::vector<float> tmp(static_cast<size_t>(W));
      for (int64_t job = b; job < e; ++job) {
        const int64_t p = job / OH, y = job % OH;
        float* d = dst + (p * OH + y) * OW;
        if (ty.extrap[y]) {
          std::fill(d, d + OW, ev);
          continue;
        }
        // Vertical taps first into one row, then horizontal taps along it.
        const float* plane = src + p * H * W;
        const float* row;
        if (ty.identity || (ty.w[y * ty.ntaps] == 1.0f && nt > 0 && [&] {
              for (int k = 1; k < ty.ntaps; ++k)
                if (ty.w[y * ty.ntaps + k] != 0.0f) return false;
              return true;
            }())) {
          row = plane + ty.idx[y * ty.ntaps] * W;
        } else {
          std::fill(tmp.begin(), tmp.end(), 0.0f);
          for (int k = 0; k < ty.ntaps; ++k) {
            const float w = ty.w[y * ty.ntaps + k];
            if (w == 0.0f) continue;
            const float* sr = plane + ty.idx[y * ty.ntaps + k] * W;
            for (int64_t x = 0; x < W; ++x) tmp[x] += w * sr[x];
          }
          row = tmp.data();
        }
        if (tx.identity) {
          std::memcpy(d, row, static_cast<size_t>(W) * sizeof(float));
        } else if (nt == 2) {
          for (int64_t x = 0; x < OW; ++x) {
            const int64_t* i = &tx.idx[x * 2];
            const float* w = &tx.w[x * 2];
            d[x] = tx.extrap[x] ? ev : w[0] * row[i[0]] + w[1] * row[i[1]];
          }
        } else {
          for (int64_t x = 0; x < OW; ++x) {
            if (tx.extrap[x]) { d[x] = ev; continue; }
            float acc = 0.0f;
            for (int k = 0; k < nt; ++k) acc += tx.w[x * nt + k] * row[tx.idx[x * nt + k]];
            d[x] = acc;
          }
        }
      }
    };
    if (ctx.pool().num_threads() > 1 && out.numel() >= 16384)
      ctx.pool().parallel_for(planes * OH, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, OW)),
                              [&](int64_t b, int64_t e) { work(b, e); });
    else
      work(0, planes * OH);
  }

 private:
  Options o_;
};

Result<std::unique_ptr<Kernel>> create_resize_like(const KernelInit& init, bool upsample) {
  const Attributes& a = init.attrs();
  if (!init.has_input(0)) return init.error(invalid_model("needs the X input"));
  for (const char* n : {"mode", "coordinate_transformation_mode", "nearest_mode", "keep_aspect_ratio_policy"})
    EI_RETURN_IF_ERROR(init.error(a.check_type(n, AttrType::kString)));
  Options o;
  o.upsample = upsample;
  const std::string mode = a.get_string("mode", "nearest");
  const bool v11 = !upsample && init.opset >= 11;
  if (mode == "nearest") o.mode = Mode::kNearest;
  else if (mode == "linear" || (upsample && mode == "bilinear")) o.mode = Mode::kLinear;
  else if (mode == "cubic" && v11) o.mode = Mode::kCubic;
  else return init.error(invalid_model("mode '" + mode + "'"));
  if (!v11) {
    // Resize-10 and Upsample: asymmetric coordinates, no other attributes.
    o.coord = Coord::kAsymmetric;
    o.nearest = NearestMode::kSimple;
    if (upsample && init.opset < 9) {
      EI_RETURN_IF_ERROR(init.error(a.check_type("scales", AttrType::kFloats)));
      if (!a.has("scales")) return init.error(invalid_model("Upsample-7 needs the scales attribute"));
      o.scales_from_attr = true;
      o.scales_attr = a.get_floats("scales");
    } else {
      if (!init.has_input(1)) return init.error(invalid_model("needs the scales input"));
      o.scales_input = 1;
    }
    return std::unique_ptr<Kernel>(new ResizeKernel(std::move(o)));
  }
  const std::string ct = a.get_string("coordinate_transformation_mode", "half_pixel");
  if (ct == "half_pixel") o.coord = Coord::kHalfPixel;
  else if (ct == "half_pixel_symmetric") o.coord = Coord::kHalfPixelSymmetric;
  else if (ct == "pytorch_half_pixel") o.coord = Coord::kPytorchHalfPixel;
  else if (ct == "align_corners") o.coord = Coord::kAlignCorners;
  else if (ct == "asymmetric") o.coord = Coord::kAsymmetric;
  else if (ct == "tf_crop_and_resize") o.coord = Coord::kTfCropAndResize;
  else if (ct == "tf_half_pixel_for_nn" && init.opset < 13) o.coord = Coord::kTfHalfPixelForNn;  // opset 11 only
  else {
    return init.error(invalid_model("coordinate_transformation_mode '" + ct + "'"));
  }
  const std::string nm = a.get_string("nearest_mode", "round_prefer_floor");
  if (nm == "round_prefer_floor") o.nearest = NearestMode::kRoundPreferFloor;
  else if (nm == "round_prefer_ceil") o.nearest = NearestMode::kRoundPreferCeil;
  else if (nm == "floor") o.nearest = NearestMode::kFloor;
  else if (nm == "ceil") o.nearest = NearestMode::kCeil;
  else return init.error(invalid_model("nearest_mode '" + nm + "'"));
  const std::string kp = a.get_string("keep_aspect_ratio_policy", "stretch");
  if (kp == "stretch") o.policy = AspectPolicy::kStretch;
  else if (kp == "not_larger") o.policy = AspectPolicy::kNotLarger;
  else if (kp == "not_smaller") o.policy = AspectPolicy::kNotSmaller;
  else return init.error(invalid_model("keep_aspect_ratio_policy '" + kp + "'"));
  EI_RETURN_IF_ERROR(init.error(a.check_type("cubic_coeff_a", AttrType::kFloat)));
  EI_RETURN_IF_ERROR(init.error(a.check_type("extrapolation_value", AttrType::kFloat)));
  EI_RETURN_IF_ERROR(init.error(a.check_type("axes", AttrType::kInts)));
  o.cubic_a = a.get_float("cubic_coeff_a", -0.75f);
  o.exclude_outside = a.get_int("exclude_outside", 0) != 0;
  o.extrapolation = a.get_float("extrapolation_value", 0.0f);
  o.has_axes = a.has("axes");
  o.axes = a.get_ints("axes");
  if (a.get_int("antialias", 0) != 0 && o.mode != Mode::kNearest)
    return init.error(unsupported("antialias=1 for linear/cubic Resize"));
  o.roi_input = 1;
  o.scales_input = 2;
  o.sizes_input = 3;
  return std::unique_ptr<Kernel>(new ResizeKernel(std::move(o)));
}

Result<std::unique_ptr<Kernel>> create_resize(const KernelInit& init) { return create_resize_like(init, false); }
Result<std::unique_ptr<Kernel>> create_upsample(const KernelInit& init) { return create_resize_like(init, true); }

}  // namespace

extern const OpRegistration kOpResize = {"", "Resize", &create_resize};
extern const OpRegistration kOpUpsample = {"", "Upsample", &create_upsample};

}  // namespace edgeinfer
