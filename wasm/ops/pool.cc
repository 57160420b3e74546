// MaxPool, AveragePool (1-D, 2-D, 3-D), GlobalAveragePool, GlobalMaxPool.
// Output sizes follow ONNX (and onnxruntime): explicit pads with floor or ceil_mode (a last window
// starting in the end padding is dropped), VALID, SAME_UPPER / SAME_LOWER (ceil(in / stride)).
// 2-D float pooling without Indices runs the f32_pool kernel (SIMD interior); everything else
// (1-D, 3-D, int8/uint8 MaxPool, the Indices output) runs the generic loop below.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/f32_pool/f32_pool.h"
#include "kernels/q8_pool/q8_maxpool.h"
#include "kernels/f32_reduce/f32_reduce.h"
#include "ops/op.h"

namespace edgeinfer {
namespace {

struct Geometry {
  int rank = 0;                            // spatial rank
  int64_t planes = 0;                      // N * C
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1};
  int64_t k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1};
  int64_t pb[3] = {0, 0, 0}, pe[3] = {0, 0, 0};
  int off = 3;                             // first used slot in the 3-slot arrays (3 - rank)
};

class PoolKernel : public Kernel {
 public:
  PoolKernel(bool is_max, std::vector<int64_t> kernel, std::vector<int64_t> strides, std::vector<int64_t> dilations,
             std::vector<int64_t> pads, std::string auto_pad, bool ceil_mode, bool count_include_pad,
             int64_t storage_order)
      : is_max_(is_max), kernel_(std::move(kernel)), strides_(std::move(strides)), dilations_(std::move(dilations)),
        pads_(std::move(pads)), auto_pad_(std::move(auto_pad)), ceil_mode_(ceil_mode),
        count_include_pad_(count_include_pad), storage_order_(storage_order) {}

