// Slice (attributes before opset 10, inputs after), Gather and GatherElements.
#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/transpose/strided_copy.h"
#include "ops/op.h"

namespace edgeinfer {

namespace {



// ---------------------------------------------------------------- Slice

struct SlicePlan {
  Shape out;
  std::vector<int64_t> start;  // per input dim
  std::vector<int64_t> step;   // per input dim
};

// ONNX Slice clamping: starts/ends are adjusted by the dim when negative, then clamped to [0, dim]
// for positive steps and to [0, dim-1] / [-1, dim-1] for negative steps.
Result<SlicePlan> plan_slice(const Shape& in, const std::vector<int64_t>& starts, const std::vector<int64_t>& ends,
                             const std::vector<int64_t>* axes_in, const std::vector<int64_t>* steps_in) {
  const int r = static_cast<int>(in.size());
  if (starts.size() != ends.size())
    return invalid_argument("starts has " + std::to_string(starts.size()) + " values but ends has " +
                            std::to_string(ends.size()));
  std::vector<int64_t> axes;
  if (axes_in) {
    axes = *axes_in;
    if (axes.size() != starts.size())
      return invalid_argument("axes has " + std::to_string(axes.size()) + " values but starts has " +
                              std::to_string(starts.size()));
  } else {
    if (static_cast<int>(starts.size()) > r)
      return invalid_argument("starts has " + std::to_string(starts.size()) + " values for an input of rank " +
                              std::to_string(r));
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (steps_in && steps_in->size() != starts.size())
    return invalid_argument("steps has " + std::to_string(steps_in->size()) + " values but starts has " +
                            std::to_string(starts.size()));
  SlicePlan p;
  p.out = in;
  p.start.assign(static_cast<size_t>(r), 0);
  p.step.assign(static_cast<size_t>(r), 1);
  std::vector<bool> seen(static_cast<size_t>(r), false);
  for (size_t i = 0; i < axes.size(); ++i) {
    if (r == 0) return invalid_argument("cannot slice a rank-0 tensor");
    EI_ASSIGN_OR_RETURN(int a, normalize_axis(axes[i], r));
    if (seen[a]) return invalid_argument("axis " + std::to_string(axes[i]) + " is repeated");
    seen[a] = true;
    const int64_t step = steps_in ? (*steps_in)[i] : 1;
    if (step == 0) return invalid_argument("step 0 on axis " + std::to_string(axes[i]));
    const int64_t dim = in[a];
    int64_t s = starts[i], e = ends[i];
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    int64_t count;
    if (dim == 0) {
      s = 0;
      count = 0;
    } else if (step > 0) {
      s = std::min(std::max<int64_t>(s, 0), dim);
      e = std::min(std::max<int64_t>(e, 0), dim);
      count = e > s ? (e - s - 1) / step + 1 : 0;
    } else {
      s = std::min(std::max<int64_t>(s, 0), dim - 1);
      e = std::min(std::max<int64_t>(e, -1), dim - 1);
      const uint64_t mag = step == std::numeric_limits<int64_t>::min() ? uint64_t{1} << 63 : static_cast<uint64_t>(-step);
      count = s > e ? static_cast<int64_t>(static_cast<uint64_t>(s - e - 1) / mag) + 1 : 0;
    }
    p.out[a] = count;
    p.start[a] = count > 0 ? s : 0;
    p.step[a] = step;
  }
  return p;
}

class SliceKernel : public Kernel {
 public:
  // opset < 10: the lists come from attributes.
  SliceKernel(bool from_inputs, std::vector<int64_t> starts, std::vector<int64_t> ends, bool has_axes,
              std::vector<int64_t> axes)
      : from_inputs_(from_inputs), starts_(std::move(starts)), ends_(std::move(ends)), has_axes_(has_axes),
        axes_(std::move(axes)) {}

  template <typename Ctx, typename Get>
  Result<SlicePlan> plan(const Shape& in, Get get) {
    if (!from_inputs_) return plan_slice(in, starts_, ends_, has_axes_ ? &axes_ : nullptr, nullptr);
    std::vector<int64_t> lists[4];
    bool present[4] = {false, false, false, false};
    static const char* kNames[4] = {"starts", "ends", "axes", "steps"};
    for (int i = 0; i < 4; ++i) {
      const Tensor* t = get(i + 1);
      if (!t) continue;
      EI_ASSIGN_OR_RETURN(lists[i], int_list(*t, kNames[i]));
      present[i] = true;
    }
    return plan_slice(in, lists[0], lists[1], present[2] ? &lists[2] : nullptr, present[3] ? &lists[3] : nullptr);
  }

  Status infer(InferContext& ctx) override {
    EI_RETURN_IF_ERROR(check_copyable(ctx.input_dtype(0)));
    if (from_inputs_)
      for (int i = 1; i <= 4; ++i)
        if (ctx.has_input(i) && !ctx.input_value(i)) return ctx.deferred(i);
    EI_ASSIGN_OR_RETURN(SlicePlan p, plan<InferContext>(ctx.input_shape(0), [&](int i) { return ctx.input_value(i); }));
    ctx.set_output(0, ctx.input_dtype(0), p.out);
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    const Tensor& in = ctx.input(0);
    EI_ASSIGN_OR_RETURN(SlicePlan p, plan<RunContext>(in.shape(), [&](int i) -> const Tensor* {
      return ctx.has_input(i) ? &ctx.input(i) : nullptr;
    }));
    Tensor& out = ctx.output(0);
    if (out.shape() != p.out) return internal_error("Slice output shape changed between infer and run");
    if (out.numel() == 0) return Status::ok();
    const int r = in.rank();
    std::vector<int64_t> stride(static_cast<size_t>(r));
    int64_t s = 1, base = 0;
    for (int k = r - 1; k >= 0; --k) {
      stride[k] = s * p.step[k];
      base += p.start[k] * s;
      s *= in.dim(k);
    }
    const size_t es = dtype_size(in.dtype());
    strided_copy(static_cast<const uint8_t*>(in.raw()) + base * static_cast<int64_t>(es), out.raw(), p.out, stride,
                 es, &ctx.pool());
    return Status::ok();
  }

 private:
  bool from_inputs_;
  std::vector<int64_t> starts_, ends_;
  bool has_axes_;
  std::vector<int64_t> axes_;
};

Result<std::unique_ptr<Kernel>> create_slice(const KernelInit& init) {
  if (!init.has_input(0)) return init.error(invalid_model("Slice needs input 0"));
  if (init.opset >= 10) {
    if (!init.has_input(1) || !init.has_input(2)) return init.error(invalid_model("Slice-10 needs starts and ends inputs"));
    return std::unique_ptr<Kernel>(new SliceKernel(true, {}, {}, false, {}));
  }
  const Attributes& a = init.attrs();
  for (const char* n : {"starts", "ends", "axes"}) EI_RETURN_IF_ERROR(init.error(a.check_type(n, AttrType::kInts)));
  if (!a.has("starts") || !a.has("ends")) return init.error(invalid_model("Slice needs starts and ends attributes"));
  return std::unique_ptr<Kernel>(
      new SliceKernel(false, a.get_ints("starts"), a.get_ints("ends"), a.has("axes"), a.get_ints("axes")));
}

// ---------------------------------------------------------------- Gather

Status check_indices_dtype(DataType dt) {
  if (dt != DataType::kInt64 && dt != DataType::kInt32)
    return invalid_model(std::string("indices must be int32 or int64, got ") + dtype_name(dt));
  return Status::ok();
}

// Reads index i, validates it against [-dim, dim) and returns it non-negative.
Result<int64_t> read_index(const Tensor& idx, int64_t i, int64_t dim) {
  int64_t v = idx.dtype() == DataType::kInt64 ? idx.data<int64_t>()[i] : idx.data<int32_t>()[i];
  if (v < -dim || v >= dim)
    return invalid_argument("index " + std::to_string(v) + " is out of range for a dim of size " + std::to_string(dim));
  return v < 0 ? v + dim : v;
}

class GatherKernel : public Kernel {
 public:
  explicit GatherKernel(int64_t axis) : axis_(axis) {}
  Status infer(InferContext& ctx) override {
    EI_RETURN_IF_ERROR(check_copyable(ctx.input_dtype(0)));
    EI_RETURN_IF_ERROR(check_indices_dtype(ctx.input_dtype(1)));
    const Shape& d = ctx.input_shape(0);
    if (d.empty()) return invalid_model("Gather data must have rank >= 1");
    EI_ASSIGN_OR_RETURN(int a, normalize_axis(axis_, static_cast<int>(d.size())));
    Shape out(d.begin(), d.begin() + a);
    for (int64_t x : ctx.input_shape(1)) out.push_back(x);
    for (size_t k = static_cast<size_t>(a) + 1; k < d.size(); ++k) out.push_back(d[k]);
    ctx.set_output(0, ctx.input_dtype(0), out);
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    const Tensor& data = ctx.input(0);
    const Tensor& idx = ctx.input(1);
    Tensor& out = ctx.output(0);
    EI_ASSIGN_OR_RETURN(int a, normalize_axis(axis_, data.rank()));
    const int64_t dim = data.dim(a);
    int64_t outer = 1, inner = 1;
    for (int k = 0; k < a; ++k) outer *= data.dim(k);
    for (int k = a + 1; k < data.rank(); ++k) inner *= data.dim(k);
    const int64_t n_idx = idx.numel();
    std::vector<int64_t> pos(static_cast<size_t>(n_idx));
    for (int64_t j = 0; j < n_idx; ++j) { EI_ASSIGN_OR_RETURN(pos[j], read_index(idx, j, dim)); }
    const size_t es = dtype_size(data.dtype());
    const int64_t block = inner * static_cast<int64_t>(es);
    const auto* src = static_cast<const uint8_t*>(data.raw());
    auto* dst = static_cast<uint8_t*>(out.raw());
    auto work = [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        const uint8_t* s = src + o * dim * block;
        uint8_t* d = dst + o * n_idx * block;
        if (block == 4) {
          for (int64_t j = 0; j < n_idx; ++j) std::memcpy(d + j * 4, s + pos[j] * 4, 4);
        } else if (block == 8) {
          for (int64_t j = 0; j < n_idx; ++j) std::memcpy(d + j * 8, s + pos[j] * 8, 8);
        } else {
          for (int64_t j = 0; j < n_idx; ++j) std::memcpy(d + j * block, s + pos[j] * block, static_cast<size_t>(block));
        }
      }
    };
    if (ctx.pool().num_threads() > 1 && outer > 1 && out.nbytes() >= 128 * 1024)
      ctx.pool().parallel_for(outer, 1, [&](int64_t b, int64_t e) { work(b, e); });
    else
      work(0, outer);
    return Status::ok();
  }

 private:
  int64_t axis_;
};

Result<std::unique_ptr<Kernel>> create_gather(const KernelInit& init) {
  if (!init.has_input(0) || !init.has_input(1)) return init.error(invalid_model("Gather needs data and indices"));
  return std::unique_ptr<Kernel>(new GatherKernel(init.attrs().get_int("axis", 0)));
}

// ---------------------------------------------------------------- GatherElements

class GatherElementsKernel : public Kernel {
 public:
  explicit GatherElementsKernel(int64_t axis) : axis_(axis) {}
  Status infer(InferContext& ctx) override {
    EI_RETURN_IF_ERROR(check_copyable(ctx.input_dtype(0)));
    EI_RETURN_IF_ERROR(check_indices_dtype(ctx.input_dtype(1)));
    const Shape& d = ctx.input_shape(0);
    const Shape& i = ctx.input_shape(1);
    if (d.empty()) return invalid_model("GatherElements data must have rank >= 1");
    if (d.size() != i.size())
      return invalid_model("GatherElements data " + shape_to_string(d) + " and indices " + shape_to_string(i) +
                           " must have the same rank");
    EI_ASSIGN_OR_RETURN(int a, normalize_axis(axis_, static_cast<int>(d.size())));
    for (size_t k = 0; k < d.size(); ++k)
      if (static_cast<int>(k) != a && i[k] > d[k])
        return invalid_argument("GatherElements indices " + shape_to_string(i) + " exceed data " + shape_to_string(d) +
                                " on axis " + std::to_string(k));
    ctx.set_output(0, ctx.input_dtype(0), i);
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    const Tensor& data = ctx.input(0);
    const Tensor& idx = ctx.input(1);
    Tensor& out = ctx.output(0);
    const int r = data.rank();
    EI_ASSIGN_OR_RETURN(int a, normalize_axis(axis_, r));
    std::vector<int64_t> dstride(static_cast<size_t>(r), 1);
    for (int k = r - 2; k >= 0; --k) dstride[k] = dstride[k + 1] * data.dim(k + 1);
    const size_t es = dtype_size(data.dtype());
    const auto* src = static_cast<const uint8_t*>(data.raw());
    auto* dst = static_cast<uint8_t*>(out.raw());
    const int64_t n = idx.numel();
    std::vector<int64_t> it(static_cast<size_t>(r), 0);
    int64_t base = 0;  // offset of `it` in data with the axis coordinate left out
    const int64_t dim = data.dim(a);
    for (int64_t o = 0; o < n; ++o) {
      EI_ASSIGN_OR_RETURN(int64_t j, read_index(idx, o, dim));
      std::memcpy(dst + o * static_cast<int64_t>(es), src + (base + j * dstride[a]) * static_cast<int64_t>(es), es);
      for (int k = r - 1; k >= 0; --k) {
        if (k != a) base += dstride[k];
        if (++it[k] < idx.dim(k)) break;
        if (k != a) base -= it[k] * dstride[k];
        it[k] = 0;
      }
    }
    return Status::ok();
  }

 private:
  int64_t axis_;
};

Result<std::unique_ptr<Kernel>> create_gather_elements(const KernelInit& init) {
  if (!init.has_input(0) || !init.has_input(1)) return init.error(invalid_model("GatherElements needs data and indices"));
  return std::unique_ptr<Kernel>(new GatherElementsKernel(init.attrs().get_int("axis", 0)));
}

}  // namespace

extern const OpRegistration kOpSlice = {"", "Slice", &create_slice};
extern const OpRegistration kOpGather = {"", "Gather", &create_gather};
extern const OpRegistration kOpGatherElements = {"", "GatherElements", &create_gather_elements};

}  // namespace edgeinfer
