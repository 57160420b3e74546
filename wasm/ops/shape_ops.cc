// Shape and data-movement ops that never reorder elements (Reshape, Flatten, Squeeze, Unsqueeze,
// Identity, Dropout in inference), the shape queries (Shape, Size), and the broadcasting copies
// (Expand, Tile).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/transpose/strided_copy.h"
#include "ops/op.h"

namespace edgeinfer {

namespace {



// Output bytes equal input bytes: copy unless the runtime already aliased them.
void copy_same_bytes(const Tensor& in, Tensor& out) {
  if (out.raw() != in.raw() && in.nbytes()) std::memcpy(out.raw(), in.raw(), in.nbytes());
}

Status check_inputs(const KernelInit& init, int required, const char* op) {
  for (int i = 0; i < required; ++i)
    if (!init.has_input(i))
      return init.error(invalid_model(std::string(op) + " needs input " + std::to_string(i)));
  return Status::ok();
}

// Normalises axes against `rank`, rejecting duplicates.
Result<std::vector<int>> normalize_axes(const std::vector<int64_t>& axes, int rank) {
  std::vector<int> out;
  for (int64_t a : axes) {
    EI_ASSIGN_OR_RETURN(int ax, normalize_axis(a, rank));
    if (rank == 0) return invalid_model("axis " + std::to_string(a) + " is out of range for rank 0");
    if (std::find(out.begin(), out.end(), ax) != out.end())
      return invalid_model("axis " + std::to_string(a) + " is repeated");
    out.push_back(ax);
  }
  return out;
}

// ---------------------------------------------------------------- Reshape

class ReshapeKernel : public Kernel {
 public:
  explicit ReshapeKernel(bool allowzero) : allowzero_(allowzero) {}
  Status infer(InferContext& ctx) override {
    EI_RETURN_IF_ERROR(check_copyable(ctx.input_dtype(0)));
    const Tensor* st = ctx.input_value(1);
    if (!st) return ctx.deferred(1);
    EI_ASSIGN_OR_RETURN(std::vector<int64_t> req, int_list(*st, "Reshape shape"));
    const Shape& in = ctx.input_shape(0);
    Shape out(req.size());
    int infer_at = -1;
    bool has_zero = false;
    for (size_t i = 0; i < req.size(); ++i) {
      const int64_t v = req[i];
      if (v == -1) {
        if (infer_at >= 0) return invalid_argument("shape " + shape_to_string(req) + " has more than one -1");
        infer_at = static_cast<int>(i);
        out[i] = 1;
      } else if (v == 0 && !allowzero_) {
        if (i >= in.size())
          return invalid_argument("shape " + shape_to_string(req) + ": 0 at position " + std::to_string(i) +
                                  " copies a dim that input " + shape_to_string(in) + " does not have");
        out[i] = in[i];
      } else if (v < 0) {
        return invalid_argument("shape " + shape_to_string(req) + " has a negative dim");
      } else {
        if (v == 0) has_zero = true;
        out[i] = v;
      }
    }
    if (allowzero_ && has_zero && infer_at >= 0)
      return invalid_argument("shape " + shape_to_string(req) + " has both 0 and -1 with allowzero=1");
    EI_ASSIGN_OR_RETURN(int64_t n_in, checked_numel(in));
    if (infer_at >= 0) {
      EI_ASSIGN_OR_RETURN(int64_t known, checked_numel(out));
      if (known == 0 || n_in % known != 0)
        return invalid_argument("cannot reshape " + shape_to_string(in) + " into " + shape_to_string(req));
      out[static_cast<size_t>(infer_at)] = n_in / known;
    }
    EI_ASSIGN_OR_RETURN(int64_t n_out, checked_numel(out));
    if (n_out != n_in)
      return invalid_argument("cannot reshape " + shape_to_string(in) + " (" + std::to_string(n_in) +
                              " elements) into " + shape_to_string(out));
    ctx.set_output(0, ctx.input_dtype(0), out);
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    copy_same_bytes(ctx.input(0), ctx.output(0));
    return Status::ok();
  }
  OutputAlias output_alias(int i) const override { return i == 0 ? OutputAlias::kView : OutputAlias::kNone; }