  Status infer(InferContext& ctx) override {
    const DataType dt = ctx.input_dtype(0);
    const bool ok = dt == DataType::kFloat32 || (is_max_ && (dt == DataType::kInt8 || dt == DataType::kUint8));
    if (!ok) return unsupported(std::string("input dtype ") + dtype_name(dt));
    EI_ASSIGN_OR_RETURN(Geometry g, geometry(ctx.input_shape(0)));
    Shape out = {ctx.input_shape(0)[0], ctx.input_shape(0)[1]};
    for (int i = 0; i < g.rank; ++i) out.push_back(g.out[g.off + i]);
    ctx.set_output(0, dt, out);
    if (ctx.num_outputs() > 1 && ctx.has_output(1)) ctx.set_output(1, DataType::kInt64, out);
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& x = ctx.input(0);
    EI_ASSIGN_OR_RETURN(Geometry g, geometry(x.shape()));
    Tensor& y = ctx.output(0);
    int64_t* indices = ctx.has_output(1) ? ctx.output(1).data<int64_t>() : nullptr;
    if (y.numel() == 0) return Status::ok();
    if (x.dtype() == DataType::kFloat32 && g.rank == 2 && !indices) {
      kernels::F32Pool2dParams p{};
      p.in_h = g.in[1]; p.in_w = g.in[2]; p.out_h = g.out[1]; p.out_w = g.out[2];
      p.k_h = g.k[1]; p.k_w = g.k[2]; p.s_h = g.s[1]; p.s_w = g.s[2]; p.d_h = g.d[1]; p.d_w = g.d[2];
      p.pad_t = g.pb[1]; p.pad_l = g.pb[2]; p.pad_b = g.pe[1]; p.pad_r = g.pe[2];
      p.is_max = is_max_;
      p.count_include_pad = count_include_pad_;
      const float* src = x.data<float>();
      float* dst = y.data<float>();
      const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
      ctx.pool().parallel_for(g.planes, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, out_plane * p.k_h * p.k_w)),
                              [&](int64_t b, int64_t e) {
                                for (int64_t c = b; c < e; ++c)
                                  kernels::f32_pool2d(src + c * in_plane, dst + c * out_plane, p);
                              });
      return Status::ok();
    }
    if (is_max_ && g.rank == 2 && !indices) {
      // Quantized (int8/uint8) 2-D MaxPool: max commutes with the monotone quantization, so QDQ models
      // pool on integers; a tight loop without the generic one's bookkeeping.
      if (x.dtype() == DataType::kUint8) return max_pool2d_int(ctx, g, x.data<uint8_t>(), y.data<uint8_t>());
      if (x.dtype() == DataType::kInt8) return max_pool2d_int(ctx, g, x.data<int8_t>(), y.data<int8_t>());
    }
    switch (x.dtype()) {
      case DataType::kFloat32: generic<float>(ctx, g, x.data<float>(), y.data<float>(), indices); break;
      case DataType::kInt8: generic<int8_t>(ctx, g, x.data<int8_t>(), y.data<int8_t>(), indices); break;
      case DataType::kUint8: generic<uint8_t>(ctx, g, x.data<uint8_t>(), y.data<uint8_t>(), indices); break;
      default: return unsupported(std::string("input dtype ") + dtype_name(x.dtype()));
    }
    return Status::ok();
  }

 private:
  Result<Geometry> geometry(const Shape& xs) const {
    Geometry g;
    g.rank = static_cast<int>(kernel_.size());
    g.off = 3 - g.rank;
    if (static_cast<int>(xs.size()) != g.rank + 2)
      return invalid_argument("input rank " + std::to_string(xs.size()) + " does not match kernel_shape of " +
                              std::to_string(g.rank) + " spatial dims (expected rank " + std::to_string(g.rank + 2) + ")");
    g.planes = xs[0] * xs[1];
    for (int i = 0; i < g.rank; ++i) {
      const int j = g.off + i;
      const int64_t in = xs[static_cast<size_t>(i + 2)];
      g.in[j] = in;
      g.k[j] = kernel_[static_cast<size_t>(i)];
      g.s[j] = strides_.empty() ? 1 : strides_[static_cast<size_t>(i)];
      g.d[j] = dilations_.empty() ? 1 : dilations_[static_cast<size_t>(i)];
      const int64_t ek = (g.k[j] - 1) * g.d[j] + 1;
      if (auto_pad_ == "SAME_UPPER" || auto_pad_ == "SAME_LOWER") {
        g.out[j] = (in + g.s[j] - 1) / g.s[j];
        const int64_t total = std::max<int64_t>(0, (g.out[j] - 1) * g.s[j] + ek - in);
        g.pb[j] = auto_pad_ == "SAME_UPPER" ? total / 2 : total - total / 2;
        g.pe[j] = total - g.pb[j];
      } else {
        if (auto_pad_ == "NOTSET" && !pads_.empty()) {
          g.pb[j] = pads_[static_cast<size_t>(i)];
          g.pe[j] = pads_[static_cast<size_t>(i + g.rank)];
        }
        const int64_t num = in + g.pb[j] + g.pe[j] - ek;
        if (num < 0)
          return invalid_argument("input spatial dim " + std::to_string(in) + " (plus pads) is smaller than the kernel extent " +
                                  std::to_string(ek));
        int64_t o = (ceil_mode_ ? (num + g.s[j] - 1) / g.s[j] : num / g.s[j]) + 1;
        if (ceil_mode_ && (o - 1) * g.s[j] >= in + g.pb[j]) --o;
        g.out[j] = o;
      }
    }
    return g;
  }

  template <typename T>
  Status max_pool2d_int(RunContext& ctx, const Geometry& g, const T* src, T* dst) const {
    const int64_t ih = g.in[1], iw = g.in[2], oh = g.out[1], ow = g.out[2];
    const int64_t in_plane = ih * iw, out_plane = oh * ow;
    // 2x2 windows at stride 2 inside the input (no padding reached): the SIMD row kernel.
    const bool k2s2 = g.k[1] == 2 && g.k[2] == 2 && g.s[1] == 2 && g.s[2] == 2 && g.d[1] == 1 && g.d[2] == 1 &&
                      g.pb[1] == 0 && g.pb[2] == 0 && 2 * oh <= ih && 2 * ow <= iw;
    const size_t src_bytes = static_cast<size_t>(g.planes * in_plane);
    ctx.pool().parallel_for(g.planes, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, out_plane * g.k[1] * g.k[2])),
                            [&](int64_t b, int64_t e) {
      if (k2s2 && ih == 2 * oh) {
        // The planes' rows continue one another (input rows 2r, 2r+1 for output row r across planes):
        // one call over all of them.
        q8_maxpool_2x2s2_rows(src + b * in_plane, static_cast<size_t>(iw), src_bytes - static_cast<size_t>(b * in_plane),
                              dst + b * out_plane, static_cast<size_t>((e - b) * oh), static_cast<size_t>(ow),
                              std::is_signed<T>::value);
        return;
      }
      for (int64_t c = b; c < e; ++c) {
        const T* xp = src + c * in_plane;
        T* yp = dst + c * out_plane;
        if (k2s2) {
          q8_maxpool_2x2s2_rows(xp, static_cast<size_t>(iw), src_bytes - static_cast<size_t>(c * in_plane), yp,
                                static_cast<size_t>(oh), static_cast<size_t>(ow), std::is_signed<T>::value);
          continue;
        }
        for (int64_t oy = 0; oy < oh; ++oy) {
          const int64_t y0 = oy * g.s[1] - g.pb[1];
          for (int64_t ox = 0; ox < ow; ++ox) {
            const int64_t x0 = ox * g.s[2] - g.pb[2];
            T best = std::numeric_limits<T>::lowest();
            for (int64_t ky = 0; ky < g.k[1]; ++ky) {
              const int64_t iy = y0 + ky * g.d[1];
              if (iy < 0 || iy >= ih) continue;
              const T* row = xp + iy * iw;
              for (int64_t kx = 0; kx < g.k[2]; ++kx) {
                const int64_t ix = x0 + kx * g.d[2];
                if (ix >= 0 && ix < iw && row[ix] > best) best = row[ix];
              }
            }
            yp[oy * ow + ox] = best;
          }
        }
      }
    });
    return Status::ok();
  }

  template <typename T>
  void generic(RunContext& ctx, const Geometry& g, const T* src, T* dst, int64_t* indices) const {
    const int64_t in_plane = g.in[0] * g.in[1] * g.in[2];
    const int64_t out_plane = g.out[0] * g.out[1] * g.out[2];
    const int r = g.rank;
    // Index of an input position in the Indices output for storage_order 1 (column-major spatial).
    auto col_major = [&](int64_t a, int64_t b, int64_t c) -> int64_t {
      if (r == 1) return c;
      if (r == 2) return b + c * g.in[1];
      return a + b * g.in[0] + c * g.in[0] * g.in[1];
    };
    ctx.pool().parallel_for(g.planes, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, out_plane)), [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        const T* xp = src + c * in_plane;
        T* yp = dst + c * out_plane;
        int64_t* ip = indices ? indices + c * out_plane : nullptr;
        int64_t o = 0;
        for (int64_t o0 = 0; o0 < g.out[0]; ++o0)
          for (int64_t o1 = 0; o1 < g.out[1]; ++o1)
            for (int64_t o2 = 0; o2 < g.out[2]; ++o2, ++o) {
              const int64_t s0 = o0 * g.s[0] - g.pb[0], s1 = o1 * g.s[1] - g.pb[1], s2 = o2 * g.s[2] - g.pb[2];
              double sum = 0;
              T best = std::numeric_limits<T>::lowest();
              if (std::is_floating_point<T>::value) best = -std::numeric_limits<T>::infinity();
              int64_t best_at = -1, count = 0;
              for (int64_t k0 = 0; k0 < g.k[0]; ++k0) {
                const int64_t i0 = s0 + k0 * g.d[0];
                const bool in0 = i0 >= 0 && i0 < g.in[0], pad0 = i0 >= -g.pb[0] && i0 < g.in[0] + g.pe[0];
                for (int64_t k1 = 0; k1 < g.k[1]; ++k1) {
                  const int64_t i1 = s1 + k1 * g.d[1];
                  const bool in1 = in0 && i1 >= 0 && i1 < g.in[1];
                  const bool pad1 = pad0 && i1 >= -g.pb[1] && i1 < g.in[1] + g.pe[1];
                  for (int64_t k2 = 0; k2 < g.k[2]; ++k2) {
                    const int64_t i2 = s2 + k2 * g.d[2];
                    const bool in = in1 && i2 >= 0 && i2 < g.in[2];
                    if (count_include_pad_ ? (pad1 && i2 >= -g.pb[2] && i2 < g.in[2] + g.pe[2]) : in) ++count;
                    if (!in) continue;
                    const int64_t at = (i0 * g.in[1] + i1) * g.in[2] + i2;
                    const T v = xp[at];
                    if (is_max_) {
                      // First maximum wins; a NaN wins and sticks (propagates).
                      if (best_at < 0 || v > best || (v != v && best == best)) {
                        best = v;
                        best_at = storage_order_ ? col_major(i0, i1, i2) : at;
                      }
                    } else {
                      sum += static_cast<double>(v);
                    }
                  }
                }
              }
              if (is_max_) {
                yp[o] = best;
                if (ip) ip[o] = c * in_plane + (best_at < 0 ? 0 : best_at);
              } else {
                yp[o] = static_cast<T>(count > 0 ? sum / static_cast<double>(count) : 0.0);
              }
            }
      }
    });
  }

  bool is_max_;
  std::vector<int64_t> kernel_, strides_, dilations_, pads_;
  std::string auto_pad_;
  bool ceil_mode_, count_include_pad_;
  int64_t storage_order_;
};

