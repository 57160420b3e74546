// BatchNormalization (inference), InstanceNormalization, LayerNormalization.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/f32_norm/f32_norm.h"
#include "ops/op.h"

namespace edgeinfer {
namespace {

Status require_f32(const InferContext& ctx, int i, const char* what) {
  if (ctx.input_dtype(i) != DataType::kFloat32)
    return unsupported(std::string(what) + " dtype " + dtype_name(ctx.input_dtype(i)) + " (only float32)");
  return Status::ok();
}

// ---------------------------------------------------------------- BatchNormalization

class BatchNormKernel : public Kernel {
 public:
  BatchNormKernel(float epsilon, bool spatial) : eps_(epsilon), spatial_(spatial) {}

  Status infer(InferContext& ctx) override {
    static const char* kNames[] = {"X", "scale", "B", "input_mean", "input_var"};
    for (int i = 0; i < 5; ++i) {
      if (!ctx.has_input(i)) return invalid_model(std::string("input ") + kNames[i] + " is required");
      EI_RETURN_IF_ERROR(require_f32(ctx, i, kNames[i]));
    }
    const Shape& x = ctx.input_shape(0);
    if (x.size() < 2) return invalid_argument("X must have rank >= 2, got " + shape_to_string(x));
    // Per-channel parameters, or (spatial=0, opset < 9) one per element of [C, D1, ...].
    Shape want = {x[1]};
    if (!spatial_) want.assign(x.begin() + 1, x.end());
    const int64_t want_n = numel(want);
    for (int i = 1; i < 5; ++i) {
      if (numel(ctx.input_shape(i)) != want_n || (spatial_ && ctx.input_rank(i) != 1))
        return invalid_argument(std::string(kNames[i]) + " has shape " + shape_to_string(ctx.input_shape(i)) +
                                ", expected " + shape_to_string(want));
    }
    ctx.set_output(0, DataType::kFloat32, x);
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const float* scale = ctx.input(1).data<float>();
    const float* bias = ctx.input(2).data<float>();
    const float* mean = ctx.input(3).data<float>();
    const float* var = ctx.input(4).data<float>();
    const int64_t n = x.dim(0), c = x.dim(1);
    const int64_t inner = c ? x.numel() / std::max<int64_t>(1, n * c) : 0;
    const float* src = x.data<float>();
    float* dst = ctx.output(0).data<float>();
    const float eps = eps_;
    if (spatial_) {
      ctx.pool().parallel_for(n * c, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, inner)), [&](int64_t b, int64_t e) {
        for (int64_t p = b; p < e; ++p) {
          const int64_t ch = p % c;
          const float a = scale[ch] / std::sqrt(var[ch] + eps);
          kernels::f32_affine(src + p * inner, dst + p * inner, inner, a, bias[ch] - mean[ch] * a);
        }
      });
    } else {
      const int64_t per = c * inner;
      ctx.pool().parallel_for(n, 1, [&](int64_t b, int64_t e) {
        for (int64_t s = b; s < e; ++s)
          for (int64_t i = 0; i < per; ++i) {
            const float a = scale[i] / std::sqrt(var[i] + eps);
            dst[s * per + i] = src[s * per + i] * a + (bias[i] - mean[i] * a);
          }
      });
    }
    return Status::ok();
  }
  OutputAlias output_alias(int i) const override { return i == 0 ? OutputAlias::kInPlace : OutputAlias::kNone; }

 private:
  float eps_;
  bool spatial_;
};

Result<std::unique_ptr<Kernel>> create_batchnorm(const KernelInit& init) {
  const Attributes& a = init.attrs();
  EI_RETURN_IF_ERROR(init.error(a.check_type("epsilon", AttrType::kFloat)));
  EI_RETURN_IF_ERROR(init.error(a.check_type("momentum", AttrType::kFloat)));
  EI_RETURN_IF_ERROR(init.error(a.check_type("spatial", AttrType::kInt)));
  EI_RETURN_IF_ERROR(init.error(a.check_type("training_mode", AttrType::kInt)));
  if (a.get_int("training_mode", 0) != 0) return init.error(unsupported("training_mode=1"));
  if (init.num_outputs > 1) return init.error(unsupported("the optional training outputs (mean, var, saved_mean, saved_var)"));
  bool spatial = true;
  if (init.opset < 9) spatial = a.get_int("spatial", 1) != 0;
  else if (a.has("spatial")) return init.error(invalid_model("attribute 'spatial' was removed in opset 9"));
  return std::unique_ptr<Kernel>(new BatchNormKernel(a.get_float("epsilon", 1e-5f), spatial));
}