 private:
  bool allowzero_;
};

Result<std::unique_ptr<Kernel>> create_reshape(const KernelInit& init) {
  EI_RETURN_IF_ERROR(check_inputs(init, 2, "Reshape"));
  const int64_t allowzero = init.attrs().get_int("allowzero", 0);
  if (allowzero != 0 && allowzero != 1) return init.error(invalid_model("allowzero must be 0 or 1"));
  return std::unique_ptr<Kernel>(new ReshapeKernel(allowzero == 1));
}

// ---------------------------------------------------------------- Flatten

class FlattenKernel : public Kernel {
 public:
  explicit FlattenKernel(int64_t axis) : axis_(axis) {}
  Status infer(InferContext& ctx) override {
    EI_RETURN_IF_ERROR(check_copyable(ctx.input_dtype(0)));
    const Shape& in = ctx.input_shape(0);
    const int64_t r = static_cast<int64_t>(in.size());
    if (axis_ < -r || axis_ > r)
      return invalid_model("axis " + std::to_string(axis_) + " is out of range [-" + std::to_string(r) + ", " +
                           std::to_string(r) + "]");
    const int64_t a = axis_ < 0 ? axis_ + r : axis_;
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < r; ++i) (i < a ? outer : inner) *= in[static_cast<size_t>(i)];
    ctx.set_output(0, ctx.input_dtype(0), {outer, inner});
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    copy_same_bytes(ctx.input(0), ctx.output(0));
    return Status::ok();
  }
  OutputAlias output_alias(int i) const override { return i == 0 ? OutputAlias::kView : OutputAlias::kNone; }

 private:
  int64_t axis_;
};

Result<std::unique_ptr<Kernel>> create_flatten(const KernelInit& init) {
  EI_RETURN_IF_ERROR(check_inputs(init, 1, "Flatten"));
  return std::unique_ptr<Kernel>(new FlattenKernel(init.attrs().get_int("axis", 1)));
}

// ---------------------------------------------------------------- Squeeze / Unsqueeze

class SqueezeKernel : public Kernel {
 public:
  SqueezeKernel(bool unsqueeze, bool axes_from_input, bool has_axes, std::vector<int64_t> axes)
      : unsqueeze_(unsqueeze), axes_from_input_(axes_from_input), has_axes_(has_axes), axes_(std::move(axes)) {}

  Status infer(InferContext& ctx) override {
    EI_RETURN_IF_ERROR(check_copyable(ctx.input_dtype(0)));
    std::vector<int64_t> axes = axes_;
    bool has_axes = has_axes_;
    if (axes_from_input_ && ctx.has_input(1)) {
      const Tensor* t = ctx.input_value(1);
      if (!t) return ctx.deferred(1);
      EI_ASSIGN_OR_RETURN(axes, int_list(*t, "axes"));
      has_axes = true;
    }
    const Shape& in = ctx.input_shape(0);
    const int r = static_cast<int>(in.size());
    Shape out;
    if (unsqueeze_) {
      if (!has_axes) return invalid_model("Unsqueeze needs axes");
      const int out_rank = r + static_cast<int>(axes.size());
      EI_ASSIGN_OR_RETURN(std::vector<int> ax, normalize_axes(axes, out_rank));
      std::vector<bool> is_new(static_cast<size_t>(out_rank), false);
      for (int a : ax) is_new[a] = true;
      size_t src = 0;
      for (int i = 0; i < out_rank; ++i) out.push_back(is_new[i] ? 1 : in[src++]);
    } else if (!has_axes || axes.empty()) {
      for (int64_t d : in)
        if (d != 1) out.push_back(d);
    } else {
      EI_ASSIGN_OR_RETURN(std::vector<int> ax, normalize_axes(axes, r));
      std::vector<bool> drop(static_cast<size_t>(r), false);
      for (int a : ax) {
        if (in[a] != 1)
          return invalid_argument("cannot squeeze axis " + std::to_string(a) + " of size " + std::to_string(in[a]) +
                                  " (shape " + shape_to_string(in) + ")");
        drop[a] = true;
      }
      for (int i = 0; i < r; ++i)
        if (!drop[i]) out.push_back(in[i]);
    }
    ctx.set_output(0, ctx.input_dtype(0), out);
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    copy_same_bytes(ctx.input(0), ctx.output(0));
    return Status::ok();
  }
  OutputAlias output_alias(int i) const override { return i == 0 ? OutputAlias::kView : OutputAlias::kNone; }

