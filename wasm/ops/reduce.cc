// ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceSumSquare,
// ReduceLogSum, ReduceLogSumExp.
// Axes come from the `axes` attribute before opset 13 (ReduceSum) / 18 (the others) and from the
// optional second input after. Empty axes reduce everything unless noop_with_empty_axes=1.
// The reduced and kept dims are merged into blocks; [kept, reduced] runs the row kernel,
// [kept, reduced, kept] the column kernel, any other pattern a generic offsets loop.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/f32_reduce/f32_reduce.h"
#include "ops/op.h"

namespace edgeinfer {
namespace {

enum class RKind { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kSumSquare, kLogSum, kLogSumExp };

bool is_float_only(RKind k) { return k == RKind::kL2 || k == RKind::kLogSum || k == RKind::kLogSumExp; }

template <typename T>
struct Acc {
  using type = T;
};
template <> struct Acc<float> { using type = float; };
template <> struct Acc<int8_t> { using type = int64_t; };
template <> struct Acc<uint8_t> { using type = int64_t; };
template <> struct Acc<int32_t> { using type = int64_t; };

// Reduces the values x[base + offs[i]] for i < count (or x[base + i] when offs is null).
template <typename T>
T reduce_one(RKind k, const T* x, const int64_t* offs, int64_t count) {
  using A = typename Acc<T>::type;
  auto at = [&](int64_t i) -> A { return static_cast<A>(offs ? x[offs[i]] : x[i]); };
  switch (k) {
    case RKind::kMax: case RKind::kMin: {
      if (count == 0) {
        if constexpr (std::is_floating_point<T>::value) return k == RKind::kMax ? -INFINITY : INFINITY;
        else return k == RKind::kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
      }
      A m = at(0);
      for (int64_t i = 1; i < count; ++i) {
        A v = at(i);
        if constexpr (std::is_floating_point<T>::value) {
          if (std::isnan(m)) break;
          if (std::isnan(v) || (k == RKind::kMax ? v > m : v < m)) m = v;
        } else {
          if (k == RKind::kMax ? v > m : v < m) m = v;
        }
      }
      return static_cast<T>(m);
    }
    case RKind::kProd: {
      A p = 1;
      for (int64_t i = 0; i < count; ++i) p *= at(i);
      return static_cast<T>(p);
    }
    case RKind::kLogSumExp: {
      if (count == 0) return static_cast<T>(-INFINITY);
      A m = at(0);
      for (int64_t i = 1; i < count; ++i) m = std::max(m, at(i));
      if (std::isinf(m)) return static_cast<T>(m);
      A s = 0;
      for (int64_t i = 0; i < count; ++i) s += std::exp(at(i) - m);
      return static_cast<T>(m + std::log(s));
    }
    default: break;
  }
  A s = 0;
  for (int64_t i = 0; i < count; ++i) {
    A v = at(i);
    s += k == RKind::kL1 ? (v < 0 ? -v : v) : (k == RKind::kL2 || k == RKind::kSumSquare) ? v * v : v;
  }
  switch (k) {
    case RKind::kMean: return static_cast<T>(count == 0 ? (std::is_floating_point<T>::value ? NAN : 0) : s / static_cast<A>(count));
    case RKind::kL2: return static_cast<T>(std::sqrt(s));
    case RKind::kLogSum: return static_cast<T>(std::log(s));
    default: return static_cast<T>(s);
  }
}

// Applies the final step of a sum-like reduction computed by the float kernels.
float finalize(RKind k, float s, int64_t count) {
  switch (k) {
    case RKind::kMean: return s / static_cast<float>(count);
    case RKind::kL2: return std::sqrt(s);
    case RKind::kLogSum: return std::log(s);
    default: return s;
  }
}

bool kernel_op(RKind k, kernels::F32ReduceOp* op) {
  switch (k) {
    case RKind::kSum: case RKind::kMean: case RKind::kLogSum: *op = kernels::F32ReduceOp::kSum; return true;
    case RKind::kL1: *op = kernels::F32ReduceOp::kSumAbs; return true;
    case RKind::kL2: case RKind::kSumSquare: *op = kernels::F32ReduceOp::kSumSquare; return true;
    case RKind::kMax: *op = kernels::F32ReduceOp::kMax; return true;
    case RKind::kMin: *op = kernels::F32ReduceOp::kMin; return true;
    default: return false;
  }
}

struct Block {
  int64_t size;
  bool reduced;
};

class ReduceKernel : public Kernel {
 public:
  ReduceKernel(RKind kind, bool axes_from_input, std::vector<int64_t> axes, bool keepdims, bool noop)
      : kind_(kind), axes_from_input_(axes_from_input), attr_axes_(std::move(axes)), keepdims_(keepdims), noop_(noop) {}