Status check_ints(const KernelInit& init, const char* name, const std::vector<int64_t>& v, size_t want, int64_t min) {
  if (v.empty()) return Status::ok();
  if (v.size() != want)
    return init.error(invalid_model(std::string("'") + name + "' has " + std::to_string(v.size()) + " values, expected " +
                                    std::to_string(want)));
  for (int64_t e : v)
    if (e < min) return init.error(invalid_model(std::string("'") + name + "' value " + std::to_string(e) + " is below " +
                                                 std::to_string(min)));
  return Status::ok();
}

template <bool kMax>
Result<std::unique_ptr<Kernel>> create_pool(const KernelInit& init) {
  const Attributes& a = init.attrs();
  for (const char* n : {"kernel_shape", "strides", "dilations", "pads"})
    EI_RETURN_IF_ERROR(init.error(a.check_type(n, AttrType::kInts)));
  for (const char* n : {"ceil_mode", "count_include_pad", "storage_order"})
    EI_RETURN_IF_ERROR(init.error(a.check_type(n, AttrType::kInt)));
  EI_RETURN_IF_ERROR(init.error(a.check_type("auto_pad", AttrType::kString)));
  std::vector<int64_t> kernel = a.get_ints("kernel_shape");
  if (kernel.empty()) return init.error(invalid_model("'kernel_shape' is required"));
  if (kernel.size() > 3) return init.error(unsupported("pooling over " + std::to_string(kernel.size()) + " spatial dims (max 3)"));
  const size_t r = kernel.size();
  std::vector<int64_t> strides = a.get_ints("strides"), dilations = a.get_ints("dilations"), pads = a.get_ints("pads");
  EI_RETURN_IF_ERROR(check_ints(init, "kernel_shape", kernel, r, 1));
  EI_RETURN_IF_ERROR(check_ints(init, "strides", strides, r, 1));
  EI_RETURN_IF_ERROR(check_ints(init, "dilations", dilations, r, 1));
  EI_RETURN_IF_ERROR(check_ints(init, "pads", pads, 2 * r, 0));
  const std::string auto_pad = a.get_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER")
    return init.error(invalid_model("auto_pad '" + auto_pad + "'"));
  if (auto_pad == "NOTSET") {
    for (size_t i = 0; i < pads.size(); ++i) {
      const int64_t ek = (kernel[i % r] - 1) * (dilations.empty() ? 1 : dilations[i % r]) + 1;
      if (pads[i] >= ek) return init.error(invalid_model("pad " + std::to_string(pads[i]) + " must be smaller than the kernel extent " + std::to_string(ek)));
    }
  }
  const int64_t storage_order = a.get_int("storage_order", 0);
  if (storage_order != 0 && storage_order != 1) return init.error(invalid_model("storage_order must be 0 or 1"));
  if (!kMax && init.num_outputs > 1) return init.error(invalid_model("AveragePool has one output"));
  if (kMax && init.num_outputs > 1 && r > 3) return init.error(unsupported("Indices"));
  const bool ceil_mode = a.get_int("ceil_mode", 0) != 0;
  const bool cip = a.get_int("count_include_pad", 0) != 0;
  return std::unique_ptr<Kernel>(new PoolKernel(kMax, kernel, strides, dilations, pads, auto_pad, ceil_mode, cip, storage_order));
}