 private:
  bool unsqueeze_, axes_from_input_, has_axes_;
  std::vector<int64_t> axes_;
};

Result<std::unique_ptr<Kernel>> create_squeeze_like(const KernelInit& init, bool unsqueeze) {
  const char* op = unsqueeze ? "Unsqueeze" : "Squeeze";
  EI_RETURN_IF_ERROR(check_inputs(init, 1, op));
  const bool from_input = init.opset >= 13;
  if (from_input) {
    if (init.attrs().has("axes"))
      return init.error(invalid_model(std::string(op) + "-13 takes axes as an input, not an attribute"));
    if (unsqueeze && !init.has_input(1)) return init.error(invalid_model("Unsqueeze-13 needs the axes input"));
    return std::unique_ptr<Kernel>(new SqueezeKernel(unsqueeze, true, false, {}));
  }
  EI_RETURN_IF_ERROR(init.error(init.attrs().check_type("axes", AttrType::kInts)));
  const bool has = init.attrs().has("axes");
  if (unsqueeze && !has) return init.error(invalid_model("Unsqueeze needs the axes attribute"));
  return std::unique_ptr<Kernel>(new SqueezeKernel(unsqueeze, false, has, init.attrs().get_ints("axes")));
}
Result<std::unique_ptr<Kernel>> create_squeeze(const KernelInit& init) { return create_squeeze_like(init, false); }
Result<std::unique_ptr<Kernel>> create_unsqueeze(const KernelInit& init) { return create_squeeze_like(init, true); }

// ---------------------------------------------------------------- Shape / Size

class ShapeKernel : public Kernel {
 public:
  ShapeKernel(int64_t start, bool has_end, int64_t end) : start_(start), has_end_(has_end), end_(end) {}
  void range(int64_t r, int64_t* b, int64_t* e) const {
    int64_t s = start_ < 0 ? start_ + r : start_;
    int64_t t = has_end_ ? (end_ < 0 ? end_ + r : end_) : r;
    s = std::min(std::max<int64_t>(s, 0), r);
    t = std::min(std::max<int64_t>(t, 0), r);
    *b = s;
    *e = std::max(s, t);
  }
  Status infer(InferContext& ctx) override {
    int64_t b, e;
    range(ctx.input_rank(0), &b, &e);
    ctx.set_output(0, DataType::kInt64, {e - b});
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    const Shape& in = ctx.input(0).shape();
    int64_t b, e;
    range(static_cast<int64_t>(in.size()), &b, &e);
    int64_t* out = ctx.output(0).data<int64_t>();
    for (int64_t i = b; i < e; ++i) out[i - b] = in[static_cast<size_t>(i)];
    return Status::ok();
  }