  Status infer(InferContext& ctx) override {
    const DataType dt = ctx.input_dtype(0);
    EI_RETURN_IF_ERROR(check_dtype(dt));
    std::vector<int64_t> axes = attr_axes_;
    if (axes_from_input_ && ctx.has_input(1)) {
      const Tensor* v = ctx.input_value(1);
      if (!v) return ctx.deferred(1);
      EI_ASSIGN_OR_RETURN(axes, read_axes(*v));
    }
    const Shape& in = ctx.input_shape(0);
    EI_ASSIGN_OR_RETURN(std::vector<bool> red, reduced_mask(axes, static_cast<int>(in.size())));
    Shape out;
    for (size_t d = 0; d < in.size(); ++d) {
      if (!red[d]) out.push_back(in[d]);
      else if (keepdims_) out.push_back(1);
    }
    ctx.set_output(0, dt, out);
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& x = ctx.input(0);
    std::vector<int64_t> axes = attr_axes_;
    if (axes_from_input_ && ctx.has_input(1)) { EI_ASSIGN_OR_RETURN(axes, read_axes(ctx.input(1))); }
    EI_ASSIGN_OR_RETURN(std::vector<bool> red, reduced_mask(axes, x.rank()));
    Tensor& y = ctx.output(0);
    if (axes.empty() && noop_) {
      // noop_with_empty_axes: the output is the input, with no element-wise step (spec wording).
      if (x.nbytes()) std::memcpy(y.raw(), x.raw(), x.nbytes());
      return Status::ok();
    }
    switch (x.dtype()) {
      case DataType::kFloat32: return compute<float>(ctx, x, red, y);
      case DataType::kInt64: return compute<int64_t>(ctx, x, red, y);
      case DataType::kInt32: return compute<int32_t>(ctx, x, red, y);
      case DataType::kUint8: return compute<uint8_t>(ctx, x, red, y);
      case DataType::kInt8: return compute<int8_t>(ctx, x, red, y);
      default: return check_dtype(x.dtype());
    }
  }

 private:
  Status check_dtype(DataType dt) const {
    const bool ok = dt == DataType::kFloat32 ||
                    (!is_float_only(kind_) && (dt == DataType::kInt64 || dt == DataType::kInt32)) ||
                    ((kind_ == RKind::kMax || kind_ == RKind::kMin) && (dt == DataType::kUint8 || dt == DataType::kInt8));
    if (!ok) return unsupported(std::string("input dtype ") + dtype_name(dt));
    return Status::ok();
  }

  static Result<std::vector<int64_t>> read_axes(const Tensor& t) {
    if (t.dtype() != DataType::kInt64) return invalid_model("axes input must be int64");
    if (t.rank() > 1) return invalid_model("axes input must be 1-D");
    return to_int_vector(t);
  }

  // Per dim: reduced or not. Empty axes mean all dims, or none with noop_with_empty_axes.
  Result<std::vector<bool>> reduced_mask(const std::vector<int64_t>& axes, int rank) const {
    std::vector<bool> red(static_cast<size_t>(rank), axes.empty() && !noop_);
    for (int64_t a : axes) {
      EI_ASSIGN_OR_RETURN(int ax, normalize_axis(a, rank));
      if (red[static_cast<size_t>(ax)]) return invalid_model("axis " + std::to_string(a) + " repeated in axes");
      red[static_cast<size_t>(ax)] = true;
    }
    return red;
  }