// ---------------------------------------------------------------- InstanceNormalization

class InstanceNormKernel : public Kernel {
 public:
  explicit InstanceNormKernel(float eps) : eps_(eps) {}

  Status infer(InferContext& ctx) override {
    for (int i = 0; i < 3; ++i) {
      if (!ctx.has_input(i)) return invalid_model("InstanceNormalization needs 3 inputs");
      EI_RETURN_IF_ERROR(require_f32(ctx, i, i == 0 ? "input" : i == 1 ? "scale" : "B"));
    }
    const Shape& x = ctx.input_shape(0);
    if (x.size() < 3) return invalid_argument("input must have rank >= 3 (N, C, D1, ...), got " + shape_to_string(x));
    for (int i = 1; i < 3; ++i)
      if (ctx.input_shape(i) != Shape{x[1]})
        return invalid_argument(std::string(i == 1 ? "scale" : "B") + " has shape " + shape_to_string(ctx.input_shape(i)) +
                                ", expected [" + std::to_string(x[1]) + "]");
    ctx.set_output(0, DataType::kFloat32, x);
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const float* scale = ctx.input(1).data<float>();
    const float* bias = ctx.input(2).data<float>();
    const int64_t n = x.dim(0), c = x.dim(1);
    if (n * c == 0) return Status::ok();
    const int64_t inner = x.numel() / (n * c);
    const float* src = x.data<float>();
    float* dst = ctx.output(0).data<float>();
    const float eps = eps_;
    ctx.pool().parallel_for(n * c, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, inner)), [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        const int64_t ch = p % c;
        float mean, var;
        kernels::f32_moments(src + p * inner, inner, &mean, &var);
        const float a = scale[ch] / std::sqrt(var + eps);
        kernels::f32_affine(src + p * inner, dst + p * inner, inner, a, bias[ch] - mean * a);
      }
    });
    return Status::ok();
  }

 private:
  float eps_;
};

Result<std::unique_ptr<Kernel>> create_instancenorm(const KernelInit& init) {
  EI_RETURN_IF_ERROR(init.error(init.attrs().check_type("epsilon", AttrType::kFloat)));
  return std::unique_ptr<Kernel>(new InstanceNormKernel(init.attrs().get_float("epsilon", 1e-5f)));
}

// ---------------------------------------------------------------- LayerNormalization

// Expands `t` (unidirectionally broadcastable to `to`) into a dense vector of numel(to) floats.
Result<std::vector<float>> expand_to(const Tensor& t, const Shape& to, const char* what) {
  const int r = static_cast<int>(to.size()), tr = t.rank();
  if (tr > r) return invalid_argument(std::string(what) + " " + shape_to_string(t.shape()) + " has higher rank than the normalized shape " + shape_to_string(to));
  std::vector<int64_t> strides(static_cast<size_t>(r), 0);
  int64_t s = 1;
  for (int i = tr - 1; i >= 0; --i) {
    const int64_t td = t.dim(i), od = to[static_cast<size_t>(r - tr + i)];
    if (td != od && td != 1)
      return invalid_argument(std::string(what) + " " + shape_to_string(t.shape()) + " does not broadcast to " + shape_to_string(to));
    strides[static_cast<size_t>(r - tr + i)] = td == 1 ? 0 : s;
    s *= td;
  }
  const int64_t n = numel(to);
  std::vector<float> out(static_cast<size_t>(n));
  const float* src = t.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    int64_t rem = i, off = 0;
    for (int d = r - 1; d >= 0; --d) {
      off += (rem % to[static_cast<size_t>(d)]) * strides[static_cast<size_t>(d)];
      rem /= to[static_cast<size_t>(d)];
    }
    out[static_cast<size_t>(i)] = src[off];
  }
  return out;
}

Status check_broadcast(const Shape& t, const Shape& to, const char* what) {
  if (t.size() > to.size()) return invalid_argument(std::string(what) + " " + shape_to_string(t) + " has higher rank than the normalized shape " + shape_to_string(to));
  for (size_t i = 0; i < t.size(); ++i) {
    const int64_t td = t[i], od = to[to.size() - t.size() + i];
    if (td != od && td != 1)
      return invalid_argument(std::string(what) + " " + shape_to_string(t) + " does not broadcast to " + shape_to_string(to));
  }
  return Status::ok();
}