 private:
  int64_t start_;
  bool has_end_;
  int64_t end_;
};

Result<std::unique_ptr<Kernel>> create_shape(const KernelInit& init) {
  EI_RETURN_IF_ERROR(check_inputs(init, 1, "Shape"));
  const Attributes& a = init.attrs();
  return std::unique_ptr<Kernel>(new ShapeKernel(a.get_int("start", 0), a.has("end"), a.get_int("end", 0)));
}

class SizeKernel : public Kernel {
 public:
  Status infer(InferContext& ctx) override {
    ctx.set_output(0, DataType::kInt64, {});
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    ctx.output(0).data<int64_t>()[0] = ctx.input(0).numel();
    return Status::ok();
  }
};

Result<std::unique_ptr<Kernel>> create_size(const KernelInit& init) {
  EI_RETURN_IF_ERROR(check_inputs(init, 1, "Size"));
  return std::unique_ptr<Kernel>(new SizeKernel());
}

// ---------------------------------------------------------------- Identity / Dropout

class IdentityKernel : public Kernel {
 public:
  Status infer(InferContext& ctx) override {
    EI_RETURN_IF_ERROR(check_copyable(ctx.input_dtype(0)));
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    copy_same_bytes(ctx.input(0), ctx.output(0));
    return Status::ok();
  }
  OutputAlias output_alias(int i) const override { return i == 0 ? OutputAlias::kView : OutputAlias::kNone; }
};

Result<std::unique_ptr<Kernel>> create_identity(const KernelInit& init) {
  EI_RETURN_IF_ERROR(check_inputs(init, 1, "Identity"));
  return std::unique_ptr<Kernel>(new IdentityKernel());
}

// Inference only: output = input, mask = all true. Training mode would need the random mask.
class DropoutKernel : public Kernel {
 public:
  explicit DropoutKernel(bool mask_is_bool) : mask_is_bool_(mask_is_bool) {}
  Status infer(InferContext& ctx) override {
    EI_RETURN_IF_ERROR(check_copyable(ctx.input_dtype(0)));
    if (const Tensor* tm = ctx.input_value(2)) EI_RETURN_IF_ERROR(check_training(*tm));
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    if (ctx.has_output(1) && ctx.num_outputs() > 1)
      ctx.set_output(1, mask_is_bool_ ? DataType::kBool : ctx.input_dtype(0), ctx.input_shape(0));
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    if (ctx.has_input(2)) EI_RETURN_IF_ERROR(check_training(ctx.input(2)));
    copy_same_bytes(ctx.input(0), ctx.output(0));
    if (ctx.has_output(1)) {
      Tensor& m = ctx.output(1);
      const int64_t n = m.numel();
      switch (m.dtype()) {
        case DataType::kBool: std::fill(m.data<bool>(), m.data<bool>() + n, true); break;
        case DataType::kFloat32: std::fill(m.data<float>(), m.data<float>() + n, 1.0f); break;
        case DataType::kFloat64: std::fill(m.data<double>(), m.data<double>() + n, 1.0); break;
        default: return unsupported(std::string("Dropout mask of dtype ") + dtype_name(m.dtype()));
      }
    }
    return Status::ok();
  }

 private:
  static Status check_training(const Tensor& t) {
    if (t.numel() != 1 || t.dtype() != DataType::kBool) return invalid_model("training_mode must be a bool scalar");
    if (get_int(t, 0) != 0) return unsupported("Dropout with training_mode=true");
    return Status::ok();
  }
  bool mask_is_bool_;
};

Result<std::unique_ptr<Kernel>> create_dropout(const KernelInit& init) {
  EI_RETURN_IF_ERROR(check_inputs(init, 1, "Dropout"));
  if (const Tensor* tm = init.constant_input(2)) {
    if (tm->numel() == 1 && get_int(*tm, 0) != 0)
      return init.error(unsupported("Dropout with training_mode=true"));
  }
  // ratio (attribute before 12, input after) and seed only matter in training mode.
  return std::unique_ptr<Kernel>(new DropoutKernel(init.opset >= 10));
}

// ---------------------------------------------------------------- Expand / Tile

// Source strides (elements) of `in` broadcast to `out` (right-aligned; 0 on broadcast dims).
std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<int64_t> st(out.size(), 0);
  int64_t s = 1;
  for (size_t k = 0; k < in.size(); ++k) {
    const size_t i = in.size() - 1 - k, o = out.size() - 1 - k;
    st[o] = in[i] == 1 ? 0 : s;
    s *= in[i];
  }
  return st;
}