  template <typename T>
  Status compute(RunContext& ctx, const Tensor& x, const std::vector<bool>& red, Tensor& y) {
    const T* src = x.data<T>();
    T* dst = y.data<T>();
    const int64_t out_n = y.numel();
    if (out_n == 0) return Status::ok();
    // Merge dims into alternating kept/reduced blocks, dropping 1-sized dims.
    std::vector<Block> blocks;
    int64_t total_reduced = 1;
    for (int d = 0; d < x.rank(); ++d) {
      const int64_t n = x.dim(d);
      if (red[static_cast<size_t>(d)]) total_reduced *= n;
      if (n == 1) continue;
      if (!blocks.empty() && blocks.back().reduced == red[static_cast<size_t>(d)]) blocks.back().size *= n;
      else blocks.push_back({n, red[static_cast<size_t>(d)]});
    }
    if (total_reduced == 0) {  // empty reduction: every output is the identity
      const T v = reduce_one<T>(kind_, src, nullptr, 0);
      for (int64_t i = 0; i < out_n; ++i) dst[i] = v;
      return Status::ok();
    }
    const size_t nb = blocks.size();
    if constexpr (std::is_same<T, float>::value) {
      kernels::F32ReduceOp op;
      if (kernel_op(kind_, &op)) {
        const RKind kind = kind_;
        if (nb == 0 || (nb == 1 && !blocks[0].reduced)) {  // nothing reduced: element-wise finalize
          for (int64_t i = 0; i < out_n; ++i) dst[i] = reduce_one<float>(kind, src + i, nullptr, 1);
          return Status::ok();
        }
        if (blocks.back().reduced && nb <= 2) {  // [kept?, reduced]: rows
          const int64_t n = blocks.back().size, rows = out_n;
          ctx.pool().parallel_for(rows, std::max<int64_t>(1, 16384 / n), [&](int64_t b, int64_t e) {
            kernels::f32_reduce_rows(src + b * n, dst + b, e - b, n, op);
            for (int64_t r = b; r < e; ++r) dst[r] = finalize(kind, dst[r], n);
          });
          return Status::ok();
        }
        if (!blocks.back().reduced && ((nb == 2 && blocks[0].reduced) || (nb == 3 && blocks[1].reduced))) {
          const int64_t inner = blocks.back().size, n = blocks[nb - 2].size;
          const int64_t outer = nb == 3 ? blocks[0].size : 1;
          // Split the inner columns so a single outer block still uses every thread.
          const int64_t chunk = std::max<int64_t>(16, std::min<int64_t>(inner, 65536 / std::max<int64_t>(n, 1)) / 16 * 16);
          const int64_t nchunks = (inner + chunk - 1) / chunk;
          ctx.pool().parallel_for(outer * nchunks, 1, [&](int64_t b, int64_t e) {
            for (int64_t t = b; t < e; ++t) {
              const int64_t o = t / nchunks, j0 = (t % nchunks) * chunk, w = std::min(chunk, inner - j0);
              float* out = dst + o * inner + j0;
              kernels::f32_reduce_cols(src + o * n * inner + j0, out, n, w, inner, op);
              for (int64_t j = 0; j < w; ++j) out[j] = finalize(kind, out[j], n);
            }
          });
          return Status::ok();
        }
      }
    }
    // Generic: offsets of the reduced elements relative to each output's base.
    std::vector<int64_t> strides(nb);
    int64_t s = 1;
    for (size_t i = nb; i-- > 0;) { strides[i] = s; s *= blocks[i].size; }
    std::vector<int64_t> offs(1, 0);
    for (size_t i = 0; i < nb; ++i) {
      if (!blocks[i].reduced) continue;
      std::vector<int64_t> next;
      next.reserve(offs.size() * static_cast<size_t>(blocks[i].size));
      for (int64_t o : offs)
        for (int64_t k = 0; k < blocks[i].size; ++k) next.push_back(o + k * strides[i]);
      offs.swap(next);
    }
    const int64_t count = static_cast<int64_t>(offs.size());
    const RKind kind = kind_;
    ctx.pool().parallel_for(out_n, std::max<int64_t>(1, 16384 / count), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        int64_t rem = o, base = 0;
        for (size_t i = nb; i-- > 0;) {
          if (blocks[i].reduced) continue;
          base += (rem % blocks[i].size) * strides[i];
          rem /= blocks[i].size;
        }
        dst[o] = reduce_one<T>(kind, src + base, offs.data(), count);
      }
    });
    return Status::ok();
  }

  RKind kind_;
  bool axes_from_input_;
  std::vector<int64_t> attr_axes_;
  bool keepdims_;
  bool noop_;
};

template <RKind kKind>
Result<std::unique_ptr<Kernel>> create_reduce(const KernelInit& init) {
  const Attributes& a = init.attrs();
  EI_RETURN_IF_ERROR(init.error(a.check_type("keepdims", AttrType::kInt)));
  EI_RETURN_IF_ERROR(init.error(a.check_type("noop_with_empty_axes", AttrType::kInt)));
  const int64_t input_opset = kKind == RKind::kSum ? 13 : 18;
  const bool from_input = init.opset >= input_opset;
  std::vector<int64_t> axes;
  if (from_input) {
    if (a.has("axes")) return init.error(invalid_model("'axes' is an input, not an attribute, from opset " +
                                                       std::to_string(input_opset)));
  } else {
    EI_RETURN_IF_ERROR(init.error(a.check_type("axes", AttrType::kInts)));
    axes = a.get_ints("axes");
    if (init.has_input(1)) return init.error(invalid_model("axes input before opset " + std::to_string(input_opset)));
  }
  const bool noop = from_input && a.get_int("noop_with_empty_axes", 0) != 0;
  return std::unique_ptr<Kernel>(new ReduceKernel(kKind, from_input, axes, a.get_int("keepdims", 1) != 0, noop));
}

}  // namespace

extern const OpRegistration kOpReduceSum = {"", "ReduceSum", &create_reduce<RKind::kSum>};
extern const OpRegistration kOpReduceMean = {"", "ReduceMean", &create_reduce<RKind::kMean>};
extern const OpRegistration kOpReduceMax = {"", "ReduceMax", &create_reduce<RKind::kMax>};
extern const OpRegistration kOpReduceMin = {"", "ReduceMin", &create_reduce<RKind::kMin>};
extern const OpRegistration kOpReduceProd = {"", "ReduceProd", &create_reduce<RKind::kProd>};
extern const OpRegistration kOpReduceL1 = {"", "ReduceL1", &create_reduce<RKind::kL1>};
extern const OpRegistration kOpReduceL2 = {"", "ReduceL2", &create_reduce<RKind::kL2>};
extern const OpRegistration kOpReduceSumSquare = {"", "ReduceSumSquare", &create_reduce<RKind::kSumSquare>};
extern const OpRegistration kOpReduceLogSum = {"", "ReduceLogSum", &create_reduce<RKind::kLogSum>};
extern const OpRegistration kOpReduceLogSumExp = {"", "ReduceLogSumExp", &create_reduce<RKind::kLogSumExp>};

}  // namespace edgeinfer