class LayerNormKernel : public Kernel {
 public:
  LayerNormKernel(int64_t axis, float eps) : axis_(axis), eps_(eps) {}

  Status infer(InferContext& ctx) override {
    if (!ctx.has_input(1)) return invalid_model("Scale is required");
    EI_RETURN_IF_ERROR(require_f32(ctx, 0, "X"));
    EI_RETURN_IF_ERROR(require_f32(ctx, 1, "Scale"));
    if (ctx.has_input(2)) EI_RETURN_IF_ERROR(require_f32(ctx, 2, "B"));
    const Shape& x = ctx.input_shape(0);
    EI_ASSIGN_OR_RETURN(int axis, normalize_axis(axis_, static_cast<int>(x.size())));
    const Shape norm(x.begin() + axis, x.end());
    EI_RETURN_IF_ERROR(check_broadcast(ctx.input_shape(1), norm, "Scale"));
    if (ctx.has_input(2)) EI_RETURN_IF_ERROR(check_broadcast(ctx.input_shape(2), norm, "B"));
    ctx.set_output(0, DataType::kFloat32, x);
    Shape stat(x.begin(), x.begin() + axis);
    stat.resize(x.size(), 1);
    for (int i = 1; i < 3; ++i)
      if (ctx.has_output(i)) ctx.set_output(i, DataType::kFloat32, stat);
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& x = ctx.input(0);
    EI_ASSIGN_OR_RETURN(int axis, normalize_axis(axis_, x.rank()));
    const Shape norm(x.shape().begin() + axis, x.shape().end());
    const int64_t n = numel(norm);
    const int64_t rows = n ? x.numel() / n : numel(Shape(x.shape().begin(), x.shape().begin() + axis));
    std::vector<float> scale_buf, bias_buf;
    const float* scale = ctx.input(1).data<float>();
    const float* bias = ctx.has_input(2) ? ctx.input(2).data<float>() : nullptr;
    if (ctx.input(1).numel() != n) {
      EI_ASSIGN_OR_RETURN(scale_buf, expand_to(ctx.input(1), norm, "Scale"));
      scale = scale_buf.data();
    }
    if (bias && ctx.input(2).numel() != n) {
      EI_ASSIGN_OR_RETURN(bias_buf, expand_to(ctx.input(2), norm, "B"));
      bias = bias_buf.data();
    }
    const float* src = x.data<float>();
    float* dst = ctx.output(0).data<float>();
    float* mean_out = ctx.has_output(1) ? ctx.output(1).data<float>() : nullptr;
    float* inv_out = ctx.has_output(2) ? ctx.output(2).data<float>() : nullptr;
    const float eps = eps_;
    ctx.pool().parallel_for(rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, n)), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        float mean, var;
        kernels::f32_moments(src + r * n, n, &mean, &var);
        const float inv = 1.0f / std::sqrt(var + eps);
        kernels::f32_normalize(src + r * n, dst + r * n, n, mean, inv, scale, bias);
        if (mean_out) mean_out[r] = mean;
        if (inv_out) inv_out[r] = inv;
      }
    });
    return Status::ok();
  }

 private:
  int64_t axis_;
  float eps_;
};

Result<std::unique_ptr<Kernel>> create_layernorm(const KernelInit& init) {
  const Attributes& a = init.attrs();
  EI_RETURN_IF_ERROR(init.error(a.check_type("axis", AttrType::kInt)));
  EI_RETURN_IF_ERROR(init.error(a.check_type("epsilon", AttrType::kFloat)));
  EI_RETURN_IF_ERROR(init.error(a.check_type("stash_type", AttrType::kInt)));
  const int64_t stash = a.get_int("stash_type", 1);
  if (stash != 1) return init.error(unsupported("stash_type " + std::to_string(stash) + " (only 1, float32)"));
  return std::unique_ptr<Kernel>(new LayerNormKernel(a.get_int("axis", -1), a.get_float("epsilon", 1e-5f)));
}

}  // namespace

extern const OpRegistration kOpBatchNormalization = {"", "BatchNormalization", &create_batchnorm};
extern const OpRegistration kOpInstanceNormalization = {"", "InstanceNormalization", &create_instancenorm};
extern const OpRegistration kOpLayerNormalization = {"", "LayerNormalization", &create_layernorm};

}  // namespace edgeinfer