class GlobalPoolKernel : public Kernel {
 public:
  explicit GlobalPoolKernel(bool is_max) : is_max_(is_max) {}

  Status infer(InferContext& ctx) override {
    if (ctx.input_dtype(0) != DataType::kFloat32)
      return unsupported(std::string("input dtype ") + dtype_name(ctx.input_dtype(0)));
    const Shape& in = ctx.input_shape(0);
    if (in.size() < 2) return invalid_argument("input must have rank >= 2 (N, C, ...), got " + shape_to_string(in));
    Shape out = in;
    for (size_t i = 2; i < out.size(); ++i) out[i] = 1;
    ctx.set_output(0, DataType::kFloat32, out);
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    const int64_t planes = x.dim(0) * x.dim(1);
    const int64_t n = planes ? x.numel() / planes : 0;
    if (planes == 0) return Status::ok();
    if (n == 0) {  // empty spatial extent: mean is NaN, max -inf (identities of the reductions)
      for (int64_t i = 0; i < planes; ++i) y.data<float>()[i] = is_max_ ? -INFINITY : NAN;
      return Status::ok();
    }
    const float* src = x.data<float>();
    float* dst = y.data<float>();
    const bool is_max = is_max_;
    ctx.pool().parallel_for(planes, std::max<int64_t>(1, 16384 / n), [&](int64_t b, int64_t e) {
      kernels::f32_reduce_rows(src + b * n, dst + b, e - b, n, is_max ? kernels::F32ReduceOp::kMax : kernels::F32ReduceOp::kSum);
      if (!is_max)
        for (int64_t i = b; i < e; ++i) dst[i] /= static_cast<float>(n);
    });
    return Status::ok();
  }

 private:
  bool is_max_;
};

Result<std::unique_ptr<Kernel>> create_global_avg(const KernelInit&) {
  return std::unique_ptr<Kernel>(new GlobalPoolKernel(false));
}
Result<std::unique_ptr<Kernel>> create_global_max(const KernelInit&) {
  return std::unique_ptr<Kernel>(new GlobalPoolKernel(true));
}

}  // namespace

extern const OpRegistration kOpMaxPool = {"", "MaxPool", &create_pool<true>};
extern const OpRegistration kOpAveragePool = {"", "AveragePool", &create_pool<false>};
extern const OpRegistration kOpGlobalAveragePool = {"", "GlobalAveragePool", &create_global_avg};
extern const OpRegistration kOpGlobalMaxPool = {"", "GlobalMaxPool", &create_global_max};

}  // namespace edgeinfer