class ExpandKernel : public Kernel {
 public:
  Status infer(InferContext& ctx) override {
    EI_RETURN_IF_ERROR(check_copyable(ctx.input_dtype(0)));
    const Tensor* t = ctx.input_value(1);
    if (!t) return ctx.deferred(1);
    EI_ASSIGN_OR_RETURN(std::vector<int64_t> shape, int_list(*t, "Expand shape"));
    for (int64_t d : shape)
      if (d < 0) return invalid_argument("Expand shape " + shape_to_string(shape) + " has a negative dim");
    EI_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(ctx.input_shape(0), shape));
    EI_RETURN_IF_ERROR(checked_numel(out).status());
    ctx.set_output(0, ctx.input_dtype(0), out);
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    const Tensor& in = ctx.input(0);
    Tensor& out = ctx.output(0);
    strided_copy(in.raw(), out.raw(), out.shape(), broadcast_strides(in.shape(), out.shape()),
                 dtype_size(in.dtype()), &ctx.pool());
    return Status::ok();
  }
};

Result<std::unique_ptr<Kernel>> create_expand(const KernelInit& init) {
  EI_RETURN_IF_ERROR(check_inputs(init, 2, "Expand"));
  return std::unique_ptr<Kernel>(new ExpandKernel());
}

class TileKernel : public Kernel {
 public:
  Status infer(InferContext& ctx) override {
    EI_RETURN_IF_ERROR(check_copyable(ctx.input_dtype(0)));
    const Tensor* t = ctx.input_value(1);
    if (!t) return ctx.deferred(1);
    EI_ASSIGN_OR_RETURN(std::vector<int64_t> rep, int_list(*t, "Tile repeats"));
    const Shape& in = ctx.input_shape(0);
    if (rep.size() != in.size())
      return invalid_argument("Tile repeats has " + std::to_string(rep.size()) + " values for an input of rank " +
                              std::to_string(in.size()));
    Shape out(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
      if (rep[i] < 0) return invalid_argument("Tile repeats " + shape_to_string(rep) + " has a negative value");
      if (in[i] != 0 && rep[i] > kMaxTensorElements / in[i])
        return resource_exhausted("Tile output is too large");
      out[i] = in[i] * rep[i];
    }
    EI_RETURN_IF_ERROR(checked_numel(out).status());
    ctx.set_output(0, ctx.input_dtype(0), out);
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    // View the output as [r0, d0, r1, d1, ...] with the input broadcast over every r_k.
    const Tensor& in = ctx.input(0);
    Tensor& out = ctx.output(0);
    const Shape& is = in.shape();
    Shape view;
    std::vector<int64_t> st;
    int64_t s = in.numel();
    for (size_t i = 0; i < is.size(); ++i) {
      s = is[i] ? s / is[i] : 0;
      view.push_back(is[i] ? out.shape()[i] / is[i] : 0);
      st.push_back(0);
      view.push_back(is[i]);
      st.push_back(s);
    }
    if (out.numel() == 0) return Status::ok();
    strided_copy(in.raw(), out.raw(), view, st, dtype_size(in.dtype()), &ctx.pool());
    return Status::ok();
  }
};

Result<std::unique_ptr<Kernel>> create_tile(const KernelInit& init) {
  EI_RETURN_IF_ERROR(check_inputs(init, 2, "Tile"));
  return std::unique_ptr<Kernel>(new TileKernel());
}

}  // namespace

extern const OpRegistration kOpReshape = {"", "Reshape", &create_reshape};
extern const OpRegistration kOpFlatten = {"", "Flatten", &create_flatten};
extern const OpRegistration kOpSqueeze = {"", "Squeeze", &create_squeeze};
extern const OpRegistration kOpUnsqueeze = {"", "Unsqueeze", &create_unsqueeze};
extern const OpRegistration kOpShape = {"", "Shape", &create_shape};
extern const OpRegistration kOpSize = {"", "Size", &create_size};
extern const OpRegistration kOpIdentity = {"", "Identity", &create_identity};
extern const OpRegistration kOpDropout = {"", "Dropout", &create_dropout};
extern const OpRegistration kOpExpand = {"", "Expand", &create_expand};
extern const OpRegistration kOpTile = {"", "Tile", &create_tile};

}  // namespace edgeinfer
